// Telemetry::buildSnapshot: time, calendar, trace hash, counters of the world, the
// last rollup's samples, series defs, faults, contributors' parts and the inspector
// state of components.
#include "tests/common/fault_specs.h"
#include "tests/common/multi_test.h"

#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"

#include <QTest>

#include <memory>
#include <string>

using namespace livedeck;
using telemetry::SnapshotOptions;
using telemetry::Telemetry;

namespace {

// A component with live state for the inspector.
class Probe final : public sim::Inspectable {
public:
    void inspect(sim::StateWriter& out) const override
    {
        out.add("hits", hits);
        out.add("mode", mode);
        out.add("healthy", healthy);
    }
    std::int64_t hits = 0;
    std::string mode = "normal";
    bool healthy = true;
};

// Adds a breaker and a region's health, as an engine would.
class BreakerPart final : public telemetry::SnapshotContributor {
public:
    void contribute(v1::Snapshot& s) const override
    {
        auto* b = s.add_breakers();
        b->set_path("sh-a/test/breaker");
        b->set_state(open ? v1::BREAKER_OPEN : v1::BREAKER_CLOSED);
        b->set_failure_rate(failureRate);
        auto* r = s.add_regions();
        r->set_region("sh-a");
        r->set_up(true);
        r->set_rps(1234);
    }
    bool open = false;
    double failureRate = 0.0;
};

sim::WorldConfig config()
{
    sim::WorldConfig c;
    c.seed = 77;
    c.runId = "snapshot-run";
    sim::CivilTime start;
    start.year = 2026;
    start.month = 12;
    start.day = 31;
    start.hour = 23;
    start.minute = 59;
    start.second = 30;
    c.calendar = sim::Calendar::fromCivil(start, 8 * 60);
    return c;
}

v1::Command injectDown(const std::string& target, sim::Nanos endNs)
{
    return test::injectCommand(test::downSpec(target, 0, endNs), "test");
}

} // namespace

