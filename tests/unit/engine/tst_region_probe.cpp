// Region health measured by an engine's probes over the emulated network: a region cut
// off from gz by a partition reads up but "unreachable from gz" (and gz unreachable from
// it); a region that is down reads down; a front that judges itself unhealthy reads down
// although the network reaches it. LinkHealth comes from what the links carried.
#include "tests/common/fault_specs.h"
#include "backend/engine/region_probe.h"
#include "backend/telemetry/telemetry.h"
#include "tests/common/multi_test.h"

#include <QtTest>

namespace {

using namespace livedeck;

v1::Command partition(const std::string& a, const std::string& b)
{
    return test::injectCommand(test::partitionSpec(a, b));
}

v1::Command down(const std::string& target)
{
    return test::injectCommand(test::downSpec(target));
}

struct Rig {
    sim::World world;
    std::vector<sim::ComponentId> fronts;
    bool shBHealthy = true;
    std::unique_ptr<engine::RegionProber> prober;
    Rig()
    {
        for (const sim::RegionSpec& r : world.topology().regions())
            fronts.push_back(world.components().mustAdd(r.name + "/probe-test/front", "front"));
        prober = std::make_unique<engine::RegionProber>(
            world, "probe-test", fronts, engine::RegionProber::Config{},
            [this](int region) { return region != world.topology().regionIndex("sh-b") || shBHealthy; });
        prober->start();
    }
    int region(const char* name) const { return world.topology().regionIndex(name); }
    v1::RegionHealth health(const char* name) const
    {
        v1::RegionHealth h;
        prober->fill(h, region(name));
        return h;
    }
    void runFor(sim::Nanos t) { world.scheduler().runUntil(world.now() + t); }
};

QStringList names(const v1::RegionHealth& h)
{
    QStringList out;
    for (const std::string& s : h.unreachable_from())
        out << QString::fromStdString(s);
    return out;
}

} // namespace

class TstRegionProbe : public QObject {
    Q_OBJECT
private slots:
    void allUpWhenNothingIsWrong()
    {
        Rig rig;
        rig.runFor(2500 * sim::kMillisecond);
        for (const char* r : {"sh-a", "sh-b", "gz"}) {
            const v1::RegionHealth h = rig.health(r);
            QVERIFY(h.up());
            QCOMPARE(h.engine(), std::string("probe-test"));
            QCOMPARE(h.probes_sent(), std::uint64_t(3));
            QCOMPARE(h.probes_answered(), std::uint64_t(3));
            QVERIFY(h.unreachable_from().empty());
        }
    }

    void partitionedRegionIsUpButUnreachableFromThePeer()
    {
        Rig rig;
        QVERIFY(rig.world.apply(partition("sh-a", "gz")).ok());
        rig.runFor(2500 * sim::kMillisecond);
        const v1::RegionHealth a = rig.health("sh-a");
        QVERIFY(a.up());
        QCOMPARE(names(a), QStringList{QStringLiteral("gz")});
        const v1::RegionHealth gz = rig.health("gz");
        QVERIFY(gz.up());
        QCOMPARE(names(gz), QStringList{QStringLiteral("sh-a")});
        QVERIFY(names(rig.health("sh-b")).isEmpty());
    }

    void downRegionIsDown()
    {
        Rig rig;
        QVERIFY(rig.world.apply(down("gz")).ok());
        rig.runFor(2500 * sim::kMillisecond);
        const v1::RegionHealth gz = rig.health("gz");
        QVERIFY(!gz.up());
        QCOMPARE(gz.probes_answered(), std::uint64_t(0));
        QVERIFY(rig.health("sh-a").up());
    }

    void frontThatRefusesReadsDown()
    {
        Rig rig;
        rig.shBHealthy = false;
        rig.runFor(2500 * sim::kMillisecond);
        QVERIFY(!rig.health("sh-b").up());
        QVERIFY(rig.health("sh-a").up());
    }

    void linksReportWhatTheyCarried()
    {
        Rig rig;
        telemetry::Telemetry telemetry(rig.world);
        telemetry.start();
        QVERIFY(rig.world.apply(partition("sh-a", "gz")).ok());
        rig.runFor(3 * sim::kSecond);
        v1::Snapshot s;
        telemetry.buildSnapshot(s);
        QCOMPARE(s.links_size(), 3);
        bool sawAGz = false;
        for (const v1::LinkHealth& l : s.links()) {
            QVERIFY(l.messages() > 0); // the probes crossed every link
            const bool aGz = (l.a() == "sh-a" && l.b() == "gz") || (l.a() == "gz" && l.b() == "sh-a");
            if (aGz) {
                sawAGz = true;
                QVERIFY(l.partitioned_ab());
                QVERIFY(l.partitioned_ba());
                QCOMPARE(l.loss(), 1.0);
            } else {
                QVERIFY(!l.partitioned_ab() && !l.partitioned_ba());
                QCOMPARE(l.loss(), 0.0);
                QVERIFY(l.latency_ms() > 0.0);
            }
        }
        QVERIFY(sawAGz);
    }
};

LIVEDECK_TEST_CLASS(TstRegionProbe)
#include "tst_region_probe.moc"
