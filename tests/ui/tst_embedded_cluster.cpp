// EmbeddedCluster: a world in process behind ClusterSource. A step advances exactly one
// event (events_executed + 1 in the next snapshot); a fault injected through the source
// reaches the world and shows in the next snapshot's faults (active once its fault.on
// event ran); the pending-event queue and event kinds come from the host thread;
// restart() starts a new run. Real host thread: bounded waits.
#include "tests/common/multi_test.h"
#include "backend/host/synthetic_run.h"
#include "ui/embedded_cluster.h"

#include <QSignalSpy>
#include <QTest>

using namespace livedeck;

namespace {

constexpr int kWaitMs = 10'000;

std::unique_ptr<ui::EmbeddedCluster> makeCluster(std::uint64_t seed = 5)
{
    ui::EmbeddedOptions o;
    o.startPaused = true;
    o.snapshotRateHz = 60.0;
    o.seed = seed;
    return std::make_unique<ui::EmbeddedCluster>(
        [seed] {
            host::SyntheticRunConfig c;
            c.seed = seed;
            return std::unique_ptr<host::HostedRun>(std::make_unique<host::SyntheticRun>(c));
        },
        o);
}

ui::SnapshotPtr lastSnapshot(const QSignalSpy& spy)
{
    return spy.isEmpty() ? nullptr : spy.last().at(0).value<ui::SnapshotPtr>();
}

// Waits for commandFinished(token) and returns (ok, message).
std::pair<bool, QString> waitFor(QSignalSpy& finished, std::uint64_t token)
{
    for (int waited = 0; waited < kWaitMs; waited += 10) {
        for (const auto& args : finished) {
            if (args.at(0).toULongLong() == token)
                return {args.at(1).toBool(), args.at(2).toString()};
        }
        QTest::qWait(10);
    }
    return {false, QStringLiteral("timed out")};
}

} // namespace

