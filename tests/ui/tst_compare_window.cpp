// File → Compare recordings… (ui/compare_window.h), offscreen, on real recordings of
// the gift engine's region-down drill and its sabotage twin (no drain):
// - a recording compared with itself: every chart draws A and B on the same points,
//   A solid and B dashed in one colour, legends "A: …" / "B: …", and every KPI ratio
//   is ×1;
// - the drill against its twin: the lines differ, the events of both runs are merged in
//   time order with A/B marks, and the cursor moves both sides — every chart draws it
//   at the same time, the KPI table shows each run's values at that second (not at the
//   end), and the event list follows;
// - a file that is not a recording is refused with an error naming it.
#include "tests/common/engines.h"
#include "tests/common/multi_test.h"

#include "app/common/steady_wall_clock.h"
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/headless_drill.h"
#include "ui/compare_window.h"
#include "ui/time_chart.h"

#include <QFile>
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
