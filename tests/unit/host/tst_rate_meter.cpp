// RateMeter: simulated seconds per wall second and events per wall second over a
// sliding wall-clock second, fed by hand.
#include "tests/common/multi_test.h"

#include "backend/host/rate_meter.h"

#include <QTest>

using namespace livedeck;
using livedeck::host::RateMeter;

class TstRateMeter : public QObject {
    Q_OBJECT

private slots:
    void steadyRate_data()
    {
        QTest::addColumn<double>("speed");
        QTest::addColumn<double>("eventsPerSimSecond");
        QTest::newRow("x1") << 1.0 << 1000.0;
        QTest::newRow("x0.1") << 0.1 << 50.0;
        QTest::newRow("x250") << 250.0 << 4000.0;
    }
    void steadyRate()
    {
        QFETCH(double, speed);
        QFETCH(double, eventsPerSimSecond);
        RateMeter m;
        QCOMPARE(m.simPerWall(), 0.0);
        for (int i = 0; i <= 300; ++i) { // 3 s of wall time every 10 ms
            const sim::Nanos wall = i * 10 * sim::kMillisecond;
            const auto simT = static_cast<sim::Nanos>(static_cast<double>(wall) * speed);
            m.record(wall, simT, static_cast<std::uint64_t>(sim::toSeconds(simT) * eventsPerSimSecond));
        }
        QVERIFY(std::abs(m.simPerWall() - speed) < 1e-6 * speed);
        QVERIFY(std::abs(m.eventsPerSec() - speed * eventsPerSimSecond) < 0.01 * speed * eventsPerSimSecond + 1);
    }

    void windowForgetsTheOldPace()
    {
        RateMeter m;
        sim::Nanos simT = 0;
        sim::Nanos wall = 0;
        for (int i = 0; i < 200; ++i) { // 2 s at × 100
            wall += 10 * sim::kMillisecond;
            simT += 1000 * sim::kMillisecond;
            m.record(wall, simT, 0);
        }
        QVERIFY(std::abs(m.simPerWall() - 100.0) < 1e-6);
        for (int i = 0; i < 50; ++i) { // 0.5 s at × 2: half the window
            wall += 10 * sim::kMillisecond;
            simT += 20 * sim::kMillisecond;
            m.record(wall, simT, 0);
        }
        QVERIFY(m.simPerWall() > 2.0 && m.simPerWall() < 100.0);
        for (int i = 0; i < 150; ++i) { // the rest of the window at × 2
            wall += 10 * sim::kMillisecond;
            simT += 20 * sim::kMillisecond;
            m.record(wall, simT, 0);
        }
        QVERIFY2(std::abs(m.simPerWall() - 2.0) < 1e-6, qPrintable(QString::number(m.simPerWall())));
    }

    void sameWallInstantKeepsTheLastEstimate()
    {
        RateMeter m;
        m.record(0, 0, 0);
        m.record(sim::kSecond, 10 * sim::kSecond, 100);
        QCOMPARE(m.simPerWall(), 10.0);
        QCOMPARE(m.eventsPerSec(), 100.0);
        m.record(sim::kSecond, 12 * sim::kSecond, 150); // more work, no wall time: measured against the window base
        QCOMPARE(m.simPerWall(), 12.0);
        m.reset();
        QCOMPARE(m.simPerWall(), 0.0);
        m.record(5 * sim::kSecond, 0, 0);
        QCOMPARE(m.simPerWall(), 0.0); // one point measures nothing
    }

    void longGapsFallBackToTheLastPoint()
    {
        RateMeter m;
        m.record(0, 0, 0);
        m.record(10 * sim::kSecond, 5 * sim::kSecond, 10); // the only base is 10 s old
        QCOMPARE(m.simPerWall(), 0.5);
        QCOMPARE(m.eventsPerSec(), 1.0);
    }
};

LIVEDECK_TEST_CLASS(TstRateMeter)
#include "tst_rate_meter.moc"
