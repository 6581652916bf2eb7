#include "ui/shard_heatmap.h"

#include "ui/format.h"
#include "ui/palette.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QLinearGradient>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace livedeck::ui {
namespace {

double niceCeil(double v)
{
    if (!(v > 0.0))
        return 1.0;
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * p >= v)
            return m * p;
    }
    return 10.0 * p;
}

QString metricValueText(ShardTable::Metric m, double v)
{
    switch (m) {
    case ShardTable::Metric::Qps:
        return formatCompact(v) + QStringLiteral(" QPS");
    case ShardTable::Metric::Rows:
        return formatCompact(v) + QStringLiteral(" rows");
    case ShardTable::Metric::P99:
        return formatMillis(v);
    }
    return {};
}

QString clusterShort(const std::string& cluster)
{
    const QString c = QString::fromStdString(cluster);
    return c.section(QLatin1Char('/'), -1);
}

} // namespace

ShardHeatmap::ShardHeatmap(QWidget* parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent, true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ShardHeatmap::clear()
{
    m_table.clear();
    m_peak = {};
    m_scale = 1.0;
    relayout();
    update();
}

void ShardHeatmap::applySnapshot(const v1::Snapshot& snapshot)
{
    if (snapshot.shards_size() == 0 && m_table.rowCount() == 0)
        return;
    const bool grown = m_table.apply(snapshot);
    for (ShardTable::Metric m : {ShardTable::Metric::Qps, ShardTable::Metric::Rows, ShardTable::Metric::P99}) {
        const double v = m_table.maxValue(m);
        double& peak = m_peak[static_cast<std::size_t>(m)];
        if (v > peak)
            peak = v;
    }
    m_scale = scaleFor(m_metric);
    if (grown)
        relayout();
}

void ShardHeatmap::raisePeaks(const std::array<double, 3>& peaks)
{
    for (std::size_t i = 0; i < m_peak.size(); ++i)
        m_peak[i] = std::max(m_peak[i], peaks[i]);
    m_scale = scaleFor(m_metric);
    update();
}

void ShardHeatmap::setMetric(ShardTable::Metric metric)
{
    m_metric = metric;
    m_scale = scaleFor(m_metric);
    update();
}

double ShardHeatmap::floorOf(ShardTable::Metric metric)
{
    switch (metric) {
    case ShardTable::Metric::Qps:
        return 10.0; // QPS: below this a shard is idle, not hot
    case ShardTable::Metric::Rows:
        return 100.0;
    case ShardTable::Metric::P99:
        return 10.0; // ms
    }
    return 1.0;
}

double ShardHeatmap::scaleFor(ShardTable::Metric metric) const
{
    // The run's peak, not the present maximum: when load ends, idle shards stay pale
    // instead of the scale shrinking to their leftovers; never below the metric's floor.
    return niceCeil(std::max(m_peak[static_cast<std::size_t>(metric)], floorOf(metric)));
}

void ShardHeatmap::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    relayout();
}

void ShardHeatmap::relayout()
{
    Layout l;
    const int rows = m_table.rowCount();
    const int cols = std::max(1, m_table.columnCount());
    l.top = kHeader + kBlockTitle + kColumnHeader;
    const int availH = std::max(10, height() - l.top - 4);
    if (rows == 0) {
        m_layout = l;
        return;
    }
    // Cluster runs (rows are sorted by cluster).
    std::vector<Block> clusters;
    for (int r = 0; r < rows; ++r) {
        if (clusters.empty() || m_table.row(r).cluster != m_table.row(clusters.back().firstRow).cluster)
            clusters.push_back(Block{r, 0});
        ++clusters.back().rows;
    }
    for (int rh = 22; rh >= 3; --rh) {
        const int perBlock = std::max(1, availH / rh);
        int blocks = 0;
        for (const Block& c : clusters)
            blocks += (c.rows + perBlock - 1) / perBlock;
        const int labelW = rh >= 11 ? 58 : 14;
        const int minCell = rh >= 11 ? 26 : 8;
        const int cellW = (width() - 4 - blocks * (labelW + kBlockGap)) / (blocks * cols);
        if (cellW >= minCell || rh == 3) {
            l.rowHeight = rh;
            l.rowsPerBlock = perBlock;
            l.labelWidth = labelW;
            l.cellWidth = std::clamp(cellW, 3, 160);
            l.blockWidth = labelW + cols * l.cellWidth + kBlockGap;
            l.blockOfRow.assign(static_cast<std::size_t>(rows), 0);
            for (const Block& c : clusters) {
                for (int first = c.firstRow; first < c.firstRow + c.rows; first += perBlock) {
                    const int n = std::min(perBlock, c.firstRow + c.rows - first);
                    for (int r = first; r < first + n; ++r)
                        l.blockOfRow[static_cast<std::size_t>(r)] = static_cast<int>(l.blocks.size());
                    l.blocks.push_back(Block{first, n});
                }
            }
            l.valid = true;
            break;
        }
    }
    m_layout = std::move(l);
}

