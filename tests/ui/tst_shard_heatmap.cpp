// Shard heatmap: a cell's colour intensity grows with its QPS (grabbed pixels get
// darker), the skew indicator is max/mean shard QPS, and 1 000 shards lay out inside
// the widget without overlapping.
#include "tests/common/multi_test.h"
#include "tests/ui/fixtures/gala_scenario.h"
#include "ui/dashboard_hub.h"
#include "ui/shard_heatmap.h"
#include "ui/shard_panel.h"

#include <QImage>

#include <cmath>
#include <QTest>

using namespace livedeck;

namespace {

void shard(v1::Snapshot& s, const char* cluster, std::uint32_t n, const char* partition, double qps, std::uint64_t rows = 1000)
{
    auto* l = s.add_shards();
    l->set_cluster(cluster);
    l->set_shard(n);
    l->set_partition(partition);
    l->set_qps(qps);
    l->set_rows(rows);
    l->set_p99_ms(5 + qps / 100);
    l->set_region("sh-a");
}

double luminance(const QColor& c)
{
    return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF();
}

QColor cellColour(const ui::ShardHeatmap& map, const QImage& img, int row, int column)
{
    const QRect r = map.cellRect(row, column);
    const qreal dpr = map.devicePixelRatioF();
    return img.pixelColor(QPoint(static_cast<int>(r.center().x() * dpr), static_cast<int>(r.center().y() * dpr)));
}

} // namespace

class TstShardHeatmap : public QObject {
    Q_OBJECT
private slots:
    void intensityGrowsWithQps_data()
    {
        QTest::addColumn<double>("low");
        QTest::addColumn<double>("high");
        QTest::newRow("100 vs 1000") << 100.0 << 1000.0;
        QTest::newRow("1000 vs 4000") << 1000.0 << 4000.0;
        QTest::newRow("0 vs 50") << 0.0 << 50.0;
    }
    void intensityGrowsWithQps()
    {
        QFETCH(double, low);
        QFETCH(double, high);
        ui::ShardHeatmap map;
        map.resize(500, 300);
        v1::Snapshot s;
        shard(s, "gifts/order-db", 0, "202612", low);
        shard(s, "gifts/order-db", 1, "202612", high);
        shard(s, "gifts/order-db", 2, "202612", 5000.0); // sets the scale
        map.applySnapshot(s);
        const QImage img = map.grab().toImage();
        const QColor a = cellColour(map, img, 0, 0);
        const QColor b = cellColour(map, img, 1, 0);
        QVERIFY2(luminance(b) < luminance(a) - 0.01,
                 qPrintable(QStringLiteral("%1 QPS → %2, %3 QPS → %4").arg(low).arg(a.name()).arg(high).arg(b.name())));
    }

    void sameCellDarkensWhenItsQpsGrows()
    {
        ui::ShardHeatmap map;
        map.resize(400, 200);
        v1::Snapshot s;
        shard(s, "gifts/order-db", 0, "202612", 200.0);
        shard(s, "gifts/order-db", 1, "202612", 2000.0);
        map.applySnapshot(s);
        const QColor before = cellColour(map, map.grab().toImage(), 0, 0);
        v1::Snapshot t;
        shard(t, "gifts/order-db", 0, "202612", 1800.0);
        shard(t, "gifts/order-db", 1, "202612", 2000.0);
        map.applySnapshot(t);
        map.update();
        const QColor after = cellColour(map, map.grab().toImage(), 0, 0);
        QVERIFY(luminance(after) < luminance(before) - 0.05);
    }

    void idleShardsStayPaleAfterTheRunEnds()
    {
        // The load peaked at 5 000 QPS, then the run ended: leftovers of 0.4 QPS must
        // not take the whole colour range (the scale keeps the run's peak).
        ui::ShardHeatmap map;
        map.resize(400, 200);
        v1::Snapshot peak;
        shard(peak, "gifts/order-db", 0, "202612", 5000.0);
        shard(peak, "gifts/order-db", 1, "202612", 3000.0);
        map.applySnapshot(peak);
        const QColor hot = cellColour(map, map.grab().toImage(), 0, 0);
        v1::Snapshot idle;
        shard(idle, "gifts/order-db", 0, "202612", 0.4);
        shard(idle, "gifts/order-db", 1, "202612", 0.0);
        map.applySnapshot(idle);
        map.update();
        QCOMPARE(map.scaleMax(), 5000.0);
        const QImage img = map.grab().toImage();
        const QColor leftover = cellColour(map, img, 0, 0);
        const QColor none = cellColour(map, img, 1, 0);
        QVERIFY2(luminance(leftover) > luminance(hot) + 0.3, qPrintable(leftover.name() + QStringLiteral(" vs ") + hot.name()));
        QVERIFY2(std::abs(luminance(leftover) - luminance(none)) < 0.1, qPrintable(leftover.name() + QStringLiteral(" vs ") + none.name()));
        // A heatmap that only ever saw idle shards keeps the floor: 0.4 QPS is no hot spot.
        ui::ShardHeatmap fresh;
        fresh.resize(400, 200);
        fresh.applySnapshot(idle);
        QCOMPARE(fresh.scaleMax(), ui::ShardHeatmap::floorOf(ui::ShardTable::Metric::Qps));
        const QImage freshImg = fresh.grab().toImage();
        QVERIFY(std::abs(luminance(cellColour(fresh, freshImg, 0, 0)) - luminance(cellColour(fresh, freshImg, 1, 0))) < 0.15);
        fresh.clear();
        QCOMPARE(fresh.scaleMax(), 1.0);
    }

