// ShardHeatmap: shard load as a heatmap — one row per (cluster, shard), one column per
// month partition — of QPS, rows or p99 (selectable), painted by this one widget.
// Colour: palette::heatColor(sqrt(value / scale)), scale = the metric's peak over the
// run (never below a floor: 10 QPS, 100 rows, 10 ms) rounded up to 1-2-5 (legend at
// the top) — so after the load ends idle shards stay pale instead of the scale
// shrinking to "0 … 1 QPS" and painting leftovers red — a cell's intensity grows with
// its value; the square root keeps a lightly loaded shard distinguishable from an
// idle one when one hot shard sets the scale (a skewed cluster's usual picture). Many shards wrap into side-by-side blocks (1 000 shards fit on a screen:
// rows shrink to 3 px, labels give way to block ranges). The hottest shard of each
// cluster is marked; the skew (max/mean QPS) is reported by the panel. Tooltips give
// a cell's figures. GUI thread.
#pragma once

#include "ui/shard_table.h"

#include <QWidget>

#include <array>
#include <vector>

namespace livedeck::ui {

class ShardHeatmap final : public QWidget {
    Q_OBJECT
public:
    explicit ShardHeatmap(QWidget* parent = nullptr);

    void clear();
    void applySnapshot(const v1::Snapshot& snapshot);
    void setMetric(ShardTable::Metric metric);
    ShardTable::Metric metric() const { return m_metric; }
    const ShardTable& table() const { return m_table; }
    double scaleMax() const { return m_scale; }
    // The run's peak of each metric (by ShardTable::Metric), which sets the scale, and a
    // way to raise them: heatmaps of two runs shown side by side share one scale
    // (ui/compare_window.h), so equal colours mean equal load.
    const std::array<double, 3>& peaks() const { return m_peak; }
    void raisePeaks(const std::array<double, 3>& peaks);
    // Heat intensity in [0, 1] of a value under the scale maximum (square-root ramp).
    static double intensity(double value, double scale);
    // The lowest scale maximum of a metric (an idle cluster's legend).
    static double floorOf(ShardTable::Metric metric);

    // Cell geometry in widget coordinates (empty when not laid out).
    QRect cellRect(int row, int column) const;
    // (row, column) under a point; (-1, -1) when none.
    std::pair<int, int> cellAt(const QPoint& pos) const;

    QSize sizeHint() const override { return QSize(520, 360); }
    QSize minimumSizeHint() const override { return QSize(200, 120); }

signals:
    void cellContextMenu(int row, int column, const QPoint& globalPos);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    bool event(QEvent* event) override;

private:
    // Rows are cut into blocks placed side by side; a block never spans two clusters.
    struct Block {
        int firstRow = 0;
        int rows = 0;
    };
    struct Layout {
        int rowHeight = 14;
        int rowsPerBlock = 1;
        int labelWidth = 58;
        int cellWidth = 24;
        int top = 0;     // y of the first row
        int blockWidth = 0;
        std::vector<Block> blocks;
        std::vector<int> blockOfRow;
        bool valid = false;
    };
    static constexpr int kHeader = 26;       // legend bar
    static constexpr int kBlockTitle = 16;   // cluster and shard range of a block
    static constexpr int kColumnHeader = 15; // partition names
    static constexpr int kBlockGap = 12;
    void relayout();
    QString cellTooltip(int row, int column) const;

    ShardTable m_table;
    ShardTable::Metric m_metric = ShardTable::Metric::Qps;
    Layout m_layout;
    double scaleFor(ShardTable::Metric metric) const;
    double m_scale = 1.0;
    std::array<double, 3> m_peak{}; // by ShardTable::Metric: the run's highest value
};

} // namespace livedeck::ui