QRect ShardHeatmap::cellRect(int row, int column) const
{
    if (!m_layout.valid || row < 0 || row >= m_table.rowCount() || column < 0 || column >= m_table.columnCount())
        return {};
    const int block = m_layout.blockOfRow[static_cast<std::size_t>(row)];
    const int inBlock = row - m_layout.blocks[static_cast<std::size_t>(block)].firstRow;
    const int x = 2 + block * m_layout.blockWidth + m_layout.labelWidth + column * m_layout.cellWidth;
    const int y = m_layout.top + inBlock * m_layout.rowHeight;
    return QRect(x, y, m_layout.cellWidth, m_layout.rowHeight);
}

std::pair<int, int> ShardHeatmap::cellAt(const QPoint& pos) const
{
    if (!m_layout.valid || pos.y() < m_layout.top || pos.x() < 2)
        return {-1, -1};
    const int block = (pos.x() - 2) / std::max(1, m_layout.blockWidth);
    if (block < 0 || block >= static_cast<int>(m_layout.blocks.size()))
        return {-1, -1};
    const int xIn = (pos.x() - 2) - block * m_layout.blockWidth - m_layout.labelWidth;
    if (xIn < 0)
        return {-1, -1};
    const int column = xIn / m_layout.cellWidth;
    const int inBlock = (pos.y() - m_layout.top) / m_layout.rowHeight;
    const Block& b = m_layout.blocks[static_cast<std::size_t>(block)];
    if (column >= m_table.columnCount() || inBlock >= b.rows)
        return {-1, -1};
    return {b.firstRow + inBlock, column};
}

double ShardHeatmap::intensity(double value, double scale)
{
    if (!(scale > 0) || !(value > 0))
        return 0.0;
    return std::sqrt(std::min(1.0, value / scale));
}

