// Region map: a down region is painted dark, a healthy one green, a partitioned link is
// marked (red cut at its midpoint) from measured LinkHealth only — fault specs alone
// mark nothing; health is per engine (one engine's probes or all of them) and a region
// some regions cannot reach reads "unreachable from X" without being down.
#include "tests/common/multi_test.h"
#include "tests/ui/fixtures/gala_scenario.h"
#include "ui/palette.h"
#include "ui/region_map.h"
#include "ui/region_panel.h"
#include "ui/dashboard_hub.h"
#include "ui/time_chart.h"

#include <QImage>
#include <QSignalSpy>
#include <QTest>

using namespace livedeck;

namespace {

bool near(const QColor& a, const QColor& b, int tolerance = 30)
{
    return std::abs(a.red() - b.red()) <= tolerance && std::abs(a.green() - b.green()) <= tolerance &&
           std::abs(a.blue() - b.blue()) <= tolerance;
}

// A pixel inside a region's disc, above its name (clear of text and the down cross).
QColor discColour(const ui::RegionMap& map, const QImage& img, const QString& region)
{
    const QPoint c = map.regionCenter(region);
    const qreal dpr = map.devicePixelRatioF();
    return img.pixelColor(QPoint(static_cast<int>(c.x() * dpr), static_cast<int>((c.y() - ui::RegionMap::kRadius * 0.85) * dpr)));
}

} // namespace

class TstRegionMap : public QObject {
    Q_OBJECT
private slots:
    void downRegionIsDarkAndCutLinkIsRed()
    {
        ui::fixtures::GalaScenario scenario;
        ui::RegionMap map;
        map.resize(600, 450);
        map.show();
        map.setTopology(*scenario.topology());
        QCOMPARE(map.regionCount(), 3);
        QCOMPARE(map.linkCount(), 3);
        map.applySnapshot(*scenario.snapshotAt(600, true)); // gz down, sh-a <-> gz partitioned
        QVERIFY(map.regionDown(QStringLiteral("gz")));
        QVERIFY(!map.regionDown(QStringLiteral("sh-b")));
        QVERIFY(map.linkPartitioned(QStringLiteral("sh-a"), QStringLiteral("gz")));
        QVERIFY(!map.linkPartitioned(QStringLiteral("sh-a"), QStringLiteral("sh-b")));
        const QImage img = map.grab().toImage();
        const QColor gz = discColour(map, img, QStringLiteral("gz"));
        QVERIFY2(near(gz, ui::palette::downRegionColor()), qPrintable(gz.name()));
        const QColor shb = discColour(map, img, QStringLiteral("sh-b"));
        QVERIFY2(shb.green() > shb.red() + 40, qPrintable(shb.name())); // healthy: green
        const QPoint mid = map.linkMidpoint(QStringLiteral("sh-a"), QStringLiteral("gz"));
        const qreal dpr = map.devicePixelRatioF();
        const QColor cut = img.pixelColor(QPoint(static_cast<int>((mid.x() + 8) * dpr), static_cast<int>(mid.y() * dpr)));
        QVERIFY2(near(cut, ui::palette::partitionColor(), 40), qPrintable(cut.name()));
    }

    void regionComesBack()
    {
        ui::fixtures::GalaScenario scenario;
        ui::RegionMap map;
        map.resize(600, 450);
        map.setTopology(*scenario.topology());
        map.applySnapshot(*scenario.snapshotAt(600, true));
        QVERIFY(map.regionDown(QStringLiteral("gz")));
        map.applySnapshot(*scenario.snapshotAt(10, false)); // a later snapshot where gz is up again
        QVERIFY(!map.regionDown(QStringLiteral("gz")));
        QVERIFY(!near(map.regionFill(QStringLiteral("gz")), ui::palette::downRegionColor()));
    }

    void measureChangesColour()
    {
        v1::RegionHealth h;
        h.set_up(true);
        h.set_availability(0.9999);
        h.set_p99_ms(2000);
        h.set_error_rate(0.0);
        const QColor byAvail = ui::RegionMap::measureColor(ui::RegionMap::Measure::Availability, h);
        const QColor byP99 = ui::RegionMap::measureColor(ui::RegionMap::Measure::P99, h);
        QVERIFY(byAvail.green() > byAvail.red());  // 99.99 %: good
        QVERIFY(byP99.red() > byP99.green());      // 2 s p99: bad
        h.set_up(false);
        QCOMPARE(ui::RegionMap::measureColor(ui::RegionMap::Measure::Availability, h), ui::palette::downRegionColor());
    }

