#include "ui/event_log_panel.h"

#include "ui/dashboard_hub.h"
#include "ui/event_log_model.h"
#include "ui/format.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTableView>
#include <QVBoxLayout>

namespace livedeck::ui {

EventLogPanel::EventLogPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* bar = new QHBoxLayout();
    m_kind = new QComboBox(this);
    m_kind->setToolTip(tr("Show one kind of event, or a family (fault.*)"));
    m_kind->setMinimumContentsLength(16);
    m_kind->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_path = new QLineEdit(this);
    m_path->setPlaceholderText(tr("Component path…"));
    m_path->setClearButtonEnabled(true);
    m_path->setToolTip(tr("Events of this component and below it (prefix by path segment), or containing the text"));
    m_text = new QLineEdit(this);
    m_text->setPlaceholderText(tr("Text…"));
    m_text->setClearButtonEnabled(true);
    m_text->setToolTip(tr("Events whose message, kind or component contains the text"));
    m_severity = new QComboBox(this);
    m_severity->addItem(tr("all severities"), static_cast<int>(v1::SEVERITY_UNSPECIFIED));
    m_severity->addItem(tr("info and up"), static_cast<int>(v1::SEVERITY_INFO));
    m_severity->addItem(tr("warnings and up"), static_cast<int>(v1::SEVERITY_WARNING));
    m_severity->addItem(tr("alerts and up"), static_cast<int>(v1::SEVERITY_ALERT));
    m_severity->addItem(tr("violations"), static_cast<int>(v1::SEVERITY_VIOLATION));
    m_follow = new QCheckBox(tr("Follow"), this);
    m_follow->setChecked(true);
    m_follow->setToolTip(tr("Keep the newest event in view"));
    m_copy = new QPushButton(tr("Copy seed + time"), this);
    m_copy->setToolTip(tr("Copy the run, its seed and the selected event's simulated time (and event index) — "
                          "what a replay needs to reach the same point"));
    m_copy->setEnabled(false);
    bar->addWidget(m_kind);
    bar->addWidget(m_path, 1);
    bar->addWidget(m_text, 1);
    bar->addWidget(m_severity);
    bar->addWidget(m_follow);
    bar->addWidget(m_copy);
    layout->addLayout(bar);

    m_model = new EventLogModel(this);
    m_filter = new EventFilter(this);
    m_filter->setSourceModel(m_model);
    m_view = new QTableView(this);
    m_view->setModel(m_filter);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 4);
    m_view->horizontalHeader()->setStretchLastSection(true);
    QFont bold = m_view->font();
    bold.setBold(true);
    m_view->setColumnWidth(EventLogModel::TimeColumn, QFontMetrics(bold).horizontalAdvance(QStringLiteral("T+00:00:00.000")) + 20);
    m_view->setColumnWidth(EventLogModel::SeverityColumn, 70);
    m_view->setColumnWidth(EventLogModel::KindColumn, 150);
    m_view->setColumnWidth(EventLogModel::ComponentColumn, 190);
    m_view->setWordWrap(false);
    layout->addWidget(m_view, 1);
    m_selection = new QLabel(tr("Click an event to select its component and see its time."), this);
    layout->addWidget(m_selection);

    updateKinds();
    connect(m_model, &EventLogModel::kindsChanged, this, &EventLogPanel::updateKinds);
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this](int) { m_filter->setKind(m_kind->currentData().toString()); });
    connect(m_path, &QLineEdit::textChanged, m_filter, &EventFilter::setPath);
    connect(m_text, &QLineEdit::textChanged, m_filter, &EventFilter::setText);
    connect(m_severity, &QComboBox::currentIndexChanged, this,
            [this](int) { m_filter->setMinSeverity(static_cast<v1::Severity>(m_severity->currentData().toInt())); });
    connect(m_view, &QTableView::clicked, this, &EventLogPanel::onRowActivated);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                m_copy->setEnabled(current.isValid());
            });
    connect(m_copy, &QPushButton::clicked, this, [this] {
        const QString text = seedAndTimeText();
        if (!text.isEmpty())
            QApplication::clipboard()->setText(text);
    });
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        // Scrolling up away from the bottom stops following; back to the bottom resumes.
        if (value < m_view->verticalScrollBar()->maximum() - 2 && m_view->verticalScrollBar()->isSliderDown())
            m_follow->setChecked(false);
    });
}

