// FaultsPanel: the faults in force (Snapshot.faults: active and scheduled) as a table,
// with Inject… (the FaultDialog), Clear (the selected fault) and Clear all, through
// ClusterSource::injectFault / clearFault. Command results show in the panel's status
// line. FaultListModel changes rows only when the fault set changes (ids, active
// flags), not on every snapshot. GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QAbstractTableModel>
#include <QWidget>

#include <vector>

QT_BEGIN_NAMESPACE
class QLabel;
class QPushButton;
class QTableView;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;

class FaultListModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, KindColumn, TargetColumn, ParamsColumn, StartColumn, EndColumn, OriginColumn, StateColumn, ColumnCount };
    enum Role { FaultIdRole = Qt::UserRole + 1, ActiveRole };
    explicit FaultListModel(QObject* parent = nullptr) : QAbstractTableModel(parent) {}

    // Returns true when the rows changed.
    bool apply(const v1::Snapshot& snapshot);
    void clear();
    const v1::FaultSpec& fault(int row) const { return m_faults[static_cast<std::size_t>(row)]; }
    int activeCount() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<v1::FaultSpec> m_faults;
};

class FaultsPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit FaultsPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;

    FaultListModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    // Clears the fault shown in `row`; returns the command token (0 when none).
    std::uint64_t clearRow(int row);
    std::uint64_t clearAll();
    void showStatus(const QString& text, bool ok);
    // Inject / clear are offered only when the source can change faults.
    void setActionsEnabled(bool enabled);

signals:
    void injectRequested();

private:
    DashboardHub* m_hub;
    FaultListModel* m_model;
    QTableView* m_view;
    QPushButton* m_inject;
    QPushButton* m_clear;
    QPushButton* m_clearAll;
    QLabel* m_status;
};

} // namespace livedeck::ui
