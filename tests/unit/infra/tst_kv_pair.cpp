// KvPair: the per-data-centre Redis stand-in as clients see it: network round trips,
// read/write split with replica lag, failover with lost-write accounting, client errors
// under partitions and faults, per-key hooks (and the hot-key detector), replicated
// evictions, partial/full resynchronisation, overload and determinism.
#include "backend/infra/kv_pair.h"
#include "backend/resilience/hot_key_detector.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr const char* kPair = "sh-a/gifts/redis";
constexpr const char* kPrimary = "sh-a/gifts/redis/primary";
constexpr const char* kReplica = "sh-a/gifts/redis/replica";

struct Outcome {
    int calls = 0;
    KvReply reply;
    sim::Nanos at = 0;
};

struct Fixture {
    sim::World world;
    telemetry::MetricsRegistry metrics;
    std::unique_ptr<KvPair> pair;
    sim::ComponentId caller;
    sim::ComponentId remote;

    explicit Fixture(KvPairConfig config = {}, std::uint64_t seed = 1) : world(worldConfig(seed))
    {
        caller = world.components().mustAdd("sh-a/gifts/gateway", "service");
        remote = world.components().mustAdd("gz/gifts/gateway", "service");
        pair = std::make_unique<KvPair>(world, kPair, "sh-a1", config, &metrics);
    }
    static sim::WorldConfig worldConfig(std::uint64_t seed)
    {
        sim::WorldConfig c;
        c.seed = seed;
        return c;
    }

    KvPair::Callback into(Outcome& o)
    {
        return [o = &o, w = &world](const KvReply& r) {
            ++o->calls;
            o->reply = r;
            o->at = w->now();
        };
    }
    void await(const Outcome& o)
    {
        while (o.calls == 0)
            QVERIFY(world.scheduler().step());
    }
    void runFor(sim::Nanos d) { world.scheduler().runUntil(world.now() + d); }

    KvReply set(std::string_view key, std::string_view value, double weight = 1.0)
    {
        Outcome o;
        pair->set(caller, key, value, 0, weight, into(o));
        await(o);
        return o.reply;
    }
    KvReply get(std::string_view key, double weight = 1.0, sim::ComponentId from = sim::kNoComponent)
    {
        Outcome o;
        pair->get(from == sim::kNoComponent ? caller : from, key, weight, into(o));
        await(o);
        return o.reply;
    }

    std::uint64_t inject(v1::FaultKind kind, const std::string& target, const std::string& peer = {},
                         std::initializer_list<std::pair<const char*, double>> params = {})
    {
        v1::FaultSpec f;
        f.set_kind(kind);
        f.set_target(target);
        if (!peer.empty()) {
            auto* p = f.add_params();
            p->set_name("peer");
            p->set_text(peer);
        }
        for (const auto& [n, v] : params) {
            auto* p = f.add_params();
            p->set_name(n);
            p->set_value(v);
        }
        auto id = world.faults().inject(f);
        if (!id.ok())
            qFatal("inject failed: %s", std::string(id.status().message()).c_str());
        runFor(0); // activation is an event at now
        return *id;
    }
    void clear(std::uint64_t id)
    {
        QVERIFY(world.faults().clear(id).ok());
        runFor(0);
    }
};

std::vector<std::string> sortedKeys(const KvStore& s)
{
    std::vector<std::string> k = s.keysByRecency();
    std::sort(k.begin(), k.end());
    return k;
}

} // namespace