void EventLogPanel::updateKinds()
{
    const QString current = m_kind->currentData().toString();
    QSignalBlocker block(m_kind);
    m_kind->clear();
    m_kind->addItem(tr("all kinds"), QString());
    QStringList families;
    for (const QString& k : m_model->kinds()) {
        const qsizetype dot = k.indexOf(QLatin1Char('.'));
        if (dot > 0) {
            const QString family = k.left(dot) + QStringLiteral(".*");
            if (!families.contains(family))
                families.push_back(family);
        }
    }
    for (const QString& f : families)
        m_kind->addItem(f, f);
    for (const QString& k : m_model->kinds())
        m_kind->addItem(k, k);
    const int i = m_kind->findData(current);
    m_kind->setCurrentIndex(i < 0 ? 0 : i);
    if (i < 0 && !current.isEmpty()) {
        // Keep a filter set programmatically for a kind not seen yet.
        m_kind->addItem(current, current);
        m_kind->setCurrentIndex(m_kind->count() - 1);
    }
}

void EventLogPanel::setKindFilter(const QString& kind)
{
    int i = m_kind->findData(kind);
    if (i < 0) {
        m_kind->addItem(kind, kind);
        i = m_kind->count() - 1;
    }
    m_kind->setCurrentIndex(i);
}

void EventLogPanel::setPathFilter(const QString& path)
{
    m_path->setText(path);
}

void EventLogPanel::setTextFilter(const QString& text)
{
    m_text->setText(text);
}

void EventLogPanel::onRowActivated(const QModelIndex& proxyIndex)
{
    if (!proxyIndex.isValid())
        return;
    const QString component = proxyIndex.data(EventLogModel::ComponentRole).toString();
    const auto time = proxyIndex.data(EventLogModel::SimTimeRole).toLongLong();
    m_selection->setText(selectionText());
    m_copy->setEnabled(true);
    if (m_hub) {
        if (!component.isEmpty())
            m_hub->selectComponent(component);
        m_hub->showTime(time);
    }
}

QString EventLogPanel::selectionText() const
{
    const QModelIndex i = m_view->currentIndex();
    if (!i.isValid())
        return {};
    const auto time = i.data(EventLogModel::SimTimeRole).toLongLong();
    const int offset = m_hub ? m_hub->utcOffsetMinutes() : 0;
    const std::int64_t startMs = m_hub ? m_hub->topology().calendar_start_unix_ms() : 0;
    return tr("Selected: %1 — %2 — event #%3 (%4) on %5")
        .arg(formatSimTime(time), startMs != 0 ? formatCalendar(startMs + time / 1'000'000, offset, true) : QStringLiteral("—"))
        .arg(i.data(EventLogModel::SeqRole).toULongLong())
        .arg(i.data(EventLogModel::KindRole).toString(),
             i.data(EventLogModel::ComponentRole).toString().isEmpty() ? tr("the world") : i.data(EventLogModel::ComponentRole).toString());
}

QString EventLogPanel::seedAndTimeText() const
{
    const QModelIndex i = m_view->currentIndex();
    if (!i.isValid())
        return {};
    const auto time = i.data(EventLogModel::SimTimeRole).toLongLong();
    SourceInfo info;
    if (m_hub && m_hub->source())
        info = m_hub->source()->info();
    QString runId = info.runId;
    if (runId.isEmpty() && m_hub)
        runId = QString::fromStdString(m_hub->topology().run_id());
    return QStringLiteral("run=%1 seed=%2 sim_time_ns=%3 (%4) event_index=%5 event_seq=%6 kind=%7 component=%8")
        .arg(runId.isEmpty() ? QStringLiteral("?") : runId, info.seedKnown ? QString::number(info.seed) : QStringLiteral("?"))
        .arg(time)
        .arg(formatSimSeconds(time))
        .arg(i.data(EventLogModel::EventIndexRole).toULongLong())
        .arg(i.data(EventLogModel::SeqRole).toULongLong())
        .arg(i.data(EventLogModel::KindRole).toString(), i.data(EventLogModel::ComponentRole).toString());
}

void EventLogPanel::resetRun()
{
    m_model->clear();
    m_selection->setText(tr("Click an event to select its component and see its time."));
    m_copy->setEnabled(false);
}

void EventLogPanel::applyEvents(const std::vector<v1::Event>& events)
{
    m_model->append(events);
    m_appended = true;
}

void EventLogPanel::refreshView()
{
    if (!m_appended)
        return;
    m_appended = false;
    if (m_follow->isChecked())
        m_view->scrollToBottom();
}

} // namespace livedeck::ui