void ShardHeatmap::paintEvent(QPaintEvent* event)
{
    QPainter p(this);
    p.fillRect(event->rect(), palette().color(QPalette::Base));
    if (m_table.rowCount() == 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(10, 10, -10, -10), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
                   tr("No shard load in this run's snapshots."));
        return;
    }
    // Legend: gradient bar 0 … scale.
    const QRect bar(96, 7, std::min(260, width() - 300), 12);
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(4, 0, 90, kHeader), Qt::AlignLeft | Qt::AlignVCenter, ShardTable::metricName(m_metric) + QStringLiteral(" scale"));
    if (bar.width() > 20) {
        QLinearGradient g(bar.topLeft(), bar.topRight());
        for (int i = 0; i <= 8; ++i)
            g.setColorAt(i / 8.0, palette::heatColor(i / 8.0));
        p.fillRect(bar, g);
        p.setPen(QColor(0x80, 0x80, 0x80));
        p.drawRect(bar.adjusted(0, 0, -1, -1));
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(bar.right() + 6, 0, 200, kHeader), Qt::AlignLeft | Qt::AlignVCenter,
                   QStringLiteral("0 … ") + metricValueText(m_metric, m_scale) + tr(" (√ scale)"));
    }
    const Layout& l = m_layout;
    if (!l.valid)
        return;
    const int cols = m_table.columnCount();
    QFont small = p.font();
    small.setPointSizeF(std::max(7.0, small.pointSizeF() * 0.85));
    p.setFont(small);
    const QFontMetrics sfm(small);
    // Block titles (cluster and shard range) and partition names.
    for (int b = 0; b < static_cast<int>(l.blocks.size()); ++b) {
        const Block& blk = l.blocks[static_cast<std::size_t>(b)];
        const int x0 = 2 + b * l.blockWidth;
        const ShardRow& first = m_table.row(blk.firstRow);
        const ShardRow& last = m_table.row(blk.firstRow + blk.rows - 1);
        const QString title = clusterShort(first.cluster) + QStringLiteral(" %1–%2").arg(first.shard).arg(last.shard);
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(x0, kHeader, l.blockWidth - kBlockGap, kBlockTitle), Qt::AlignLeft | Qt::AlignVCenter,
                   sfm.elidedText(title, Qt::ElideRight, l.blockWidth - kBlockGap));
        for (int c = 0; c < cols; ++c) {
            const QRect hr(x0 + l.labelWidth + c * l.cellWidth, kHeader + kBlockTitle, l.cellWidth, kColumnHeader);
            QString name = QString::fromStdString(m_table.column(c));
            if (name.size() == 6) // 202612 → 26-12
                name = name.mid(2, 2) + QLatin1Char('-') + name.mid(4);
            if (sfm.horizontalAdvance(name) > l.cellWidth && name.size() == 5)
                name = name.mid(3); // month only
            if (sfm.horizontalAdvance(name) <= l.cellWidth + 2)
                p.drawText(hr, Qt::AlignCenter, name);
        }
    }
    // Cells.
    const QRect exposed = event->rect();
    const double scale = m_scale > 0 ? m_scale : 1.0;
    const QColor absent = palette().color(QPalette::AlternateBase);
    const int gap = l.rowHeight >= 8 ? 1 : 0;
    const int gapX = l.cellWidth >= 12 ? 1 : 0;
    for (int r = 0; r < m_table.rowCount(); ++r) {
        const QRect first = cellRect(r, 0);
        const int x0 = first.left() - l.labelWidth;
        const QRect rowRect(x0, first.top(), l.labelWidth + cols * l.cellWidth, l.rowHeight);
        if (!rowRect.intersects(exposed))
            continue;
        for (int c = 0; c < cols; ++c) {
            const QRect cell = cellRect(r, c).adjusted(0, 0, -gapX, -gap);
            const ShardCell& sc = m_table.cell(r, c);
            p.fillRect(cell, sc.present ? palette::heatColor(intensity(m_table.value(r, c, m_metric), scale)) : absent);
        }
        if (l.rowHeight >= 11) {
            p.setPen(palette().color(QPalette::WindowText));
            p.drawText(QRect(x0, first.top(), l.labelWidth - 16, l.rowHeight), Qt::AlignRight | Qt::AlignVCenter,
                       QStringLiteral("#%1").arg(m_table.row(r).shard));
        }
    }
    // Hottest shard of each cluster: a triangle left of its row.
    for (const ClusterSkew& k : m_table.skews()) {
        const int r = m_table.findRow(k.cluster, k.hottestShard);
        if (r < 0 || k.maxQps <= 0)
            continue;
        const QRect first = cellRect(r, 0);
        const int x = first.left() - 2;
        const int cy = first.center().y();
        const int h = std::clamp(l.rowHeight / 2, 3, 6);
        const QPoint tri[3] = {QPoint(x - 2 * h, cy - h), QPoint(x, cy), QPoint(x - 2 * h, cy + h)};
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0x10, 0x10, 0x10));
        p.drawPolygon(tri, 3);
    }
}

QString ShardHeatmap::cellTooltip(int row, int column) const
{
    const ShardRow& r = m_table.row(row);
    const ShardCell& c = m_table.cell(row, column);
    QString text = tr("<b>%1 shard %2</b> · partition %3<br>primary in %4")
                       .arg(QString::fromStdString(r.cluster).toHtmlEscaped())
                       .arg(r.shard)
                       .arg(QString::fromStdString(m_table.column(column)).toHtmlEscaped(),
                            r.region.empty() ? QStringLiteral("—") : QString::fromStdString(r.region).toHtmlEscaped());
    if (!c.present)
        return text + tr("<br><i>not in the latest snapshot</i>");
    text += tr("<br>QPS: %1 · rows: %2<br>p99: %3 · queue: %4<br>shard total: %5 QPS")
                .arg(formatCompact(c.qps), formatCompact(c.rows), formatMillis(c.p99Ms))
                .arg(c.queue)
                .arg(formatCompact(r.totalQps));
    return text;
}

void ShardHeatmap::contextMenuEvent(QContextMenuEvent* event)
{
    const auto [row, column] = cellAt(event->pos());
    if (row < 0)
        return;
    emit cellContextMenu(row, column, event->globalPos());
}

bool ShardHeatmap::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const auto [row, column] = cellAt(help->pos());
        if (row < 0) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        QToolTip::showText(help->globalPos(), cellTooltip(row, column), this);
        return true;
    }
    return QWidget::event(event);
}

} // namespace livedeck::ui