    void faultSpecsAloneMarkNothing()
    {
        ui::fixtures::GalaScenario scenario;
        ui::RegionMap map;
        map.resize(500, 400);
        map.setTopology(*scenario.topology());
        v1::Snapshot s; // no RegionHealth / LinkHealth: only faults
        auto* down = s.add_faults();
        down->set_id(1);
        down->set_kind(v1::FAULT_DOWN);
        down->set_target("sh-b");
        down->set_active(true);
        auto* cut = s.add_faults();
        cut->set_id(2);
        cut->set_kind(v1::FAULT_PARTITION);
        cut->set_target("sh-a");
        cut->set_active(true);
        auto* peer = cut->add_params();
        peer->set_name("peer");
        peer->set_text("gz");
        map.applySnapshot(s);
        QVERIFY(!map.regionDown(QStringLiteral("sh-b")));
        QVERIFY(!map.linkPartitioned(QStringLiteral("gz"), QStringLiteral("sh-a")));
        QCOMPARE(map.regionFill(QStringLiteral("sh-b")), ui::palette::noDataColor());
        // What the network measured marks the link.
        auto* lh = s.add_links();
        lh->set_a("sh-a");
        lh->set_b("gz");
        lh->set_partitioned_ab(true);
        lh->set_messages(120);
        map.applySnapshot(s);
        QVERIFY(map.linkPartitioned(QStringLiteral("gz"), QStringLiteral("sh-a")));
    }

    void healthPerEngineAndUnreachable()
    {
        ui::fixtures::GalaScenario scenario;
        ui::RegionMap map;
        map.resize(500, 400);
        map.setTopology(*scenario.topology());
        v1::Snapshot s;
        const auto health = [&](const char* engine, const char* region, bool up, const char* unreachableFrom) {
            auto* h = s.add_regions();
            h->set_engine(engine);
            h->set_region(region);
            h->set_up(up);
            h->set_availability(up ? 0.9999 : 0.0);
            h->set_probes_sent(10);
            h->set_probes_answered(up ? 10 : 0);
            if (unreachableFrom)
                h->add_unreachable_from(unreachableFrom);
        };
        // Engine "alpha" sees gz up but cut off from sh-a; engine "beta" sees gz down.
        for (const char* r : {"sh-a", "sh-b"}) {
            health("alpha", r, true, nullptr);
            health("beta", r, true, nullptr);
        }
        health("alpha", "gz", true, "sh-a");
        health("beta", "gz", false, nullptr);
        map.applySnapshot(s);
        QCOMPARE(map.engines(), (std::vector<std::string>{"alpha", "beta"}));
        // All engines: up only when every engine's probes see it up.
        QVERIFY(map.regionDown(QStringLiteral("gz")));
        QVERIFY(!map.regionDown(QStringLiteral("sh-a")));
        map.setEngine("alpha");
        map.applySnapshot(s);
        QVERIFY(!map.regionDown(QStringLiteral("gz")));
        QCOMPARE(map.unreachableText(QStringLiteral("gz")), QStringLiteral("unreachable from sh-a"));
        QCOMPARE(map.unreachableText(QStringLiteral("sh-b")), QString());
        map.setEngine("beta");
        map.applySnapshot(s);
        QVERIFY(map.regionDown(QStringLiteral("gz")));
        QCOMPARE(map.unreachableText(QStringLiteral("gz")), QString());
    }

    void panelOffersEachEngine()
    {
        ui::fixtures::GalaScenario scenario;
        ui::DashboardHub hub;
        ui::RegionPanel panel(&hub);
        hub.addPanel(&panel);
        hub.applyTopology(scenario.topology());
        hub.applySnapshot(scenario.snapshotAt(600, true)); // partition of gz from sh-a
        QCOMPARE(panel.engineChoices(), (QStringList{QString(), QStringLiteral("gifts")}));
        panel.setEngine(QStringLiteral("gifts"));
        QCOMPARE(panel.map()->engine(), std::string("gifts"));
    }

    void clickOpensRegionCharts()
    {
        ui::fixtures::GalaScenario scenario;
        ui::DashboardHub hub;
        ui::RegionPanel panel(&hub);
        hub.addPanel(&panel);
        panel.resize(600, 500);
        panel.show();
        hub.applyTopology(scenario.topology());
        for (int t = 0; t <= 60; ++t)
            hub.applySnapshot(scenario.snapshotAt(t, t == 0));
        hub.tick();
        QSignalSpy clicked(panel.map(), &ui::RegionMap::regionClicked);
        QTest::mouseClick(panel.map()->viewport(), Qt::LeftButton, {}, panel.map()->regionCenter(QStringLiteral("sh-a")));
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.at(0).at(0).toString(), QStringLiteral("sh-a"));
        auto* dialog = panel.findChild<ui::RegionDetailDialog*>();
        QVERIFY(dialog);
        QCOMPARE(dialog->region(), QStringLiteral("sh-a"));
        QCOMPARE(dialog->chart(0)->lineData(0).size(), std::size_t(61)); // availability, 0..60 s
        dialog->close();
    }
};

LIVEDECK_TEST_CLASS(TstRegionMap)
#include "tst_region_map.moc"
