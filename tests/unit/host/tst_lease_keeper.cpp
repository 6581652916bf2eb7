// LeaseKeeper on a manual wall clock: a lease that is not renewed expires into a
// recorded ClearFault command (also while the world is paused); renewing keeps the
// fault; releasing forgets the lease; only held leases are renewed.
#include "tests/common/multi_test.h"

#include "backend/host/lease_keeper.h"
#include "backend/host/manual_wall_clock.h"
#include "backend/host/world_host.h"
#include "tests/unit/host/host_test_util.h"

#include <QTest>

using namespace livedeck;
using namespace livedeck::host;
using host::test::kWaitMs;
using host::test::latencyFault;
using host::test::lightRun;

namespace {

std::uint64_t inject(WorldHost& host, const std::string& target)
{
    auto outcome = std::make_shared<CommandOutcome>();
    auto f = host.submit(latencyFault(target, 5, "tester"), outcome);
    const absl::Status st = f.get();
    if (!st.ok())
        return 0;
    return outcome->faultId;
}

// In the registry (scheduled or active); a cleared fault is removed from it.
bool faultActive(WorldHost& host, std::uint64_t id)
{
    return host.query([id](HostedRun& run) { return run.world().faults().get(id) != nullptr; }).get();
}

std::string lastCommandIssuer(WorldHost& host)
{
    return host.query([](HostedRun& run) {
                   const auto& log = run.world().commandLog();
                   return log.empty() ? std::string() : log.back().command().issuer();
               })
        .get();
}

} // namespace

class TstLeaseKeeper : public QObject {
    Q_OBJECT

private slots:
    void submitReportsTheFaultId()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        host.start();
        const std::uint64_t a = inject(host, "sh-a/synthetic");
        const std::uint64_t b = inject(host, "sh-b/synthetic");
        QVERIFY(a != 0);
        QCOMPARE(b, a + 1);
        QVERIFY(faultActive(host, a));
        host.stop();
    }

    void expiredLeaseClearsTheFaultWhilePaused()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        LeaseKeeper leases(host, clock);
        host.start();
        leases.start();
        QVERIFY(host.status().paused);
        const std::uint64_t id = inject(host, "sh-a/synthetic");
        QVERIFY(faultActive(host, id));
        leases.hold(id, 5 * sim::kSecond, "console-1");
        clock.advance(4 * sim::kSecond);
        QTest::qWait(20);
        QVERIFY(faultActive(host, id)); // not yet
        QCOMPARE(leases.expiredCount(), 0u);
        clock.advance(2 * sim::kSecond);
        QTRY_COMPARE_WITH_TIMEOUT(leases.expiredCount(), 1u, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(!faultActive(host, id), kWaitMs);
        QCOMPARE(lastCommandIssuer(host), std::string("lease-expiry:console-1")); // a recorded world command
        QVERIFY(leases.leases().empty());
        QVERIFY(host.status().paused);
        leases.stop();
        host.stop();
    }

    void renewingKeepsTheFault()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        LeaseKeeper leases(host, clock);
        host.start();
        leases.start();
        const std::uint64_t id = inject(host, "sh-a/synthetic");
        leases.hold(id, 5 * sim::kSecond, "console-1");
        for (int i = 0; i < 5; ++i) {
            clock.advance(3 * sim::kSecond);
            const auto renewed = leases.renew({id, 999}, 5 * sim::kSecond);
            QCOMPARE(renewed.size(), std::size_t{1}); // 999 holds no lease
            QCOMPARE(renewed.front(), id);
        }
        QTest::qWait(20);
        QCOMPARE(leases.expiredCount(), 0u);
        QVERIFY(faultActive(host, id));
        clock.advance(6 * sim::kSecond);
        QTRY_VERIFY_WITH_TIMEOUT(!faultActive(host, id), kWaitMs);
        leases.stop();
        host.stop();
    }

    void releasedLeaseNeverExpires()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        LeaseKeeper leases(host, clock);
        host.start();
        leases.start();
        const std::uint64_t id = inject(host, "sh-a/synthetic");
        leases.hold(id, sim::kSecond, "ctl");
        QVERIFY(leases.release(id));
        QVERIFY(!leases.release(id));
        clock.advance(10 * sim::kSecond);
        QTest::qWait(30);
        QCOMPARE(leases.expiredCount(), 0u);
        QVERIFY(faultActive(host, id));
        leases.stop();
        host.stop();
    }
};

LIVEDECK_TEST_CLASS(TstLeaseKeeper)
#include "tst_lease_keeper.moc"
