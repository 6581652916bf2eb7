#include "ui/developer_panel.h"

#include "ui/dashboard_hub.h"
#include "ui/format.h"
#include "ui/logging.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace livedeck::ui {

void PendingEventModel::setEvents(const QList<PendingEvent>& events, std::int64_t nowNs)
{
    beginResetModel();
    m_events = events;
    m_nowNs = nowNs;
    endResetModel();
}

int PendingEventModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_events.size());
}

int PendingEventModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PendingEventModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_events.size() || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    const PendingEvent& e = m_events[index.row()];
    switch (index.column()) {
    case TimeColumn:
        return formatSimTime(e.timeNs);
    case InColumn: {
        const double ms = static_cast<double>(e.timeNs - m_nowNs) / 1e6;
        return ms <= 0 ? tr("now") : QStringLiteral("+") + formatMillis(ms);
    }
    case KindColumn:
        return e.kind;
    case ComponentColumn:
        return e.component.isEmpty() ? tr("(world)") : e.component;
    case SeqColumn:
        return QString::number(e.seq);
    default:
        return {};
    }
}

QVariant PendingEventModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const kNames[] = {"Time", "In", "Kind", "Component", "Seq"};
    return section >= 0 && section < ColumnCount ? tr(kNames[section]) : QVariant();
}

DeveloperPanel::DeveloperPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* controls = new QGridLayout();
    m_stepCount = new QSpinBox(this);
    m_stepCount->setRange(1, 1'000'000);
    m_stepCount->setValue(1);
    m_stepCount->setToolTip(tr("How many scheduler events one step runs"));
    m_step = new QPushButton(tr("Step"), this);
    m_step->setToolTip(tr("Pause and run exactly this many events (S / F10 steps one)"));
    controls->addWidget(new QLabel(tr("Events:"), this), 0, 0);
    controls->addWidget(m_stepCount, 0, 1);
    controls->addWidget(m_step, 0, 2);
    m_kind = new QComboBox(this);
    m_kind->setEditable(true);
    m_kind->setMinimumContentsLength(18);
    m_kind->setToolTip(tr("Event kind to stop after (fault.on, breaker.transition, …)"));
    m_component = new QLineEdit(this);
    m_component->setPlaceholderText(tr("component target (optional)"));
    m_component->setToolTip(tr("Only events of components matching this target (prefix by segment, '*' = one segment)"));
    m_stepKind = new QPushButton(tr("Step to kind"), this);
    m_stepKind->setToolTip(tr("Run up to and including the next event of this kind, then pause"));
    controls->addWidget(new QLabel(tr("Kind:"), this), 1, 0);
    controls->addWidget(m_kind, 1, 1);
    controls->addWidget(m_component, 1, 2);
    controls->addWidget(m_stepKind, 1, 3);
    m_until = new QDoubleSpinBox(this);
    m_until->setRange(0, 1e9);
    m_until->setDecimals(3);
    m_until->setSuffix(tr(" s"));
    m_until->setToolTip(tr("Simulated time to run to, then pause"));
    m_runUntil = new QPushButton(tr("Run until"), this);
    controls->addWidget(new QLabel(tr("Time:"), this), 2, 0);
    controls->addWidget(m_until, 2, 1);
    controls->addWidget(m_runUntil, 2, 2);
    m_breakKind = new QLineEdit(QStringLiteral("invariant.*"), this);
    m_breakKind->setToolTip(tr("Event kind to break on: exact (alert.slow_sql) or a family (invariant.*)"));
    m_breakComponent = new QLineEdit(this);
    m_breakComponent->setPlaceholderText(tr("component target (optional)"));
    m_breakArmed = new QCheckBox(tr("Break on event"), this);
    m_breakArmed->setToolTip(tr("Pause the world when an event of this kind (and component) fires"));
    controls->addWidget(new QLabel(tr("Break:"), this), 3, 0);
    controls->addWidget(m_breakKind, 3, 1);
    controls->addWidget(m_breakComponent, 3, 2);
    controls->addWidget(m_breakArmed, 3, 3);
    m_jump = new QPushButton(tr("Jump to violation"), this);
    m_jump->setToolTip(tr("Select the component and time of the next invariant violation seen in this run"));
    m_jump->setEnabled(false);
    controls->addWidget(m_jump, 2, 3);
    controls->setColumnStretch(2, 1);
    layout->addLayout(controls);

    auto* qbar = new QHBoxLayout();
    auto* qlabel = new QLabel(tr("<b>Pending events</b> (next %1)").arg(kQueueRows), this);
    m_refresh = new QPushButton(tr("Refresh"), this);
    m_refresh->setToolTip(tr("Read the world's event queue now"));
    m_auto = new QCheckBox(tr("Auto"), this);
    m_auto->setChecked(true);
    m_auto->setToolTip(tr("Refresh with snapshots while this panel is visible (at most 4 Hz)"));
    qbar->addWidget(qlabel);
    qbar->addStretch(1);
    qbar->addWidget(m_auto);
    qbar->addWidget(m_refresh);
    layout->addLayout(qbar);
    m_queue = new PendingEventModel(this);
    m_view = new QTableView(this);
    m_view->setModel(m_queue);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 4);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setColumnWidth(PendingEventModel::TimeColumn, m_view->fontMetrics().horizontalAdvance(QStringLiteral("T+00:00:00.000")) + 16);
    m_view->setColumnWidth(PendingEventModel::InColumn, 80);
    m_view->setColumnWidth(PendingEventModel::KindColumn, 150);
    m_view->setColumnWidth(PendingEventModel::ComponentColumn, 200);
    layout->addWidget(m_view, 1);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    connect(m_refresh, &QPushButton::clicked, this, &DeveloperPanel::refreshQueue);
    connect(m_step, &QPushButton::clicked, this, [this] {
        if (m_source)
            track(m_source->step(static_cast<std::uint64_t>(m_stepCount->value())), tr("step %1").arg(m_stepCount->value()));
    });
    connect(m_stepKind, &QPushButton::clicked, this, [this] {
        const QString kind = m_kind->currentText().trimmed();
        if (m_source && !kind.isEmpty())
            track(m_source->stepToKind(kind, m_component->text().trimmed()), tr("step to %1").arg(kind));
    });
    connect(m_runUntil, &QPushButton::clicked, this, [this] {
        if (m_source)
            track(m_source->runUntil(static_cast<std::int64_t>(m_until->value() * 1e9)),
                  tr("run until %1").arg(formatSimTime(static_cast<std::int64_t>(m_until->value() * 1e9))));
    });
    connect(m_jump, &QPushButton::clicked, this, [this] { jumpToViolation(); });
    m_sinceRefresh.start();
}

