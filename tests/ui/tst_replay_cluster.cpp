// ReplayCluster: a short SyntheticRun recorded with RunRecorder into a temporary
// directory, then served through ClusterSource. Seeking shows the recorded values at
// the chosen time (the snapshot and series values the reader holds for it), events up
// to it, a seek backwards resets the dashboards, stepping moves to the next recorded
// event, playing moves the cursor, and changing the recording is refused.
#include "tests/common/multi_test.h"
#include "backend/host/synthetic_run.h"
#include "backend/telemetry/recorder.h"
#include "backend/telemetry/recording_reader.h"
#include "ui/dashboard_hub.h"
#include "ui/replay_cluster.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;

namespace {

constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::uint64_t kSeed = 11;

// Records 20 simulated seconds of the synthetic workload.
QString record(const QTemporaryDir& dir)
{
    const QString path = dir.filePath(QStringLiteral("synthetic.ldrec"));
    host::SyntheticRunConfig config;
    config.seed = kSeed;
    config.duration = 20 * kSec;
    host::SyntheticRun run(config);
    auto recorder = telemetry::RunRecorder::create(path.toStdString(), telemetry::RunInfo::fromWorld(run.world()));
    if (!recorder.ok())
        return {};
    if (!(*recorder)->attach(run.world(), run.telemetry()).ok())
        return {};
    run.world().scheduler().runUntil(20 * kSec);
    if (!(*recorder)->finish(run.world()).ok() || !(*recorder)->close().ok())
        return {};
    return path;
}

ui::SnapshotPtr lastSnapshot(const QSignalSpy& spy)
{
    return spy.isEmpty() ? nullptr : spy.last().at(0).value<ui::SnapshotPtr>();
}

std::pair<bool, QString> finishedWith(QSignalSpy& finished, std::uint64_t token)
{
    for (int waited = 0; waited < 5000; waited += 5) {
        for (const auto& args : finished) {
            if (args.at(0).toULongLong() == token)
                return {args.at(1).toBool(), args.at(2).toString()};
        }
        QTest::qWait(5);
    }
    return {false, QStringLiteral("timed out")};
}

} // namespace

