// DeveloperPanel: stepping through the world — the pending-event queue (next events
// with time, kind and component, from ClusterSource::requestPendingEvents, a
// WorldHost::query of scheduler().upcoming(n) in the embedded world), Step n events,
// Step to the next event of a kind (optionally of components matching a target), and
// Run until a simulated time. The queue refreshes with snapshots while the panel is
// visible (at most 4 times a wall second) or on demand.
// Breakpoint: armed with an event kind (exact, or a family "invariant.*") and an
// optional component target, the panel pauses the source when a delivered event
// matches and shows which one; the world stops at the next command boundary after it
// (at most one host slice later, 2 ms of wall time: host/world_host.h). For an exact
// stop on a scheduled event kind use "Step to kind". "Jump to violation" selects the
// component and time of the next invariant violation seen (seeking there when the
// source can seek, pausing a live one). GUI thread.
#pragma once

#include "ui/cluster_source.h"
#include "ui/dashboard_panel.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;

class PendingEventModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, InColumn, KindColumn, ComponentColumn, SeqColumn, ColumnCount };
    explicit PendingEventModel(QObject* parent = nullptr) : QAbstractTableModel(parent) {}
    void setEvents(const QList<PendingEvent>& events, std::int64_t nowNs);
    const QList<PendingEvent>& events() const { return m_events; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<PendingEvent> m_events;
    std::int64_t m_nowNs = 0;
};

class DeveloperPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    static constexpr int kQueueRows = 50;
    static constexpr int kMinRefreshMs = 250; // 4 Hz

    explicit DeveloperPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void applyEvents(const std::vector<v1::Event>& events) override;

    // Breakpoint on delivered events.
    void setBreakpoint(const QString& kindPattern, const QString& componentTarget, bool armed);
    bool breakpointArmed() const;
    std::uint64_t breakpointHits() const { return m_breakHits; }
    // True when an event matches a kind pattern ("" = any, "x.*" = family) and a
    // component target (prefix by path segment, '*' = one segment; "" = any).
    static bool eventMatches(const v1::Event& event, const QString& kindPattern, const QString& componentTarget);
    int violationCount() const { return static_cast<int>(m_violations.size()); }
    // Selects the next violation (cycling); false when none was seen.
    bool jumpToViolation();

    // Reconnects to the hub's current source (capabilities, signals).
    void attachSource(ClusterSource* source);
    PendingEventModel* queueModel() const { return m_queue; }
    void refreshQueue();
    QString statusText() const;

private:
    void onCommandFinished(quint64 token, bool ok, const QString& message);
    void track(std::uint64_t token, const QString& what);

    DashboardHub* m_hub;
    ClusterSource* m_source = nullptr;
    std::vector<QMetaObject::Connection> m_connections;
    PendingEventModel* m_queue;
    QTableView* m_view;
    QPushButton* m_refresh;
    QCheckBox* m_auto;
    QSpinBox* m_stepCount;
    QPushButton* m_step;
    QComboBox* m_kind;
    QLineEdit* m_component;
    QPushButton* m_stepKind;
    QDoubleSpinBox* m_until;
    QPushButton* m_runUntil;
    QLabel* m_status;
    QLineEdit* m_breakKind;
    QLineEdit* m_breakComponent;
    QCheckBox* m_breakArmed;
    QPushButton* m_jump;
    std::vector<v1::Event> m_violations; // newest last (at most kMaxViolations)
    std::size_t m_nextViolation = 0;
    std::uint64_t m_breakHits = 0;
    static constexpr std::size_t kMaxViolations = 1000;
    QElapsedTimer m_sinceRefresh;
    std::vector<std::uint64_t> m_tokens;
    std::int64_t m_nowNs = 0;
};

} // namespace livedeck::ui