bool DeveloperPanel::eventMatches(const v1::Event& event, const QString& kindPattern, const QString& componentTarget)
{
    const QString kind = QString::fromStdString(event.kind());
    if (!kindPattern.isEmpty()) {
        if (kindPattern.endsWith(QLatin1String(".*"))) {
            if (!kind.startsWith(kindPattern.left(kindPattern.size() - 1)))
                return false;
        } else if (kind != kindPattern) {
            return false;
        }
    }
    if (componentTarget.isEmpty())
        return true;
    const QStringList want = componentTarget.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    const QStringList have = QString::fromStdString(event.component()).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (have.size() < want.size())
        return false;
    for (qsizetype i = 0; i < want.size(); ++i)
        if (want[i] != QLatin1String("*") && want[i] != have[i])
            return false;
    return true;
}

void DeveloperPanel::setBreakpoint(const QString& kindPattern, const QString& componentTarget, bool armed)
{
    m_breakKind->setText(kindPattern);
    m_breakComponent->setText(componentTarget);
    m_breakArmed->setChecked(armed);
}

bool DeveloperPanel::breakpointArmed() const
{
    return m_breakArmed->isChecked();
}

void DeveloperPanel::applyEvents(const std::vector<v1::Event>& events)
{
    const QString kind = m_breakKind->text().trimmed();
    const QString component = m_breakComponent->text().trimmed();
    const bool armed = m_breakArmed->isChecked() && m_source && m_source->can(ClusterSource::Pacing);
    bool hit = false;
    for (const v1::Event& e : events) {
        if (e.severity() == v1::SEVERITY_VIOLATION) {
            if (m_violations.size() >= kMaxViolations)
                m_violations.erase(m_violations.begin());
            m_violations.push_back(e);
        }
        if (armed && !hit && eventMatches(e, kind, component)) {
            hit = true;
            ++m_breakHits;
            m_source->pause();
            m_status->setStyleSheet(QStringLiteral("color: #8e24aa;"));
            m_status->setText(tr("Break: %1 at %2 on %3 (event #%4) — paused")
                                  .arg(QString::fromStdString(e.kind()), formatSimTime(e.sim_time_ns()),
                                       e.component().empty() ? tr("the world") : QString::fromStdString(e.component()))
                                  .arg(e.seq()));
            m_hub->selectComponent(QString::fromStdString(e.component()));
            m_hub->showTime(e.sim_time_ns());
        }
    }
    m_jump->setEnabled(!m_violations.empty());
    m_jump->setText(m_violations.empty() ? tr("Jump to violation") : tr("Jump to violation (%1)").arg(m_violations.size()));
}

