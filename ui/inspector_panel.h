// InspectorPanel: the component tree (InspectorModel) with a filter, live values, and
// gestures: selecting a component elsewhere (event log, board, map) expands and
// selects it here; right-click offers fault injection on the component. GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QLineEdit;
class QSortFilterProxyModel;
class QTreeView;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;
class InspectorModel;

class InspectorPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit InspectorPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applyTopology(const v1::Topology& topology) override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;

    InspectorModel* model() const { return m_model; }
    QTreeView* view() const { return m_view; }
    // Expands to, selects and shows a component; false when unknown.
    bool selectPath(const QString& path);
    QString selectedPath() const;

private:
    DashboardHub* m_hub;
    InspectorModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QTreeView* m_view;
    QLineEdit* m_filter;
    bool m_expandedOnce = false;
};

} // namespace livedeck::ui
