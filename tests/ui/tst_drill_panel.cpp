// Drill panel: a scripted DrillState shows its faults on the timeline in time order,
// the expectations with their verdicts and, once finished, the report; blind mode
// hides timeline and expectations until the end. An embedded run of a built-in drill
// publishes its drill state to the panel.
#include "tests/common/multi_test.h"
#include "ui/dashboard_hub.h"
#include "ui/drill_panel.h"
#include "ui/drill_source.h"

#include <QSignalSpy>
#include <QTest>

using namespace livedeck;

namespace {

std::shared_ptr<v1::Snapshot> drillSnapshot(double seconds, v1::DrillPhase phase)
{
    auto s = std::make_shared<v1::Snapshot>();
    s->set_run_id("drill-1");
    s->set_sim_time_ns(static_cast<std::int64_t>(seconds * 1e9));
    v1::DrillState* d = s->mutable_drill();
    d->set_name("gala-test");
    d->set_seed(7);
    d->set_duration_ns(600'000'000'000);
    d->set_sim_time_ns(s->sim_time_ns());
    d->set_phase(phase);
    // Listed out of order: the timeline sorts by start.
    auto* late = d->add_timeline();
    late->set_kind(v1::FAULT_DOWN);
    late->set_target("gz");
    late->set_start_ns(400'000'000'000);
    late->set_end_ns(500'000'000'000);
    auto* early = d->add_timeline();
    early->set_kind(v1::FAULT_LATENCY);
    early->set_target("sh-a/gifts/order-db/3");
    early->set_start_ns(60'000'000'000);
    early->set_end_ns(120'000'000'000);
    auto* e = d->add_expectations();
    e->set_name("panel availability >= 99.99 %");
    e->set_passed(true);
    e->set_observed("99.995 %");
    auto* f = d->add_expectations();
    f->set_name("order p99 <= 250 ms");
    f->set_passed(false);
    f->set_observed("312 ms");
    auto* inv = d->add_invariants();
    inv->set_name("no paid order lost");
    inv->set_passed(true);
    if (phase == v1::DRILL_FINISHED) {
        d->set_score(71.5);
        d->set_report_json("{\"drill\": \"gala-test\", \"passed\": false}");
    }
    return s;
}

} // namespace

class TstDrillPanel : public QObject {
    Q_OBJECT
private slots:
    void timelineExpectationsAndReport()
    {
        ui::DashboardHub hub;
        ui::DrillPanel panel(&hub);
        hub.addPanel(&panel);
        panel.resize(900, 500);
        panel.show();
        hub.applySnapshot(drillSnapshot(90, v1::DRILL_RUNNING));
        hub.tick();
        QVERIFY(panel.hasDrill());
        QVERIFY(panel.titleText().contains(QStringLiteral("gala-test")));
        QVERIFY(panel.titleText().contains(QStringLiteral("running")));
        QCOMPARE(panel.timeline()->faultCount(), 2);
        const QRect first = panel.timeline()->barRect(0);
        const QRect second = panel.timeline()->barRect(1);
        QVERIFY(first.isValid() && second.isValid());
        QVERIFY(first.right() < second.left()); // 60–120 s before 400–500 s
        QVERIFY(second.top() > first.top());
        // The active latency fault is painted in the fault colour on its bar.
        const QImage img = panel.timeline()->grab().toImage();
        const QColor c = img.pixelColor(QPoint(first.left() + first.width() / 4, first.center().y())); // left of "now"
        QVERIFY2(c.red() > 180 && c.green() < 90, qPrintable(c.name()));
        QCOMPARE(panel.expectationCount(), 2);
        QCOMPARE(panel.failingExpectations(), 1);
        QVERIFY(panel.reportText().isEmpty());

        hub.applySnapshot(drillSnapshot(600, v1::DRILL_FINISHED));
        hub.tick();
        QVERIFY(panel.ended());
        QVERIFY(panel.reportText().contains(QStringLiteral("\"passed\": false")));
        QVERIFY(panel.reportText().contains(QStringLiteral("71.5")));
    }

    void blindModeHidesUntilTheEnd()
    {
        ui::DashboardHub hub;
        ui::DrillPanel panel(&hub);
        hub.addPanel(&panel);
        panel.resize(900, 500);
        panel.show();
        panel.setBlind(true);
        hub.applySnapshot(drillSnapshot(90, v1::DRILL_RUNNING));
        hub.tick();
        QVERIFY(panel.concealed());
        QVERIFY(!panel.timeline()->isVisible());
        hub.applySnapshot(drillSnapshot(600, v1::DRILL_FINISHED));
        hub.tick();
        QVERIFY(!panel.concealed()); // the end reveals everything
        QVERIFY(panel.timeline()->isVisible());
        panel.setBlind(false);
        QVERIFY(!panel.concealed());
    }

    void embeddedDrillPublishesItsState()
    {
        const QStringList names = ui::builtinDrillNames();
        QVERIFY(!names.isEmpty());
        QVERIFY(names.contains(ui::defaultDrillName()));
        ui::EmbeddedOptions o;
        o.startPaused = true;
        QString error;
        QVERIFY(!ui::makeDrillCluster(QStringLiteral("no-such-drill"), std::nullopt, o, &error));
        QVERIFY2(error.contains(QStringLiteral("no-such-drill")), qPrintable(error));
        const QString name = names.contains(QStringLiteral("synthetic-chaos")) ? QStringLiteral("synthetic-chaos") : names.front();
        auto cluster = ui::makeDrillCluster(name, 3, o, &error);
        QVERIFY2(cluster, qPrintable(error));
        QCOMPARE(cluster->info().seed, 3ULL);
        ui::DashboardHub hub;
        ui::DrillPanel panel(&hub);
        hub.addPanel(&panel);
        hub.setSource(cluster.get());
        cluster->start();
        QTRY_VERIFY_WITH_TIMEOUT(panel.hasDrill(), 10'000);
        hub.tick();
        QVERIFY2(panel.titleText().contains(name), qPrintable(panel.titleText()));
        QVERIFY(panel.titleText().contains(QStringLiteral("seed 3")));
        hub.setSource(nullptr);
        cluster->stop();
    }
};

LIVEDECK_TEST_CLASS(TstDrillPanel)
#include "tst_drill_panel.moc"
