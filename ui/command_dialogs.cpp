#include "ui/command_dialogs.h"

#include "ui/format.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace livedeck::ui {
namespace {

QString paramDefaultText(const v1::ParamDescriptor& p)
{
    if (p.is_duration())
        return formatSimTime(static_cast<std::int64_t>(p.default_value() * 1e9), false).mid(2);
    const QString v = std::fabs(p.default_value()) >= 1e4 ? formatCompact(p.default_value())
                                                          : QString::number(p.default_value(), 'g', 6);
    return p.unit().empty() ? v : v + QLatin1Char(' ') + QString::fromStdString(p.unit());
}

QDialogButtonBox* addButtons(QDialog* d, QFormLayout* form)
{
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, d);
    form->addRow(buttons);
    QObject::connect(buttons, &QDialogButtonBox::accepted, d, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, d, &QDialog::reject);
    return buttons;
}

} // namespace

// ---------------------------------------------------------------- LoadDialog

LoadDialog::LoadDialog(const v1::Topology& topology, QWidget* parent) : QDialog(parent)
{
    *m_topology.mutable_engines() = topology.engines();
    setWindowTitle(tr("Set load"));
    auto* form = new QFormLayout(this);
    m_engine = new QComboBox(this);
    m_engine->setObjectName(QStringLiteral("load.engine"));
    for (const v1::EngineDescriptor& e : m_topology.engines()) {
        if (e.load_profiles_size() == 0)
            continue;
        const QString name = QString::fromStdString(e.name());
        m_engine->addItem(e.title().empty() ? name : QStringLiteral("%1 (%2)").arg(QString::fromStdString(e.title()), name), name);
    }
    m_profile = new QComboBox(this);
    m_profile->setObjectName(QStringLiteral("load.profile"));
    m_profile->setToolTip(tr("\"keep current\" changes only the multiplier"));
    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    m_params = new QTableWidget(0, 3, this);
    m_params->setObjectName(QStringLiteral("load.params"));
    m_params->setHorizontalHeaderLabels({tr("Parameter"), tr("Default"), tr("Meaning")});
    m_params->verticalHeader()->hide();
    m_params->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_params->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_params->setToolTip(tr("The profile's parameters as the engine defines them; a drill file's load phase may set them"));
    m_params->setMinimumWidth(520);
    m_multiplier = new QDoubleSpinBox(this);
    m_multiplier->setObjectName(QStringLiteral("load.multiplier"));
    m_multiplier->setRange(0, 1000);
    m_multiplier->setDecimals(2);
    m_multiplier->setValue(1.0);
    m_multiplier->setSpecialValueText(tr("unchanged"));
    m_multiplier->setToolTip(tr("Scales the profile's rates"));
    form->addRow(tr("Engine:"), m_engine);
    form->addRow(tr("Profile:"), m_profile);
    form->addRow(QString(), m_description);
    form->addRow(tr("Parameters:"), m_params);
    form->addRow(tr("Multiplier:"), m_multiplier);
    if (m_engine->count() == 0) {
        auto* none = new QLabel(tr("No engine of this run offers load profiles."), this);
        form->insertRow(0, none);
    }
    QDialogButtonBox* buttons = addButtons(this, form);
    buttons->button(QDialogButtonBox::Ok)->setEnabled(m_engine->count() > 0);
    connect(m_engine, &QComboBox::currentIndexChanged, this, [this](int) { fillProfiles(); });
    connect(m_profile, &QComboBox::currentIndexChanged, this, [this](int) { fillParams(); });
    fillProfiles();
}

void LoadDialog::fillProfiles()
{
    QSignalBlocker block(m_profile);
    m_profile->clear();
    m_profile->addItem(tr("keep current"), QString());
    const std::string engine = this->engine().toStdString();
    for (const v1::EngineDescriptor& e : m_topology.engines()) {
        if (e.name() != engine)
            continue;
        for (const v1::LoadProfileDescriptor& p : e.load_profiles())
            m_profile->addItem(QString::fromStdString(p.name()), QString::fromStdString(p.name()));
    }
    fillParams();
}

