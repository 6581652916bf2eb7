#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::sim;

namespace {

v1::FaultSpec spec(v1::FaultKind kind, const std::string& target, Nanos start, Nanos end,
                   std::initializer_list<std::pair<const char*, double>> params = {})
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(target);
    f.set_start_ns(start);
    f.set_end_ns(end);
    for (const auto& [n, v] : params) {
        auto* p = f.add_params();
        p->set_name(n);
        p->set_value(v);
    }
    return f;
}

} // namespace

class TstFaults : public QObject {
    Q_OBJECT
private slots:
    void pathMatching_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("matches");
        QTest::newRow("exact") << QStringLiteral("sh-a/gifts/order-db/3") << QStringLiteral("sh-a/gifts/order-db/3") << true;
        QTest::newRow("region prefix") << QStringLiteral("sh-a") << QStringLiteral("sh-a/gifts/order-db/3") << true;
        QTest::newRow("engine prefix") << QStringLiteral("sh-a/gifts") << QStringLiteral("sh-a/gifts/order-db/3") << true;
        QTest::newRow("not a segment prefix") << QStringLiteral("sh-a/gift") << QStringLiteral("sh-a/gifts/x") << false;
        QTest::newRow("other region") << QStringLiteral("sh-b") << QStringLiteral("sh-a/gifts/x") << false;
        QTest::newRow("longer than path") << QStringLiteral("sh-a/gifts/x/1") << QStringLiteral("sh-a/gifts/x") << false;
        QTest::newRow("wildcard region") << QStringLiteral("*/gifts/order-db") << QStringLiteral("gz/gifts/order-db/3") << true;
        QTest::newRow("wildcard mismatch") << QStringLiteral("*/gifts/mq") << QStringLiteral("gz/gifts/order-db/3") << false;
        QTest::newRow("empty target") << QString() << QStringLiteral("sh-a") << false;
        QTest::newRow("region name prefix") << QStringLiteral("sh") << QStringLiteral("sh-a/x") << false;
    }
    void pathMatching()
    {
        QFETCH(QString, target);
        QFETCH(QString, path);
        QFETCH(bool, matches);
        QCOMPARE(pathMatches(target.toStdString(), path.toStdString()), matches);
    }

    void activationAndExpiryAreEvents()
    {
        World w;
        w.components().mustAdd("sh-a/gifts/order-db/3", "sql-shard");
        auto id = w.faults().inject(spec(v1::FAULT_ERROR_RATE, "sh-a/gifts", 10 * kMillisecond, 30 * kMillisecond, {{"rate", 0.5}}));
        QVERIFY(id.ok());
        QVERIFY(!w.faults().effect(v1::FAULT_ERROR_RATE, "sh-a/gifts/order-db/3").present);
        w.scheduler().runUntil(10 * kMillisecond);
        const FaultEffect e = w.faults().effect(v1::FAULT_ERROR_RATE, "sh-a/gifts/order-db/3");
        QVERIFY(e.present);
        QCOMPARE(e.rate, 0.5);
        QCOMPARE(w.events().count("fault.on"), std::uint64_t{1});
        QVERIFY(!w.faults().effect(v1::FAULT_ERROR_RATE, "sh-b/gifts/order-db/3").present);
        w.scheduler().runUntil(30 * kMillisecond);
        QVERIFY(!w.faults().effect(v1::FAULT_ERROR_RATE, "sh-a/gifts/order-db/3").present);
        QCOMPARE(w.events().count("fault.off"), std::uint64_t{1});
        QVERIFY(w.faults().get(*id) == nullptr);
        QCOMPARE(w.events().recent().back().kind(), std::string("fault.off"));
        QCOMPARE(w.events().recent().back().sim_time_ns(), 30 * kMillisecond);
    }

    void effectsAggregate()
    {
        World w;
        w.components().mustAdd("sh-a/gifts/x", "svc");
        QVERIFY(w.faults().inject(spec(v1::FAULT_LATENCY, "sh-a", 0, 0, {{"add_ms", 5}, {"multiply", 2}})).ok());
        QVERIFY(w.faults().inject(spec(v1::FAULT_LATENCY, "sh-a/gifts/x", 0, 0, {{"add_ms", 7}, {"multiply", 3}})).ok());
        QVERIFY(w.faults().inject(spec(v1::FAULT_ERROR_RATE, "sh-a", 0, 0, {{"rate", 0.5}})).ok());
        QVERIFY(w.faults().inject(spec(v1::FAULT_ERROR_RATE, "sh-a/gifts", 0, 0, {{"rate", 0.5}})).ok());
        w.scheduler().runUntil(0);
        const FaultEffect lat = w.faults().effect(v1::FAULT_LATENCY, "sh-a/gifts/x");
        QCOMPARE(lat.addMs, 12.0);
        QCOMPARE(lat.multiply, 6.0);
        QCOMPARE(w.faults().effect(v1::FAULT_ERROR_RATE, "sh-a/gifts/x").rate, 0.75);
    }

    void clearAndRenew()
    {
        World w;
        w.components().mustAdd("sh-a/x", "svc");
        auto id = w.faults().inject(spec(v1::FAULT_DOWN, "sh-a/x", 0, 100 * kMillisecond));
        QVERIFY(id.ok());
        w.scheduler().runUntil(1);
        QVERIFY(w.faults().isDown("sh-a/x"));
        QVERIFY(w.faults().setEnd(*id, 500 * kMillisecond).ok()); // lease renewed
        w.scheduler().runUntil(200 * kMillisecond);
        QVERIFY(w.faults().isDown("sh-a/x"));
        QVERIFY(w.faults().clear(*id).ok());
        QVERIFY(!w.faults().isDown("sh-a/x"));
        QVERIFY(!w.faults().clear(*id).ok());
        w.scheduler().runUntil(kSecond); // the cancelled expiry does not fire again
        QCOMPARE(w.events().count("fault.off"), std::uint64_t{1});
    }

    void badSpecsAreRefusedWithReasons_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("param");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("unknown kind") << 0 << QStringLiteral("sh-a/x") << QString() << 0.0 << QStringLiteral("expected one of");
        QTest::newRow("rate too big") << int(v1::FAULT_ERROR_RATE) << QStringLiteral("sh-a/x") << QStringLiteral("rate") << 1.5 << QStringLiteral("rate in (0, 1]");
        QTest::newRow("rate missing") << int(v1::FAULT_MQ_LOSS) << QStringLiteral("sh-a/x") << QString() << 0.0 << QStringLiteral("rate in (0, 1]");
        QTest::newRow("unknown target") << int(v1::FAULT_DOWN) << QStringLiteral("mars/x") << QString() << 0.0 << QStringLiteral("matches no component");
        QTest::newRow("empty target") << int(v1::FAULT_DOWN) << QString() << QString() << 0.0 << QStringLiteral("is empty");
        QTest::newRow("unknown param") << int(v1::FAULT_DOWN) << QStringLiteral("sh-a/x") << QStringLiteral("speed") << 1.0 << QStringLiteral("unknown parameter 'speed'");
        QTest::newRow("partition without peer") << int(v1::FAULT_PARTITION) << QStringLiteral("sh-a") << QString() << 0.0 << QStringLiteral("peer");
        QTest::newRow("slow disk below 1") << int(v1::FAULT_SLOW_DISK) << QStringLiteral("sh-a/x") << QStringLiteral("multiply") << 0.5 << QStringLiteral("multiply >= 1");
    }
    void badSpecsAreRefusedWithReasons()
    {
        QFETCH(int, kind);
        QFETCH(QString, target);
        QFETCH(QString, param);
        QFETCH(double, value);
        QFETCH(QString, messagePart);
        World w;
        w.components().mustAdd("sh-a/x", "svc");
        v1::FaultSpec f;
        f.set_kind(static_cast<v1::FaultKind>(kind));
        f.set_target(target.toStdString());
        if (!param.isEmpty()) {
            auto* p = f.add_params();
            p->set_name(param.toStdString());
            p->set_value(value);
        }
        auto id = w.faults().inject(f);
        QVERIFY(!id.ok());
        const QString msg = QString::fromStdString(std::string(id.status().message()));
        QVERIFY2(msg.contains(messagePart), qPrintable(msg));
        QVERIFY(w.faults().all().empty());
    }

    void endBeforeStartRefused()
    {
        World w;
        w.components().mustAdd("sh-a/x", "svc");
        auto id = w.faults().inject(spec(v1::FAULT_DOWN, "sh-a/x", 50, 20));
        QVERIFY(!id.ok());
    }

    void vocabularyRoundTrips()
    {
        for (int k = 1; k < v1::FaultKind_ARRAYSIZE; ++k) {
            const auto kind = static_cast<v1::FaultKind>(k);
            const std::string_view name = FaultRegistry::kindName(kind);
            QVERIFY(name != "unknown");
            auto parsed = FaultRegistry::parseKind(name);
            QVERIFY(parsed.ok());
            QCOMPARE(*parsed, kind);
        }
        QVERIFY(!FaultRegistry::parseKind("meteor").ok());
    }

    void listenersAndGeneration()
    {
        World w;
        w.components().mustAdd("sh-a/x", "svc");
        std::vector<bool> seen;
        w.faults().addListener([&](const Fault&, bool active) { seen.push_back(active); });
        const auto g0 = w.faults().generation();
        QVERIFY(w.faults().inject(spec(v1::FAULT_HOT_KEY, "sh-a/x", 0, 10, {{"share", 0.4}})).ok());
        w.scheduler().runUntil(100);
        QCOMPARE(seen, (std::vector<bool>{true, false}));
        QCOMPARE(w.faults().generation(), g0 + 2);
    }

    void toProtoCarriesParams()
    {
        World w;
        w.components().mustAdd("sh-a/x", "svc");
        auto id = w.faults().inject(spec(v1::FAULT_REPLICA_LAG, "sh-a/x", 0, 5 * kSecond, {{"add_ms", 700}}));
        QVERIFY(id.ok());
        v1::FaultSpec out;
        w.faults().toProto(*id, out);
        QCOMPARE(out.kind(), v1::FAULT_REPLICA_LAG);
        QCOMPARE(out.end_ns(), 5 * kSecond);
        QCOMPARE(out.params_size(), 1);
        QCOMPARE(out.params(0).value(), 700.0);
    }
};

LIVEDECK_TEST_CLASS(TstFaults)
#include "tst_faults.moc"
