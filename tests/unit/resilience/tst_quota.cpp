// Quota server and client: the max-min water level, the server's grants and period
// accounting, a property test (N clients across regions, random changing demand: the
// total granted per period never exceeds the global limit and no client with demand
// starves), steady-state fair sharing, and the client's fallback policies when the
// server is down or partitioned away (lease kept until it ends, then local rate / fail
// open / fail closed, then recovery).
#include "tests/common/multi_test.h"

#include "backend/resilience/quota_client.h"
#include "backend/resilience/quota_server.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <QTest>

#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

using namespace livedeck;
using resilience::LeaseGrant;
using resilience::LeaseRequest;
using resilience::QuotaClient;
using resilience::QuotaClientConfig;
using resilience::QuotaFallback;
using resilience::QuotaServer;

namespace {

std::vector<double> parseList(const QString& s)
{
    std::vector<double> out;
    for (const QString& x : s.split(QLatin1Char(' '), Qt::SkipEmptyParts))
        out.push_back(x.toDouble());
    return out;
}

// Offers `ratePerSec` (weighted) to a client as requests every `tick`.
class Load {
public:
    Load(sim::World& world, QuotaClient& client, sim::Nanos tick = 10 * sim::kMillisecond)
        : m_world(world), m_client(client), m_tick(tick)
    {
        m_kind = world.kind("test.load");
    }
    void setRate(double ratePerSec) { m_rate = ratePerSec; }
    double rate() const { return m_rate; }
    void start() { schedule(); }
    double offered = 0.0;
    double admitted = 0.0;

private:
    void schedule()
    {
        m_world.after(m_tick, m_kind, m_client.id(), [this] { fire(); });
    }
    void fire()
    {
        const double w = m_rate * sim::toSeconds(m_tick);
        if (w > 0) {
            offered += w;
            if (m_client.tryAcquire(w))
                admitted += w;
        }
        schedule();
    }

    sim::World& m_world;
    QuotaClient& m_client;
    sim::Nanos m_tick;
    sim::EventKindId m_kind = 0;
    double m_rate = 0.0;
};

v1::FaultSpec fault(v1::FaultKind kind, const std::string& target, sim::Nanos start, sim::Nanos end,
                    const std::string& peer = {})
{
    v1::FaultSpec spec;
    spec.set_kind(kind);
    spec.set_target(target);
    spec.set_start_ns(start);
    spec.set_end_ns(end);
    spec.set_origin("test");
    if (!peer.empty()) {
        auto* p = spec.add_params();
        p->set_name("peer");
        p->set_text(peer);
    }
    return spec;
}

const char* kRegions[] = {"sh-a", "sh-b", "gz"};

} // namespace

class TstQuota : public QObject {
    Q_OBJECT

private slots:
    // ---------------------------------------------------------------- the fair share

    void waterLevel_data()
    {
        QTest::addColumn<double>("capacity");
        QTest::addColumn<QString>("wants");
        QTest::addColumn<QString>("floors");
        QTest::addColumn<QString>("targets");
        QTest::newRow("everything fits") << 100.0 << "10 20 30" << "0 0 0" << "10 20 30";
        // Doorman's FAIR_SHARE example (capacity 120: c0 w1000 g60, c1 w50 g50, c2 w10 g10).
        QTest::newRow("doorman fair share example") << 120.0 << "1000 50 10" << "0 0 0" << "60 50 10";
        QTest::newRow("equal split") << 90.0 << "100 100 100" << "0 0 0" << "30 30 30";
        QTest::newRow("floors are kept, the rest is shared") << 90.0 << "90 90 30" << "60 0 0" << "60 15 15";
        QTest::newRow("floors fill the capacity") << 50.0 << "40 40 10" << "30 20 0" << "30 20 0";
        QTest::newRow("zero want gets nothing") << 100.0 << "0 200" << "0 0" << "0 100";
        QTest::newRow("floor above want") << 100.0 << "10 300 300" << "40 0 0" << "40 30 30";
        QTest::newRow("single client capped by capacity") << 75.0 << "500" << "0" << "75";
    }

