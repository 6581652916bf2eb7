// Event log: the model keeps the newest events up to its capacity, the filter selects
// by kind (exact or family), component path, text and severity, and clicking an event
// selects its component and offers its seed and time.
#include "tests/common/multi_test.h"
#include "tests/ui/fixtures/scripted_cluster.h"
#include "ui/dashboard_hub.h"
#include "ui/event_log_model.h"
#include "ui/event_log_panel.h"

#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace livedeck;

namespace {

v1::Event makeEvent(std::uint64_t seq, double seconds, const char* kind, const char* component, v1::Severity sev, const char* message)
{
    v1::Event e;
    e.set_seq(seq);
    e.set_sim_time_ns(static_cast<std::int64_t>(seconds * 1e9));
    e.set_kind(kind);
    e.set_component(component);
    e.set_severity(sev);
    e.set_message(message);
    e.set_event_index(seq * 1000);
    return e;
}

std::vector<v1::Event> sample()
{
    return {makeEvent(1, 1.0, "fault.on", "", v1::SEVERITY_WARNING, "latency on sh-b/gifts/order-db/3"),
            makeEvent(2, 2.0, "breaker.transition", "sh-a/gifts/privileged-svc/breaker-0", v1::SEVERITY_ALERT, "closed -> open"),
            makeEvent(3, 3.0, "alert.slow_sql", "sh-b/gifts/order-db/3", v1::SEVERITY_WARNING, "slow SQL took 1.8 s"),
            makeEvent(4, 4.0, "fault.off", "", v1::SEVERITY_INFO, "latency ended"),
            makeEvent(5, 5.0, "breaker.transition", "sh-a/gifts/privileged-svc/breaker-1", v1::SEVERITY_INFO, "open -> half-open")};
}

} // namespace

class TstEventLog : public QObject {
    Q_OBJECT
private slots:
    void filterSelects_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("severity");
        QTest::addColumn<int>("rows");
        QTest::newRow("all") << QString() << QString() << QString() << 0 << 5;
        QTest::newRow("kind exact") << QStringLiteral("fault.on") << QString() << QString() << 0 << 1;
        QTest::newRow("kind family") << QStringLiteral("fault.*") << QString() << QString() << 0 << 2;
        QTest::newRow("path prefix") << QString() << QStringLiteral("sh-a/gifts/privileged-svc") << QString() << 0 << 2;
        QTest::newRow("path exact") << QString() << QStringLiteral("sh-b/gifts/order-db/3") << QString() << 0 << 1;
        QTest::newRow("text in message") << QString() << QString() << QStringLiteral("SLOW sql") << 0 << 1;
        QTest::newRow("severity alert+") << QString() << QString() << QString() << int(v1::SEVERITY_ALERT) << 1;
        QTest::newRow("kind and path") << QStringLiteral("breaker.transition") << QStringLiteral("sh-a") << QString() << 0 << 2;
        QTest::newRow("nothing") << QStringLiteral("fault.on") << QStringLiteral("gz") << QString() << 0 << 0;
    }
    void filterSelects()
    {
        QFETCH(QString, kind);
        QFETCH(QString, path);
        QFETCH(QString, text);
        QFETCH(int, severity);
        QFETCH(int, rows);
        ui::EventLogModel model;
        ui::EventFilter filter;
        filter.setSourceModel(&model);
        model.append(sample());
        filter.setKind(kind);
        filter.setPath(path);
        filter.setText(text);
        filter.setMinSeverity(static_cast<v1::Severity>(severity));
        QCOMPARE(filter.rowCount(), rows);
    }

    void capacityDropsTheOldest()
    {
        ui::EventLogModel model(nullptr, 3);
        model.append(sample());
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0, 0).data(ui::EventLogModel::SeqRole).toULongLong(), 3ULL);
        QCOMPARE(model.dropped(), 2ULL);
        model.append({makeEvent(6, 6.0, "x.y", "", v1::SEVERITY_INFO, "six")});
        QCOMPARE(model.index(2, ui::EventLogModel::MessageColumn).data().toString(), QStringLiteral("six"));
        model.append({makeEvent(6, 6.0, "x.y", "", v1::SEVERITY_INFO, "six again")}); // same seq: not twice
        QCOMPARE(model.rowCount(), 3);
        QVERIFY(model.kinds().contains(QStringLiteral("x.y")));
    }

    void clickSelectsComponentAndCopiesSeedAndTime()
    {
        ui::fixtures::ScriptedCluster source;
        ui::DashboardHub hub;
        ui::EventLogPanel panel(&hub);
        hub.addPanel(&panel);
        hub.setSource(&source);
        source.start();
        hub.applyEvents(std::make_shared<const std::vector<v1::Event>>(sample()));
        panel.resize(900, 300);
        panel.show();
        QSignalSpy selected(&hub, &ui::DashboardHub::componentSelected);
        QSignalSpy time(&hub, &ui::DashboardHub::timeSelected);
        QTableView* view = panel.view();
        const QModelIndex row = view->model()->index(1, ui::EventLogModel::KindColumn);
        view->setCurrentIndex(row);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(row).center());
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.at(0).at(0).toString(), QStringLiteral("sh-a/gifts/privileged-svc/breaker-0"));
        QCOMPARE(time.at(0).at(0).toLongLong(), 2'000'000'000LL);
        const QString copied = panel.seedAndTimeText();
        QVERIFY2(copied.contains(QStringLiteral("seed=7")), qPrintable(copied));
        QVERIFY(copied.contains(QStringLiteral("sim_time_ns=2000000000")));
        QVERIFY(copied.contains(QStringLiteral("event_index=2000")));
        QVERIFY(copied.contains(QStringLiteral("run=gala-7")));
        QVERIFY(panel.selectionText().contains(QStringLiteral("T+00:00:02.000")));
        hub.setSource(nullptr);
    }
};

LIVEDECK_TEST_CLASS(TstEventLog)
#include "tst_event_log.moc"