void LoadDialog::fillParams()
{
    m_params->setRowCount(0);
    m_description->clear();
    const std::string engine = this->engine().toStdString();
    const std::string profile = this->profile().toStdString();
    for (const v1::EngineDescriptor& e : m_topology.engines()) {
        if (e.name() != engine)
            continue;
        for (const v1::LoadProfileDescriptor& p : e.load_profiles()) {
            if (p.name() != profile)
                continue;
            m_description->setText(QString::fromStdString(p.description()));
            m_params->setRowCount(p.params_size());
            for (int i = 0; i < p.params_size(); ++i) {
                const v1::ParamDescriptor& q = p.params(i);
                m_params->setItem(i, 0, new QTableWidgetItem(QString::fromStdString(q.name())));
                auto* def = new QTableWidgetItem(paramDefaultText(q));
                def->setToolTip(tr("range %1 … %2").arg(q.min()).arg(q.max()));
                m_params->setItem(i, 1, def);
                m_params->setItem(i, 2, new QTableWidgetItem(QString::fromStdString(q.description())));
            }
            m_params->resizeColumnsToContents();
        }
    }
}

QStringList LoadDialog::engines() const
{
    QStringList out;
    for (int i = 0; i < m_engine->count(); ++i)
        out.push_back(m_engine->itemData(i).toString());
    return out;
}

QStringList LoadDialog::profiles() const
{
    QStringList out;
    for (int i = 0; i < m_profile->count(); ++i)
        out.push_back(m_profile->itemData(i).toString());
    return out;
}

QStringList LoadDialog::paramNames() const
{
    QStringList out;
    for (int i = 0; i < m_params->rowCount(); ++i)
        out.push_back(m_params->item(i, 0)->text());
    return out;
}

void LoadDialog::setEngine(const QString& engine)
{
    const int i = m_engine->findData(engine);
    if (i >= 0)
        m_engine->setCurrentIndex(i);
}

void LoadDialog::setProfile(const QString& profile)
{
    const int i = m_profile->findData(profile);
    if (i >= 0)
        m_profile->setCurrentIndex(i);
}

void LoadDialog::setMultiplier(double multiplier)
{
    m_multiplier->setValue(multiplier);
}

QString LoadDialog::engine() const
{
    return m_engine->currentData().toString();
}

QString LoadDialog::profile() const
{
    return m_profile->currentData().toString();
}

double LoadDialog::multiplier() const
{
    return m_multiplier->value();
}

// ---------------------------------------------------------------- ActionDialog

ActionDialog::ActionDialog(const v1::Topology& topology, const QString& selected, QWidget* parent)
    : QDialog(parent), m_topology(topology), m_selected(selected)
{
    setWindowTitle(tr("Operator action"));
    for (const v1::EngineDescriptor& e : m_topology.engines()) {
        for (const v1::ActionDescriptor& a : e.actions()) {
            auto it = std::find_if(m_offers.begin(), m_offers.end(),
                                   [&](const Offer& o) { return o.descriptor.name() == a.name(); });
            if (it == m_offers.end()) {
                m_offers.push_back(Offer{{}, a});
                it = m_offers.end() - 1;
            }
            it->engines.push_back(QString::fromStdString(e.name()));
        }
    }
    auto* form = new QFormLayout(this);
    m_action = new QComboBox(this);
    m_action->setObjectName(QStringLiteral("action.name"));
    for (const Offer& o : m_offers)
        m_action->addItem(QStringLiteral("%1 — %2").arg(QString::fromStdString(o.descriptor.name()), o.engines.join(QStringLiteral(", "))),
                          QString::fromStdString(o.descriptor.name()));
    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    m_description->setMinimumWidth(420);
    m_targetLabel = new QLabel(tr("Target:"), this);
    m_target = new QComboBox(this);
    m_target->setObjectName(QStringLiteral("action.target"));
    m_target->setEditable(true);
    m_target->setInsertPolicy(QComboBox::NoInsert);
    m_valueLabel = new QLabel(tr("Value:"), this);
    m_value = new QDoubleSpinBox(this);
    m_value->setObjectName(QStringLiteral("action.value"));
    m_value->setDecimals(2);
    form->addRow(tr("Action:"), m_action);
    form->addRow(QString(), m_description);
    form->addRow(m_targetLabel, m_target);
    form->addRow(m_valueLabel, m_value);
    if (m_offers.empty())
        form->insertRow(0, new QLabel(tr("No engine of this run declares operator actions."), this));
    QDialogButtonBox* buttons = addButtons(this, form);
    buttons->button(QDialogButtonBox::Ok)->setEnabled(!m_offers.empty());
    connect(m_action, &QComboBox::currentIndexChanged, this, [this](int) { updateForAction(); });
    updateForAction();
}

