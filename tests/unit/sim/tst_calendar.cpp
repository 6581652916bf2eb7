#include "backend/sim/calendar.h"
#include "tests/common/multi_test.h"

using namespace livedeck::sim;

class TstCalendar : public QObject {
    Q_OBJECT
private slots:
    void defaultStartIsNewYearsEveInBeijing()
    {
        const Calendar c;
        // 2026-12-31 23:50 at UTC+8 = 2026-12-31 15:50 UTC = 1798732200 s since the epoch.
        QCOMPARE(c.startUnixMs(), std::int64_t{1798732200} * 1000);
        const CivilTime t = c.local(0);
        QCOMPARE(t.year, 2026);
        QCOMPARE(t.month, 12);
        QCOMPARE(t.day, 31);
        QCOMPARE(t.hour, 23);
        QCOMPARE(t.minute, 50);
        QCOMPARE(c.monthKey(0), 202612);
    }

    void crossesIntoTheNewMonthAfterTenMinutes()
    {
        const Calendar c;
        QCOMPARE(c.monthKey(10 * kMinute - 1), 202612);
        QCOMPARE(c.monthKey(10 * kMinute), 202701);
        QCOMPARE(c.format(10 * kMinute + 250 * kMillisecond), std::string("2027-01-01 00:00:00.250"));
    }

    void civilRoundTrip_data()
    {
        QTest::addColumn<int>("y");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("d");
        QTest::newRow("epoch") << 1970 << 1 << 1;
        QTest::newRow("leap day") << 2028 << 2 << 29;
        QTest::newRow("century") << 2100 << 3 << 1;
        QTest::newRow("before epoch") << 1969 << 12 << 31;
    }
    void civilRoundTrip()
    {
        QFETCH(int, y);
        QFETCH(int, m);
        QFETCH(int, d);
        const std::int64_t days = Calendar::daysFromCivil(y, m, d);
        const CivilTime c = Calendar::civilFromUnixMs(days * 86'400'000 + 3'723'004);
        QCOMPARE(c.year, y);
        QCOMPARE(c.month, m);
        QCOMPARE(c.day, d);
        QCOMPARE(c.hour, 1);
        QCOMPARE(c.minute, 2);
        QCOMPARE(c.second, 3);
        QCOMPARE(c.millisecond, 4);
    }

    void customStart()
    {
        const Calendar c = Calendar::fromCivil(CivilTime{2027, 2, 28, 23, 0, 0, 0}, 0);
        QCOMPARE(c.monthKey(kHour), 202703);
        QCOMPARE(c.utcOffsetMinutes(), 0);
    }
};

LIVEDECK_TEST_CLASS(TstCalendar)
#include "tst_calendar.moc"
