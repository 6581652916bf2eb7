// The console builds what is engine-specific from the engines' descriptors alone: a
// test-only engine "testeng", which nothing under ui/ knows, gets its Overview tiles
// (with thresholds, a ratio and a target text), its chart headlines and legend labels,
// its load profiles and parameters in the Set-load dialog, its actions (target kind,
// value with unit and range, confirmation for a remote cluster) in the operator-action
// dialog, and its component kind's headline keys first in the inspector.
#include "tests/common/multi_test.h"
#include "ui/charts_panel.h"
#include "ui/command_dialogs.h"
#include "ui/dashboard_hub.h"
#include "ui/inspector_model.h"
#include "ui/kpi_tile.h"
#include "ui/overview_panel.h"

#include <QTest>

using namespace livedeck;

namespace {

std::shared_ptr<v1::Topology> testTopology()
{
    auto t = std::make_shared<v1::Topology>();
    for (const char* r : {"north", "south"}) {
        v1::Region& region = *t->add_regions();
        region.set_name(r);
    }
    v1::Component& c = *t->add_components();
    c.set_path("north/testeng/widget");
    c.set_kind("widget-maker");
    c.set_region("north");
    c.set_engine("testeng");

    v1::EngineDescriptor& e = *t->add_engines();
    e.set_name("testeng");
    e.set_title("Test engine");
    v1::MetricDescriptor& m = *e.add_metrics();
    m.set_name("testeng.drops");
    m.set_role(v1::METRIC_ROLE_ERRORS); // no failure word in the name: the role decides
    v1::KpiTile& made = *e.add_tiles();
    made.set_id("testeng.made");
    made.set_title("Widgets made");
    made.set_series("testeng.made");
    made.set_type(v1::METRIC_TYPE_COUNTER);
    made.set_aggregate(v1::AGGREGATE_SUM);
    made.set_unit("/s");
    made.set_higher_is_better(true);
    made.set_good(100);
    made.set_warn(50);
    made.set_target_text("at least 100/s");
    made.set_group("testeng");
    v1::KpiTile& drop = *e.add_tiles();
    drop.set_id("testeng.drop-share");
    drop.set_title("Dropped");
    drop.set_series("testeng.drops");
    drop.set_type(v1::METRIC_TYPE_COUNTER);
    drop.set_aggregate(v1::AGGREGATE_RATIO);
    drop.set_denominator_series("testeng.made");
    drop.set_unit("%");
    drop.set_scale(100);
    drop.set_decimals(1);
    drop.set_higher_is_better(false);
    drop.set_good(1);
    drop.set_warn(5);
    drop.set_target_text("of widgets");
    drop.set_group("testeng");
    v1::ChartHeadline& rates = *e.add_charts();
    rates.set_chart("throughput");
    rates.add_series("testeng.made"); // first, although first seen last
    v1::ChartHeadline& errors = *e.add_charts();
    errors.set_chart("errors");
    errors.add_series("testeng.drops");
    v1::LoadProfileDescriptor& rush = *e.add_load_profiles();
    rush.set_name("rush");
    rush.set_description("a rush of orders");
    v1::ParamDescriptor& per = *rush.add_params();
    per.set_name("widgets_per_sec");
    per.set_default_value(250);
    per.set_unit("1/s");
    per.set_max(1e6);
    e.add_load_profiles()->set_name("calm");
    v1::ActionDescriptor& slow = *e.add_actions();
    slow.set_name("slow-down");
    slow.set_description("limit widget making");
    slow.set_target(v1::ACTION_TARGET_REGION);
    slow.set_takes_value(true);
    slow.mutable_value()->set_name("widgets per second");
    slow.mutable_value()->set_unit("1/s");
    slow.mutable_value()->set_min(1);
    slow.mutable_value()->set_max(500);
    slow.mutable_value()->set_default_value(42);
    slow.set_changes_world(true);
    v1::ActionDescriptor& poke = *e.add_actions();
    poke.set_name("poke");
    poke.set_description("look at a widget maker");
    poke.set_target(v1::ACTION_TARGET_COMPONENT);
    poke.set_target_hint("widget-maker");
    v1::ComponentKindDescriptor& kind = *e.add_component_kinds();
    kind.set_kind("widget-maker");
    kind.add_headline_keys("made");
    kind.add_headline_keys("state");
    return t;
}

std::shared_ptr<v1::Snapshot> testSnapshot(double made, double drops, double other)
{
    auto s = std::make_shared<v1::Snapshot>();
    s->set_sim_time_ns(5'000'000'000);
    const auto series = [&](std::uint32_t id, const char* name, double v) {
        v1::SeriesDef& d = *s->add_series_defs();
        d.set_id(id);
        d.set_name(name);
        d.set_component("north/testeng/widget");
        d.set_type(v1::METRIC_TYPE_COUNTER);
        d.set_unit("1/s");
        s->add_sample_ids(id);
        s->add_sample_values(v);
    };
    series(0, "testeng.queue.polls", other); // first seen, not a headline
    series(1, "testeng.drops", drops);
    series(2, "testeng.made", made);
    v1::ComponentState& c = *s->add_components();
    c.set_path("north/testeng/widget");
    for (const auto& [k, v] : {std::pair{"colour", "blue"}, std::pair{"state", "busy"}, std::pair{"made", "17"}}) {
        v1::KeyValue& kv = *c.add_state();
        kv.set_key(k);
        kv.set_value(v);
    }
    return s;
}

} // namespace

class TstEngineSeam : public QObject {
    Q_OBJECT
private slots:
    void overviewShowsTheEnginesTiles()
    {
        ui::DashboardHub hub;
        ui::OverviewPanel panel(&hub);
        hub.addPanel(&panel);
        hub.applyTopology(testTopology());
        QCOMPARE(panel.engineTileCount(), 2);
        QCOMPARE(panel.engineGroupTitles(), QStringList{QStringLiteral("Test engine")});
        hub.applySnapshot(testSnapshot(80, 2, 7));
        ui::KpiTile* made = panel.engineTile(QStringLiteral("testeng.made"));
        ui::KpiTile* drop = panel.engineTile(QStringLiteral("testeng.drop-share"));
        QVERIFY(made && drop);
        QCOMPARE(made->valueText(), QStringLiteral("80/s"));
        QCOMPARE(made->detailText(), QStringLiteral("at least 100/s"));
        QCOMPARE(made->status(), ui::KpiTile::Status::Warning); // 80: between warn 50 and good 100
        QCOMPARE(drop->valueText(), QStringLiteral("2.5 %"));     // 2 / 80 × 100, one decimal
        QCOMPARE(drop->status(), ui::KpiTile::Status::Warning);
        hub.applySnapshot(testSnapshot(400, 40, 7));
        QCOMPARE(made->status(), ui::KpiTile::Status::Good);
        QCOMPARE(drop->valueText(), QStringLiteral("10.0 %"));
        QCOMPARE(drop->status(), ui::KpiTile::Status::Bad);
    }

