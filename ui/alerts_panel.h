// AlertsPanel: alerts and audit. Alerts come from the run's events — every event of
// severity alert or violation (alert.slow_sql, alert.settlement_missing, invariant.*),
// plus "breaker open" raised here when a snapshot shows a breaker entering open or
// forced-open — and wait for an operator to acknowledge them. Repeats of an
// unacknowledged alert (same kind and component) fold into its row (count, last time).
// The review-queue part shows the component whose kind's descriptor carries the view
// hint "alerts.review-queue" (ComponentKindDescriptor.view in Topology.engines): its
// headline keys as the summary and its "<what>/<id>" keys as entries.
// Clicking an alert selects its component and time. GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QAbstractTableModel>
#include <QWidget>

#include <map>
#include <set>
#include <string>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTreeWidget;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;

struct Alert {
    std::int64_t firstNs = 0;
    std::int64_t lastNs = 0;
    QString kind;
    QString component;
    QString message;
    v1::Severity severity = v1::SEVERITY_ALERT;
    int count = 1;
    bool acknowledged = false;
};

class AlertModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, KindColumn, ComponentColumn, CountColumn, MessageColumn, StateColumn, ColumnCount };
    static constexpr int kCapacity = 2000; // oldest alerts drop beyond it

    explicit AlertModel(QObject* parent = nullptr) : QAbstractTableModel(parent) {}
    // True when the event is an alert (severity alert or violation).
    static bool isAlert(const v1::Event& event);
    // Adds (or folds) the alerts among `events`; returns how many rows changed.
    int addEvents(const std::vector<v1::Event>& events);
    void add(std::int64_t timeNs, const QString& kind, const QString& component, const QString& message, v1::Severity severity);
    void acknowledge(int row);
    void acknowledgeAll();
    void clear();
    int unacknowledged() const { return m_unacked; }
    const Alert& alert(int row) const { return m_alerts[static_cast<std::size_t>(row)]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<Alert> m_alerts;
    int m_unacked = 0;
};

class AlertsPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit AlertsPanel(DashboardHub* hub, QWidget* parent = nullptr);

    static constexpr const char* kReviewQueueView = "alerts.review-queue";

    void resetRun() override;
    void applyTopology(const v1::Topology& topology) override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void applyEvents(const std::vector<v1::Event>& events) override;
    void refreshView() override;

    AlertModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    int refundRows() const;
    QString refundSummary() const;
    // Shown rows (acknowledged ones hidden unless "show acknowledged").
    int visibleAlerts() const;

signals:
    void unacknowledgedChanged(int count);

private:
    DashboardHub* m_hub;
    AlertModel* m_model;
    QSortFilterProxyModel* m_filter;
    QTableView* m_view;
    QPushButton* m_ack;
    QPushButton* m_ackAll;
    QCheckBox* m_showAcked;
    QLabel* m_summary;
    QLabel* m_refundSummary;
    QTreeWidget* m_refunds;
    std::map<std::string, v1::BreakerStateKind> m_breakerStates;
    std::set<std::string> m_reviewPaths;      // components whose kind has the review-queue view
    v1::ComponentKindDescriptor m_reviewKind; // its descriptor (headline keys, description)
    v1::ComponentState m_refundState;
    bool m_refundDirty = false;
    int m_lastUnacked = -1;
};

} // namespace livedeck::ui
