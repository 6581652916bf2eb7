// Run → Re-simulate to here: a drill recorded headless is opened for replay, the cursor
// is moved to a recorded second, and re-simulating builds an embedded run of the
// recorded drill and seed that pauses exactly there — the same simulated time, event
// count and trace hash as the snapshot the recording holds for that second.
#include "tests/common/multi_test.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/headless_drill.h"
#include "backend/telemetry/recording_reader.h"
#include "ui/embedded_cluster.h"
#include "ui/main_window.h"
#include "ui/replay_cluster.h"
#include "app/common/steady_wall_clock.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;

namespace {

constexpr int kWaitMs = 30'000;

QString recordDrill(const QTemporaryDir& dir, const char* name)
{
    const QString path = dir.filePath(QStringLiteral("run.sqlite"));
    auto spec = drills::resolveDrill(name);
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    auto run = drills::DrillRun::create(*spec);
    if (!run.ok())
        qFatal("%s", std::string(run.status().message()).c_str());
    if (!(*run)->startRecording(path.toStdString(), false).ok())
        qFatal("cannot record");
    app::SteadyWallClock clock;
    drills::HeadlessDrillOptions options;
    options.speed = 0.0;
    const drills::HeadlessDrillResult result = drills::runDrillHeadless(std::move(*run), clock, options);
    if (!result.recording.ok())
        qFatal("%s", std::string(result.recording.message()).c_str());
    return path;
}

} // namespace

class TstResimulate : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        ui::registerSourceMetaTypes();
    }

    void reachesTheRecordedState()
    {
        QTemporaryDir dir;
        const QString path = recordDrill(dir, "synthetic-region-outage");
        ui::MainWindow window(ui::MainWindowOptions{false});
        QString error;
        QVERIFY2(window.openRecording(path, &error), qPrintable(error));
        // Without a drill recording there is nothing to re-simulate.
        auto* replay = qobject_cast<ui::ReplayCluster*>(window.source());
        QVERIFY(replay);
        const sim::Nanos target = 7 * sim::kSecond;
        replay->seek(target);
        QTRY_COMPARE_WITH_TIMEOUT(replay->cursor(), target, kWaitMs);

        auto reader = telemetry::RecordingReader::open(path.toStdString());
        QVERIFY(reader.ok());
        auto recorded = (*reader)->snapshotAt(target);
        QVERIFY(recorded.ok());
        QCOMPARE(recorded->sim_time_ns(), target);

        QVERIFY2(window.resimulateToCursor(&error), qPrintable(error));
        auto* embedded = qobject_cast<ui::EmbeddedCluster*>(window.source());
        QVERIFY(embedded);
        QSignalSpy snaps(embedded, &ui::ClusterSource::snapshotReady);
        ui::SnapshotPtr last;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QList<QVariant>& args : snaps) {
                    const auto s = args.first().value<ui::SnapshotPtr>();
                    if (s->sim_time_ns() == target && s->host().paused())
                        last = s;
                }
                return last != nullptr;
            }(),
            kWaitMs);
        QCOMPARE(last->events_executed(), recorded->events_executed());
        QCOMPARE(last->trace_hash(), recorded->trace_hash());
        // It stays there: paused at the cursor, not beyond.
        QTest::qWait(300);
        const auto s = snaps.last().first().value<ui::SnapshotPtr>();
        QCOMPARE(s->sim_time_ns(), target);
    }

    void needsADrillRecording()
    {
        ui::MainWindow window(ui::MainWindowOptions{false});
        QString error;
        QVERIFY(!window.resimulateToCursor(&error));
        QVERIFY(error.contains(QStringLiteral("recording")));
    }
};

LIVEDECK_TEST_CLASS(TstResimulate)
#include "tst_resimulate.moc"