    void chartsUseTheHeadlines()
    {
        ui::DashboardHub hub;
        ui::ChartsPanel panel(&hub);
        hub.addPanel(&panel);
        hub.applyTopology(testTopology());
        hub.applySnapshot(testSnapshot(80, 2, 7));
        ui::TimeChart* rates = panel.chartTitled(QStringLiteral("Request rates"));
        ui::TimeChart* errors = panel.chartTitled(QStringLiteral("Errors"));
        QVERIFY(rates && errors);
        // The headline first although seen last; legend labels without the engine's name.
        QCOMPARE(rates->lineCount(), 2);
        QCOMPARE(rates->lineLabel(0), QStringLiteral("made"));
        QCOMPARE(rates->lineLabel(1), QStringLiteral("queue.polls"));
        // "drops" has no failure word: the errors headline (and its role) put it there.
        QCOMPARE(errors->lineCount(), 1);
        QCOMPARE(errors->lineLabel(0), QStringLiteral("drops"));
    }

    void loadDialogOffersTheProfiles()
    {
        const auto t = testTopology();
        ui::LoadDialog d(*t);
        QCOMPARE(d.engines(), QStringList{QStringLiteral("testeng")});
        QCOMPARE(d.profiles(), (QStringList{QString(), QStringLiteral("rush"), QStringLiteral("calm")}));
        d.setProfile(QStringLiteral("rush"));
        QCOMPARE(d.paramNames(), QStringList{QStringLiteral("widgets_per_sec")});
        d.setMultiplier(2.5);
        QCOMPARE(d.engine(), QStringLiteral("testeng"));
        QCOMPARE(d.profile(), QStringLiteral("rush"));
        QCOMPARE(d.multiplier(), 2.5);
    }

    void actionDialogOffersTheActions()
    {
        const auto t = testTopology();
        ui::ActionDialog d(*t, QStringLiteral("north/testeng/widget"));
        QCOMPARE(d.actionNames(), (QStringList{QStringLiteral("slow-down"), QStringLiteral("poke")}));
        d.setAction(QStringLiteral("slow-down"));
        QCOMPARE(d.targetChoices(), (QStringList{QStringLiteral("north"), QStringLiteral("south")}));
        QVERIFY(d.valueShown());
        QCOMPARE(d.value(), 42.0);
        QCOMPARE(d.valueMinimum(), 1.0);
        QCOMPARE(d.valueMaximum(), 500.0);
        QCOMPARE(d.valueSuffix(), QStringLiteral(" 1/s"));
        QVERIFY(ui::ActionDialog::needsConfirmation(*d.action(), QStringLiteral("remote")));
        QVERIFY(!ui::ActionDialog::needsConfirmation(*d.action(), QStringLiteral("embedded")));
        d.setAction(QStringLiteral("poke"));
        QVERIFY(!d.valueShown());
        QCOMPARE(d.value(), 0.0);
        QCOMPARE(d.targetChoices(), QStringList{QStringLiteral("north/testeng/widget")});
        QCOMPARE(d.target(), QStringLiteral("north/testeng/widget")); // the inspector's selection
        QVERIFY(!ui::ActionDialog::needsConfirmation(*d.action(), QStringLiteral("remote")));
    }

    void inspectorShowsHeadlineKeysFirst()
    {
        ui::InspectorModel model;
        model.applyTopology(*testTopology());
        model.applySnapshot(*testSnapshot(80, 2, 7));
        const QModelIndex node = model.indexForPath(QStringLiteral("north/testeng/widget"));
        QVERIFY(node.isValid());
        QStringList keys;
        for (int r = 0; r < 3; ++r)
            keys.push_back(model.index(r, 0, node).data().toString());
        QCOMPARE(keys, (QStringList{QStringLiteral("made"), QStringLiteral("state"), QStringLiteral("colour")}));
        QVERIFY(model.index(0, 0, node).data(Qt::FontRole).value<QFont>().bold());
        QVERIFY(!model.index(2, 0, node).data(Qt::FontRole).isValid());
        QCOMPARE(model.valueOf(QStringLiteral("north/testeng/widget"), QStringLiteral("made")), QStringLiteral("17"));
    }
};

LIVEDECK_TEST_CLASS(TstEngineSeam)
#include "tst_engine_seam.moc"
