#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::sim;

namespace {

v1::Command partition(const std::string& a, const std::string& b, bool oneWay)
{
    v1::Command c;
    auto* f = c.mutable_inject_fault()->mutable_fault();
    f->set_kind(v1::FAULT_PARTITION);
    f->set_target(a);
    auto* p = f->add_params();
    p->set_name("peer");
    p->set_text(b);
    auto* w = f->add_params();
    w->set_name("one_way");
    w->set_value(oneWay ? 1 : 0);
    return c;
}

} // namespace

class TstTopology : public QObject {
    Q_OBJECT
private slots:
    void defaults()
    {
        const Topology t = Topology::defaults();
        QCOMPARE(t.regions().size(), std::size_t{3});
        QCOMPARE(t.regions()[0].name, std::string("sh-a"));
        QCOMPARE(t.regions()[2].name, std::string("gz"));
        QCOMPARE(t.regions()[0].city, t.regions()[1].city);
        const LinkSpec* l = t.link(t.regionIndex("sh-a"), t.regionIndex("sh-b"));
        QVERIFY(l);
        QCOMPARE(l->latency, 1 * kMillisecond);
        QVERIFY(t.link(t.regionIndex("sh-a"), t.regionIndex("gz"))->latency > 10 * kMillisecond);
        QCOMPARE(t.dataCentreIndex("gz1"), 2);
    }

    void latencyWithinJitterBounds_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<qint64>("low");
        QTest::addColumn<qint64>("high");
        QTest::newRow("same dc") << QStringLiteral("sh-a/x/1") << QStringLiteral("sh-a/x/2") << qint64(100'000) << qint64(100'000);
        QTest::newRow("sh-a to sh-b") << QStringLiteral("sh-a/x/1") << QStringLiteral("sh-b/x/1") << qint64(1'000'000) << qint64(1'200'000);
        QTest::newRow("sh-b to gz") << QStringLiteral("sh-b/x/1") << QStringLiteral("gz/x/1") << qint64(30'000'000) << qint64(33'000'000);
    }
    void latencyWithinJitterBounds()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(qint64, low);
        QFETCH(qint64, high);
        World w;
        auto& reg = w.components();
        const ComponentId a = reg.mustAdd(from.toStdString(), "svc");
        const ComponentId b = reg.mustAdd(to.toStdString(), "svc");
        Nanos minSeen = kNever, maxSeen = 0;
        for (int i = 0; i < 2000; ++i) {
            const Delivery d = w.network().send(a, b);
            QVERIFY(d.delivered());
            minSeen = std::min(minSeen, d.latency);
            maxSeen = std::max(maxSeen, d.latency);
        }
        QVERIFY(minSeen >= low);
        QVERIFY(maxSeen <= high);
        if (high > low)
            QVERIFY(maxSeen > minSeen); // jitter actually drawn
    }

    void lossRateIsHonoured()
    {
        WorldConfig cfg;
        cfg.topology.setLink("sh-a", "gz", 30 * kMillisecond, 0, 0.25);
        World w(std::move(cfg));
        const ComponentId a = w.components().mustAdd("sh-a/x", "svc");
        const ComponentId b = w.components().mustAdd("gz/x", "svc");
        int lost = 0;
        for (int i = 0; i < 20000; ++i)
            lost += w.network().send(a, b).outcome == Delivery::Outcome::Lost ? 1 : 0;
        QVERIFY2(lost > 4600 && lost < 5400, qPrintable(QString::number(lost)));
    }

    void symmetricPartition()
    {
        World w;
        const ComponentId a = w.components().mustAdd("sh-a/x", "svc");
        const ComponentId b = w.components().mustAdd("gz/x", "svc");
        const ComponentId c = w.components().mustAdd("sh-b/x", "svc");
        QVERIFY(w.apply(partition("sh-a", "gz", false)).ok());
        w.scheduler().runUntil(1);
        QCOMPARE(w.network().send(a, b).outcome, Delivery::Outcome::Partitioned);
        QCOMPARE(w.network().send(b, a).outcome, Delivery::Outcome::Partitioned);
        QVERIFY(w.network().send(a, c).delivered());
        QVERIFY(w.network().send(c, b).delivered());
        QVERIFY(!w.network().regionReachable(0, 2));
    }

    void oneWayPartition()
    {
        World w;
        const ComponentId a = w.components().mustAdd("sh-a/x", "svc");
        const ComponentId b = w.components().mustAdd("gz/x", "svc");
        QVERIFY(w.apply(partition("sh-a", "gz", true)).ok());
        w.scheduler().runUntil(1);
        QCOMPARE(w.network().send(a, b).outcome, Delivery::Outcome::Partitioned);
        QVERIFY(w.network().send(b, a).delivered());
    }

    void regionDownAndBack()
    {
        World w;
        const ComponentId a = w.components().mustAdd("sh-a/gifts/x", "svc");
        const ComponentId b = w.components().mustAdd("sh-b/gifts/x", "svc");
        v1::Command c;
        auto* f = c.mutable_inject_fault()->mutable_fault();
        f->set_kind(v1::FAULT_DOWN);
        f->set_target("sh-a");
        f->set_start_ns(10 * kMillisecond);
        f->set_end_ns(50 * kMillisecond);
        QVERIFY(w.apply(c).ok());
        QVERIFY(w.network().send(b, a).delivered()); // not yet
        w.scheduler().runUntil(20 * kMillisecond);
        QCOMPARE(w.network().send(b, a).outcome, Delivery::Outcome::DestinationDown);
        QCOMPARE(w.network().send(a, b).outcome, Delivery::Outcome::SourceDown);
        w.scheduler().runUntil(60 * kMillisecond);
        QVERIFY(w.network().send(b, a).delivered());
    }

    void linkLatencyFault()
    {
        World w;
        const ComponentId a = w.components().mustAdd("sh-a/x", "svc");
        const ComponentId b = w.components().mustAdd("sh-b/x", "svc");
        v1::Command c;
        auto* f = c.mutable_inject_fault()->mutable_fault();
        f->set_kind(v1::FAULT_LATENCY);
        f->set_target("sh-a");
        auto* p = f->add_params();
        p->set_name("add_ms");
        p->set_value(20);
        auto* peer = f->add_params();
        peer->set_name("peer");
        peer->set_text("sh-b");
        QVERIFY(w.apply(c).ok());
        w.scheduler().runUntil(1);
        const Delivery d = w.network().send(b, a);
        QVERIFY(d.latency >= 21 * kMillisecond);
    }

    void topologyProto()
    {
        World w;
        w.components().mustAdd("sh-a/gifts/order-db/3", "sql-shard");
        v1::Topology t;
        w.topologyToProto(t);
        QCOMPARE(t.regions_size(), 3);
        QCOMPARE(t.links_size(), 3);
        bool found = false;
        for (const auto& c : t.components()) {
            if (c.path() == "sh-a/gifts/order-db/3") {
                found = true;
                QCOMPARE(c.region(), std::string("sh-a"));
                QCOMPARE(c.data_centre(), std::string("sh-a1"));
                QCOMPARE(c.engine(), std::string("gifts"));
                QCOMPARE(c.kind(), std::string("sql-shard"));
            }
        }
        QVERIFY(found);
    }
};

LIVEDECK_TEST_CLASS(TstTopology)
#include "tst_topology.moc"
