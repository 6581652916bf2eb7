// The order entries' quota client options (QuotaConfig::topUpEarly / fallbackWhenDry,
// resilience::QuotaClientConfig): a demand step ×4 at a period's start is met by an
// early top-up instead of a refused request; a lease granted in full that runs dry while
// the quota server is down admits the overflow at the fallback rate, and a lease the
// server capped does not; the fail-closed policy still refuses. Each with the option off
// as the control, so every test can fail.
#include "backend/gifts/gifts_config.h"
#include "backend/resilience/quota_client.h"
#include "backend/resilience/quota_server.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <QTest>

using namespace livedeck;
using resilience::QuotaClient;
using resilience::QuotaClientConfig;
using resilience::QuotaFallback;
using resilience::QuotaServer;

namespace {

// Offers `ratePerSec` (weighted) to a client, one request every 10 ms.
class Demand {
public:
    Demand(sim::World& world, QuotaClient& client) : m_world(world), m_client(client), m_kind(world.kind("test.demand"))
    {
    }
    void setRate(double ratePerSec) { m_rate = ratePerSec; }
    void start() { schedule(); }
    double offered = 0.0;
    double admitted = 0.0;

private:
    static constexpr sim::Nanos kTick = 10 * sim::kMillisecond;
    void schedule()
    {
        m_world.after(kTick, m_kind, m_client.id(), [this] { fire(); });
    }
    void fire()
    {
        const double w = m_rate * sim::toSeconds(kTick);
        offered += w;
        if (m_client.tryAcquire(w))
            admitted += w;
        schedule();
    }

    sim::World& m_world;
    QuotaClient& m_client;
    sim::EventKindId m_kind;
    double m_rate = 0.0;
};

// The entry's client as OrderEntry builds it (order_entry.cpp), against a server in sh-a.
QuotaClientConfig entryConfig(const gifts::QuotaConfig& q, double localRatePerSec)
{
    QuotaClientConfig c;
    c.resource = "gifts.orders";
    c.fallback = QuotaFallback::LocalRate;
    c.localRatePerSec = localRatePerSec;
    c.initialWantPerSec = 1000.0;
    c.headroom = q.headroom;
    c.topUpEarly = q.topUpEarly;
    c.fallbackWhenDry = q.fallbackWhenDry;
    return c;
}

v1::FaultSpec down(const std::string& target, sim::Nanos start, sim::Nanos end)
{
    v1::FaultSpec f;
    f.set_kind(v1::FAULT_DOWN);
    f.set_target(target);
    f.set_start_ns(start);
    f.set_end_ns(end);
    return f;
}

} // namespace

class TstEntryQuota : public QObject {
    Q_OBJECT

private slots:
    void defaultsAreOn()
    {
        const gifts::QuotaConfig q;
        QVERIFY(q.topUpEarly);
        QVERIFY(q.fallbackWhenDry);
    }

    // Demand 1 000/s for 3 s, then 4 000/s from 3 s (a period's start, like the gala's
    // countdown step). The lease of period 3 was sized at 2.8 s on 1 000/s + 50 %: it
    // empties ~0.4 s in. With the early top-up nothing is refused.
    void stepIsMetByEarlyTopUp_data()
    {
        QTest::addColumn<bool>("early");
        QTest::newRow("early top-up") << true;
        QTest::newRow("top-up when dry") << false;
    }
    void stepIsMetByEarlyTopUp()
    {
        QFETCH(bool, early);
        sim::World world;
        QuotaServer server(world, "sh-a/gifts/quota");
        QVERIFY(server.addResource({"gifts.orders", 1e6, sim::kSecond, 0}).ok());
        gifts::QuotaConfig q;
        q.topUpEarly = early;
        QuotaClient client(world, "sh-b/gifts/order-entry/quota", server, entryConfig(q, 5e5));
        Demand demand(world, client);
        demand.setRate(1000.0);
        client.start();
        demand.start();
        world.scheduler().runUntil(3 * sim::kSecond);
        QCOMPARE(client.stats().deniedQuota, 0.0);
        demand.setRate(4000.0);
        world.scheduler().runUntil(5 * sim::kSecond);
        if (early) {
            QCOMPARE(client.stats().deniedQuota, 0.0);
            QVERIFY(client.stats().earlyTopUps >= 1);
            QCOMPARE(demand.admitted, demand.offered);
        } else {
            QVERIFY2(client.stats().deniedQuota > 0.0, "the lease should have run dry at the step");
            QCOMPARE(client.stats().earlyTopUps, std::uint64_t(0));
        }
    }

