#include "ui/shard_panel.h"

#include "ui/dashboard_hub.h"
#include "ui/format.h"
#include "ui/shard_heatmap.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QVBoxLayout>

namespace livedeck::ui {

ShardPanel::ShardPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* bar = new QHBoxLayout();
    bar->addWidget(new QLabel(tr("Colour by:"), this));
    m_metric = new QComboBox(this);
    m_metric->addItem(tr("QPS"), static_cast<int>(ShardTable::Metric::Qps));
    m_metric->addItem(tr("rows"), static_cast<int>(ShardTable::Metric::Rows));
    m_metric->addItem(tr("p99 latency"), static_cast<int>(ShardTable::Metric::P99));
    m_metric->setToolTip(tr("What a cell's colour shows: statements per second, rows stored, or p99 statement latency"));
    bar->addWidget(m_metric);
    m_skew = new QLabel(this);
    m_skew->setTextFormat(Qt::RichText);
    // Long skew lines (several clusters) wrap instead of widening the dock column (and
    // with it the window) past the screen.
    m_skew->setWordWrap(true);
    m_skew->setMinimumWidth(0);
    m_skew->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_skew->setToolTip(tr("Skew: the hottest shard's QPS over the mean shard's QPS, per cluster (1.0× = even). "
                          "The black triangle marks each cluster's hottest shard."));
    bar->addWidget(m_skew, 1);
    layout->addLayout(bar);
    m_heatmap = new ShardHeatmap(this);
    layout->addWidget(m_heatmap, 1);

    connect(m_metric, &QComboBox::currentIndexChanged, this, [this](int) {
        m_heatmap->setMetric(static_cast<ShardTable::Metric>(m_metric->currentData().toInt()));
    });
    connect(m_heatmap, &ShardHeatmap::cellContextMenu, this, [this](int row, int, const QPoint& globalPos) {
        const ShardRow& r = m_heatmap->table().row(row);
        const QString path = shardPath(r.region, r.cluster, r.shard);
        QMenu menu(this);
        menu.addAction(tr("Show in inspector"), this, [this, path] { m_hub->selectComponent(path); });
        menu.addSeparator();
        menu.addAction(tr("Inject fault on %1…").arg(path), this, [this, path] { m_hub->requestFault(path); });
        menu.exec(globalPos);
    });
    resetRun();
}

QString ShardPanel::shardPath(const std::string& region, const std::string& cluster, std::uint32_t shard)
{
    QString p = QString::fromStdString(cluster) + QLatin1Char('/') + QString::number(shard);
    if (!region.empty())
        p = QString::fromStdString(region) + QLatin1Char('/') + p;
    return p;
}

QString ShardPanel::skewText() const
{
    return m_skew->text();
}

void ShardPanel::resetRun()
{
    m_heatmap->clear();
    m_skew->setText(tr("Skew: —"));
    m_dirty = true;
}

void ShardPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog&)
{
    if (snapshot.shards_size() == 0 && m_heatmap->table().rowCount() == 0)
        return;
    m_heatmap->applySnapshot(snapshot);
    m_dirty = true;
}

void ShardPanel::refreshView()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    const ShardTable& t = m_heatmap->table();
    if (t.rowCount() == 0) {
        m_skew->setText(tr("Skew: —"));
    } else {
        // Worst cluster first, then the others briefly.
        std::vector<const ClusterSkew*> order;
        for (const ClusterSkew& k : t.skews())
            order.push_back(&k);
        std::sort(order.begin(), order.end(), [](const ClusterSkew* a, const ClusterSkew* b) { return a->skew > b->skew; });
        QString text;
        for (std::size_t i = 0; i < order.size() && i < 3; ++i) {
            const ClusterSkew& k = *order[i];
            const QString colour = k.skew >= 3 ? QStringLiteral("#c0141c") : k.skew >= 1.5 ? QStringLiteral("#a86200") : QStringLiteral("#1e7a34");
            if (!text.isEmpty())
                text += QStringLiteral(" &nbsp;·&nbsp; ");
            text += QStringLiteral("%1 <b style='color:%2'>%3×</b> (shard %4)")
                        .arg(QString::fromStdString(k.cluster).toHtmlEscaped(), colour)
                        .arg(k.skew, 0, 'f', 2)
                        .arg(k.hottestShard);
        }
        m_skew->setText(tr("Skew max/mean: ") + text + tr(" &nbsp;·&nbsp; %1 shards × %2 partitions").arg(t.rowCount()).arg(t.columnCount()));
    }
    m_heatmap->update();
}

} // namespace livedeck::ui