class TstKvPair : public QObject {
    Q_OBJECT

private slots:
    void roundTripAndReadWriteSplit()
    {
        Fixture f;
        const KvReply w = f.set("k", "v");
        QCOMPARE(w.status, KvStatus::Ok);
        QVERIFY(!w.fromReplica);
        // Two trips inside the data centre plus the service time.
        QVERIFY(w.latency >= 2 * sim::Topology::kIntraDcLatency);
        QVERIFY(w.latency < 2 * sim::Topology::kIntraDcLatency + 100 * sim::kMicrosecond);
        f.runFor(10 * sim::kMillisecond);

        const KvReply r = f.get("k");
        QCOMPARE(r.status, KvStatus::Ok);
        QCOMPARE(r.value, std::string("v"));
        QVERIFY(r.fromReplica);
        QCOMPARE(r.version, w.version); // the replica holds the primary's version

        // From another region the round trip crosses the 30 ms link twice.
        const KvReply far = f.get("k", 1.0, f.remote);
        QCOMPARE(far.status, KvStatus::Ok);
        QVERIFY(far.latency >= 60 * sim::kMillisecond);

        const auto* replicaHits = f.metrics.findCounter("kv.hits", kReplica);
        QVERIFY(replicaHits);
        QCOMPARE(replicaHits->total(), 2.0);
        QCOMPARE(f.metrics.findCounter("kv.writes", kPrimary)->total(), 1.0);
        QCOMPARE(f.pair->pendingCalls(), std::size_t{0});
    }

    void replicaLagVisibleToReplicaReads_data()
    {
        QTest::addColumn<bool>("split");
        QTest::addColumn<int>("lagMs");
        QTest::newRow("split, network lag only") << true << 0;
        QTest::newRow("split, replica-lag fault 200 ms") << true << 200;
        QTest::newRow("reads on the primary") << false << 200;
    }
    void replicaLagVisibleToReplicaReads()
    {
        QFETCH(bool, split);
        QFETCH(int, lagMs);
        KvPairConfig cfg;
        cfg.readFromReplica = split;
        Fixture f(cfg);
        QCOMPARE(f.set("k", "v1").status, KvStatus::Ok);
        f.runFor(10 * sim::kMillisecond);
        if (lagMs > 0)
            f.inject(v1::FAULT_REPLICA_LAG, kReplica, {}, {{"add_ms", lagMs}});
        QCOMPARE(f.set("k", "v2").status, KvStatus::Ok);

        KvReply r = f.get("k");
        QCOMPARE(r.fromReplica, split);
        QCOMPARE(r.value, std::string(split ? "v1" : "v2")); // the write has not reached the replica yet
        if (split) {
            const auto* lag = f.metrics.findGauge("kv.replication_lag_ops", kPair);
            QVERIFY(lag);
            QCOMPARE(lag->value(), 1.0);
        }
        if (lagMs > 0) {
            f.runFor(sim::fromMillis(lagMs / 2));
            QCOMPARE(f.get("k").value, std::string(split ? "v1" : "v2"));
        }
        f.runFor(sim::fromMillis(lagMs + 5));
        r = f.get("k");
        QCOMPARE(r.value, std::string("v2"));
        QCOMPARE(f.pair->replicaOffset(), f.pair->primaryOffset());
    }

