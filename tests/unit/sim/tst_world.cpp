#include "backend/sim/paced_driver.h"
#include "backend/sim/synthetic_workload.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <QProcess>

using namespace livedeck;
using namespace livedeck::sim;

namespace {

struct RunResult {
    std::uint64_t trace;
    std::uint64_t digest;
    std::uint64_t events;
};

RunResult runSynthetic(std::uint64_t seed, Nanos until)
{
    WorldConfig cfg;
    cfg.seed = seed;
    World w(std::move(cfg));
    SyntheticWorkload load(w);
    load.start();
    w.scheduler().runUntil(until);
    return {w.traceHash(), w.stateDigest(), w.scheduler().executed()};
}

RunResult runChild(std::uint64_t seed)
{
    QProcess p;
    p.start(QStringLiteral(LIVEDECK_SYNTHETIC_TRACE),
            {QStringLiteral("--seed"), QString::number(seed), QStringLiteral("--events"), QStringLiteral("1000000")});
    if (!p.waitForFinished(120000) || p.exitCode() != 0)
        return {0, 0, 0};
    // "trace_hash=<hex> state_digest=<hex> events=<n>"
    const QString out = QString::fromUtf8(p.readAllStandardOutput()).trimmed();
    RunResult r{0, 0, 0};
    for (const QString& part : out.split(QLatin1Char(' '))) {
        const auto kv = part.split(QLatin1Char('='));
        if (kv.size() != 2)
            continue;
        if (kv[0] == QLatin1String("trace_hash"))
            r.trace = kv[1].toULongLong(nullptr, 16);
        else if (kv[0] == QLatin1String("state_digest"))
            r.digest = kv[1].toULongLong(nullptr, 16);
        else if (kv[0] == QLatin1String("events"))
            r.events = kv[1].toULongLong();
    }
    return r;
}

} // namespace

class TstWorld : public QObject {
    Q_OBJECT
private slots:
    void regionsAreComponents()
    {
        World w;
        QVERIFY(w.components().find("sh-a"));
        QVERIFY(w.components().find("gz"));
        QCOMPARE(w.components().find("sh-b")->kind, std::string("region"));
    }

    void componentRegistration()
    {
        World w;
        auto id = w.components().add("sh-b/gifts/order-db/3", "sql-shard");
        QVERIFY(id.ok());
        const ComponentInfo& c = w.components().get(*id);
        QCOMPARE(c.engine, std::string("gifts"));
        QCOMPARE(w.topology().regions()[static_cast<std::size_t>(c.region)].name, std::string("sh-b"));
        QVERIFY(!w.components().add("sh-b/gifts/order-db/3", "sql-shard").ok()); // duplicate
        QVERIFY(!w.components().add("bad//path", "x").ok());
        QVERIFY(!w.components().add("sh-a/x", "x", "nowhere").ok());
        QCOMPARE(w.components().matching("*/gifts").size(), std::size_t{1});
    }

    void commandsAreRecordedAtTheirPoint()
    {
        World w;
        w.components().mustAdd("sh-a/x", "svc");
        int ticks = 0;
        for (int i = 1; i <= 10; ++i)
            w.at(i * kMillisecond, w.kind("tick"), kNoComponent, [&] { ++ticks; });
        w.scheduler().runUntil(3 * kMillisecond);
        v1::Command c;
        c.set_issuer("test");
        auto* f = c.mutable_inject_fault()->mutable_fault();
        f->set_kind(v1::FAULT_DOWN);
        f->set_target("sh-a/x");
        QVERIFY(w.apply(c).ok());
        v1::Command bad;
        bad.mutable_set_load()->set_engine("gifts");
        QVERIFY(!w.apply(bad).ok()); // nobody handles load yet
        v1::Command pacing;
        pacing.mutable_pause();
        QCOMPARE(w.apply(pacing).code(), absl::StatusCode::kInvalidArgument);
        QCOMPARE(w.commandLog().size(), std::size_t{2});
        QCOMPARE(w.commandLog()[0].sim_time_ns(), 3 * kMillisecond);
        QCOMPARE(w.commandLog()[0].after_event(), std::uint64_t{3});
        QCOMPARE(w.commandLog()[0].result(), std::string("ok"));
        QVERIFY(w.commandLog()[1].result() != "ok");
        QCOMPARE(w.faults().all().front().origin, std::string("test"));
    }