void ActionDialog::updateForAction()
{
    const v1::ActionDescriptor* a = action();
    m_target->clear();
    if (!a) {
        m_description->clear();
        m_targetLabel->hide();
        m_target->hide();
        m_valueLabel->hide();
        m_value->hide();
        return;
    }
    m_description->setText(QString::fromStdString(a->description()));
    const bool hasTarget = a->target() != v1::ACTION_TARGET_NONE && a->target() != v1::ACTION_TARGET_UNSPECIFIED;
    m_targetLabel->setVisible(hasTarget);
    m_target->setVisible(hasTarget);
    m_target->lineEdit()->setPlaceholderText(QString::fromStdString(a->target_hint()));
    m_target->setToolTip(QString::fromStdString(a->target_hint()));
    switch (a->target()) {
    case v1::ACTION_TARGET_REGION:
        m_targetLabel->setText(tr("Region:"));
        for (const v1::Region& r : m_topology.regions())
            m_target->addItem(QString::fromStdString(r.name()));
        if (m_topology.regions_size() == 0)
            m_target->setEditText(QString());
        break;
    case v1::ACTION_TARGET_COMPONENT: {
        m_targetLabel->setText(tr("Component:"));
        // Components of the kind the hint names first, or every component.
        for (const v1::Component& c : m_topology.components()) {
            if (a->target_hint().empty() || c.kind() == a->target_hint())
                m_target->addItem(QString::fromStdString(c.path()));
        }
        const int i = m_target->findText(m_selected);
        if (i >= 0)
            m_target->setCurrentIndex(i);
        else
            m_target->setEditText(m_selected);
        break;
    }
    case v1::ACTION_TARGET_TEXT:
        m_targetLabel->setText(tr("Target:"));
        m_target->setEditText(QString());
        break;
    default:
        break;
    }
    m_valueLabel->setVisible(a->takes_value());
    m_value->setVisible(a->takes_value());
    if (a->takes_value()) {
        const v1::ParamDescriptor& v = a->value();
        m_valueLabel->setText(v.name().empty() ? tr("Value:") : QString::fromStdString(v.name()) + QLatin1Char(':'));
        const double hi = v.max() > v.min() ? v.max() : 1e12;
        m_value->setRange(v.min(), hi);
        m_value->setSuffix(v.unit().empty() ? QString() : QLatin1Char(' ') + QString::fromStdString(v.unit()));
        m_value->setValue(v.default_value());
        m_value->setToolTip(QString::fromStdString(v.description()));
    }
}

QStringList ActionDialog::actionNames() const
{
    QStringList out;
    for (const Offer& o : m_offers)
        out.push_back(QString::fromStdString(o.descriptor.name()));
    return out;
}

void ActionDialog::setAction(const QString& name)
{
    const int i = m_action->findData(name);
    if (i >= 0)
        m_action->setCurrentIndex(i);
}

const v1::ActionDescriptor* ActionDialog::action() const
{
    const int i = m_action->currentIndex();
    return i >= 0 && i < static_cast<int>(m_offers.size()) ? &m_offers[static_cast<std::size_t>(i)].descriptor : nullptr;
}

QString ActionDialog::actionName() const
{
    return m_action->currentData().toString();
}

QString ActionDialog::target() const
{
    return m_target->isVisible() || (action() && action()->target() != v1::ACTION_TARGET_NONE &&
                                     action()->target() != v1::ACTION_TARGET_UNSPECIFIED)
               ? m_target->currentText().trimmed()
               : QString();
}

double ActionDialog::value() const
{
    return action() && action()->takes_value() ? m_value->value() : 0.0;
}

QStringList ActionDialog::targetChoices() const
{
    QStringList out;
    for (int i = 0; i < m_target->count(); ++i)
        out.push_back(m_target->itemText(i));
    return out;
}

void ActionDialog::setTarget(const QString& target)
{
    m_target->setEditText(target);
}

void ActionDialog::setValue(double value)
{
    m_value->setValue(value);
}

bool ActionDialog::valueShown() const
{
    return action() && action()->takes_value();
}

double ActionDialog::valueMinimum() const
{
    return m_value->minimum();
}

double ActionDialog::valueMaximum() const
{
    return m_value->maximum();
}

QString ActionDialog::valueSuffix() const
{
    return m_value->suffix();
}

bool ActionDialog::needsConfirmation(const v1::ActionDescriptor& action, const QString& sourceKind)
{
    return action.changes_world() && sourceKind == QLatin1String("remote");
}

} // namespace livedeck::ui
