// ServiceDiscovery: local-region preference, Envoy-style priority failover with the
// 1.4 overprovisioning factor, panic threshold, outlier ejection and return, the
// cross-region mode, data-centre scope, and deterministic picks.
#include "backend/infra/discovery.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <cmath>
#include <map>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

struct Fixture {
    sim::World world;
    telemetry::MetricsRegistry metrics;
    ServiceDiscovery discovery;
    sim::ComponentId caller;
    std::vector<InstanceId> shA, shB, gz;

    explicit Fixture(DiscoveryConfig config = {}, int nA = 4, int nB = 4, int nGz = 2)
        : discovery(world, "gifts/discovery", config, &metrics)
    {
        caller = world.components().mustAdd("sh-a/gifts/gateway", "service");
        add("sh-a", nA, shA);
        add("sh-b", nB, shB);
        add("gz", nGz, gz);
    }
    void add(const char* region, int n, std::vector<InstanceId>& out)
    {
        for (int i = 0; i < n; ++i) {
            const std::string path = sim::strCat(region, "/gifts/order/", i);
            const sim::ComponentId c = world.components().mustAdd(path, "service");
            auto id = discovery.registerInstance("order", sim::strCat(region, "-", i), c);
            QVERIFY(id.ok());
            out.push_back(*id);
        }
    }
    std::uint64_t down(const std::string& target)
    {
        v1::FaultSpec f;
        f.set_kind(v1::FAULT_DOWN);
        f.set_target(target);
        auto id = world.faults().inject(f);
        if (!id.ok())
            qFatal("inject: %s", std::string(id.status().message()).c_str());
        world.scheduler().runUntil(world.now());
        return *id;
    }
    std::string regionOf(const PickResult& r) const
    {
        return world.topology().regions()[static_cast<std::size_t>(r.instance->region)].name;
    }
    // Region → picks out of n.
    std::map<std::string, int> spread(int n, int* panics = nullptr, std::map<InstanceId, int>* byInstance = nullptr)
    {
        std::map<std::string, int> out;
        for (int i = 0; i < n; ++i) {
            const PickResult r = discovery.pick("order", caller);
            if (!r)
                continue;
            ++out[regionOf(r)];
            if (panics && r.panic)
                ++*panics;
            if (byInstance)
                ++(*byInstance)[r.instance->id];
        }
        return out;
    }
};

} // namespace