    void failoverPromotesReplicaAndCountsLostWrites()
    {
        Fixture f;
        const KvPairConfig& cfg = f.pair->config();
        for (int i = 0; i < 5; ++i)
            QCOMPARE(f.set(sim::strCat("a", i), "x").status, KvStatus::Ok);
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(f.pair->replicaOffset(), std::uint64_t{5});

        // The replica is cut off: the primary keeps acknowledging writes it cannot ship.
        f.inject(v1::FAULT_PARTITION, kPrimary, kReplica);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(f.set(sim::strCat("b", i), "y", 2.0).status, KvStatus::Ok);
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(f.pair->replicaOffset(), std::uint64_t{5});
        QCOMPARE(f.pair->replicationState(), ReplicationState::Disconnected);

        f.inject(v1::FAULT_DOWN, kPrimary);
        const sim::Nanos downAt = f.world.now();
        // During detection reads still reach the replica; writes are refused.
        QCOMPARE(f.get("a1").status, KvStatus::Ok);
        const KvReply refused = f.set("c", "z");
        QCOMPARE(refused.status, KvStatus::Unavailable);
        QCOMPARE(refused.latency, 2 * sim::Topology::kIntraDcLatency);
        QCOMPARE(f.pair->failovers(), std::uint64_t{0});

        f.runFor(cfg.downAfter + cfg.sentinelPingInterval);
        QCOMPARE(f.pair->failovers(), std::uint64_t{1});
        QCOMPARE(f.pair->primaryIndex(), 1);
        QCOMPARE(f.pair->lostWrites(), std::uint64_t{3});
        QCOMPARE(f.pair->lostWeight(), 6.0);
        QCOMPARE(f.metrics.findCounter("kv.lost_writes", kPair)->total(), 6.0);
        QCOMPARE(f.world.events().count("kv.failover"), std::uint64_t{1});
        const auto& recent = f.world.events().recent();
        const auto ev = std::find_if(recent.begin(), recent.end(),
                                     [](const v1::Event& e) { return e.kind() == "kv.failover"; });
        QVERIFY(ev != recent.end());
        // downAfter counts from the last answered ping, which came at most one interval before.
        QVERIFY(ev->sim_time_ns() >= downAt + cfg.downAfter - cfg.sentinelPingInterval);
        QVERIFY(ev->sim_time_ns() <= downAt + cfg.downAfter + cfg.sentinelPingInterval);
        QCOMPARE(ev->component(), std::string(kPair));

        // The promoted replica serves: the unreplicated writes are gone.
        QCOMPARE(f.get("b0").status, KvStatus::NotFound);
        QCOMPARE(f.get("a4").status, KvStatus::Ok);
        const KvReply w = f.set("c", "z");
        QCOMPARE(w.status, KvStatus::Ok);
        QCOMPARE(f.pair->node(1).role(), KvRole::Primary);
        KvReply probe;
        QCOMPARE(f.pair->node(1).store().exists("c", probe), KvStatus::Ok);
        // While the old primary is down, reads go to the new primary.
        QVERIFY(!f.pair->replicaReadable());
        QVERIFY(!f.get("c").fromReplica);
    }

    void deposedPrimaryRejoinsAsReplica()
    {
        Fixture f;
        for (int i = 0; i < 4; ++i)
            f.set(sim::strCat("a", i), "x");
        const std::uint64_t cut = f.inject(v1::FAULT_PARTITION, kPrimary, kReplica);
        f.set("lost", "y");
        const std::uint64_t down = f.inject(v1::FAULT_DOWN, kPrimary);
        f.runFor(f.pair->config().downAfter + f.pair->config().sentinelPingInterval);
        QCOMPARE(f.pair->failovers(), std::uint64_t{1});
        f.set("after", "z");

        f.clear(down);
        f.clear(cut);
        f.runFor(3 * sim::kSecond);
        QCOMPARE(f.world.events().count("kv.demote"), std::uint64_t{1});
        QCOMPARE(f.pair->node(0).role(), KvRole::Replica);
        QCOMPARE(f.pair->fullResyncs(), std::uint64_t{1});
        QCOMPARE(f.pair->replicationState(), ReplicationState::Streaming);
        QVERIFY(f.pair->replicaReadable());
        KvReply r;
        KvStore& old = f.pair->node(0).store();
        QCOMPARE(old.exists("lost", r), KvStatus::NotFound); // wiped by the resync
        QCOMPARE(old.exists("after", r), KvStatus::Ok);
        QCOMPARE(sortedKeys(old), sortedKeys(f.pair->node(1).store()));
        // And it follows new writes again.
        f.set("later", "w");
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(old.exists("later", r), KvStatus::Ok);
    }

