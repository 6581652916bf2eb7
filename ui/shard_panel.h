// ShardPanel: the shard-load dashboard — metric selector (QPS / rows / p99), the skew
// indicator (max/mean shard QPS per cluster, the worst one first) and the ShardHeatmap.
// Right-click on a cell offers a fault on that shard ("<region>/<cluster>/<shard>").
// GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;
class ShardHeatmap;

class ShardPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit ShardPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void refreshView() override;

    ShardHeatmap* heatmap() const { return m_heatmap; }
    QString skewText() const;
    // The component path a fault on this shard targets.
    static QString shardPath(const std::string& region, const std::string& cluster, std::uint32_t shard);

private:
    DashboardHub* m_hub;
    QComboBox* m_metric;
    QLabel* m_skew;
    ShardHeatmap* m_heatmap;
    bool m_dirty = false;
};

} // namespace livedeck::ui