class TstDiscovery : public QObject {
    Q_OBJECT

private slots:
    void prefersCallersRegion()
    {
        Fixture f;
        const auto loads = f.discovery.loads("order", f.caller);
        QCOMPARE(loads.levels, 2);
        QCOMPARE(loads.load[0], 100);
        QCOMPARE(loads.load[1], 0);
        std::map<InstanceId, int> byInstance;
        const auto s = f.spread(2'000, nullptr, &byInstance);
        QCOMPARE(s.size(), std::size_t{1});
        QCOMPARE(s.at("sh-a"), 2'000);
        // Spread evenly over the four local instances (equal weights).
        QCOMPARE(byInstance.size(), std::size_t{4});
        for (const auto& [id, n] : byInstance)
            QVERIFY2(n > 400 && n < 600, qPrintable(QString::number(n)));
        QCOMPARE(f.metrics.findCounter("discovery.picks_local", "gifts/discovery", "service=order")->total(), 2'000.0);
        // A caller in gz prefers gz.
        const sim::ComponentId gzCaller = f.world.components().mustAdd("gz/gifts/gateway", "service");
        for (int i = 0; i < 50; ++i)
            QCOMPARE(f.regionOf(f.discovery.pick("order", gzCaller)), std::string("gz"));
    }

    void failsOverBelowTheLocalHealthyShare_data()
    {
        QTest::addColumn<int>("downLocal");
        QTest::addColumn<int>("localLoad");
        // Envoy's table: health = min(100, 140 × healthy / total).
        QTest::newRow("4/4 healthy") << 0 << 100;
        QTest::newRow("3/4 healthy: 105 → still 100") << 1 << 100;
        QTest::newRow("2/4 healthy: 70") << 2 << 70;
        QTest::newRow("1/4 healthy: 35") << 3 << 35;
        QTest::newRow("0/4 healthy") << 4 << 0;
    }
    void failsOverBelowTheLocalHealthyShare()
    {
        QFETCH(int, downLocal);
        QFETCH(int, localLoad);
        Fixture f;
        for (int i = 0; i < downLocal; ++i)
            f.down(sim::strCat("sh-a/gifts/order/", i));
        const auto loads = f.discovery.loads("order", f.caller);
        QCOMPARE(loads.load[0], localLoad);
        QCOMPARE(loads.load[1], 100 - localLoad);
        QVERIFY(!loads.panic[0]); // the total is 100: Envoy ignores panic thresholds
        int panics = 0;
        const int n = 4'000;
        auto s = f.spread(n, &panics);
        QCOMPARE(panics, 0);
        const double localShare = s["sh-a"] / double(n);
        QVERIFY2(std::abs(localShare - localLoad / 100.0) < 0.03, qPrintable(QString::number(localShare)));
        // Spill-over goes to the remote level's healthy instances (sh-b and gz alike).
        if (localLoad < 100)
            QVERIFY(s["sh-b"] > 0 && s["gz"] > 0);
        // No pick lands on a down instance.
        for (int i = 0; i < 500; ++i) {
            const PickResult r = f.discovery.pick("order", f.caller);
            QVERIFY(f.discovery.healthy(r.instance->id));
        }
    }

    void panicIgnoresHealth()
    {
        // 1 of 4 local instances available (25 % < 50 %) and nothing elsewhere: the
        // normalised total is 35 < 100, so the local level is in panic.
        Fixture f(DiscoveryConfig{}, 4, 0, 2);
        for (int i = 1; i < 4; ++i)
            f.down(sim::strCat("sh-a/gifts/order/", i));
        f.down("gz");
        const auto loads = f.discovery.loads("order", f.caller);
        QCOMPARE(loads.health[0], 35);
        QCOMPARE(loads.health[1], 0);
        QCOMPARE(loads.load[0], 100);
        QVERIFY(loads.panic[0]);
        QVERIFY(loads.panic[1]);
        int panics = 0;
        std::map<InstanceId, int> byInstance;
        f.spread(4'000, &panics, &byInstance);
        QCOMPARE(panics, 4'000);
        // Health ignored: every local instance, down or not, gets about a quarter.
        QCOMPARE(byInstance.size(), std::size_t{4});
        for (const auto& [id, n] : byInstance)
            QVERIFY2(n > 850 && n < 1150, qPrintable(QString::number(n)));
        QCOMPARE(f.metrics.findCounter("discovery.picks_panic", "gifts/discovery", "service=order")->total(), 4'000.0);
    }

    void noPanicWhileOtherLevelsCover()
    {
        // Same local damage, but sh-b is healthy: total health 135 → 100, no panic.
        Fixture f(DiscoveryConfig{}, 4, 4, 0);
        for (int i = 1; i < 4; ++i)
            f.down(sim::strCat("sh-a/gifts/order/", i));
        const auto loads = f.discovery.loads("order", f.caller);
        QVERIFY(!loads.panic[0]);
        QCOMPARE(loads.load[0], 35);
        QCOMPARE(loads.load[1], 65);
        int panics = 0;
        std::map<InstanceId, int> byInstance;
        f.spread(2'000, &panics, &byInstance);
        QCOMPARE(panics, 0);
        for (int i = 1; i < 4; ++i)
            QCOMPARE(byInstance.count(f.shA[static_cast<std::size_t>(i)]), std::size_t{0});
    }

    void regionDownFailsOverWholly()
    {
        Fixture f;
        const std::uint64_t fault = f.down("sh-a");
        auto s = f.spread(1'000);
        QCOMPARE(s.count("sh-a"), std::size_t{0});
        QCOMPARE(s["sh-b"] + s["gz"], 1'000);
        QVERIFY(f.world.faults().clear(fault).ok());
        f.world.scheduler().runUntil(f.world.now());
        s = f.spread(200);
        QCOMPARE(s["sh-a"], 200);
    }

    void outlierEjectionAndReturn()
    {
        Fixture f(DiscoveryConfig{}, 10, 0, 0);
        const DiscoveryConfig& cfg = f.discovery.config();
        const InstanceId bad = f.shA[0];
        for (int i = 0; i < cfg.consecutiveErrors - 1; ++i)
            f.discovery.reportResult(bad, false);
        f.discovery.reportResult(bad, true); // a success resets the run
        for (int i = 0; i < cfg.consecutiveErrors - 1; ++i)
            f.discovery.reportResult(bad, false);
        QVERIFY(f.discovery.available(bad));
        f.discovery.reportResult(bad, false);
        QVERIFY(!f.discovery.available(bad));
        QVERIFY(f.discovery.healthy(bad)); // ejected, not unhealthy
        QCOMPARE(f.world.events().count("discovery.eject"), std::uint64_t{1});
        const sim::Nanos ejectedAt = f.world.now();
        for (int i = 0; i < 500; ++i)
            QVERIFY(f.discovery.pick("order", f.caller).instance->id != bad);

        // 10 % of 10 instances: a second one may not be ejected meanwhile.
        const InstanceId other = f.shA[1];
        for (int i = 0; i < cfg.consecutiveErrors * 2; ++i)
            f.discovery.reportResult(other, false);
        QVERIFY(f.discovery.available(other));

        // Back exactly after the base ejection time.
        f.world.scheduler().runUntil(ejectedAt + cfg.baseEjectionTime - 1);
        QVERIFY(!f.discovery.available(bad));
        f.world.scheduler().runUntil(ejectedAt + cfg.baseEjectionTime);
        QVERIFY(f.discovery.available(bad));
        QCOMPARE(f.world.events().count("discovery.return"), std::uint64_t{1});

        // Ejected again at once: twice as long (the count has not decayed).
        for (int i = 0; i < cfg.consecutiveErrors; ++i)
            f.discovery.reportResult(bad, false);
        QCOMPARE(f.discovery.instance(bad).ejectedUntil - f.world.now(), 2 * cfg.baseEjectionTime);
        f.world.scheduler().runUntil(f.world.now() + 2 * cfg.baseEjectionTime);
        QVERIFY(f.discovery.available(bad));
        // After a long healthy stretch the count has decayed: back to the base time.
        f.world.scheduler().runUntil(f.world.now() + 10 * cfg.ejectionDecayInterval);
        for (int i = 0; i < cfg.consecutiveErrors; ++i)
            f.discovery.reportResult(bad, false);
        QCOMPARE(f.discovery.instance(bad).ejectedUntil - f.world.now(), cfg.baseEjectionTime);
        QCOMPARE(f.metrics.findCounter("discovery.ejections", "gifts/discovery", "service=order")->total(), 3.0);
    }

    void ejectionTimeIsCapped()
    {
        DiscoveryConfig cfg;
        cfg.ejectionDecayInterval = 1000 * sim::kSecond; // no decay within the test
        Fixture f(cfg, 2, 0, 0);
        const InstanceId bad = f.shA[0];
        sim::Nanos last = 0;
        for (int round = 0; round < 14; ++round) {
            for (int i = 0; i < cfg.consecutiveErrors; ++i)
                f.discovery.reportResult(bad, false);
            last = f.discovery.instance(bad).ejectedUntil - f.world.now();
            f.world.scheduler().runUntil(f.discovery.instance(bad).ejectedUntil);
        }
        QCOMPARE(last, cfg.maxEjectionTime);
    }

    void crossRegionModeSpreads()
    {
        Fixture f;
        // gz instances weigh 3: shares 4 : 4 : 6.
        for (InstanceId id : f.gz)
            f.discovery.setWeight(id, 3.0);
        f.discovery.setMode(DiscoveryMode::CrossRegion);
        QCOMPARE(f.world.events().count("discovery.mode"), std::uint64_t{1});
        const int n = 7'000;
        auto s = f.spread(n);
        QVERIFY2(std::abs(s["sh-a"] / double(n) - 4.0 / 14.0) < 0.03, qPrintable(QString::number(s["sh-a"])));
        QVERIFY2(std::abs(s["sh-b"] / double(n) - 4.0 / 14.0) < 0.03, qPrintable(QString::number(s["sh-b"])));
        QVERIFY2(std::abs(s["gz"] / double(n) - 6.0 / 14.0) < 0.03, qPrintable(QString::number(s["gz"])));
        const double local = f.metrics.findCounter("discovery.picks_local", "gifts/discovery", "service=order")->total();
        const double remote = f.metrics.findCounter("discovery.picks_remote", "gifts/discovery", "service=order")->total();
        QCOMPARE(local, double(s["sh-a"]));
        QCOMPARE(remote, double(s["sh-b"] + s["gz"]));
        // Down instances are still avoided in this mode.
        f.down("sh-b");
        s = f.spread(1'000);
        QCOMPARE(s.count("sh-b"), std::size_t{0});
        // And back to local-first.
        f.discovery.setMode(DiscoveryMode::LocalFirst);
        s = f.spread(200);
        QCOMPARE(s["sh-a"], 200);
    }

    void dataCentreScopeSpillsWithinTheRegionFirst()
    {
        sim::WorldConfig wc;
        wc.topology.addDataCentre("sh-a2", "sh-a");
        sim::World world(wc);
        DiscoveryConfig cfg;
        cfg.locality = LocalityScope::DataCentre;
        ServiceDiscovery d(world, "gifts/discovery", cfg);
        const sim::ComponentId caller = world.components().mustAdd("sh-a/gifts/gateway", "service", "sh-a1");
        std::vector<InstanceId> dc1;
        for (int i = 0; i < 2; ++i) {
            dc1.push_back(*d.registerInstance("svc", sim::strCat("a1-", i),
                                              world.components().mustAdd(sim::strCat("sh-a/gifts/s1/", i), "service", "sh-a1")));
            QVERIFY(d.registerInstance("svc", sim::strCat("a2-", i),
                                       world.components().mustAdd(sim::strCat("sh-a/gifts/s2/", i), "service", "sh-a2"))
                        .ok());
            QVERIFY(d.registerInstance("svc", sim::strCat("gz-", i),
                                       world.components().mustAdd(sim::strCat("gz/gifts/s/", i), "service"))
                        .ok());
        }
        auto loads = d.loads("svc", caller);
        QCOMPARE(loads.levels, 3);
        QCOMPARE(loads.load[0], 100);
        v1::FaultSpec f;
        f.set_kind(v1::FAULT_DOWN);
        f.set_target("sh-a/gifts/s1");
        QVERIFY(world.faults().inject(f).ok());
        world.scheduler().runUntil(0);
        loads = d.loads("svc", caller);
        QCOMPARE(loads.load[0], 0);
        QCOMPARE(loads.load[1], 100); // the other data centre of the region, before gz
        QCOMPARE(loads.load[2], 0);
        for (int i = 0; i < 200; ++i) {
            const PickResult r = d.pick("svc", caller);
            QCOMPARE(r.priority, 1);
            QVERIFY(r.local);
            QCOMPARE(world.components().get(r.instance->component).dataCentre,
                     world.topology().dataCentreIndex("sh-a2"));
        }
    }

    void registryRules()
    {
        Fixture f(DiscoveryConfig{}, 2, 0, 0);
        const sim::ComponentId c = f.world.components().get(f.discovery.instance(f.shA[0]).component).id;
        QCOMPARE(f.discovery.registerInstance("order", "sh-a-0", c).status().code(), absl::StatusCode::kAlreadyExists);
        QCOMPARE(f.discovery.registerInstance("order", "x", sim::ComponentId{9999}).status().code(),
                 absl::StatusCode::kInvalidArgument);
        QVERIFY(!f.discovery.pick("unknown", f.caller));
        QVERIFY(f.discovery.deregister(f.shA[0]).ok());
        QCOMPARE(f.discovery.deregister(f.shA[0]).code(), absl::StatusCode::kNotFound);
        for (int i = 0; i < 100; ++i)
            QCOMPARE(f.discovery.pick("order", f.caller).instance->id, f.shA[1]);
        // The registry's own health flag (drain) counts like a down fault.
        f.discovery.setHealthy(f.shA[1], false);
        QVERIFY(!f.discovery.healthy(f.shA[1]));
        const PickResult r = f.discovery.pick("order", f.caller);
        QVERIFY(r.panic); // nothing available: panic picks it anyway
        sim::StateWriter w;
        f.discovery.inspect(w);
        QCOMPARE(w.entries().front().second, std::string("local-first"));
    }

    void deterministicPicks()
    {
        auto run = [](std::uint64_t seed) {
            Fixture f(DiscoveryConfig{}, 4, 4, 2);
            sim::RandomStream rng(seed);
            f.down("sh-a/gifts/order/0");
            f.down("sh-a/gifts/order/1");
            std::vector<InstanceId> picks;
            for (int i = 0; i < 300; ++i) {
                const PickResult r = f.discovery.pick("order", f.caller, rng);
                picks.push_back(r.instance->id);
                f.discovery.reportResult(r.instance->id, rng.bernoulli(0.7));
            }
            return picks;
        };
        QVERIFY(run(11) == run(11));
        QVERIFY(run(11) != run(12));
    }
};

LIVEDECK_TEST_CLASS(TstDiscovery)
#include "tst_discovery.moc"