class TstEmbeddedCluster : public QObject {
    Q_OBJECT
private slots:
    void stepAdvancesExactlyOneEvent()
    {
        auto cluster = makeCluster();
        QSignalSpy snapshots(cluster.get(), &ui::ClusterSource::snapshotReady);
        QSignalSpy finished(cluster.get(), &ui::ClusterSource::commandFinished);
        QSignalSpy topology(cluster.get(), &ui::ClusterSource::topologyChanged);
        cluster->start();
        QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(!topology.isEmpty(), kWaitMs);
        QCOMPARE(cluster->connectionState(), ui::ConnectionState::Live);
        const auto first = lastSnapshot(snapshots);
        QVERIFY(first->host().paused());
        QVERIFY(first->series_defs_size() > 0); // the first snapshot describes every series
        const std::uint64_t before = first->events_executed();
        for (int i = 1; i <= 3; ++i) {
            snapshots.clear();
            const auto [ok, message] = waitFor(finished, cluster->step(1));
            QVERIFY2(ok, qPrintable(message));
            QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty() && lastSnapshot(snapshots)->events_executed() != before + i - 1, kWaitMs);
            QCOMPARE(lastSnapshot(snapshots)->events_executed(), before + static_cast<std::uint64_t>(i));
        }
        QTest::qWait(100); // paused after the steps: nothing more runs
        QCOMPARE(cluster->hostStatus().eventsExecuted, before + 3);
        const auto topo = topology.last().at(0).value<ui::TopologyPtr>();
        QCOMPARE(topo->regions_size(), 3);
        QVERIFY(topo->components_size() > 0);
    }

    void injectedFaultShowsInNextSnapshot()
    {
        auto cluster = makeCluster();
        QSignalSpy snapshots(cluster.get(), &ui::ClusterSource::snapshotReady);
        QSignalSpy finished(cluster.get(), &ui::ClusterSource::commandFinished);
        QSignalSpy events(cluster.get(), &ui::ClusterSource::eventsReady);
        cluster->start();
        QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), kWaitMs);
        v1::FaultSpec spec;
        spec.set_kind(v1::FAULT_LATENCY);
        spec.set_target("sh-a/synthetic/svc/0");
        spec.set_origin("console");
        auto* p = spec.add_params();
        p->set_name("add_ms");
        p->set_value(250);
        snapshots.clear();
        const auto [ok, message] = waitFor(finished, cluster->injectFault(spec));
        QVERIFY2(ok, qPrintable(message));
        const auto findFault = [&](const ui::SnapshotPtr& s) -> const v1::FaultSpec* {
            for (const v1::FaultSpec& f : s->faults()) {
                if (f.target() == "sh-a/synthetic/svc/0" && f.origin() == "console" && f.kind() == v1::FAULT_LATENCY)
                    return &f;
            }
            return nullptr;
        };
        QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty() && findFault(lastSnapshot(snapshots)), kWaitMs);
        QVERIFY(!findFault(lastSnapshot(snapshots))->active()); // scheduled: it starts with its fault.on event
        const auto [stepped, why] = waitFor(finished, cluster->stepToKind(QStringLiteral("fault.on")));
        QVERIFY2(stepped, qPrintable(why));
        QTRY_VERIFY_WITH_TIMEOUT(findFault(lastSnapshot(snapshots)) && findFault(lastSnapshot(snapshots))->active(), kWaitMs);
        const std::uint64_t id = findFault(lastSnapshot(snapshots))->id();
        bool sawOn = false;
        for (const auto& args : events) {
            for (const v1::Event& e : *args.at(0).value<ui::EventBatch>())
                sawOn = sawOn || (e.kind() == "fault.on" && e.message().find("sh-a/synthetic/svc/0") != std::string::npos);
        }
        QVERIFY(sawOn);
        // Clear it again through the source.
        const auto [cleared, clearWhy] = waitFor(finished, cluster->clearFault(id));
        QVERIFY2(cleared, qPrintable(clearWhy));
        QTRY_VERIFY_WITH_TIMEOUT(!findFault(lastSnapshot(snapshots)), kWaitMs);
    }

    void refusedCommandSaysWhy()
    {
        auto cluster = makeCluster();
        QSignalSpy finished(cluster.get(), &ui::ClusterSource::commandFinished);
        cluster->start();
        const auto [ok, message] = waitFor(finished, cluster->stepToKind(QStringLiteral("no.such.kind")));
        QVERIFY(!ok);
        QVERIFY2(message.contains(QStringLiteral("known kinds")), qPrintable(message));
    }

    void pendingEventsAndKindsComeFromTheHost()
    {
        auto cluster = makeCluster();
        QSignalSpy pending(cluster.get(), &ui::ClusterSource::pendingEventsReady);
        QSignalSpy kinds(cluster.get(), &ui::ClusterSource::eventKindsReady);
        cluster->start();
        cluster->requestPendingEvents(10);
        cluster->requestEventKinds();
        QTRY_VERIFY_WITH_TIMEOUT(!pending.isEmpty() && !kinds.isEmpty(), kWaitMs);
        const auto list = pending.at(0).at(0).value<QList<ui::PendingEvent>>();
        QCOMPARE(list.size(), 10);
        for (int i = 1; i < list.size(); ++i)
            QVERIFY(list[i].timeNs >= list[i - 1].timeNs);
        QVERIFY(!list[0].kind.isEmpty());
        const QStringList names = kinds.at(0).at(0).toStringList();
        QVERIFY(names.contains(QStringLiteral("fault.on")));
        QVERIFY(names.contains(QStringLiteral("synthetic.send")));
    }

    void restartStartsANewRun()
    {
        auto cluster = makeCluster();
        QSignalSpy snapshots(cluster.get(), &ui::ClusterSource::snapshotReady);
        QSignalSpy finished(cluster.get(), &ui::ClusterSource::commandFinished);
        QSignalSpy reset(cluster.get(), &ui::ClusterSource::runReset);
        cluster->start();
        QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), kWaitMs);
        QVERIFY(waitFor(finished, cluster->setSpeed(0)).first); // as fast as possible
        const auto [ok, message] = waitFor(finished, cluster->runUntil(2'000'000'000));
        QVERIFY2(ok, qPrintable(message));
        QTRY_VERIFY_WITH_TIMEOUT(lastSnapshot(snapshots)->sim_time_ns() == 2'000'000'000, kWaitMs);
        cluster->restart();
        QCOMPARE(reset.count(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(lastSnapshot(snapshots)->sim_time_ns() == 0 && lastSnapshot(snapshots)->series_defs_size() > 0,
                                 kWaitMs);
    }
};

LIVEDECK_TEST_CLASS(TstEmbeddedCluster)
#include "tst_embedded_cluster.moc"