    // Demand 1 000/s; the quota server goes down at 2.05 s and demand doubles: the lease of
    // period 2 (1 500) runs dry ~0.4 s before the period ends. With fallbackWhenDry the
    // overflow is admitted at the local rate once a request has failed; without it the
    // entry refuses until the period ends. A fail-closed client refuses either way.
    void dryLeaseWithServerDown_data()
    {
        QTest::addColumn<bool>("whenDry");
        QTest::addColumn<int>("policy");
        QTest::newRow("fallback when dry") << true << int(QuotaFallback::LocalRate);
        QTest::newRow("refuse until the period ends") << false << int(QuotaFallback::LocalRate);
        QTest::newRow("fail closed") << true << int(QuotaFallback::FailClosed);
    }
    void dryLeaseWithServerDown()
    {
        QFETCH(bool, whenDry);
        QFETCH(int, policy);
        sim::World world;
        QuotaServer server(world, "sh-a/gifts/quota");
        QVERIFY(server.addResource({"gifts.orders", 1e6, sim::kSecond, 0}).ok());
        gifts::QuotaConfig q;
        q.fallbackWhenDry = whenDry;
        QuotaClientConfig c = entryConfig(q, 5e5);
        c.fallback = static_cast<QuotaFallback>(policy);
        QuotaClient client(world, "sh-b/gifts/order-entry/quota", server, c);
        Demand demand(world, client);
        demand.setRate(1000.0);
        client.start();
        demand.start();
        world.scheduler().runUntil(2050 * sim::kMillisecond);
        QVERIFY(world.faults().inject(down("sh-a/gifts/quota", world.now(), 10 * sim::kSecond)).ok());
        demand.setRate(2000.0);
        world.scheduler().runUntil(3 * sim::kSecond - 1);
        QCOMPARE(client.mode(), resilience::QuotaClientMode::Leased);
        const double denied = client.stats().deniedQuota + client.stats().deniedFallback;
        if (whenDry && policy == int(QuotaFallback::LocalRate)) {
            QVERIFY(client.stats().allowedDry > 0.0);
            QCOMPARE(denied, 0.0); // the early top-up found the server gone before the lease ran dry
        } else {
            QCOMPARE(client.stats().allowedDry, 0.0);
            QVERIFY2(denied > 300.0, qPrintable(QString::number(denied)));
        }
    }

    // A lease the server capped (its limit is below the client's want) is the server's
    // answer: it is not exceeded when the server goes down afterwards.
    void cappedLeaseStaysAuthoritative()
    {
        sim::World world;
        QuotaServer server(world, "sh-a/gifts/quota");
        QVERIFY(server.addResource({"gifts.orders", 1200.0, sim::kSecond, 0}).ok());
        gifts::QuotaConfig q;
        QuotaClient client(world, "sh-b/gifts/order-entry/quota", server, entryConfig(q, 5e5));
        Demand demand(world, client);
        demand.setRate(1000.0);
        client.start();
        demand.start();
        world.scheduler().runUntil(2050 * sim::kMillisecond);
        QCOMPARE(client.leaseTokens(2), 1200.0); // asked 1 500, capped at the limit
        QVERIFY(world.faults().inject(down("sh-a/gifts/quota", world.now(), 10 * sim::kSecond)).ok());
        demand.setRate(2000.0);
        world.scheduler().runUntil(3 * sim::kSecond - 1);
        QCOMPARE(client.stats().allowedDry, 0.0);
        QVERIFY(client.stats().deniedQuota > 0.0);
        QVERIFY(client.leaseUsed(2) <= 1200.0);
    }
};

LIVEDECK_TEST_CLASS(TstEntryQuota)
#include "tst_entry_quota.moc"
