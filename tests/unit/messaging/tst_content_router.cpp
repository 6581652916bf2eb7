// Content tables: a worker that issues under one id per millisecond (sequence always 0)
// fills only 25 of 100 tables with a plain msgkey % 100, while the hashed route (and
// the modulo route over a continuous sequence) fills all 100 evenly; legacy puts a
// whole month in one table, so rows per table differ by the table count; months and
// quarters come from the msgkey's own time at the calendar's offset.
#include "backend/messaging/content_router.h"
#include "backend/messaging/snowflake.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

using namespace livedeck;
using namespace livedeck::messaging;

namespace {

constexpr std::int64_t kT0 = 1'798'732'200'000; // 2026-12-31 23:50 +08:00

// Ids of `workers` workers, each issuing `count` ids, `perMs` in each millisecond.
std::vector<std::uint64_t> issue(int workers, int count, int perMs, SnowflakeSequence seq)
{
    std::vector<std::uint64_t> ids;
    for (int w = 0; w < workers; ++w) {
        SnowflakeConfig c;
        c.datacentre = std::uint32_t(w / 32);
        c.worker = std::uint32_t(w % 32);
        c.sequence = seq;
        SnowflakeGenerator g = *SnowflakeGenerator::create(c);
        for (int i = 0; i < count; ++i)
            ids.push_back(*g.next(kT0 + std::int64_t(i / perMs) + w));
    }
    return ids;
}

std::vector<std::uint64_t> rowsPerTable(const ContentTableRouter& r, const std::vector<std::uint64_t>& ids)
{
    std::vector<std::uint64_t> rows(r.tablesPerMonth(), 0);
    for (std::uint64_t id : ids)
        ++rows[r.tableIndex(id)];
    return rows;
}

int filled(const std::vector<std::uint64_t>& rows)
{
    return int(std::count_if(rows.begin(), rows.end(), [](std::uint64_t n) { return n > 0; }));
}

double maxOverMean(const std::vector<std::uint64_t>& rows)
{
    std::uint64_t total = 0;
    for (std::uint64_t n : rows)
        total += n;
    return double(*std::max_element(rows.begin(), rows.end())) / (double(total) / double(rows.size()));
}

ContentTableRouter router(ContentRouting routing)
{
    ContentRouterConfig c;
    c.routing = routing;
    return ContentTableRouter(c);
}

} // namespace

class TstContentRouter : public QObject {
    Q_OBJECT
private slots:
    void plainModuloFillsOnlyAQuarterOfTheTables_data()
    {
        QTest::addColumn<int>("workers");
        QTest::newRow("one worker") << 1;
        QTest::newRow("eight workers") << 8;
    }
    void plainModuloFillsOnlyAQuarterOfTheTables()
    {
        QFETCH(int, workers);
        // One id per millisecond per worker: Twitter's sequence is always 0. 200 000
        // ids, 2 000 per table when even: max/mean within 1.1 is then a real bound.
        const auto ids = issue(workers, 200'000 / workers, 1, SnowflakeSequence::ResetEachMillisecond);
        const auto modulo = rowsPerTable(router(ContentRouting::Modulo), ids);
        if (workers == 1) {
            QCOMPARE(filled(modulo), 25);
            // (4·ms + constant) % 100: every filled table is in one residue class mod 4.
            std::set<std::size_t> residues;
            for (std::size_t t = 0; t < modulo.size(); ++t) {
                if (modulo[t] > 0)
                    residues.insert(t % 4);
            }
            QCOMPARE(residues.size(), std::size_t{1});
        } else {
            QVERIFY(filled(modulo) <= 25 * workers);
        }
        const auto hashed = rowsPerTable(router(ContentRouting::Hashed), ids);
        QCOMPARE(filled(hashed), 100);
        QVERIFY2(maxOverMean(hashed) <= 1.1, qPrintable(QString::number(maxOverMean(hashed))));
    }

    void continuousSequenceAlsoSpreadsModulo()
    {
        const auto ids = issue(1, 200'000, 1, SnowflakeSequence::Continuous);
        const auto modulo = rowsPerTable(router(ContentRouting::Modulo), ids);
        QCOMPARE(filled(modulo), 100);
        QVERIFY(maxOverMean(modulo) <= 1.1);
    }

    void busyWorkerSpreadsEitherWay()
    {
        // Many ids per millisecond: the sequence's low bits vary and % 100 spreads.
        const auto ids = issue(1, 50'000, 1'000, SnowflakeSequence::ResetEachMillisecond);
        QCOMPARE(filled(rowsPerTable(router(ContentRouting::Modulo), ids)), 100);
    }

    void legacyPutsTheMonthInOneTable()
    {
        const auto ids = issue(4, 50'000, 1, SnowflakeSequence::ResetEachMillisecond);
        const ContentTableRouter legacy = router(ContentRouting::Legacy);
        const ContentTableRouter hashed = router(ContentRouting::Hashed);
        std::map<std::string, std::uint64_t> legacyRows;
        std::map<std::string, std::uint64_t> hashedRows;
        for (std::uint64_t id : ids) {
            const ContentRoute l = legacy.route(id);
            const ContentRoute h = hashed.route(id);
            QCOMPARE(l.month, h.month);
            ++legacyRows[l.database + "." + l.tableName];
            ++hashedRows[h.database + "." + h.tableName];
        }
        // The ids span 23:50:00 → 23:50:50 on 31 December: one month.
        QCOMPARE(legacyRows.size(), std::size_t{1});
        QCOMPARE(legacyRows.begin()->first, std::string("content_2026q4.msg_202612"));
        QCOMPARE(hashedRows.size(), std::size_t{100});
        std::uint64_t maxHashed = 0;
        for (const auto& [name, n] : hashedRows)
            maxHashed = std::max(maxHashed, n);
        const double ratio = double(legacyRows.begin()->second) / (double(ids.size()) / 100.0);
        QCOMPARE(ratio, 100.0); // rows per table: legacy ÷ upgraded mean = the table count
        QVERIFY(double(maxHashed) <= 1.1 * double(ids.size()) / 100.0);
    }

    void monthsFollowTheLocalCalendar()
    {
        SnowflakeGenerator g = *SnowflakeGenerator::create({});
        const ContentTableRouter r = router(ContentRouting::Hashed);
        // 2026-12-31 23:59:59.999 +08:00 is still December; a millisecond later is 2027-01.
        const std::int64_t midnight = kT0 + 10 * 60'000;
        const ContentRoute dec = r.route(*g.next(midnight - 1));
        const ContentRoute jan = r.route(*g.next(midnight));
        QCOMPARE(dec.month, 202612);
        QCOMPARE(dec.quarter, 20264);
        QCOMPARE(dec.database, std::string("content_202612"));
        QCOMPARE(jan.month, 202701);
        QCOMPARE(jan.quarter, 20271);
        QCOMPARE(router(ContentRouting::Legacy).route(*g.next(midnight + 1)).database, std::string("content_2027q1"));
        QVERIFY(jan.tableName.rfind("t_", 0) == 0);
    }
};

LIVEDECK_TEST_CLASS(TstContentRouter)
#include "tst_content_router.moc"
