#include "ui/fault_dialog.h"

#include "backend/sim/faults.h"
#include "ui/format.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace livedeck::ui {
namespace {

struct ParamSpec {
    const char* name;
    const char* label;
    enum Type { Number, Text, Flag } type;
    double min;
    double max;
    double value;
    int decimals;
    bool optional;
    const char* tip;
};

// Parameters per kind (docs/API.md, backend/sim/faults.h); defaults are a visible but
// survivable fault.
std::vector<ParamSpec> paramsFor(v1::FaultKind kind)
{
    using T = ParamSpec;
    switch (kind) {
    case v1::FAULT_LATENCY:
        return {{"add_ms", "extra latency (ms)", T::Number, 0, 600000, 200, 1, false, "Milliseconds added to every call (>= 0)"},
                {"multiply", "latency ×", T::Number, 1, 1000, 1, 2, false, "Multiplies the service time (>= 1)"},
                {"peer", "peer (link fault)", T::Text, 0, 0, 0, 0, true, "Optional: delay the link between the target and this peer instead"}};
    case v1::FAULT_ERROR_RATE:
        return {{"rate", "error rate", T::Number, 0.001, 1, 0.5, 3, false, "Share of calls that fail, in (0, 1]"}};
    case v1::FAULT_DOWN:
        return {};
    case v1::FAULT_PARTITION:
        return {{"peer", "other side", T::Text, 0, 0, 0, 0, false, "Path prefix of the other side (a region: gz)"},
                {"one_way", "one way only", T::Flag, 0, 1, 0, 0, true, "Block only target → peer"}};
    case v1::FAULT_SLOW_DISK:
        return {{"multiply", "disk time ×", T::Number, 1, 1000, 10, 2, false, "Multiplies disk service time (>= 1)"}};
    case v1::FAULT_REPLICA_LAG:
        return {{"add_ms", "replica lag (ms)", T::Number, 1, 3600000, 5000, 0, false, "Extra replication delay (> 0)"}};
    case v1::FAULT_MQ_DUPLICATE:
        return {{"rate", "duplicate rate", T::Number, 0.001, 1, 0.1, 3, false, "Share of messages delivered twice, in (0, 1]"}};
    case v1::FAULT_MQ_DELAY:
        return {{"add_ms", "delivery delay (ms)", T::Number, 1, 3600000, 2000, 0, false, "Extra delivery delay (> 0)"}};
    case v1::FAULT_MQ_LOSS:
        return {{"rate", "loss rate", T::Number, 0.001, 1, 0.05, 3, false, "Share of messages lost, in (0, 1]"}};
    case v1::FAULT_CLOCK_SKEW:
        return {{"add_ms", "skew (ms)", T::Number, -3600000, 3600000, 500, 0, false, "Clock offset, either sign"}};
    case v1::FAULT_HOT_KEY:
        return {{"share", "share of key traffic", T::Number, 0.01, 1, 0.5, 2, false, "Share of the target's key traffic on one key, in (0, 1]"},
                {"key", "key", T::Text, 0, 0, 0, 0, true, "Optional: the hot key"}};
    case v1::FAULT_LOAD_SPIKE:
        return {{"multiply", "load ×", T::Number, 0.01, 1000, 3, 2, false, "Multiplies the offered load (> 0)"}};
    default:
        return {};
    }
}

constexpr v1::FaultKind kKinds[] = {v1::FAULT_LATENCY,      v1::FAULT_ERROR_RATE,  v1::FAULT_DOWN,    v1::FAULT_PARTITION,
                                    v1::FAULT_SLOW_DISK,    v1::FAULT_REPLICA_LAG, v1::FAULT_MQ_DUPLICATE, v1::FAULT_MQ_DELAY,
                                    v1::FAULT_MQ_LOSS,      v1::FAULT_CLOCK_SKEW,  v1::FAULT_HOT_KEY, v1::FAULT_LOAD_SPIKE};

} // namespace

