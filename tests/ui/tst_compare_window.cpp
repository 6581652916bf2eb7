// File → Compare… (ui/compare_window.h), offscreen, on real recordings of the gift
// engine's region-down drill and its sabotage twin (no drain):
// - a recording compared with itself: every chart draws A and B on the same points,
//   A solid and B dashed in one colour, legends "A: …" / "B: …", and every KPI ratio
//   is ×1;
// - the drill against its twin: the lines differ, the events of both runs are merged in
//   time order with A/B marks, and the cursor moves both sides — every chart draws it
//   at the same time, the KPI table shows each run's values at that second (not at the
//   end), and the event list follows;
// - the Shards and Regions tabs: each run's heatmap and map follow the cursor to that
//   run's snapshot at or before it (stepping and scrubbing keep A and B at the same
//   simulated second), the heatmaps share one scale, and the A | B switch shows both or one;
// - a file that is not a recording is refused with an error naming it;
// - re-running in another mode: every mode an engine describes is a value its settings
//   parser accepts; a drill's switches come from its engines (none for an engine with
//   one design, and the chooser says so); the changed drill text differs only there;
//   the drill re-run from the console's source in the other mode at the same seed
//   opens a comparison whose A is the drill as recorded and whose B differs; cancel
//   stops both runs.
#include "tests/common/engines.h"
#include "tests/common/multi_test.h"

#include "app/common/steady_wall_clock.h"
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_error.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/headless_drill.h"
#include "ui/compare_window.h"
#include "ui/drill_source.h"
#include "ui/region_map.h"
#include "ui/replay_cluster.h"
#include "ui/shard_heatmap.h"
#include "ui/time_chart.h"

#include <yaml-cpp/yaml.h>

#include <QFile>
#include <cmath>
#include <QListWidget>
#include <QProgressDialog>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;

namespace {

QString recordDrill(const QTemporaryDir& dir, const char* name)
{
    const QString path = dir.filePath(QString::fromUtf8(name) + QStringLiteral(".sqlite"));
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

bool sameData(const ui::TimeChart& chart, int a, int b)
{
    const auto& x = chart.lineData(a);
    const auto& y = chart.lineData(b);
    if (x.size() != y.size())
        return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i].t != y[i].t || x[i].v != y[i].v)
            return false;
    }
    return true;
}

// Every line of every chart: A's and B's data the same.
bool allLinesSame(const ui::CompareWindow& w)
{
    for (int i = 0; i < w.chartCount(); ++i) {
        for (int l = 0; l < w.chart(i)->lineCount(); l += 2) {
            if (!sameData(*w.chart(i), l, l + 1))
                return false;
        }
    }
    return true;
}

// The heatmap shows exactly the snapshot's shard load.
bool heatmapShows(const ui::ShardHeatmap& h, const v1::Snapshot& s)
{
    for (const v1::ShardLoad& l : s.shards()) {
        const int r = h.table().findRow(l.cluster(), l.shard());
        const int c = h.table().findColumn(l.partition());
        if (r < 0 || c < 0)
            return false;
        const ui::ShardCell& cell = h.table().cell(r, c);
        if (!cell.present || cell.qps != l.qps() || cell.p99Ms != l.p99_ms())
            return false;
    }
    return true;
}

bool regionDownIn(const v1::Snapshot& s, const std::string& region)
{
    for (const v1::RegionHealth& r : s.regions()) {
        if (r.region() == region && !r.up())
            return true;
    }
    return false;
}

} // namespace

class TstCompareWindow : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_drill;
    QString m_twin;