class TstSnapshot : public QObject {
    Q_OBJECT

private slots:
    void worldFields()
    {
        sim::World world(config());
        Telemetry t(world);
        auto& c = t.metrics().counter("test.hits", "sh-a/test/probe");
        t.start();
        const auto kind = world.kind("test.tick");
        for (int i = 0; i < 40; ++i)
            world.at(i * 50 * sim::kMillisecond + 1, kind, sim::kNoComponent, [&c] { c.add(3); });
        world.events().raise("test.note", sim::kNoComponent, v1::SEVERITY_INFO, "hello");
        world.scheduler().runUntil(2'345 * sim::kMillisecond);

        v1::Snapshot s;
        t.buildSnapshot(s);
        QCOMPARE(s.run_id(), std::string("snapshot-run"));
        QCOMPARE(s.sim_time_ns(), 2'345 * sim::kMillisecond);
        QCOMPARE(s.calendar_unix_ms(), world.calendar().unixMs(world.now()));
        // 2026-12-31 23:59:30 +08:00 plus 2.345 s.
        QCOMPARE(s.calendar_unix_ms(), world.calendar().startUnixMs() + 2'345);
        QCOMPARE(world.calendar().format(world.now()), std::string("2026-12-31 23:59:32.345"));
        QCOMPARE(s.events_executed(), world.scheduler().executed());
        QCOMPARE(s.events_executed(), std::uint64_t{42}); // 40 ticks + 2 rollups
        QCOMPARE(s.trace_hash(), world.traceHash());
        QCOMPARE(s.last_event_seq(), world.events().lastSeq());
        QCOMPARE(s.last_event_seq(), std::uint64_t{1});
        QCOMPARE(s.host().pending_events(), static_cast<std::uint64_t>(world.scheduler().pendingCount()));

        // Samples: the last rollup (at 2 s), one per series.
        QCOMPARE(s.sample_ids_size(), 2);
        QCOMPARE(s.sample_values_size(), 2);
        QCOMPARE(s.sample_ids(0), 0u);
        QCOMPARE(s.sample_values(0), 60.0); // 20 ticks x 3 in the second second
        QCOMPARE(s.sample_ids(1), 1u);
        QCOMPARE(s.sample_values(1), 120.0); // total after 2 s
        for (int i = 0; i < s.sample_ids_size(); ++i)
            QCOMPARE(s.sample_values(i), t.lastValue(s.sample_ids(i), -1));
    }

    void seriesDefs()
    {
        sim::World world(config());
        Telemetry t(world);
        t.metrics().counter("a");
        t.metrics().gauge("b", "gz");
        v1::Snapshot all;
        t.buildSnapshot(all);
        QCOMPARE(all.series_defs_size(), 3);
        QCOMPARE(all.series_defs(2).name(), std::string("b"));
        QCOMPARE(all.series_defs(2).component(), std::string("gz"));
        QCOMPARE(all.series_defs(2).type(), v1::METRIC_TYPE_GAUGE);
        QCOMPARE(all.sample_ids_size(), 0); // no rollup yet

        t.metrics().histogram("c");
        SnapshotOptions since;
        since.seriesDefsFrom = 3;
        v1::Snapshot newer;
        t.buildSnapshot(newer, since);
        QCOMPARE(newer.series_defs_size(), 4);
        QCOMPARE(newer.series_defs(0).id(), 3u);
        QCOMPARE(newer.series_defs(3).type(), v1::METRIC_TYPE_HISTOGRAM_P999);

        SnapshotOptions none;
        none.includeSeriesDefs = false;
        v1::Snapshot bare;
        t.buildSnapshot(bare, none);
        QCOMPARE(bare.series_defs_size(), 0);
    }

    void faults()
    {
        sim::World world(config());
        Telemetry t(world);
        QVERIFY(world.apply(injectDown("sh-b", 5 * sim::kSecond)).ok());
        v1::Command later = injectDown("gz", 0);
        later.mutable_inject_fault()->mutable_fault()->set_start_ns(10 * sim::kSecond);
        QVERIFY(world.apply(later).ok());
        world.scheduler().runUntil(sim::kSecond);

        v1::Snapshot s;
        t.buildSnapshot(s);
        QCOMPARE(s.faults_size(), 2); // active and scheduled
        QCOMPARE(s.faults(0).target(), std::string("sh-b"));
        QCOMPARE(s.faults(0).kind(), v1::FAULT_DOWN);
        QVERIFY(s.faults(0).active());
        QCOMPARE(s.faults(0).origin(), std::string("test"));
        QCOMPARE(s.faults(1).target(), std::string("gz"));
        QVERIFY(!s.faults(1).active());
        QCOMPARE(s.last_event_seq(), world.events().lastSeq()); // fault.on raised

        // Ended and cleared faults are gone from the snapshot.
        QVERIFY(world.apply([] {
                         v1::Command c;
                         c.mutable_clear_fault()->set_fault_id(2);
                         return c;
                     }())
                    .ok());
        world.scheduler().runUntil(6 * sim::kSecond);
        v1::Snapshot after;
        t.buildSnapshot(after);
        QCOMPARE(after.faults_size(), 0); // one expired at 5 s, the other was cleared
    }

    void contributors()
    {
        sim::World world(config());
        Telemetry t(world);
        BreakerPart part;
        part.open = true;
        part.failureRate = 0.62;
        t.addContributor(&part);
        v1::Snapshot s;
        t.buildSnapshot(s);
        QCOMPARE(s.breakers_size(), 1);
        QCOMPARE(s.breakers(0).path(), std::string("sh-a/test/breaker"));
        QCOMPARE(s.breakers(0).state(), v1::BREAKER_OPEN);
        QCOMPARE(s.breakers(0).failure_rate(), 0.62);
        QCOMPARE(s.regions_size(), 1);
        QCOMPARE(s.regions(0).rps(), 1234.0);

        // Contributors are asked afresh at each snapshot.
        part.open = false;
        v1::Snapshot s2;
        t.buildSnapshot(s2);
        QCOMPARE(s2.breakers(0).state(), v1::BREAKER_CLOSED);

        t.removeContributor(&part);
        v1::Snapshot s3;
        t.buildSnapshot(s3);
        QCOMPARE(s3.breakers_size(), 0);
        QCOMPARE(s3.regions_size(), 0);
    }

    void componentState()
    {
        sim::World world(config());
        Telemetry t(world);
        Probe probe;
        probe.hits = 41;
        probe.mode = "degraded";
        world.components().mustAdd("sh-a/test/probe", "probe", {}, &probe);
        world.components().mustAdd("sh-a/test/plain", "plain"); // not inspectable

        v1::Snapshot s;
        t.buildSnapshot(s);
        // Regions are components without state: only inspectable ones are listed.
        QCOMPARE(s.components_size(), 1);
        const v1::ComponentState& cs = s.components(0);
        QCOMPARE(cs.path(), std::string("sh-a/test/probe"));
        QCOMPARE(cs.state_size(), 3);
        QCOMPARE(cs.state(0).key(), std::string("hits"));
        QCOMPARE(cs.state(0).value(), std::string("41"));
        QCOMPARE(cs.state(1).key(), std::string("mode"));
        QCOMPARE(cs.state(1).value(), std::string("degraded"));
        QCOMPARE(cs.state(2).key(), std::string("healthy"));
        QCOMPARE(cs.state(2).value(), std::string("true"));

        probe.hits = 42;
        v1::Snapshot s2;
        t.buildSnapshot(s2);
        QCOMPARE(s2.components(0).state(0).value(), std::string("42"));

        SnapshotOptions noComponents;
        noComponents.includeComponents = false;
        v1::Snapshot s3;
        t.buildSnapshot(s3, noComponents);
        QCOMPARE(s3.components_size(), 0);
    }

    // A snapshot on its own arena (what WorldHost builds for the console) holds the same
    // message as one on the heap, long strings included, and owns its arena.
    void arenaSnapshotHoldsTheSameMessage()
    {
        sim::World world(config());
        Telemetry t(world);
        Probe probe;
        probe.mode = std::string(200, 'x') + "-a mode longer than any short-string buffer";
        world.components().mustAdd("sh-a/test/probe-with-a-path-longer-than-sixteen", "probe", {}, &probe);
        BreakerPart part;
        t.addContributor(&part);
        t.metrics().counter("test.hits", "sh-a/test/probe");
        t.start();
        world.scheduler().runUntil(2 * sim::kSecond);

        v1::Snapshot onHeap;
        t.buildSnapshot(onHeap);
        QCOMPARE(telemetry::arenaBytes(onHeap), std::size_t{0});
        std::weak_ptr<v1::Snapshot> gone;
        {
            std::shared_ptr<v1::Snapshot> onArena = telemetry::newArenaSnapshot(1 << 16);
            QVERIFY(onArena->GetArena() != nullptr);
            t.buildSnapshot(*onArena);
            QVERIFY(telemetry::arenaBytes(*onArena) >= std::size_t{1} << 16);
            QCOMPARE(onArena->components(0).state(1).value(), probe.mode);
            QCOMPARE(onArena->SerializeAsString(), onHeap.SerializeAsString());
            // A copy (what a subscriber merging series defs makes) is on the heap.
            const v1::Snapshot copy(*onArena);
            QVERIFY(copy.GetArena() == nullptr);
            QCOMPARE(copy.SerializeAsString(), onHeap.SerializeAsString());
            gone = onArena;
        }
        QVERIFY(gone.expired()); // the arena went with its snapshot
    }

    // Building a snapshot observes the world without changing it.
    void buildingDoesNotPerturb()
    {
        auto run = [](bool snapshots) {
            sim::World world(config());
            Telemetry t(world);
            Probe probe;
            world.components().mustAdd("sh-a/test/probe", "probe", {}, &probe);
            auto& c = t.metrics().counter("n");
            t.start();
            const auto kind = world.kind("tick");
            for (int i = 0; i < 100; ++i)
                world.at(i * 37 * sim::kMillisecond, kind, sim::kNoComponent, [&c] { c.add(); });
            if (snapshots) {
                t.addRollupListener([&t](sim::Nanos, const std::vector<telemetry::Sample>&) {
                    v1::Snapshot s;
                    t.buildSnapshot(s);
                });
            }
            world.scheduler().runUntil(4 * sim::kSecond);
            return std::make_pair(world.traceHash(), world.stateDigest());
        };
        QVERIFY(run(false) == run(true));
    }
};

LIVEDECK_TEST_CLASS(TstSnapshot)
#include "tst_snapshot.moc"