    void commandHandlersReceiveTheirCommands()
    {
        World w;
        double seen = 0;
        w.setCommandHandler(v1::Command::kSetLoad, [&](const v1::Command& c) {
            seen = c.set_load().multiplier();
            return absl::OkStatus();
        });
        v1::Command c;
        c.mutable_set_load()->set_multiplier(2.5);
        QVERIFY(w.apply(c).ok());
        QCOMPARE(seen, 2.5);
    }

    void kindsAreInterned()
    {
        World w;
        const EventKindId a = w.kind("gifts.order.place");
        QCOMPARE(w.kind("gifts.order.place"), a);
        QVERIFY(w.kind("gifts.order.pay") != a);
        QCOMPARE(w.kindName(a), std::string("gifts.order.place"));
    }

    void sameSeedSameTraceInProcess()
    {
        const RunResult a = runSynthetic(11, 300 * kMillisecond);
        const RunResult b = runSynthetic(11, 300 * kMillisecond);
        const RunResult c = runSynthetic(12, 300 * kMillisecond);
        QVERIFY(a.events > 1000);
        QCOMPARE(a.trace, b.trace);
        QCOMPARE(a.digest, b.digest);
        QVERIFY(a.trace != c.trace);
    }

    void traceCoversEventContent()
    {
        // Same events and times but different mixed-in content → different hash.
        World a, b;
        a.at(5, a.kind("k"), kNoComponent, [&] { a.trace().mix(1); });
        b.at(5, b.kind("k"), kNoComponent, [&] { b.trace().mix(2); });
        a.scheduler().runUntil(10);
        b.scheduler().runUntil(10);
        QVERIFY(a.traceHash() != b.traceHash());
    }

    void determinismAcrossProcesses()
    {
        // >= 1 000 000 events with random faults, in two separate processes.
        const RunResult a = runChild(2026);
        const RunResult b = runChild(2026);
        const RunResult c = runChild(2027);
        QVERIFY(a.events >= 1'000'000);
        QVERIFY(a.trace != 0);
        QCOMPARE(a.trace, b.trace);
        QCOMPARE(a.digest, b.digest);
        QCOMPARE(a.events, b.events);
        QVERIFY(a.trace != c.trace);
    }

    void pacedDriverFollowsTheSuppliedWallClock()
    {
        Scheduler s;
        int ticks = 0;
        // an event every 10 ms of simulated time, forever
        struct Tick {
            Scheduler* s;
            int* n;
            void operator()() const
            {
                ++*n;
                s->scheduleAfter(10 * kMillisecond, 1, 0, Tick{s, n});
            }
        };
        s.scheduleAt(0, 1, 0, Tick{&s, &ticks});
        PacedDriver d(s);
        Nanos wall = 1'000 * kSecond; // arbitrary wall origin
        QVERIFY(d.paused());
        QCOMPARE(d.advance(wall, 1000), std::uint64_t{0});
        d.setSpeed(10.0, wall);
        d.resume(wall);
        wall += kSecond;
        d.advance(wall, 1'000'000);
        QCOMPARE(s.now(), 10 * kSecond); // ×10: one wall second = ten simulated seconds
        QCOMPARE(ticks, 1001);
        d.setSpeed(0.5, wall);
        wall += 2 * kSecond;
        d.advance(wall, 1'000'000);
        QCOMPARE(s.now(), 11 * kSecond);
        d.pause();
        wall += 10 * kSecond;
        QCOMPARE(d.advance(wall, 1000), std::uint64_t{0});
        QCOMPARE(s.now(), 11 * kSecond);
        d.setSpeed(0.0, wall); // max: bounded by the event budget only
        d.resume(wall);
        QCOMPARE(d.advance(wall, 500), std::uint64_t{500});
        QVERIFY(s.now() > 11 * kSecond);
    }
};

LIVEDECK_TEST_CLASS(TstWorld)
#include "tst_world.moc"