    void waterLevel()
    {
        QFETCH(double, capacity);
        QFETCH(QString, wants);
        QFETCH(QString, floors);
        QFETCH(QString, targets);
        const std::vector<double> w = parseList(wants);
        const std::vector<double> f = parseList(floors);
        const std::vector<double> t = parseList(targets);
        std::vector<std::pair<double, int>> scratch;
        const double level = QuotaServer::waterLevel(capacity, f, w, scratch);
        double sum = 0.0;
        double sumCap = 0.0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            const double got = QuotaServer::targetFor(level, f[i], w[i]);
            QVERIFY2(std::abs(got - t[i]) < 1e-9, qPrintable(QStringLiteral("client %1: %2").arg(i).arg(got)));
            sum += got;
            sumCap += std::max(f[i], w[i]);
        }
        QVERIFY(sum <= std::max(capacity, std::accumulate(f.begin(), f.end(), 0.0)) + 1e-9);
        QVERIFY(std::abs(sum - std::min(std::max(capacity, std::accumulate(f.begin(), f.end(), 0.0)), sumCap)) < 1e-9);
    }

    // ---------------------------------------------------------------- the server alone

    void serverHoldsShareForClientsOnRecord()
    {
        sim::World world;
        QuotaServer server(world, "sh-a/infra/quota-server");
        const int r = *server.addResource({"gifts.feed", 90.0, sim::kSecond, 0});
        QCOMPARE(server.capacityPerPeriod(r), 90.0);
        // Period 0: a asks alone and may take everything; b, new, finds nothing left.
        LeaseGrant a = server.handle({r, 101, 0, 90.0});
        QCOMPARE(a.tokens, 90.0);
        LeaseGrant b = server.handle({r, 102, 0, 90.0});
        QCOMPARE(b.status, LeaseGrant::Status::Granted);
        QCOMPARE(b.tokens, 0.0);
        // Period 1: b's want is on record, so a gets only its fair half, and b the rest.
        a = server.handle({r, 101, 1, 90.0});
        QCOMPARE(a.tokens, 45.0);
        b = server.handle({r, 102, 1, 90.0});
        QCOMPARE(b.tokens, 45.0);
        QCOMPARE(server.grantedInPeriod(r, 1), 90.0);
        // A third client arriving late in period 1 finds nothing; its want is held from period 2.
        QCOMPARE(server.handle({r, 103, 1, 30.0}).tokens, 0.0);
        world.scheduler().runUntil(sim::kSecond); // period 1: period 2 is the next one
        QCOMPARE(server.handle({r, 101, 2, 90.0}).tokens, 30.0);
        QCOMPARE(server.handle({r, 103, 2, 30.0}).tokens, 30.0);
        QCOMPARE(server.handle({r, 102, 2, 90.0}).tokens, 30.0);
        // Top-ups never go past the share: a asks again for period 2.
        QCOMPARE(server.handle({r, 101, 2, 200.0}).tokens, 0.0);
        QCOMPARE(server.grantedTo(r, 101, 2), 30.0);
        QCOMPARE(server.stats(r).maxPeriodGranted, 90.0);
    }

    void serverRejectsWrongPeriods()
    {
        sim::World world;
        QuotaServer server(world, "sh-a/infra/quota-server");
        const int r = *server.addResource({"gifts.feed", 10.0, sim::kSecond, 0});
        world.scheduler().runUntil(5 * sim::kSecond + 1);
        QCOMPARE(server.handle({r, 1, 4, 5.0}).status, LeaseGrant::Status::PeriodClosed);
        QCOMPARE(server.handle({r, 1, 7, 5.0}).status, LeaseGrant::Status::PeriodTooFar);
        QCOMPARE(server.handle({r + 1, 1, 5, 5.0}).status, LeaseGrant::Status::UnknownResource);
        const LeaseGrant g = server.handle({r, 1, 6, 5.0});
        QCOMPARE(g.status, LeaseGrant::Status::Granted);
        QCOMPARE(g.leaseStart, 6 * sim::kSecond);
        QCOMPARE(g.leaseEnd, 7 * sim::kSecond);
        QCOMPARE(server.stats(r).rejectedRequests, std::uint64_t(2));
        QVERIFY(!server.addResource({"gifts.feed", 10.0, sim::kSecond, 0}).ok());
        QVERIFY(!server.addResource({"bad", 0.0, sim::kSecond, 0}).ok());
    }

    void serverForgetsSilentClients()
    {
        sim::World world;
        QuotaServer server(world, "sh-a/infra/quota-server");
        const int r = *server.addResource({"gifts.feed", 100.0, sim::kSecond, 2 * sim::kSecond});
        server.handle({r, 1, 0, 100.0});
        server.handle({r, 2, 0, 100.0});
        QCOMPARE(server.activeClients(r), std::size_t(2));
        world.scheduler().runUntil(3 * sim::kSecond);
        // Client 2 went silent more than 2 s ago: its want is no longer held for it.
        QCOMPARE(server.activeClients(r), std::size_t(0));
        QCOMPARE(server.handle({r, 1, 3, 100.0}).tokens, 100.0);
    }

    // ---------------------------------------------------------------- property test

    void neverAboveLimitNoStarvation_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<int>("clients");
        for (quint64 seed = 1; seed <= 6; ++seed) {
            const int n = static_cast<int>(2 + (seed * 5) % 11);
            QTest::addRow("seed %llu, %d clients", static_cast<unsigned long long>(seed), n) << seed << n;
        }
    }

    void neverAboveLimitNoStarvation()
    {
        QFETCH(quint64, seed);
        QFETCH(int, clients);
        sim::WorldConfig wc;
        wc.seed = seed;
        sim::World world(wc);
        QuotaServer server(world, "sh-a/infra/quota-server");
        const double limit = 1000.0;
        const int r = *server.addResource({"gifts.feed", limit, sim::kSecond, 0});
        const double capacity = server.capacityPerPeriod(r);
        sim::RandomStream rng = world.stream("test/demand");

        std::vector<std::unique_ptr<QuotaClient>> cs;
        std::vector<std::unique_ptr<Load>> loads;
        for (int i = 0; i < clients; ++i) {
            QuotaClientConfig cfg;
            cfg.resource = "gifts.feed";
            cfg.localRatePerSec = 50.0;
            cfg.prefetchAt = 0.7 + 0.02 * (i % 10); // clients ask at different moments
            const std::string path = sim::strCat(kRegions[i % 3], "/gifts/gateway/", i, "/quota");
            cs.push_back(std::make_unique<QuotaClient>(world, path, server, cfg));
            loads.push_back(std::make_unique<Load>(world, *cs.back()));
        }
        const int periods = 30;
        // demand[k][i]: client i's offered rate in period k; changes every 3 periods,
        // sometimes 0, sometimes far above an equal share.
        std::vector<std::vector<double>> demand(periods, std::vector<double>(clients, 0.0));
        for (int k = 0; k < periods; ++k)
            for (int i = 0; i < clients; ++i)
                demand[k][i] = k % 3 == 0 ? (rng.bernoulli(0.2) ? 0.0 : rng.uniform(0.0, 3.0 * limit / clients))
                                          : demand[k - 1][i];
        for (int k = 0; k < periods; ++k) {
            const sim::Nanos at = k * sim::kSecond;
            world.at(at, world.kind("test.demand"), sim::kNoComponent, [&, k] {
                for (int i = 0; i < clients; ++i)
                    loads[static_cast<std::size_t>(i)]->setRate(demand[k][static_cast<std::size_t>(i)]);
            });
        }
        for (int i = 0; i < clients; ++i) {
            cs[static_cast<std::size_t>(i)]->start();
            loads[static_cast<std::size_t>(i)]->start();
        }

        int starvedChecks = 0;
        for (int k = 0; k < periods; ++k) {
            world.scheduler().runUntil((k + 1) * sim::kSecond - 1); // the last instant of period k
            double leased = 0.0;
            double used = 0.0;
            for (const auto& c : cs) {
                leased += c->leaseTokens(k);
                used += c->leaseUsed(k);
                QVERIFY(c->leaseUsed(k) <= c->leaseTokens(k) + 1e-9);
            }
            const double serverGranted = server.grantedInPeriod(r, k);
            QVERIFY2(serverGranted <= capacity + 1e-6, qPrintable(QStringLiteral("period %1: server granted %2").arg(k).arg(serverGranted)));
            QVERIFY2(leased <= serverGranted + 1e-6, qPrintable(QStringLiteral("period %1: leased %2 > %3").arg(k).arg(leased).arg(serverGranted)));
            QVERIFY(used <= capacity + 1e-6);
            // No starvation: a client with demand in this and the previous period holds a
            // non-empty lease for this one.
            if (k >= 2) {
                for (int i = 0; i < clients; ++i) {
                    if (demand[k][static_cast<std::size_t>(i)] > 0 && demand[k - 1][static_cast<std::size_t>(i)] > 0) {
                        ++starvedChecks;
                        QVERIFY2(cs[static_cast<std::size_t>(i)]->leaseTokens(k) > 0,
                                 qPrintable(QStringLiteral("period %1: client %2 starved (demand %3)")
                                                .arg(k).arg(i).arg(demand[k][static_cast<std::size_t>(i)])));
                    }
                }
            }
        }
        QVERIFY(starvedChecks > periods); // the check really ran
        QVERIFY(server.stats(r).maxPeriodGranted <= capacity + 1e-6);
        QVERIFY(server.stats(r).maxPeriodGranted > 0.5 * capacity); // demand did press on the limit
        for (const auto& c : cs)
            QCOMPARE(c->stats().requestsFailed, std::uint64_t(0));
    }

    // ---------------------------------------------------------------- fair sharing

    void steadyStateIsMaxMinFair()
    {
        sim::World world;
        QuotaServer server(world, "sh-a/infra/quota-server");
        const int r = *server.addResource({"gifts.feed", 1000.0, sim::kSecond, 0});
        const std::vector<double> rates = {100.0, 200.0, 600.0, 900.0};
        std::vector<std::unique_ptr<QuotaClient>> cs;
        std::vector<std::unique_ptr<Load>> loads;
        for (std::size_t i = 0; i < rates.size(); ++i) {
            QuotaClientConfig cfg;
            cfg.resource = "gifts.feed";
            cfg.localRatePerSec = 10.0;
            cs.push_back(std::make_unique<QuotaClient>(world, sim::strCat(kRegions[i % 3], "/gifts/gw/", i), server, cfg));
            loads.push_back(std::make_unique<Load>(world, *cs.back()));
            loads.back()->setRate(rates[i]);
            cs.back()->start();
            loads.back()->start();
        }
        world.scheduler().runUntil(6 * sim::kSecond - 1);
        // Wants carry 10 % headroom: 110 and 220 fit, the two large clients split the rest.
        const std::vector<double> expected = {110.0, 220.0, 335.0, 335.0};
        for (std::size_t i = 0; i < cs.size(); ++i) {
            const double got = cs[i]->leaseTokens(5);
            QVERIFY2(std::abs(got - expected[i]) < 0.02 * expected[i], qPrintable(QStringLiteral("client %1 got %2").arg(i).arg(got)));
        }
        // And what they admitted in period 5 is their demand or their share.
        QVERIFY(std::abs(cs[0]->leaseUsed(5) - 100.0) < 2.0);
        QVERIFY(std::abs(cs[2]->leaseUsed(5) - 335.0) < 10.0);
        QVERIFY(server.grantedInPeriod(r, 5) <= 1000.0 + 1e-9);
    }

    // ---------------------------------------------------------------- fallback

    void fallbackPolicies_data()
    {
        QTest::addColumn<int>("policy");
        QTest::addColumn<bool>("partition"); // partition instead of a down server
        QTest::addColumn<double>("expectedRate"); // admitted per second while in fallback
        QTest::newRow("local rate, server down") << int(QuotaFallback::LocalRate) << false << 50.0;
        QTest::newRow("fail open, server down") << int(QuotaFallback::FailOpen) << false << 200.0;
        QTest::newRow("fail closed, server down") << int(QuotaFallback::FailClosed) << false << 0.0;
        QTest::newRow("local rate, partitioned") << int(QuotaFallback::LocalRate) << true << 50.0;
        QTest::newRow("fail closed, partitioned") << int(QuotaFallback::FailClosed) << true << 0.0;
    }

    void fallbackPolicies()
    {
        QFETCH(int, policy);
        QFETCH(bool, partition);
        QFETCH(double, expectedRate);
        sim::World world;
        telemetry::MetricsRegistry metrics;
        QuotaServer server(world, "sh-a/infra/quota-server");
        server.attachMetrics(metrics);
        const int r = *server.addResource({"gifts.feed", 1000.0, sim::kSecond, 0});
        QuotaClientConfig cfg;
        cfg.resource = "gifts.feed";
        cfg.fallback = static_cast<QuotaFallback>(policy);
        cfg.localRatePerSec = 50.0;
        cfg.localBurst = 5.0;
        QuotaClient client(world, "sh-b/gifts/gateway/0/quota", server, cfg);
        client.attachMetrics(metrics);
        Load load(world, client, 5 * sim::kMillisecond);
        load.setRate(200.0);
        client.start();
        load.start();

        world.scheduler().runUntil(3 * sim::kSecond + 500 * sim::kMillisecond);
        QCOMPARE(client.mode(), resilience::QuotaClientMode::Leased);
        const double leasedAdmitted = load.admitted;
        QVERIFY2(leasedAdmitted > 0.95 * 200.0 * 3.4, qPrintable(QString::number(leasedAdmitted)));

        // The server becomes unreachable at 3.5 s, for 3 s.
        const auto spec = partition ? fault(v1::FAULT_PARTITION, "sh-b/gifts/gateway/0/quota", 3500 * sim::kMillisecond,
                                            6500 * sim::kMillisecond, "sh-a/infra/quota-server")
                                    : fault(v1::FAULT_DOWN, "sh-a/infra/quota-server", 3500 * sim::kMillisecond,
                                            6500 * sim::kMillisecond);
        const auto injected = world.faults().inject(spec);
        QVERIFY2(injected.ok(), std::string(injected.status().message()).c_str());

        // The lease of period 3 holds until its end even though renewal fails.
        world.scheduler().runUntil(4 * sim::kSecond - 1);
        QCOMPARE(client.mode(), resilience::QuotaClientMode::Leased);
        QVERIFY(client.stats().requestsFailed >= 1);
        world.scheduler().runUntil(4 * sim::kSecond);
        QCOMPARE(client.mode(), resilience::QuotaClientMode::Fallback);
        QCOMPARE(world.events().count("quota.fallback"), std::uint64_t(1));

        // In fallback from 4 s to 6.5 s: measure 4.5 s .. 6.4 s.
        world.scheduler().runUntil(4500 * sim::kMillisecond);
        const double before = load.admitted;
        world.scheduler().runUntil(6400 * sim::kMillisecond);
        const double rate = (load.admitted - before) / 1.9;
        QVERIFY2(std::abs(rate - expectedRate) <= 0.05 * expectedRate + 1.0, qPrintable(QString::number(rate)));
        QCOMPARE(client.mode(), resilience::QuotaClientMode::Fallback);
        QVERIFY(server.grantedInPeriod(r, 5) == 0.0); // nothing reached the server

        // Back at 6.5 s: the next retry (every 100 ms) leases period 6 again.
        world.scheduler().runUntil(6700 * sim::kMillisecond);
        QCOMPARE(client.mode(), resilience::QuotaClientMode::Leased);
        QCOMPARE(world.events().count("quota.leased"), std::uint64_t(1));
        QCOMPARE(client.stats().fallbackEntries, std::uint64_t(1));
        QVERIFY(client.stats().fallbackNs >= 2500 * sim::kMillisecond);
        QVERIFY(client.stats().fallbackNs < 2750 * sim::kMillisecond);
        const double afterRecovery = load.admitted;
        world.scheduler().runUntil(9 * sim::kSecond);
        QVERIFY(std::abs((load.admitted - afterRecovery) / 2.3 - 200.0) < 10.0);

        // Telemetry and inspection report it.
        QVERIFY(metrics.findCounter("resilience.quota.granted", "sh-a/infra/quota-server", "resource=gifts.feed")->total() > 0);
        QCOMPARE(metrics.findGauge("resilience.quota_client.fallback", "sh-b/gifts/gateway/0/quota", "resource=gifts.feed")->value(), 0.0);
        sim::StateWriter w;
        client.inspect(w);
        bool sawMode = false;
        for (const auto& [k, v] : w.entries())
            if (k == "mode") {
                QCOMPARE(v, std::string("leased"));
                sawMode = true;
            }
        QVERIFY(sawMode);
    }

    void startsOnFallbackThenTopsUp()
    {
        sim::World world;
        QuotaServer server(world, "gz/infra/quota-server");
        const int r = *server.addResource({"gifts.feed", 100.0, sim::kSecond, 0});
        QuotaClientConfig cfg;
        cfg.resource = "gifts.feed";
        cfg.fallback = QuotaFallback::FailClosed;
        cfg.initialWantPerSec = 5.0;
        QuotaClient client(world, "sh-a/gifts/gateway/0/quota", server, cfg); // ~30 ms away
        client.start();
        QVERIFY(!client.tryAcquire()); // no lease yet: fail closed
        QCOMPARE(client.mode(), resilience::QuotaClientMode::Fallback);
        world.scheduler().runUntil(100 * sim::kMillisecond);
        QCOMPARE(client.mode(), resilience::QuotaClientMode::Leased);
        QCOMPARE(client.leaseTokens(0), 5.5); // the initial want, plus 10 % headroom
        QCOMPARE(world.events().count("quota.fallback"), std::uint64_t(0)); // the start is not a fallback
        // Spend the lease, then ask for more than it holds: denied, and a top-up goes out.
        QVERIFY(client.tryAcquire(5.0));
        QVERIFY(!client.tryAcquire(3.0));
        QCOMPARE(client.stats().deniedQuota, 3.0);
        world.scheduler().runUntil(200 * sim::kMillisecond);
        QVERIFY2(client.leaseTokens(0) >= 8.0, qPrintable(QString::number(client.leaseTokens(0))));
        QVERIFY(client.tryAcquire(3.0));
        QCOMPARE(server.grantedTo(r, client.id(), 0), client.leaseTokens(0));
    }

    void deterministicAcrossRuns()
    {
        auto run = [](std::uint64_t seed) {
            sim::WorldConfig wc;
            wc.seed = seed;
            sim::World world(wc);
            QuotaServer server(world, "sh-a/infra/quota-server");
            server.addResource({"gifts.feed", 500.0, sim::kSecond, 0}).IgnoreError();
            std::vector<std::unique_ptr<QuotaClient>> cs;
            std::vector<std::unique_ptr<Load>> loads;
            for (int i = 0; i < 5; ++i) {
                QuotaClientConfig cfg;
                cfg.resource = "gifts.feed";
                cfg.localRatePerSec = 20.0;
                cs.push_back(std::make_unique<QuotaClient>(world, sim::strCat(kRegions[i % 3], "/gifts/gw/", i), server, cfg));
                loads.push_back(std::make_unique<Load>(world, *cs.back()));
                loads.back()->setRate(80.0 + 60.0 * i);
                cs.back()->start();
                loads.back()->start();
            }
            world.scheduler().runUntil(5 * sim::kSecond);
            return world.traceHash();
        };
        QCOMPARE(run(3), run(3));
    }
};

LIVEDECK_TEST_CLASS(TstQuota)
#include "tst_quota.moc"