private slots:
    void initTestCase()
    {
        LIVEDECK_REQUIRE_ENGINE("gifts");
        m_drill = recordDrill(m_dir, "gifts-region-down");
        m_twin = recordDrill(m_dir, "gifts-region-down-no-drain");
    }

    void aRecordingAgainstItself()
    {
        QString error;
        std::unique_ptr<ui::CompareWindow> w(ui::CompareWindow::open(m_drill, m_drill, &error));
        QVERIFY2(w, qPrintable(error));
        w->resize(1600, 1000);
        w->show();
        QVERIFY(w->chartCount() >= 2);
        for (int i = 0; i < w->chartCount(); ++i) {
            const ui::TimeChart* c = w->chart(i);
            QVERIFY(c->lineCount() >= 2 && c->lineCount() % 2 == 0);
            for (int l = 0; l < c->lineCount(); l += 2) {
                QVERIFY(c->lineLabel(l).startsWith(QStringLiteral("A: ")));
                QVERIFY(c->lineLabel(l + 1).startsWith(QStringLiteral("B: ")));
                QCOMPARE(c->lineLabel(l).mid(3), c->lineLabel(l + 1).mid(3));
                QCOMPARE(c->linePen(l).color(), c->linePen(l + 1).color());
                QCOMPARE(c->linePen(l).style(), Qt::SolidLine);
                QCOMPARE(c->linePen(l + 1).style(), Qt::DashLine);
                QVERIFY(c->lineData(l).size() > 5);
                QVERIFY(sameData(*c, l, l + 1));
            }
        }
        const QTableWidget* kpis = w->kpiTable();
        QVERIFY(kpis->rowCount() > 0);
        int compared = 0;
        for (int r = 0; r < kpis->rowCount(); ++r) {
            QCOMPARE(kpis->item(r, 1)->text(), kpis->item(r, 2)->text());
            const QString ratio = kpis->item(r, 3)->text();
            QVERIFY2(ratio == QStringLiteral("×1") || ratio == QStringLiteral("—"), qPrintable(ratio));
            compared += ratio == QStringLiteral("×1") ? 1 : 0;
        }
        QVERIFY(compared > 0);
    }

    void theDrillAgainstItsTwin()
    {
        QString error;
        std::unique_ptr<ui::CompareWindow> w(ui::CompareWindow::open(m_drill, m_twin, &error));
        QVERIFY2(w, qPrintable(error));
        w->resize(1600, 1000);
        w->show();
        QVERIFY(w->endSeconds() > 10.0);

        bool differs = false;
        for (int i = 0; i < w->chartCount() && !differs; ++i) {
            const ui::TimeChart* c = w->chart(i);
            for (int l = 0; l < c->lineCount() && !differs; l += 2)
                differs = !sameData(*c, l, l + 1);
        }
        QVERIFY(differs);

        // Both runs' events, merged in time order.
        const QTableWidget* events = w->eventTable();
        QVERIFY(events->rowCount() > 2);
        bool sawA = false;
        bool sawB = false;
        double last = -1.0;
        for (int r = 0; r < events->rowCount(); ++r) {
            const double t = events->item(r, 0)->data(Qt::UserRole).toDouble();
            QVERIFY(t >= last);
            last = t;
            sawA = sawA || events->item(r, 1)->text() == QStringLiteral("A");
            sawB = sawB || events->item(r, 1)->text() == QStringLiteral("B");
        }
        QVERIFY(sawA && sawB);

        // The cursor moves both sides.
        QStringList atEnd;
        for (int r = 0; r < w->kpiTable()->rowCount(); ++r)
            atEnd << w->kpiTable()->item(r, 1)->text() + w->kpiTable()->item(r, 2)->text();
        const double t = 3.0;
        w->setCursorSeconds(t);
        for (int i = 0; i < w->chartCount(); ++i)
            QCOMPARE(w->chart(i)->cursorTime(), t);
        QStringList atT;
        for (int r = 0; r < w->kpiTable()->rowCount(); ++r)
            atT << w->kpiTable()->item(r, 1)->text() + w->kpiTable()->item(r, 2)->text();
        QVERIFY(atT != atEnd);
        const QList<QTableWidgetItem*> selected = events->selectedItems();
        if (events->item(0, 0)->data(Qt::UserRole).toDouble() <= t) {
            QVERIFY(!selected.isEmpty());
            const int row = selected.front()->row();
            QVERIFY(events->item(row, 0)->data(Qt::UserRole).toDouble() <= t);
            if (row + 1 < events->rowCount())
                QVERIFY(events->item(row + 1, 0)->data(Qt::UserRole).toDouble() > t);
        }
        // Keys step the cursor by a second.
        QTest::keyClick(w.get(), Qt::Key_Right);
        QCOMPARE(w->cursorSeconds(), t + 1.0);

        const QString shots = qEnvironmentVariable("LIVEDECK_COMPARE_SCREENSHOT");
        if (!shots.isEmpty()) {
            w->setCursorSeconds(w->endSeconds() / 2);
            QTest::qWait(50);
            QVERIFY(w->grab().save(shots));
        }
    }

    void shardsAndRegionsFollowTheCursor()
    {
        QString error;
        std::unique_ptr<ui::CompareWindow> w(ui::CompareWindow::open(m_drill, m_twin, &error));
        QVERIFY2(w, qPrintable(error));
        w->resize(1600, 1000);
        w->show();
        QCOMPARE(w->tabs()->count(), 3);
        // One colour scale for both runs.
        QCOMPARE(w->heatmap(0)->scaleMax(), w->heatmap(1)->scaleMax());
        QVERIFY(w->heatmap(0)->table().rowCount() > 0);

        // Stepping and scrubbing: each side shows its own snapshot at or before the cursor.
        const auto checkAligned = [&](double t) {
            for (int side = 0; side < 2; ++side) {
                const ui::SnapshotPtr shown = w->shownSnapshot(side);
                QVERIFY(shown);
                // The snapshot of the cursor's simulated second (the charts' one-second points).
                const double second = std::floor(static_cast<double>(shown->sim_time_ns()) / 1e9);
                QVERIFY2(second <= t && second > t - 1.0,
                         qPrintable(QStringLiteral("side %1 shows %2 ns at t = %3").arg(side).arg(shown->sim_time_ns()).arg(t)));
                QVERIFY(heatmapShows(*w->heatmap(side), *shown));
                QCOMPARE(w->regionMap(side)->regionDown(QStringLiteral("sh-a")), regionDownIn(*shown, "sh-a"));
            }
        };
        w->setCursorSeconds(2.0);
        checkAligned(2.0);
        const qint64 early = w->shownSnapshot(0)->sim_time_ns();
        QVERIFY(!w->regionMap(0)->regionDown(QStringLiteral("sh-a")));
        QVERIFY(!w->regionMap(1)->regionDown(QStringLiteral("sh-a")));
        for (int i = 0; i < 6; ++i) { // step second by second past the fault (sh-a down at 3 s)
            QTest::keyClick(w.get(), Qt::Key_Right);
            checkAligned(w->cursorSeconds());
        }
        QCOMPARE(w->cursorSeconds(), 8.0);
        QVERIFY(w->shownSnapshot(0)->sim_time_ns() > early);
        QVERIFY(w->regionMap(0)->regionDown(QStringLiteral("sh-a")));
        QVERIFY(w->regionMap(1)->regionDown(QStringLiteral("sh-a")));
        // Scrubbing back (the slider) returns both to the earlier second.
        w->setCursorSeconds(2.0);
        checkAligned(2.0);
        QCOMPARE(w->shownSnapshot(0)->sim_time_ns(), early);
        QVERIFY(!w->regionMap(1)->regionDown(QStringLiteral("sh-a")));
        w->setCursorSeconds(w->endSeconds());
        checkAligned(w->endSeconds());

        // The switch: both side by side, or one of them.
        w->tabs()->setCurrentIndex(1);
        QTest::qWait(10);
        QCOMPARE(w->sideView(), ui::CompareWindow::SideView::Both);
        QVERIFY(w->heatmap(0)->isVisible() && w->heatmap(1)->isVisible());
        w->setSideView(ui::CompareWindow::SideView::B);
        QVERIFY(!w->heatmap(0)->isVisible() && w->heatmap(1)->isVisible());
        w->tabs()->setCurrentIndex(2);
        QVERIFY(!w->regionMap(0)->isVisible() && w->regionMap(1)->isVisible());
        w->setSideView(ui::CompareWindow::SideView::A);
        QVERIFY(w->regionMap(0)->isVisible() && !w->regionMap(1)->isVisible());
        w->setSideView(ui::CompareWindow::SideView::Both);
        QVERIFY(w->regionMap(0)->isVisible() && w->regionMap(1)->isVisible());
    }

    void modesAreValuesTheEnginesAccept()
    {
        int described = 0;
        for (const engine::EngineFactory* f : engine::processEngines().all()) {
            for (const engine::ModeOffer& m : f->modes()) {
                QVERIFY(!m.setting.empty());
                QVERIFY2(m.values.size() >= 2, std::string(f->name()).c_str());
                QVERIFY(std::find(m.values.begin(), m.values.end(), m.defaultValue) != m.values.end());
                for (const std::string& v : m.values) {
                    YAML::Node node;
                    node[m.setting] = v;
                    try {
                        QVERIFY(f->parseSettings(node));
                    } catch (const engine::DrillError& e) {
                        QFAIL(e.what());
                    }
                    ++described;
                }
                YAML::Node bad;
                bad[m.setting] = "no-such-mode";
                QVERIFY_THROWS_EXCEPTION(engine::DrillError, f->parseSettings(bad));
            }
        }
        QVERIFY(described >= 2);
    }

    void aDrillsSwitchesComeFromItsEngines()
    {
        // The drill sets no mode: the engine's default is what it runs.
        auto spec = drills::resolveDrill("gifts-region-down");
        QVERIFY(spec.ok());
        const std::vector<ui::ModeSwitch> switches = ui::modeSwitches(*spec);
        QCOMPARE(switches.size(), std::size_t{1});
        const ui::ModeSwitch& s = switches.front();
        QCOMPARE(s.engine, std::string("gifts"));
        const engine::ModeOffer offer = engine::processEngines().find("gifts")->modes().front();
        QCOMPARE(s.from, offer.defaultValue);
        QVERIFY(s.to != s.from);
        QVERIFY(ui::noModeSwitchReason(*spec).isEmpty());
        // Not written: the drill is written out again with it, and loads.
        auto text = ui::drillTextWith(*spec, s);
        QVERIFY2(text.ok(), std::string(text.status().message()).c_str());
        auto changed = drills::loadDrill(*text, "changed");
        QVERIFY2(changed.ok(), std::string(changed.status().message()).c_str());
        const std::vector<ui::ModeSwitch> back = ui::modeSwitches(*changed);
        QCOMPARE(back.size(), std::size_t{1});
        QCOMPARE(back.front().from, s.to);
        QCOMPARE(back.front().to, s.from);

        // Written: replaced where it stands, every other line as it was.
        if (engine::processEngines().find("messaging")) {
            auto legacy = drills::resolveDrill("messaging-query-legacy");
            QVERIFY(legacy.ok());
            const std::vector<ui::ModeSwitch> m = ui::modeSwitches(*legacy);
            QCOMPARE(m.size(), std::size_t{1});
            QCOMPARE(m.front().from, std::string("legacy"));
            auto t = ui::drillTextWith(*legacy, m.front());
            QVERIFY(t.ok());
            const QStringList before = QString::fromStdString(legacy->text).split(QLatin1Char('\n'));
            const QStringList after = QString::fromStdString(*t).split(QLatin1Char('\n'));
            QCOMPARE(after.size(), before.size());
            int differing = 0;
            for (int i = 0; i < before.size(); ++i) {
                if (before[i] != after[i]) {
                    ++differing;
                    QVERIFY(after[i].trimmed().startsWith(QStringLiteral("mode: ")));
                    QVERIFY(after[i].endsWith(QString::fromStdString(m.front().to)));
                }
            }
            QCOMPARE(differing, 1);
        }

        // An engine with one design offers none, and the chooser says so.
        auto synthetic = drills::resolveDrill("synthetic-chaos");
        QVERIFY(synthetic.ok());
        QVERIFY(ui::modeSwitches(*synthetic).empty());
        QVERIFY(ui::noModeSwitchReason(*synthetic).contains(QStringLiteral("synthetic")));
        QString error;
        std::unique_ptr<ui::ClusterSource> source = ui::makeDrillCluster(QStringLiteral("synthetic-chaos"), std::nullopt, {}, &error);
        QVERIFY2(source, qPrintable(error));
        ui::CompareChooser chooser(source.get());
        QCOMPARE(chooser.choices()->count(), 1); // only "Two recordings…"
        QCOMPARE(chooser.chosen(), -1);
        QVERIFY(chooser.note().contains(QStringLiteral("synthetic")));
        // A recording of a drill with a mode offers the switch; no source offers none.
        auto replay = ui::ReplayCluster::open(m_drill, &error);
        QVERIFY2(replay, qPrintable(error));
        ui::CompareChooser fromReplay(replay.get());
        QCOMPARE(fromReplay.choices()->count(), 2);
        QCOMPARE(fromReplay.chosen(), 0);
        QCOMPARE(fromReplay.drill().seed, std::uint64_t{1});
        ui::CompareChooser none(nullptr);
        QCOMPARE(none.choices()->count(), 1);
        QVERIFY(!none.note().isEmpty());
    }

    void reRunTheDrillInTheOtherMode()
    {
        // The console runs the drill (an embedded drill source at seed 1).
        QString error;
        std::unique_ptr<ui::ClusterSource> source =
            ui::makeDrillCluster(QStringLiteral("gifts-region-down"), std::uint64_t{1}, {}, &error);
        QVERIFY2(source, qPrintable(error));
        ui::CompareChooser chooser(source.get());
        QCOMPARE(chooser.choices()->count(), 2);
        QCOMPARE(chooser.chosen(), 0); // the mode switch is preselected
        const ui::ModeSwitch change = chooser.modeSwitches().front();

        QWidget parent;
        parent.resize(800, 600);
        parent.show();
        ui::ModeComparison* run = ui::ModeComparison::runWithProgress(chooser.drill(), change, &parent, &error);
        QVERIFY2(run, qPrintable(error));
        QSignalSpy opened(run, &ui::ModeComparison::windowOpened);
        QSignalSpy finished(run, &ui::ModeComparison::finished);
        QSignalSpy progressed(run, &ui::ModeComparison::progressed);
        QVERIFY(parent.findChild<QProgressDialog*>(QStringLiteral("compare.progress")));
        QVERIFY(finished.wait(240'000));
        QVERIFY2(finished.front().at(0).toBool(), qPrintable(finished.front().at(1).toString()));
        QVERIFY(!opened.isEmpty());
        QVERIFY(!progressed.isEmpty());
        QTRY_VERIFY(!parent.findChild<QProgressDialog*>(QStringLiteral("compare.progress")));
        auto* w = opened.front().front().value<ui::CompareWindow*>();
        QVERIFY(w);
        QCOMPARE(w->parentWidget(), &parent);
        QVERIFY(w->sideLabel(0).contains(QString::fromStdString(change.from)));
        QVERIFY(w->sideLabel(1).contains(QString::fromStdString(change.to)));
        QVERIFY(w->endSeconds() > 10.0);

        // A is the drill as it runs (the recording made in initTestCase, same seed); B differs.
        std::unique_ptr<ui::CompareWindow> recorded(ui::CompareWindow::open(m_drill, m_drill, &error));
        QVERIFY2(recorded, qPrintable(error));
        QCOMPARE(w->chartCount(), recorded->chartCount());
        for (int i = 0; i < w->chartCount(); ++i) {
            for (int l = 0; l < w->chart(i)->lineCount(); l += 2) {
                QCOMPARE(w->chart(i)->lineData(l).size(), recorded->chart(i)->lineData(l).size());
                for (std::size_t k = 0; k < w->chart(i)->lineData(l).size(); ++k)
                    QCOMPARE(w->chart(i)->lineData(l)[k].v, recorded->chart(i)->lineData(l)[k].v);
            }
        }
        QVERIFY(!allLinesSame(*w));
        // One time axis: the cursor moves both.
        w->setCursorSeconds(5.0);
        for (int i = 0; i < w->chartCount(); ++i)
            QCOMPARE(w->chart(i)->cursorTime(), 5.0);
        QVERIFY(w->shownSnapshot(0) && w->shownSnapshot(1));
        QCOMPARE(w->shownSnapshot(0)->sim_time_ns(), w->shownSnapshot(1)->sim_time_ns());
        delete w;
    }

    void cancelStopsBothRuns()
    {
        auto spec = drills::resolveDrill("gifts-region-down");
        QVERIFY(spec.ok());
        const std::vector<ui::ModeSwitch> switches = ui::modeSwitches(*spec);
        QVERIFY(!switches.empty());
        ui::ModeComparison run(ui::DrillToCompare{*spec, 1}, switches.front());
        QSignalSpy finished(&run, &ui::ModeComparison::finished);
        QString error;
        QVERIFY2(run.start(&error), qPrintable(error));
        QVERIFY(run.running());
        run.cancel();
        QVERIFY(finished.wait(30'000));
        QCOMPARE(finished.front().at(0).toBool(), false);
        QVERIFY(run.cancelled());
        QVERIFY(!run.running());
        QVERIFY(run.progress() >= 0.0);
        QVERIFY(!run.openWindow(&error));
    }

    void notARecording()
    {
        const QString junk = m_dir.filePath(QStringLiteral("junk.sqlite"));
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("no database here");
        f.close();
        QString error;
        QVERIFY(!ui::CompareWindow::open(m_drill, junk, &error));
        QVERIFY2(error.contains(QStringLiteral("junk.sqlite")), qPrintable(error));
    }
};

LIVEDECK_TEST_CLASS(TstCompareWindow)
#include "tst_compare_window.moc"
