// RemoteCluster against a loopback node: attach (topology, live snapshots, operator
// capabilities), a fault injected through it reaches the world and holds a lease,
// the node going away turns the source Stale within the 2 s budget, a node coming back
// on the same port is re-attached (runReset for the new run), and a viewer's console
// is read-only.
#include "tests/common/multi_test.h"

#include "tests/unit/rpc/rpc_test_util.h"
#include "ui/main_window.h"
#include "ui/remote/remote_cluster.h"

#include <QSignalSpy>
#include <QTest>

using namespace livedeck;
using livedeck::rpc::test::LoopbackNode;
using livedeck::ui::ConnectionState;
using livedeck::ui::RemoteCluster;
using livedeck::ui::RemoteOptions;

namespace {

constexpr int kWaitMs = 15'000;

RemoteOptions optionsFor(const LoopbackNode& node, const QString& token = {})
{
    RemoteOptions o;
    o.address = QString::fromStdString(node.address());
    o.token = token;
    o.backoffInitialMs = 100;
    o.backoffMaxMs = 400;
    o.leaseRenewMs = 200;
    return o;
}

// The fault the tests inject: one synthetic service of sh-b down.
v1::FaultSpec svcDown()
{
    v1::FaultSpec f;
    f.set_kind(v1::FAULT_DOWN);
    f.set_target("sh-b/synthetic/svc/1");
    return f;
}

rpc::NodeOptions onPort(int port)
{
    rpc::NodeOptions o;
    o.listen = "127.0.0.1:" + std::to_string(port);
    return o;
}

} // namespace

