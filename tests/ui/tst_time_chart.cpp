// TimeChart and ChartsPanel: fault markers are painted on the time axis (red line at the
// fault's start, shading until its end), one rebuild per changed line per tick and none
// when nothing changed, lines are painted where the axes map them, flat runs are kept as
// their ends, decimation to min/max per pixel column keeps extremes, and the panel feeds
// every chart from snapshots and fault events.
#include "tests/common/engines.h"
#include "tests/common/multi_test.h"
#include "tests/ui/fixtures/gala_scenario.h"
#include "ui/charts_panel.h"
#include "ui/dashboard_hub.h"
#include "ui/palette.h"
#include "ui/time_chart.h"

#include <QChart>

#include <cmath>
#include <QImage>
#include <QSignalSpy>
#include <QTest>
#include <QValueAxis>
#include <QXYSeries>

using namespace livedeck;

namespace {

bool reddish(const QColor& c)
{
    return c.red() > 150 && c.red() > c.green() + 60 && c.red() > c.blue() + 60;
}

} // namespace

class TstTimeChart : public QObject {
    Q_OBJECT
private slots:
    void faultMarkerIsPaintedAtItsTime()
    {
        ui::TimeChart chart(QStringLiteral("Rates"), QStringLiteral("1/s"));
        chart.resize(600, 320);
        chart.show();
        const int line = chart.addLine(QStringLiteral("orders"));
        for (int t = 0; t <= 120; ++t)
            chart.addPoint(line, t, 100.0 + t);
        chart.addFaultOn(7, 40.0, QStringLiteral("latency"));
        chart.addFaultOff(7, 80.0);
        chart.refresh(120.0);
        QCOMPARE(chart.faultSpanCount(), 1);
        const QImage img = chart.grab().toImage();
        const qreal dpr = chart.devicePixelRatioF();
        const auto at = [&](double t, double v) {
            const QPointF p = chart.mapToWidget(t, v);
            return img.pixelColor(QPoint(static_cast<int>(p.x() * dpr), static_cast<int>(p.y() * dpr)));
        };
        // The start line is red; a point inside the fault span is tinted; one before it is not.
        const double yMid = chart.yMax() * 0.35; // below the line's values, on the plot
        bool redLine = false;
        for (int dx = -1; dx <= 1 && !redLine; ++dx) {
            const QPointF p = chart.mapToWidget(40.0, yMid);
            redLine = reddish(img.pixelColor(QPoint(static_cast<int>((p.x() + dx) * dpr), static_cast<int>(p.y() * dpr))));
        }
        QVERIFY(redLine);
        const QColor inside = at(60.0, yMid);
        const QColor before = at(20.0, yMid);
        QVERIFY2(inside.red() > inside.blue() + 8, qPrintable(inside.name()));   // pink shading
        QVERIFY2(std::abs(before.red() - before.blue()) < 8, qPrintable(before.name())); // plain background
    }

    void oneRebuildPerChangedLinePerTick()
    {
        ui::TimeChart chart(QStringLiteral("x"));
        chart.resize(400, 240);
        const int a = chart.addLine(QStringLiteral("a"));
        const int b = chart.addLine(QStringLiteral("b"));
        for (int t = 0; t < 600; ++t) {
            chart.addPoint(a, t, t);
            chart.addPoint(b, t, 2 * t);
        }
        chart.refresh(600.0);
        QCOMPARE(chart.rebuildCount(), std::uint64_t(2));
        chart.refresh(600.0); // nothing new: no replace
        QCOMPARE(chart.rebuildCount(), std::uint64_t(2));
        chart.addPoint(a, 600, 1.0);
        chart.refresh(600.5);
        QCOMPARE(chart.rebuildCount(), std::uint64_t(3)); // only the changed line
        QCOMPARE(chart.xMax(), 600.5);
        QCOMPARE(chart.xMin(), 0.5); // 10-minute window
    }