bool DeveloperPanel::jumpToViolation()
{
    if (m_violations.empty())
        return false;
    if (m_nextViolation >= m_violations.size())
        m_nextViolation = 0;
    const v1::Event& e = m_violations[m_nextViolation++];
    if (m_source && m_source->can(ClusterSource::Seek))
        m_source->seek(e.sim_time_ns());
    else if (m_source && m_source->can(ClusterSource::Pacing))
        m_source->pause();
    m_hub->selectComponent(QString::fromStdString(e.component()));
    m_hub->showTime(e.sim_time_ns());
    m_status->setStyleSheet(QStringLiteral("color: #8e24aa;"));
    m_status->setText(tr("Violation %1 at %2 on %3: %4")
                          .arg(QString::fromStdString(e.kind()), formatSimTime(e.sim_time_ns()), QString::fromStdString(e.component()),
                               QString::fromStdString(e.message())));
    return true;
}

void DeveloperPanel::attachSource(ClusterSource* source)
{
    for (const auto& c : m_connections)
        disconnect(c);
    m_connections.clear();
    m_source = source;
    const bool pacing = source && source->can(ClusterSource::Pacing);
    const bool queue = source && source->can(ClusterSource::PendingEvents);
    for (QWidget* w : {static_cast<QWidget*>(m_step), static_cast<QWidget*>(m_stepCount), static_cast<QWidget*>(m_stepKind),
                       static_cast<QWidget*>(m_kind), static_cast<QWidget*>(m_component), static_cast<QWidget*>(m_until),
                       static_cast<QWidget*>(m_runUntil)})
        w->setEnabled(pacing);
    m_refresh->setEnabled(queue);
    m_auto->setEnabled(queue);
    m_queue->setEvents({}, 0);
    if (!source)
        return;
    m_connections.push_back(connect(source, &ClusterSource::pendingEventsReady, this,
                                    [this](const QList<PendingEvent>& events) { m_queue->setEvents(events, m_nowNs); }));
    m_connections.push_back(connect(source, &ClusterSource::eventKindsReady, this, [this](const QStringList& kinds) {
        const QString current = m_kind->currentText();
        QSignalBlocker block(m_kind);
        m_kind->clear();
        m_kind->addItems(kinds);
        m_kind->setCurrentText(current.isEmpty() && kinds.contains(QStringLiteral("fault.on")) ? QStringLiteral("fault.on") : current);
    }));
    m_connections.push_back(connect(source, &ClusterSource::commandFinished, this, &DeveloperPanel::onCommandFinished));
    if (source->can(ClusterSource::EventKinds))
        source->requestEventKinds();
    if (!queue)
        m_status->setText(tr("This source does not show its event queue (a recording steps from event to event)."));
}

void DeveloperPanel::track(std::uint64_t token, const QString& what)
{
    m_tokens.push_back(token);
    m_status->setText(tr("%1 …").arg(what));
}

void DeveloperPanel::onCommandFinished(quint64 token, bool ok, const QString& message)
{
    const auto it = std::find(m_tokens.begin(), m_tokens.end(), token);
    if (it == m_tokens.end())
        return;
    m_tokens.erase(it);
    m_status->setStyleSheet(ok ? QString() : QStringLiteral("color: #c0141c;"));
    m_status->setText(message);
    refreshQueue();
}

QString DeveloperPanel::statusText() const
{
    return m_status->text();
}

void DeveloperPanel::refreshQueue()
{
    if (m_source && m_source->can(ClusterSource::PendingEvents)) {
        m_source->requestPendingEvents(kQueueRows);
        m_sinceRefresh.restart();
    }
}

void DeveloperPanel::resetRun()
{
    m_violations.clear();
    m_nextViolation = 0;
    m_jump->setEnabled(false);
    m_jump->setText(tr("Jump to violation"));
    m_queue->setEvents({}, 0);
    m_nowNs = 0;
    if (m_source && m_source->can(ClusterSource::EventKinds))
        m_source->requestEventKinds();
}

void DeveloperPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog&)
{
    m_nowNs = snapshot.sim_time_ns();
    if (m_auto->isChecked() && isVisible() && m_sinceRefresh.elapsed() >= kMinRefreshMs)
        refreshQueue();
}

} // namespace livedeck::ui