class TstRemoteCluster : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        ui::registerSourceMetaTypes();
    }

    void attachDeliversTopologyAndSnapshots()
    {
        LoopbackNode node({}, 1, false);
        QVERIFY(node.status.ok());
        RemoteCluster remote(optionsFor(node));
        QSignalSpy topo(&remote, &ui::ClusterSource::topologyChanged);
        QSignalSpy snaps(&remote, &ui::ClusterSource::snapshotReady);
        QSignalSpy events(&remote, &ui::ClusterSource::eventsReady);
        remote.start();
        QCOMPARE(remote.connectionState(), ConnectionState::Connecting);
        QTRY_VERIFY_WITH_TIMEOUT(snaps.count() >= 3, kWaitMs);
        QCOMPARE(topo.count(), 1);
        QCOMPARE(remote.connectionState(), ConnectionState::Live);
        QVERIFY(remote.can(ui::ClusterSource::Faults));
        QCOMPARE(remote.role(), QStringLiteral("operator"));
        const auto t = topo.first().first().value<ui::TopologyPtr>();
        QVERIFY(t->regions_size() >= 3);
        const auto s = snaps.last().first().value<ui::SnapshotPtr>();
        QCOMPARE(QString::fromStdString(s->run_id()), remote.info().runId);
        QTRY_VERIFY_WITH_TIMEOUT(events.count() >= 1, kWaitMs);
        remote.stop();
        QCOMPARE(remote.connectionState(), ConnectionState::Disconnected);
    }

    void injectedFaultReachesTheWorldAndHoldsALease()
    {
        LoopbackNode node({}, 1, false);
        RemoteCluster remote(optionsFor(node));
        QSignalSpy snaps(&remote, &ui::ClusterSource::snapshotReady);
        QSignalSpy done(&remote, &ui::ClusterSource::commandFinished);
        remote.start();
        QTRY_COMPARE_WITH_TIMEOUT(remote.connectionState(), ConnectionState::Live, kWaitMs);
        const v1::FaultSpec f = svcDown();
        const quint64 token = remote.injectFault(f);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWaitMs);
        QCOMPARE(done.first().at(0).toULongLong(), token);
        QVERIFY2(done.first().at(1).toBool(), qPrintable(done.first().at(2).toString()));
        QCOMPARE(remote.leasedFaults().size(), 1);
        const quint64 id = remote.leasedFaults().first();
        const auto shows = [&] {
            for (const QList<QVariant>& args : snaps) {
                const auto s = args.first().value<ui::SnapshotPtr>();
                for (const v1::FaultSpec& x : s->faults()) {
                    if (x.id() == id && x.active() && x.target() == "sh-b/synthetic/svc/1")
                        return true;
                }
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(shows(), kWaitMs);
        // The renewals keep it on the node (renew every 200 ms here).
        QTest::qWait(600);
        QVERIFY(node.leases.remaining(id).has_value());
        remote.clearFault(id);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, kWaitMs);
        QVERIFY(done.last().at(1).toBool());
        QVERIFY(remote.leasedFaults().isEmpty());
    }

    void staleThenReconnects()
    {
        auto node = std::make_unique<LoopbackNode>(rpc::NodeOptions{}, 1, false, "run-a");
        const int port = node->port;
        RemoteCluster remote(optionsFor(*node));
        QSignalSpy resets(&remote, &ui::ClusterSource::runReset);
        QSignalSpy snaps(&remote, &ui::ClusterSource::snapshotReady);
        remote.start();
        QTRY_COMPARE_WITH_TIMEOUT(remote.connectionState(), ConnectionState::Live, kWaitMs);
        node.reset(); // the node goes away
        QElapsedTimer gone;
        gone.start();
        QTRY_COMPARE_WITH_TIMEOUT(remote.connectionState(), ConnectionState::Stale, kWaitMs);
        QVERIFY2(gone.elapsed() < 4000, qPrintable(QString::number(gone.elapsed())));
        QVERIFY(remote.connectionDetail().contains(QStringLiteral("stale since")));
        // It comes back (another run) on the same port: re-attached, told of the new run.
        node = std::make_unique<LoopbackNode>(onPort(port), 1, false, "run-b");
        QVERIFY2(node->status.ok(), node->status.ToString().c_str());
        QTRY_COMPARE_WITH_TIMEOUT(remote.connectionState(), ConnectionState::Live, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(resets.count(), 1, kWaitMs);
        QCOMPARE(resets.first().first().toString(), QStringLiteral("run-b"));
        QVERIFY(remote.reconnects() >= 1);
        snaps.clear();
        QTRY_VERIFY_WITH_TIMEOUT(!snaps.isEmpty(), kWaitMs);
        QCOMPARE(QString::fromStdString(snaps.last().first().value<ui::SnapshotPtr>()->run_id()), QStringLiteral("run-b"));
        remote.stop();
    }

    void viewerIsReadOnly()
    {
        rpc::NodeOptions o;
        o.service.tokens = rpc::TokenStore::parse("viewer-token-0123456789 viewer carol\n", "t").value();
        LoopbackNode node(o, 1, false);
        RemoteCluster remote(optionsFor(node, QStringLiteral("viewer-token-0123456789")));
        QSignalSpy done(&remote, &ui::ClusterSource::commandFinished);
        remote.start();
        QTRY_COMPARE_WITH_TIMEOUT(remote.connectionState(), ConnectionState::Live, kWaitMs);
        QCOMPARE(remote.role(), QStringLiteral("viewer"));
        QCOMPARE(int(remote.capabilities()), 0);
        remote.pause();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWaitMs);
        QVERIFY(!done.first().at(1).toBool());
        QVERIFY(done.first().at(2).toString().contains(QStringLiteral("read-only")));
        QVERIFY(!node.host.status().paused);
    }

    void wrongTokenNeverGoesLive()
    {
        rpc::NodeOptions o;
        o.service.tokens = rpc::TokenStore::parse("operator-token-0123456789 operator dave\n", "t").value();
        LoopbackNode node(o, 1, false);
        RemoteCluster remote(optionsFor(node, QStringLiteral("not-the-token-0000000")));
        QSignalSpy states(&remote, &ui::ClusterSource::connectionStateChanged);
        remote.start();
        QTRY_VERIFY_WITH_TIMEOUT(remote.connectionDetail().contains(QStringLiteral("bearer token")), kWaitMs);
        QCOMPARE(remote.connectionState(), ConnectionState::Connecting);
    }

    // A command the operator does not confirm is not sent; a confirmed one is.
    void unconfirmedCommandsAreNotSent()
    {
        LoopbackNode node({}, 1, false);
        RemoteOptions options = optionsFor(node);
        int asked = 0;
        bool answer = false;
        options.confirm = [&](const v1::Command& c) {
            ++asked;
            return answer && c.has_inject_fault();
        };
        RemoteCluster remote(options);
        QSignalSpy done(&remote, &ui::ClusterSource::commandFinished);
        remote.start();
        QTRY_COMPARE_WITH_TIMEOUT(remote.connectionState(), ConnectionState::Live, kWaitMs);
        const v1::FaultSpec f = svcDown();
        remote.injectFault(f);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWaitMs);
        QCOMPARE(asked, 1);
        QCOMPARE(done.first().at(1).toBool(), false);
        QVERIFY(done.first().at(2).toString().contains(QStringLiteral("not confirmed")));
        QVERIFY(remote.leasedFaults().isEmpty());
        answer = true;
        remote.injectFault(f);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, kWaitMs);
        QCOMPARE(asked, 2);
        QVERIFY2(done.at(1).at(1).toBool(), qPrintable(done.at(1).at(2).toString()));
        QCOMPARE(remote.leasedFaults().size(), 1);
        remote.stop();
    }

    // File → Attach… / --attach: the main window takes a remote source from its attach
    // factory and shows the node's data; without a factory it says why it cannot.
    void mainWindowAttaches()
    {
        LoopbackNode node({}, 1, false);
        ui::MainWindow window;
        QString error;
        QVERIFY(!window.attach(QString::fromStdString(node.address()), {}, &error));
        QVERIFY(error.contains(QStringLiteral("gRPC")));
        window.setAttachFactory([&node](const QString& address, const QString&, QString*) {
            RemoteOptions o = optionsFor(node);
            o.address = address;
            return std::unique_ptr<ui::ClusterSource>(std::make_unique<RemoteCluster>(o));
        });
        QVERIFY2(window.attach(QString::fromStdString(node.address()), {}, &error), qPrintable(error));
        QVERIFY(window.source());
        QCOMPARE(window.source()->info().kind, QStringLiteral("remote"));
        QTRY_COMPARE_WITH_TIMEOUT(window.source()->connectionState(), ConnectionState::Live, kWaitMs);
    }
};

LIVEDECK_TEST_CLASS(TstRemoteCluster)
#include "tst_remote_cluster.moc"
