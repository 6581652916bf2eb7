// Fault dialog: offers the whole vocabulary, checks specs with the backend's own
// validation (same refusals, same messages) and turns delay/duration into absolute
// simulated times.
#include "tests/common/multi_test.h"
#include "ui/fault_dialog.h"

#include <QTest>

using namespace livedeck;

class TstFaultDialog : public QObject {
    Q_OBJECT
private slots:
    void validation_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("param");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::newRow("latency default") << int(v1::FAULT_LATENCY) << QString() << 0.0 << QString() << true;
        QTest::newRow("down needs nothing") << int(v1::FAULT_DOWN) << QString() << 0.0 << QString() << true;
        QTest::newRow("partition without peer") << int(v1::FAULT_PARTITION) << QString() << 0.0 << QString() << false;
        QTest::newRow("partition with peer") << int(v1::FAULT_PARTITION) << QStringLiteral("peer") << 0.0 << QStringLiteral("gz") << true;
        QTest::newRow("error rate 0.5") << int(v1::FAULT_ERROR_RATE) << QStringLiteral("rate") << 0.5 << QString() << true;
        QTest::newRow("hot key") << int(v1::FAULT_HOT_KEY) << QStringLiteral("share") << 0.3 << QString() << true;
        QTest::newRow("clock skew negative") << int(v1::FAULT_CLOCK_SKEW) << QStringLiteral("add_ms") << -250.0 << QString() << true;
        QTest::newRow("load spike") << int(v1::FAULT_LOAD_SPIKE) << QStringLiteral("multiply") << 4.0 << QString() << true;
    }
    void validation()
    {
        QFETCH(int, kind);
        QFETCH(QString, param);
        QFETCH(double, value);
        QFETCH(QString, text);
        QFETCH(bool, valid);
        ui::FaultDialog d(QStringLiteral("sh-a"), {}, 0);
        d.setKind(static_cast<v1::FaultKind>(kind));
        QCOMPARE(d.kind(), static_cast<v1::FaultKind>(kind));
        if (!text.isEmpty())
            QVERIFY(d.setParamText(param, text));
        else if (!param.isEmpty())
            QVERIFY(d.setParam(param, value));
        const QString error = d.validationError();
        QVERIFY2(error.isEmpty() == valid, qPrintable(error));
        if (!valid)
            QVERIFY(error.contains(QStringLiteral("peer")));
    }

    void emptyTargetIsRefused()
    {
        ui::FaultDialog d(QString(), {}, 0);
        d.setKind(v1::FAULT_DOWN);
        QVERIFY(d.validationError().contains(QStringLiteral("target")));
    }

    void timesAreAbsolute()
    {
        const std::int64_t now = 90'000'000'000;
        ui::FaultDialog d(QStringLiteral("gz"), {}, now);
        d.setKind(v1::FAULT_DOWN);
        d.setStartDelaySeconds(0);
        d.setDurationSeconds(45);
        v1::FaultSpec s = d.spec();
        QCOMPARE(s.start_ns(), std::int64_t(0)); // now, when applied
        QCOMPARE(s.end_ns(), now + 45'000'000'000);
        d.setStartDelaySeconds(10);
        s = d.spec();
        QCOMPARE(s.start_ns(), now + 10'000'000'000);
        QCOMPARE(s.end_ns(), now + 55'000'000'000);
        d.setDurationSeconds(0);
        QCOMPARE(d.spec().end_ns(), std::int64_t(0)); // until cleared
        QCOMPARE(d.spec().target(), std::string("gz"));
        QCOMPARE(d.spec().origin(), std::string("console"));
    }

    void optionalTextIsLeftOut()
    {
        ui::FaultDialog d(QStringLiteral("sh-a/gifts/order-svc"), {}, 0);
        d.setKind(v1::FAULT_LATENCY);
        QVERIFY(d.setParam(QStringLiteral("add_ms"), 120));
        const v1::FaultSpec s = d.spec();
        for (const v1::FaultParam& p : s.params())
            QVERIFY(p.name() != "peer"); // empty optional peer is not sent
        QVERIFY(d.validationError().isEmpty());
    }
};

LIVEDECK_TEST_CLASS(TstFaultDialog)
#include "tst_fault_dialog.moc"
