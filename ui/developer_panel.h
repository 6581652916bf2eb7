// DeveloperPanel: stepping through the world — the pending-event queue (next events
// with time, kind and component, from ClusterSource::requestPendingEvents, a
// WorldHost::query of scheduler().upcoming(n) in the embedded world), Step n events,
// Step to the next event of a kind (optionally of components matching a target), and
// Run until a simulated time. The queue refreshes with snapshots while the panel is
// visible (at most 4 times a wall second) or on demand. GUI thread.
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
    QElapsedTimer m_sinceRefresh;
    std::vector<std::uint64_t> m_tokens;
    std::int64_t m_nowNs = 0;
};

} // namespace livedeck::ui