    void clientErrors_data()
    {
        QTest::addColumn<int>("fault");
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("peer");
        QTest::addColumn<bool>("oneWay");
        QTest::addColumn<int>("expected");
        QTest::addColumn<qint64>("latencyNs");
        QTest::addColumn<bool>("applied");
        QTest::newRow("partition caller-pair: timeout")
            << int(v1::FAULT_PARTITION) << QStringLiteral("sh-a/gifts/gateway") << QString::fromLatin1(kPair)
            << false << int(KvStatus::Timeout) << qint64(250 * sim::kMillisecond) << false;
        QTest::newRow("answer lost: timeout, write applied")
            << int(v1::FAULT_PARTITION) << QString::fromLatin1(kPrimary) << QStringLiteral("sh-a/gifts/gateway")
            << true << int(KvStatus::Timeout) << qint64(250 * sim::kMillisecond) << true;
        QTest::newRow("pair down: refused after a round trip")
            << int(v1::FAULT_DOWN) << QString::fromLatin1(kPair) << QString() << false
            << int(KvStatus::Unavailable) << qint64(2 * sim::Topology::kIntraDcLatency) << false;
        QTest::newRow("error rate 1") << int(v1::FAULT_ERROR_RATE) << QString::fromLatin1(kPrimary) << QString()
                                      << false << int(KvStatus::Error) << qint64(-1) << true;
    }
    void clientErrors()
    {
        QFETCH(int, fault);
        QFETCH(QString, target);
        QFETCH(QString, peer);
        QFETCH(bool, oneWay);
        QFETCH(int, expected);
        QFETCH(qint64, latencyNs);
        QFETCH(bool, applied);
        Fixture f;
        v1::FaultSpec spec;
        spec.set_kind(static_cast<v1::FaultKind>(fault));
        spec.set_target(target.toStdString());
        if (!peer.isEmpty()) {
            auto* p = spec.add_params();
            p->set_name("peer");
            p->set_text(peer.toStdString());
        }
        if (oneWay) {
            auto* p = spec.add_params();
            p->set_name("one_way");
            p->set_value(1);
        }
        if (fault == v1::FAULT_ERROR_RATE) {
            auto* p = spec.add_params();
            p->set_name("rate");
            p->set_value(1.0);
        }
        QVERIFY(f.world.faults().inject(spec).ok());
        f.runFor(0);
        const KvReply r = f.set("k", "v");
        QCOMPARE(int(r.status), expected);
        if (latencyNs >= 0)
            QCOMPARE(r.latency, sim::Nanos(latencyNs));
        KvReply probe;
        QCOMPARE(f.pair->primary().store().exists("k", probe) == KvStatus::Ok, applied);
        if (expected == int(KvStatus::Timeout))
            QCOMPARE(f.metrics.findCounter("kv.timeouts", kPair)->total(), 1.0);
        // Every call slot is recycled once its pipeline is over.
        f.runFor(sim::kSecond);
        QCOMPARE(f.pair->pendingCalls(), std::size_t{0});
    }

    void replicaDownMovesReadsToPrimary()
    {
        Fixture f;
        f.set("k", "v");
        f.runFor(10 * sim::kMillisecond);
        f.inject(v1::FAULT_DOWN, kReplica);
        // Until the sentinel marks it down, reads routed to it are refused.
        KvReply r = f.get("k");
        QCOMPARE(r.status, KvStatus::Unavailable);
        QVERIFY(r.fromReplica);
        f.runFor(f.pair->config().downAfter + f.pair->config().sentinelPingInterval);
        QVERIFY(!f.pair->nodeUp(1));
        r = f.get("k");
        QCOMPARE(r.status, KvStatus::Ok);
        QVERIFY(!r.fromReplica);
        QCOMPARE(f.pair->failovers(), std::uint64_t{0});
    }