    void metricSelectsWhatColours()
    {
        ui::ShardHeatmap map;
        map.resize(400, 200);
        v1::Snapshot s;
        shard(s, "gifts/order-db", 0, "202612", 100.0, 9'000'000);
        shard(s, "gifts/order-db", 1, "202612", 3000.0, 10'000);
        map.applySnapshot(s);
        QImage img = map.grab().toImage();
        QVERIFY(luminance(cellColour(map, img, 0, 0)) > luminance(cellColour(map, img, 1, 0))); // QPS: shard 1 hotter
        map.setMetric(ui::ShardTable::Metric::Rows);
        img = map.grab().toImage();
        QVERIFY(luminance(cellColour(map, img, 0, 0)) < luminance(cellColour(map, img, 1, 0))); // rows: shard 0 fuller
    }

    void cellsFollowTheirShardWhenTheListChangesOrder()
    {
        // Steady-state snapshots reuse each entry's cell by position; a snapshot listing
        // the shards in another order (or a new one) must still land every value in its cell.
        ui::ShardTable table;
        v1::Snapshot a;
        shard(a, "db/orders", 1, "202611", 10);
        shard(a, "db/orders", 2, "202611", 20);
        shard(a, "db/orders", 1, "202612", 30);
        QVERIFY(table.apply(a));
        QVERIFY(!table.apply(a));
        v1::Snapshot b;
        shard(b, "db/orders", 1, "202612", 300);
        shard(b, "db/orders", 2, "202611", 200);
        shard(b, "db/orders", 1, "202611", 100);
        QVERIFY(!table.apply(b));
        const int r1 = table.findRow("db/orders", 1);
        const int r2 = table.findRow("db/orders", 2);
        const int nov = table.findColumn("202611");
        const int dec = table.findColumn("202612");
        QCOMPARE(table.cell(r1, nov).qps, 100.0);
        QCOMPARE(table.cell(r2, nov).qps, 200.0);
        QCOMPARE(table.cell(r1, dec).qps, 300.0);
        QVERIFY(!table.cell(r2, dec).present);
        QCOMPARE(table.row(r1).totalQps, 400.0);
        v1::Snapshot c = b;
        shard(c, "db/orders", 3, "202612", 50); // a new shard: the table grows
        QVERIFY(table.apply(c));
        QCOMPARE(table.cell(table.findRow("db/orders", 3), table.findColumn("202612")).qps, 50.0);
        QCOMPARE(table.cell(table.findRow("db/orders", 1), table.findColumn("202612")).qps, 300.0);
    }

    void skewIsMaxOverMean()
    {
        ui::ShardTable table;
        v1::Snapshot s;
        shard(s, "gifts/order-db", 0, "202612", 100.0);
        shard(s, "gifts/order-db", 0, "202701", 100.0); // shard 0 = 200 over two partitions
        shard(s, "gifts/order-db", 1, "202612", 100.0);
        shard(s, "gifts/order-db", 2, "202612", 600.0);
        table.apply(s);
        QCOMPARE(table.rowCount(), 3);
        QCOMPARE(table.columnCount(), 2);
        const ui::ClusterSkew* k = table.worstSkew();
        QVERIFY(k);
        QCOMPARE(k->hottestShard, 2u);
        QCOMPARE(k->meanQps, 300.0);
        QCOMPARE(k->skew, 2.0);
        QVERIFY(!table.cell(1, 1).present); // shard 1 has no 202701 row
    }

    void thousandShardsFit()
    {
        ui::fixtures::ScenarioOptions o;
        o.shardClusters = 10;
        o.shardsPerCluster = 100;
        ui::fixtures::GalaScenario scenario(o);
        ui::DashboardHub hub;
        ui::ShardPanel panel(&hub);
        hub.addPanel(&panel);
        panel.resize(1100, 700);
        panel.show();
        hub.applySnapshot(scenario.snapshotAt(300, true));
        hub.tick();
        const ui::ShardHeatmap& map = *panel.heatmap();
        QCOMPARE(map.table().rowCount(), 1000);
        QVERIFY(panel.skewText().contains(QStringLiteral("×")));
        for (int r = 0; r < map.table().rowCount(); ++r) {
            for (int c = 0; c < map.table().columnCount(); ++c) {
                const QRect cell = map.cellRect(r, c);
                QVERIFY2(map.rect().contains(cell), qPrintable(QStringLiteral("row %1 col %2 outside").arg(r).arg(c)));
                QCOMPARE(map.cellAt(cell.center()), std::make_pair(r, c));
            }
        }
    }
};

LIVEDECK_TEST_CLASS(TstShardHeatmap)
#include "tst_shard_heatmap.moc"