QString FaultDialog::kindDescription(v1::FaultKind kind)
{
    switch (kind) {
    case v1::FAULT_LATENCY:
        return tr("extra latency on calls (or on a link)");
    case v1::FAULT_ERROR_RATE:
        return tr("a share of calls fail");
    case v1::FAULT_DOWN:
        return tr("the target stops (a region path: the whole region)");
    case v1::FAULT_PARTITION:
        return tr("target and peer cannot reach each other");
    case v1::FAULT_SLOW_DISK:
        return tr("disk operations take longer");
    case v1::FAULT_REPLICA_LAG:
        return tr("replicas fall behind the primary");
    case v1::FAULT_MQ_DUPLICATE:
        return tr("the message queue delivers some messages twice");
    case v1::FAULT_MQ_DELAY:
        return tr("the message queue delivers late");
    case v1::FAULT_MQ_LOSS:
        return tr("the message queue loses some messages");
    case v1::FAULT_CLOCK_SKEW:
        return tr("the target's clock is off");
    case v1::FAULT_HOT_KEY:
        return tr("one key takes a share of the traffic");
    case v1::FAULT_LOAD_SPIKE:
        return tr("offered load multiplied");
    default:
        return {};
    }
}

FaultDialog::FaultDialog(const QString& target, const QStringList& knownPaths, std::int64_t nowNs, QWidget* parent)
    : QDialog(parent), m_nowNs(nowNs)
{
    setWindowTitle(tr("Inject fault"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout();
    m_target = new QLineEdit(target, this);
    m_target->setToolTip(tr("Component path prefix by segment; '*' matches one segment (*/orders/db)"));
    auto* completer = new QCompleter(knownPaths, m_target);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    m_target->setCompleter(completer);
    form->addRow(tr("Target:"), m_target);
    m_kind = new QComboBox(this);
    for (v1::FaultKind k : kKinds)
        m_kind->addItem(faultKindName(k) + QStringLiteral(" — ") + kindDescription(k), static_cast<int>(k));
    form->addRow(tr("Kind:"), m_kind);
    layout->addLayout(form);
    m_paramBox = new QWidget(this);
    m_paramForm = new QFormLayout(m_paramBox);
    m_paramForm->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_paramBox);
    auto* timing = new QFormLayout();
    m_delay = new QDoubleSpinBox(this);
    m_delay->setRange(0, 1e6);
    m_delay->setDecimals(1);
    m_delay->setSuffix(tr(" s"));
    m_delay->setToolTip(tr("Simulated seconds from now until the fault starts (0: now)"));
    m_duration = new QDoubleSpinBox(this);
    m_duration->setRange(0, 1e6);
    m_duration->setDecimals(1);
    m_duration->setValue(60);
    m_duration->setSuffix(tr(" s"));
    m_duration->setSpecialValueText(tr("until cleared"));
    m_duration->setToolTip(tr("How long the fault lasts in simulated seconds (0: until cleared)"));
    timing->addRow(tr("Starts in:"), m_delay);
    timing->addRow(tr("Lasts:"), m_duration);
    layout->addLayout(timing);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #c0141c;"));
    m_error->setWordWrap(true);
    layout->addWidget(m_error);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Inject"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this](int) { rebuildParams(); });
    connect(m_target, &QLineEdit::textChanged, this, &FaultDialog::revalidate);
    rebuildParams();
    resize(520, sizeHint().height());
}

void FaultDialog::rebuildParams()
{
    while (m_paramForm->rowCount() > 0)
        m_paramForm->removeRow(0);
    m_editors.clear();
    for (const ParamSpec& p : paramsFor(kind())) {
        Editor e;
        e.name = QLatin1String(p.name);
        e.optional = p.optional;
        QWidget* w = nullptr;
        switch (p.type) {
        case ParamSpec::Number:
            e.number = new QDoubleSpinBox(m_paramBox);
            e.number->setRange(p.min, p.max);
            e.number->setDecimals(p.decimals);
            e.number->setValue(p.value);
            connect(e.number, &QDoubleSpinBox::valueChanged, this, &FaultDialog::revalidate);
            w = e.number;
            break;
        case ParamSpec::Text:
            e.text = new QLineEdit(m_paramBox);
            connect(e.text, &QLineEdit::textChanged, this, &FaultDialog::revalidate);
            w = e.text;
            break;
        case ParamSpec::Flag:
            e.flag = new QCheckBox(m_paramBox);
            connect(e.flag, &QCheckBox::toggled, this, &FaultDialog::revalidate);
            w = e.flag;
            break;
        }
        w->setToolTip(QString::fromUtf8(p.tip));
        m_paramForm->addRow(QString::fromUtf8(p.label) + QLatin1Char(':'), w);
        m_editors.push_back(e);
    }
    if (m_editors.empty())
        m_paramForm->addRow(new QLabel(tr("This kind takes no parameters."), m_paramBox));
    revalidate();
}

void FaultDialog::setKind(v1::FaultKind kind)
{
    const int i = m_kind->findData(static_cast<int>(kind));
    if (i >= 0)
        m_kind->setCurrentIndex(i);
}

v1::FaultKind FaultDialog::kind() const
{
    return static_cast<v1::FaultKind>(m_kind->currentData().toInt());
}

void FaultDialog::setTarget(const QString& target)
{
    m_target->setText(target);
}

bool FaultDialog::setParam(const QString& name, double value)
{
    for (Editor& e : m_editors) {
        if (e.name != name)
            continue;
        if (e.number)
            e.number->setValue(value);
        else if (e.flag)
            e.flag->setChecked(value != 0);
        else
            return false;
        return true;
    }
    return false;
}

bool FaultDialog::setParamText(const QString& name, const QString& text)
{
    for (Editor& e : m_editors) {
        if (e.name == name && e.text) {
            e.text->setText(text);
            return true;
        }
    }
    return false;
}

void FaultDialog::setDurationSeconds(double seconds)
{
    m_duration->setValue(seconds);
}

void FaultDialog::setStartDelaySeconds(double seconds)
{
    m_delay->setValue(seconds);
}

v1::FaultSpec FaultDialog::spec() const
{
    v1::FaultSpec s;
    s.set_kind(kind());
    s.set_target(m_target->text().trimmed().toStdString());
    s.set_origin("console");
    for (const Editor& e : m_editors) {
        v1::FaultParam p;
        p.set_name(e.name.toStdString());
        if (e.number) {
            p.set_value(e.number->value());
        } else if (e.text) {
            if (e.text->text().trimmed().isEmpty() && e.optional)
                continue;
            p.set_text(e.text->text().trimmed().toStdString());
        } else if (e.flag) {
            if (!e.flag->isChecked())
                continue;
            p.set_value(1.0);
        }
        *s.add_params() = std::move(p);
    }
    const auto delay = static_cast<std::int64_t>(m_delay->value() * 1e9);
    const auto duration = static_cast<std::int64_t>(m_duration->value() * 1e9);
    const std::int64_t start = delay > 0 ? m_nowNs + delay : 0;
    s.set_start_ns(start);
    s.set_end_ns(duration > 0 ? (start > 0 ? start : m_nowNs) + duration : 0);
    return s;
}

QString FaultDialog::validationError() const
{
    if (m_target->text().trimmed().isEmpty())
        return tr("Give a target: a component path or a prefix of one (sh-a, */orders/db).");
    const auto params = sim::FaultRegistry::validateParams(spec());
    if (!params.ok()) {
        const auto m = params.status().message();
        return QString::fromUtf8(m.data(), static_cast<qsizetype>(m.size()));
    }
    return {};
}

void FaultDialog::revalidate()
{
    const QString error = validationError();
    m_error->setText(error);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty());
}

} // namespace livedeck::ui