    void keyHookCountsWeights()
    {
        Fixture f;
        std::map<std::string, std::pair<double, double>> seen; // key → (ok weight, other weight)
        f.pair->setKeyObserver([&](std::string_view key, double weight, bool hit) {
            auto& s = seen[std::string(key)];
            (hit ? s.first : s.second) += weight;
        });
        f.set("k", "v", 3.0);
        f.runFor(10 * sim::kMillisecond);
        f.get("k", 5.0);
        f.get("k", 0.5);
        f.get("missing", 7.0);
        Outcome o;
        f.pair->hget(f.caller, "k", "f", 2.0, f.into(o)); // wrong type: not a hit
        f.await(o);
        QCOMPARE(o.reply.status, KvStatus::WrongType);
        QCOMPARE(seen.size(), std::size_t{2});
        QCOMPARE(seen["k"].first, 8.5);
        QCOMPARE(seen["k"].second, 2.0);
        QCOMPARE(seen["missing"].first, 0.0);
        QCOMPARE(seen["missing"].second, 7.0);
        QCOMPARE(f.metrics.findCounter("kv.hits", kReplica)->total(), 5.5);
        QCOMPARE(f.metrics.findCounter("kv.misses", kReplica)->total(), 7.0);
    }

    void hotKeyDetectorSeesWeightedAccesses()
    {
        Fixture f;
        resilience::HotKeyDetector detector(f.world.clock());
        f.pair->attachHotKeyDetector(&detector);
        f.set("room:hot", "panel");
        f.runFor(10 * sim::kMillisecond);
        int outstanding = 0;
        auto done = [&outstanding](const KvReply&) { --outstanding; };
        for (int i = 0; i < 2'000; ++i) {
            ++outstanding;
            f.pair->get(f.caller, "room:hot", 20.0, done);
            ++outstanding;
            f.pair->get(f.caller, sim::strCat("room:", i), 1.0, done);
            f.runFor(sim::kMillisecond);
        }
        f.runFor(sim::kSecond);
        QCOMPARE(outstanding, 0);
        QVERIFY(detector.isHot(resilience::HotKeyDetector::keyOf("room:hot")));
        QVERIFY(!detector.isHot(resilience::HotKeyDetector::keyOf("room:7")));
        // 20 000 real requests/s for 2 s, seen through a 5 s half-life decay.
        QVERIFY(detector.ratePerSec(resilience::HotKeyDetector::keyOf("room:hot")) > 2'000.0);
        QVERIFY(detector.ratePerSec(resilience::HotKeyDetector::keyOf("room:7")) < 10.0);
    }

    void evictionsReplicateAsDeletes()
    {
        KvPairConfig cfg;
        cfg.node.store.maxMemoryBytes = 8192;
        Fixture f(cfg);
        for (int i = 0; i < 300; ++i)
            QCOMPARE(f.set(sim::strCat("key:", i), std::string(40, 'v')).status, KvStatus::Ok);
        f.runFor(20 * sim::kMillisecond);
        KvStore& p = f.pair->primary().store();
        KvStore& r = f.pair->replica().store();
        QVERIFY(p.evictions() > 100);
        QVERIFY(p.memoryBytes() <= 8192);
        QCOMPARE(r.evictions(), std::uint64_t{0}); // the replica ignores maxmemory...
        QCOMPARE(sortedKeys(r), sortedKeys(p));    // ...and follows the primary's DELs
        QCOMPARE(r.memoryBytes(), p.memoryBytes());
        QVERIFY(f.metrics.findCounter("kv.evictions", kPrimary)->total() > 100.0);
        QCOMPARE(f.metrics.findGauge("kv.memory_bytes", kPrimary)->value(), double(p.memoryBytes()));
    }

    void resyncAfterDisconnect_data()
    {
        QTest::addColumn<int>("writes");
        QTest::addColumn<int>("partial");
        QTest::addColumn<int>("full");
        QTest::newRow("backlog holds the gap: partial") << 10 << 1 << 0;
        QTest::newRow("backlog overflowed: full") << 400 << 0 << 1;
    }
    void resyncAfterDisconnect()
    {
        QFETCH(int, writes);
        QFETCH(int, partial);
        QFETCH(int, full);
        KvPairConfig cfg;
        cfg.backlogBytes = 8192;
        Fixture f(cfg);
        f.set("before", "x");
        f.runFor(10 * sim::kMillisecond);
        const std::uint64_t cut = f.inject(v1::FAULT_PARTITION, kPrimary, kReplica);
        for (int i = 0; i < writes; ++i)
            QCOMPARE(f.set(sim::strCat("k", i), "0123456789").status, KvStatus::Ok);
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(f.pair->replicationState(), ReplicationState::Disconnected);
        f.clear(cut);
        f.runFor(2 * sim::kSecond);
        QCOMPARE(f.pair->partialResyncs(), std::uint64_t(partial));
        QCOMPARE(f.pair->fullResyncs(), std::uint64_t(full));
        QCOMPARE(f.world.events().count("kv.resync"), std::uint64_t(full));
        QCOMPARE(f.pair->replicationState(), ReplicationState::Streaming);
        QCOMPARE(f.pair->replicaOffset(), f.pair->primaryOffset());
        QCOMPARE(sortedKeys(f.pair->replica().store()), sortedKeys(f.pair->primary().store()));
        QCOMPARE(f.pair->replica().store().version("k3"), f.pair->primary().store().version("k3"));
    }

    void overloadQueuesThenRejects()
    {
        KvPairConfig cfg;
        cfg.node.service.concurrency = 4;
        cfg.node.service.maxQueue = 8;
        cfg.node.service.noiseSigma = 0.0;
        cfg.node.cost.base = sim::kMillisecond;
        Fixture f(cfg);
        f.set("k", "v");
        f.runFor(10 * sim::kMillisecond);
        std::vector<Outcome> outs(40);
        for (Outcome& o : outs)
            f.pair->get(f.caller, "k", 1.0, f.into(o));
        f.runFor(100 * sim::kMillisecond);
        int ok = 0;
        int rejected = 0;
        sim::Nanos slowest = 0;
        for (const Outcome& o : outs) {
            QCOMPARE(o.calls, 1);
            if (o.reply.status == KvStatus::Ok) {
                ++ok;
                slowest = std::max(slowest, o.reply.latency);
            } else {
                QCOMPARE(o.reply.status, KvStatus::Rejected);
                ++rejected;
            }
        }
        QCOMPARE(ok, 12);       // 4 in service + 8 queued
        QCOMPARE(rejected, 28);
        // The last queued ones waited two service times before their own.
        QVERIFY(slowest >= 3 * sim::kMillisecond);
        QCOMPARE(f.metrics.findCounter("kv.rejected", kReplica)->total(), 28.0);
    }

    void compareAndSetThroughThePair()
    {
        Fixture f;
        const KvReply first = f.set("conv", "v0");
        Outcome a;
        Outcome b;
        f.pair->compareAndSet(f.caller, "conv", first.version, "from-a", 0, 1.0, f.into(a));
        f.pair->compareAndSet(f.remote, "conv", first.version, "from-b", 0, 1.0, f.into(b));
        f.await(a);
        f.await(b);
        QCOMPARE(a.reply.status, KvStatus::Ok);               // the nearer client lands first
        QCOMPARE(b.reply.status, KvStatus::VersionConflict);  // same expected version: stale
        QCOMPARE(b.reply.version, a.reply.version);
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(f.pair->replica().store().version("conv"), a.reply.version);
        // The messaging sync's modification-time versions: a late, older record is refused.
        Outcome n1;
        Outcome n2;
        f.pair->setIfNewer(f.caller, "sync", "t20", 20, 0, 1.0, f.into(n1));
        f.await(n1);
        f.pair->setIfNewer(f.caller, "sync", "t10", 10, 0, 1.0, f.into(n2));
        f.await(n2);
        QCOMPARE(n1.reply.status, KvStatus::Ok);
        QCOMPARE(n2.reply.status, KvStatus::VersionConflict);
        f.runFor(10 * sim::kMillisecond);
        const KvReply r = f.get("sync");
        QCOMPARE(r.value, std::string("t20"));
        QCOMPARE(r.version, std::uint64_t{20});
    }

    void hsetIfNewerThroughThePairReplicates()
    {
        Fixture f;
        // Binlog records of two conversations of one user, with a duplicate and a late one.
        const struct {
            const char* field;
            const char* value;
            std::uint64_t version;
            KvStatus expect;
        } records[] = {
            {"peer:2", "a", 10, KvStatus::Ok},
            {"peer:3", "x", 7, KvStatus::Ok},
            {"peer:2", "b", 11, KvStatus::Ok},
            {"peer:2", "b", 11, KvStatus::VersionConflict}, // redelivered
            {"peer:2", "a", 10, KvStatus::VersionConflict}, // late
        };
        for (const auto& rec : records) {
            Outcome o;
            f.pair->hsetIfNewer(f.caller, "convs:1", rec.field, rec.value, rec.version, 1.0, f.into(o));
            f.await(o);
            QCOMPARE(o.reply.status, rec.expect);
        }
        f.runFor(10 * sim::kMillisecond);
        for (KvNode* node : {&f.pair->primary(), &f.pair->replica()}) {
            KvReply r;
            node->store().hget("convs:1", "peer:2", r);
            QCOMPARE(r.value, std::string("b"));
            QCOMPARE(node->store().fieldStamp("convs:1", "peer:2"), std::uint64_t{11});
            QCOMPARE(node->store().fieldStamp("convs:1", "peer:3"), std::uint64_t{7});
        }
        QCOMPARE(f.pair->replica().store().version("convs:1"), f.pair->primary().store().version("convs:1"));
    }

    void ttlThroughReplicationExpiresTogether()
    {
        Fixture f;
        Outcome o;
        f.pair->set(f.caller, "session", "s", 2 * sim::kSecond, 1.0, f.into(o));
        f.await(o);
        f.runFor(10 * sim::kMillisecond);
        KvReply r;
        QCOMPARE(f.pair->replica().store().ttl("session", r), KvStatus::Ok);
        const sim::Nanos replicaTtl = r.integer;
        QCOMPARE(f.pair->primary().store().ttl("session", r), KvStatus::Ok);
        QCOMPARE(replicaTtl, r.integer); // the same absolute deadline on both
        f.runFor(2 * sim::kSecond);
        QCOMPARE(f.get("session").status, KvStatus::NotFound);
    }

    void deterministicRuns()
    {
        auto run = [](std::uint64_t seed) {
            Fixture f(KvPairConfig{}, seed);
            sim::RandomStream rng(99);
            int outstanding = 0;
            auto done = [&outstanding](const KvReply&) { --outstanding; };
            for (int i = 0; i < 400; ++i) {
                const std::string key = sim::strCat("k", rng.uniformInt(50));
                ++outstanding;
                if (rng.bernoulli(0.3))
                    f.pair->incrBy(f.caller, key, 1, 1.0 + static_cast<double>(rng.uniformInt(5)), done);
                else
                    f.pair->get(f.caller, key, 1.0, done);
                f.runFor(static_cast<sim::Nanos>(rng.uniformInt(200'000)));
                if (i == 200) {
                    f.inject(v1::FAULT_PARTITION, kPrimary, kReplica);
                    f.inject(v1::FAULT_DOWN, kPrimary);
                }
            }
            f.runFor(10 * sim::kSecond);
            return std::make_tuple(f.world.traceHash(), f.pair->lostWrites(), f.pair->lostWeight(),
                                   f.pair->failovers(), outstanding);
        };
        const auto a = run(3);
        QCOMPARE(std::get<3>(a), std::uint64_t{1});
        QCOMPARE(std::get<4>(a), 0);
        QVERIFY(std::get<1>(a) > 0);
        QVERIFY(a == run(3));
        QVERIFY(std::get<0>(a) != std::get<0>(run(4)));
    }
};

LIVEDECK_TEST_CLASS(TstKvPair)
#include "tst_kv_pair.moc"