    void seriesHoldsTheWindowAndReachesBackWhenItWidens()
    {
        ui::TimeChart chart(QStringLiteral("x"));
        chart.resize(400, 240);
        const int a = chart.addLine(QStringLiteral("a"));
        for (int t = 0; t <= 1200; ++t)
            chart.addPoint(a, t, t);
        chart.refresh(1200.0);
        const QList<QPointF>& shown = chart.shownPoints(a);
        // The 10-minute window [600, 1200] and one point left of it (the line reaches the edge).
        QCOMPARE(shown.size(), 602);
        QCOMPARE(shown.front().x(), 599.0);
        QCOMPARE(shown.back().x(), 1200.0);
        // Moving on without new points for the line: no rebuild, the axis alone moves.
        const std::uint64_t replaces = chart.rebuildCount();
        chart.refresh(1200.5);
        QCOMPARE(chart.rebuildCount(), replaces);
        QCOMPARE(chart.shownPoints(a).size(), 602);
        // A wider window needs the earlier points: the line gets them.
        chart.setWindowSeconds(900.0);
        chart.refresh(1200.5);
        QCOMPARE(chart.xMin(), 300.5);
        QCOMPARE(chart.shownPoints(a).front().x(), 300.0);
        QCOMPARE(chart.shownPoints(a).back().x(), 1200.0);
        // The legend keeps one entry per line: the line's series, which holds no points.
        QCOMPARE(chart.chart()->series().size(), 1);
        QCOMPARE(qobject_cast<QXYSeries*>(chart.chart()->series().front())->count(), 0);
    }

    void flatRunsKeepOnlyTheirEnds()
    {
        ui::RingBuffer<ui::TimePoint> ring(100);
        for (int t = 0; t < 10; ++t)
            ring.push(ui::TimePoint{double(t), t < 3 ? 1.0 : (t < 8 ? 5.0 : double(t))});
        QList<QPointF> out;
        ui::TimeChart::visiblePoints(ring, 0.0, 100.0, 300, ui::TimeChart::kDecimateAbove, out);
        // 1,1,1 | 5,5,5,5,5 | 8,9 -> (0,1) (2,1) (3,5) (7,5) (8,8) (9,9)
        const QList<QPointF> expected{{0, 1}, {2, 1}, {3, 5}, {7, 5}, {8, 8}, {9, 9}};
        QCOMPARE(out, expected);
    }

    void linesArePaintedWhereTheAxesPutThem()
    {
        ui::TimeChart chart(QStringLiteral("Rates"));
        chart.resize(600, 320);
        chart.show();
        const int line = chart.addLine(QStringLiteral("flat"));
        for (int t = 0; t <= 120; ++t)
            chart.addPoint(line, t, 50.0);
        chart.refresh(120.0);
        const QImage img = chart.grab().toImage();
        const qreal dpr = chart.devicePixelRatioF();
        const QColor want = ui::palette::seriesColor(0);
        // Within a pixel of the line's position at t = 50 (between grid lines) the line's
        // colour shows at full strength: lines are drawn on pixel centres.
        const QPointF p = chart.mapToWidget(50.0, 50.0);
        bool found = false;
        for (int dy = -1; dy <= 1 && !found; ++dy) {
            const QColor c = img.pixelColor(QPoint(int(p.x() * dpr), int((p.y() + dy) * dpr)));
            found = std::abs(c.red() - want.red()) < 40 && std::abs(c.green() - want.green()) < 40 &&
                    std::abs(c.blue() - want.blue()) < 40;
        }
        QVERIFY2(found, "the line is not where the axes map its value");
        // Far from it (a quarter of the y range below) there is no line colour.
        const QPointF q = chart.mapToWidget(50.0, 50.0 - chart.yMax() / 4);
        const QColor off = img.pixelColor(QPoint(int(q.x() * dpr), int(q.y() * dpr)));
        QVERIFY2(std::abs(off.red() - off.blue()) < 12, qPrintable(off.name()));
    }

