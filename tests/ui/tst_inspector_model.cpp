// InspectorModel: region → engine → component tree with live key/value rows. Checked by
// QAbstractItemModelTester (fatal) through topology, value updates, key changes and new
// components; values and structure are asserted too.
#include "tests/common/multi_test.h"
#include "tests/ui/fixtures/gala_scenario.h"
#include "ui/dashboard_hub.h"
#include "ui/inspector_model.h"
#include "ui/inspector_panel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>

using namespace livedeck;

namespace {

v1::Snapshot stateOf(std::initializer_list<std::pair<const char*, std::vector<std::pair<const char*, const char*>>>> comps)
{
    v1::Snapshot s;
    for (const auto& [path, kvs] : comps) {
        auto* c = s.add_components();
        c->set_path(path);
        for (const auto& [k, v] : kvs) {
            auto* e = c->add_state();
            e->set_key(k);
            e->set_value(v);
        }
    }
    return s;
}

} // namespace

class TstInspectorModel : public QObject {
    Q_OBJECT
private slots:
    void passesModelTesterThroughUpdates()
    {
        ui::InspectorModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        ui::fixtures::GalaScenario scenario;
        model.applyTopology(*scenario.topology());
        QCOMPARE(model.rowCount(), 3); // gz, sh-a, sh-b
        for (int t = 0; t < 20; ++t)
            model.applySnapshot(*scenario.snapshotAt(t * 7, false));
        // Keys change shape, components appear.
        model.applySnapshot(stateOf({{"sh-a/gifts/order-svc", {{"qps", "1"}, {"new-key", "x"}}},
                                     {"sh-a/gifts/order-svc/extra/9", {{"a", "1"}}},
                                     {"world/synthetic", {{"sent", "5"}}}}));
        model.applySnapshot(stateOf({{"sh-a/gifts/order-svc", {}}}));
        model.applySnapshot(stateOf({{"sh-a/gifts/order-svc", {{"qps", "2"}}}}));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        model.applyTopology(*scenario.topology());
        QVERIFY(model.rowCount() > 0);
    }

    void treeIsRegionEngineComponent()
    {
        ui::InspectorModel model;
        model.applySnapshot(stateOf({{"sh-a/gifts/order-db/3", {{"rows", "9000000"}, {"role", "primary"}}},
                                     {"sh-a", {{"up", "true"}}}}));
        const QModelIndex region = model.indexForPath(QStringLiteral("sh-a"));
        QVERIFY(region.isValid());
        QCOMPARE(region.data().toString(), QStringLiteral("sh-a"));
        QCOMPARE(model.rowCount(region), 2); // its key "up" + the engine "gifts"
        const QModelIndex component = model.indexForPath(QStringLiteral("sh-a/gifts/order-db/3"));
        QVERIFY(component.isValid());
        QCOMPARE(component.data().toString(), QStringLiteral("order-db/3"));
        QCOMPARE(component.parent().data().toString(), QStringLiteral("gifts"));
        QCOMPARE(component.parent().parent(), region);
        QCOMPARE(model.rowCount(component), 2);
        QCOMPARE(model.index(0, 0, component).data().toString(), QStringLiteral("rows"));
        QCOMPARE(model.index(0, 1, component).data().toString(), QStringLiteral("9000000"));
        QCOMPARE(model.valueOf(QStringLiteral("sh-a/gifts/order-db/3"), QStringLiteral("role")), QStringLiteral("primary"));
        QCOMPARE(model.index(1, 0, component).data(ui::InspectorModel::PathRole).toString(), QStringLiteral("sh-a/gifts/order-db/3"));
    }

    void valueUpdatesAreDataChangedNotResets()
    {
        ui::InspectorModel model;
        model.applySnapshot(stateOf({{"sh-a/gifts/x", {{"a", "1"}, {"b", "2"}, {"c", "3"}}}}));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        model.applySnapshot(stateOf({{"sh-a/gifts/x", {{"a", "1"}, {"b", "20"}, {"c", "30"}}}}));
        QCOMPARE(changed.count(), 1);
        const QModelIndex from = changed.at(0).at(0).value<QModelIndex>();
        const QModelIndex to = changed.at(0).at(1).value<QModelIndex>();
        QCOMPARE(from.row(), 1);
        QCOMPARE(to.row(), 2);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(model.valueOf(QStringLiteral("sh-a/gifts/x"), QStringLiteral("c")), QStringLiteral("30"));
        model.applySnapshot(stateOf({{"sh-a/gifts/x", {{"a", "1"}, {"b", "20"}, {"c", "30"}}}}));
        QCOMPARE(changed.count(), 1); // same values: nothing emitted
    }

    void panelSelectsComponentFromElsewhere()
    {
        ui::DashboardHub hub;
        ui::InspectorPanel panel(&hub);
        hub.addPanel(&panel);
        ui::fixtures::GalaScenario scenario;
        hub.applyTopology(scenario.topology());
        hub.applySnapshot(scenario.snapshotAt(5, true));
        hub.selectComponent(QStringLiteral("sh-b/gifts/order-svc"));
        QCOMPARE(panel.selectedPath(), QStringLiteral("sh-b/gifts/order-svc"));
        // An unknown child path selects its nearest known ancestor.
        hub.selectComponent(QStringLiteral("sh-b/gifts/order-svc/unknown/7"));
        QCOMPARE(panel.selectedPath(), QStringLiteral("sh-b/gifts/order-svc"));
    }
};

LIVEDECK_TEST_CLASS(TstInspectorModel)
#include "tst_inspector_model.moc"