class TstReplayCluster : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_path;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_path = record(m_dir);
        QVERIFY(!m_path.isEmpty());
    }

    void showsRecordedValuesAtTheChosenTime_data()
    {
        QTest::addColumn<double>("seconds");
        QTest::newRow("3.0 s") << 3.0;
        QTest::newRow("10.5 s") << 10.5;
        QTest::newRow("19.9 s") << 19.9;
    }
    void showsRecordedValuesAtTheChosenTime()
    {
        QFETCH(double, seconds);
        const auto t = static_cast<std::int64_t>(seconds * 1e9);
        QString error;
        auto replay = ui::ReplayCluster::open(m_path, &error);
        QVERIFY2(replay, qPrintable(error));
        ui::DashboardHub hub;
        hub.setSource(replay.get());
        QSignalSpy snapshots(replay.get(), &ui::ClusterSource::snapshotReady);
        QSignalSpy events(replay.get(), &ui::ClusterSource::eventsReady);
        replay->start();
        QCOMPARE(replay->connectionState(), ui::ConnectionState::Replay);
        QCOMPARE(replay->info().seed, kSeed);
        QCOMPARE(replay->timeRangeEnd(), 20 * kSec);
        replay->seek(t);
        QCOMPARE(replay->cursor(), t);

        auto reader = telemetry::RecordingReader::open(m_path.toStdString());
        QVERIFY(reader.ok());
        auto expected = (*reader)->snapshotAt(t);
        QVERIFY(expected.ok());
        const auto shown = lastSnapshot(snapshots);
        QVERIFY(shown);
        QCOMPARE(shown->sim_time_ns(), expected->sim_time_ns());
        QCOMPARE(shown->events_executed(), expected->events_executed());
        QCOMPARE(shown->sample_values_size(), expected->sample_values_size());
        for (int i = 0; i < shown->sample_values_size(); ++i)
            QCOMPARE(shown->sample_values(i), expected->sample_values(i));
        QCOMPARE(shown->faults_size(), expected->faults_size());
        // The hub's catalogue resolves the recorded series: synthetic.sent's rate at t is
        // the recorded sample of that second.
        const double sent = hub.catalog().aggregate("synthetic.sent", v1::METRIC_TYPE_COUNTER, ui::Aggregate::Sum);
        telemetry::SeriesKey key{"synthetic.sent", "world/synthetic", "", v1::METRIC_TYPE_COUNTER};
        auto values = (*reader)->seriesValues(key, 0, t);
        QVERIFY(values.ok());
        QVERIFY(!values->empty());
        QCOMPARE(sent, values->back().value);
        QVERIFY(sent > 0);
        // Every event delivered happened at or before t, and none is missing.
        std::size_t delivered = 0;
        for (const auto& args : events) {
            for (const v1::Event& e : *args.at(0).value<ui::EventBatch>()) {
                QVERIFY(e.sim_time_ns() <= t);
                ++delivered;
            }
        }
        auto recorded = (*reader)->events(0, t);
        QVERIFY(recorded.ok());
        QCOMPARE(delivered, recorded->size());
        hub.setSource(nullptr);
    }

    void seekingBackResetsTheDashboards()
    {
        QString error;
        auto replay = ui::ReplayCluster::open(m_path, &error);
        QVERIFY(replay);
        QSignalSpy reset(replay.get(), &ui::ClusterSource::runReset);
        QSignalSpy snapshots(replay.get(), &ui::ClusterSource::snapshotReady);
        replay->start();
        replay->seek(15 * kSec);
        const int resetsBefore = reset.count();
        replay->seek(5 * kSec);
        QCOMPARE(reset.count(), resetsBefore + 1);
        QCOMPARE(lastSnapshot(snapshots)->sim_time_ns(), 5 * kSec);
        // After the reset the history is re-sent from the start of the window, the first
        // snapshot carrying the whole catalogue.
        bool catalogue = false;
        for (int i = static_cast<int>(snapshots.size()) - 1; i >= 0; --i) {
            const auto s = snapshots.at(i).at(0).value<ui::SnapshotPtr>();
            if (s->series_defs_size() > 0) {
                catalogue = true;
                QVERIFY(s->sim_time_ns() <= 5 * kSec);
                break;
            }
        }
        QVERIFY(catalogue);
    }

    void stepMovesToTheNextRecordedEvent()
    {
        QString error;
        auto replay = ui::ReplayCluster::open(m_path, &error);
        QVERIFY(replay);
        QSignalSpy finished(replay.get(), &ui::ClusterSource::commandFinished);
        replay->start();
        replay->seek(2 * kSec);
        auto reader = telemetry::RecordingReader::open(m_path.toStdString());
        auto after = (*reader)->events(2 * kSec + 1, 20 * kSec);
        QVERIFY(after.ok() && !after->empty());
        const auto [ok, message] = finishedWith(finished, replay->step(1));
        QVERIFY2(ok, qPrintable(message));
        QCOMPARE(replay->cursor(), after->front().sim_time_ns());
        // Step to a kind.
        auto ons = (*reader)->events(replay->cursor() + 1, 20 * kSec, "fault.on");
        if (!ons->empty()) {
            const auto [okKind, why] = finishedWith(finished, replay->stepToKind(QStringLiteral("fault.on")));
            QVERIFY2(okKind, qPrintable(why));
            QCOMPARE(replay->cursor(), ons->front().sim_time_ns());
        }
    }

    void playingMovesTheCursorAndChangesAreRefused()
    {
        QString error;
        auto replay = ui::ReplayCluster::open(m_path, &error);
        QVERIFY(replay);
        QSignalSpy finished(replay.get(), &ui::ClusterSource::commandFinished);
        replay->start();
        QVERIFY(finishedWith(finished, replay->setSpeed(100.0)).first);
        QVERIFY(finishedWith(finished, replay->resume()).first);
        QTRY_VERIFY_WITH_TIMEOUT(replay->cursor() >= 2 * kSec, 5000);
        QVERIFY(finishedWith(finished, replay->pause()).first);
        const auto stopped = replay->cursor();
        QTest::qWait(60);
        QCOMPARE(replay->cursor(), stopped);
        QVERIFY(!replay->can(ui::ClusterSource::Faults));
        v1::FaultSpec spec;
        spec.set_kind(v1::FAULT_DOWN);
        spec.set_target("gz");
        const auto [ok, message] = finishedWith(finished, replay->injectFault(spec));
        QVERIFY(!ok);
        QVERIFY2(message.contains(QStringLiteral("recording")), qPrintable(message));
    }

    void missingFileIsReported()
    {
        QString error;
        auto replay = ui::ReplayCluster::open(m_dir.filePath(QStringLiteral("nope.ldrec")), &error);
        QVERIFY(!replay);
        QVERIFY(!error.isEmpty());
    }
};

LIVEDECK_TEST_CLASS(TstReplayCluster)
#include "tst_replay_cluster.moc"