    void yAxisTicksFallOnRoundValues()
    {
        const auto roundStep = [](double step) {
            const double p = std::pow(10.0, std::floor(std::log10(step)));
            const double m = step / p;
            for (double r : {1.0, 2.0, 2.5, 5.0, 10.0}) {
                if (std::fabs(m - r) < 1e-9)
                    return true;
            }
            return false;
        };
        struct Case {
            double lo, hi;
            ui::TimeChart::YMode mode;
        };
        for (const Case& c : {Case{0.0, 30.0, ui::TimeChart::YMode::FromZero}, Case{0.0, 1234.0, ui::TimeChart::YMode::FromZero},
                              Case{99.5, 99.97, ui::TimeChart::YMode::Auto}}) {
            ui::TimeChart chart(QStringLiteral("y"));
            chart.resize(600, 320);
            chart.setYMode(c.mode);
            const int line = chart.addLine(QStringLiteral("a"));
            for (int t = 0; t <= 60; ++t)
                chart.addPoint(line, t, c.lo + (c.hi - c.lo) * t / 60.0);
            chart.refresh(60.0);
            auto* axis = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).front());
            QVERIFY(axis);
            QCOMPARE(axis->min(), chart.yMin());
            QCOMPARE(axis->max(), chart.yMax());
            const int ticks = axis->tickCount();
            QVERIFY2(ticks >= 3 && ticks <= 6, qPrintable(QString::number(ticks)));
            const double step = (axis->max() - axis->min()) / (ticks - 1);
            QVERIFY2(roundStep(step), qPrintable(QStringLiteral("step %1 for %2..%3").arg(step).arg(c.lo).arg(c.hi)));
            QVERIFY(std::fabs(std::remainder(axis->min(), step)) < 1e-9 * std::max(1.0, step)); // on a multiple of the step
            QVERIFY(axis->max() >= c.hi && axis->min() <= c.lo);
        }
    }

    void clickReportsTheTimeUnderIt()
    {
        ui::TimeChart chart(QStringLiteral("Rates"));
        chart.resize(600, 320);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const int line = chart.addLine(QStringLiteral("orders"));
        for (int t = 0; t <= 300; ++t)
            chart.addPoint(line, t, 10.0);
        chart.refresh(300.0);
        QSignalSpy spy(&chart, &ui::TimeChart::clicked);
        const QPoint at = chart.mapToWidget(123.0, 5.0).toPoint();
        QTest::mouseClick(chart.viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(spy.count(), 1);
        const double t = spy.front().front().toDouble();
        // Within a pixel's worth of time (300 s over the plot's width).
        QVERIFY2(std::fabs(t - 123.0) < 1.5, qPrintable(QString::number(t)));
        // Outside the plot (on the title) nothing is reported.
        QTest::mouseClick(chart.viewport(), Qt::LeftButton, {}, QPoint(chart.width() / 2, 4));
        QCOMPARE(spy.count(), 1);
    }

    void allZeroLineShowsZeroToOne()
    {
        ui::TimeChart chart(QStringLiteral("count"));
        chart.resize(600, 320);
        const int line = chart.addLine(QStringLiteral("open"));
        for (int t = 0; t <= 30; ++t)
            chart.addPoint(line, t, 0.0);
        chart.refresh(30.0);
        QCOMPARE(chart.yMin(), 0.0);
        QCOMPARE(chart.yMax(), 1.0);
    }

    void ringKeepsTheNewestPoints()
    {
        ui::TimeChart chart(QStringLiteral("x"), {}, nullptr, 100);
        const int a = chart.addLine(QStringLiteral("a"));
        for (int t = 0; t < 250; ++t)
            chart.addPoint(a, t, t);
        chart.addPoint(a, 10, 5.0);               // earlier than the last: ignored
        chart.addPoint(a, 249, 7.0);              // same time: replaces
        const auto& ring = chart.lineData(a);
        QCOMPARE(ring.size(), std::size_t(100));
        QCOMPARE(ring.front().t, 150.0);
        QCOMPARE(ring.back().v, 7.0);
    }

    void decimationKeepsExtremes()
    {
        ui::RingBuffer<ui::TimePoint> ring(50'000);
        for (int i = 0; i < 50'000; ++i)
            ring.push(ui::TimePoint{i * 0.01, (i == 31'337) ? 1000.0 : (i == 12'345 ? -1000.0 : std::sin(i * 0.001))});
        QList<QPointF> out;
        ui::TimeChart::visiblePoints(ring, 0.0, 500.0, 300, ui::TimeChart::kDecimateAbove, out);
        QVERIFY(out.size() <= 2 * 300 + 4);
        double maxV = -1e9;
        double minV = 1e9;
        for (const QPointF& p : out) {
            maxV = std::max(maxV, p.y());
            minV = std::min(minV, p.y());
        }
        QCOMPARE(maxV, 1000.0);
        QCOMPARE(minV, -1000.0);
        for (int i = 1; i < out.size(); ++i)
            QVERIFY(out[i].x() >= out[i - 1].x()); // time order kept
        // Below the threshold every point passes.
        ui::TimeChart::visiblePoints(ring, 0.0, 50.0, 300, ui::TimeChart::kDecimateAbove, out);
        // Points 0 … 5000 lie in [0, 50] (the last one at the right edge); the first one
        // sits on the left edge, so nothing is added on either side.
        QCOMPARE(out.size(), qsizetype(5001));
    }

    void panelFeedsEveryChartAndMarksFaults()
    {
        LIVEDECK_REQUIRE_ENGINE("gifts"); // the gift engine\'s chart headlines
        ui::fixtures::GalaScenario scenario;
        ui::DashboardHub hub;
        ui::ChartsPanel panel(&hub);
        hub.addPanel(&panel);
        panel.resize(1000, 900);
        panel.show();
        hub.applyTopology(scenario.topology()); // the engines' chart headlines and names
        for (int t = 0; t <= 600; ++t) {
            auto events = scenario.eventsBetween(t - 1, t);
            if (!events.empty())
                hub.applyEvents(std::make_shared<const std::vector<v1::Event>>(std::move(events)));
            hub.applySnapshot(scenario.snapshotAt(t, t == 0));
        }
        hub.tick();
        QCOMPARE(panel.chartCount(), 8);
        for (int i = 0; i < panel.chartCount(); ++i) {
            ui::TimeChart* c = panel.chart(i);
            QVERIFY2(c->lineCount() > 0, qPrintable(c->objectName()));
            QCOMPARE(c->lineData(0).size(), std::size_t(601));
            QCOMPARE(c->faultSpanCount(), 4); // latency, error-rate, partition, down
        }
        // Rates sum over components: orders placed in all three regions.
        ui::TimeChart* rates = panel.chartTitled(QStringLiteral("Request rates"));
        QVERIFY(rates);
        QCOMPARE(rates->lineLabel(0), QStringLiteral("orders.placed")); // the engine prefix is dropped in legends
        const auto snapshot = scenario.snapshotAt(600, true);
        ui::SeriesCatalog c;
        c.apply(*snapshot);
        QCOMPARE(rates->lineData(0).back().v, c.aggregate("gifts.orders.placed", v1::METRIC_TYPE_COUNTER, ui::Aggregate::Sum));
        // Errors go to the errors chart, not the rates chart.
        for (int l = 0; l < rates->lineCount(); ++l)
            QVERIFY(!rates->lineLabel(l).contains(QStringLiteral("error")));
        QCOMPARE(panel.chartTitled(QStringLiteral("Errors"))->lineLabel(0), QStringLiteral("errors"));
        // A new run clears the history.
        hub.resetRun();
        QCOMPARE(panel.chart(0)->faultSpanCount(), 0);
    }
};

LIVEDECK_TEST_CLASS(TstTimeChart)
#include "tst_time_chart.moc"
