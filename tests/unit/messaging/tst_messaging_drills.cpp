// The built-in messaging drills (resources/drills/messaging-*.yaml) run in this process
// as `livedeckctl drill run` runs them: each plain drill passes and its sabotaged twin
// fails, and fails where its switched-off mechanism acts (the expectation or invariant
// named per pair); the drills whose figure has a range outside the twin's expectations
// (bulk legacy) are checked against their own range here.
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "tests/common/multi_test.h"

#include <QTest> // after the backend headers (Qt's `emit` macro)

#include <optional>
#include <string>

using namespace livedeck;

namespace {

drills::DrillReport run(const std::string& name, const std::string& patchFrom = {}, const std::string& patchTo = {})
{
    const drills::BuiltinDrill* d = drills::findBuiltinDrill(name);
    if (!d)
        qFatal("no built-in drill '%s'", name.c_str());
    std::string text(d->text);
    if (!patchFrom.empty()) {
        const auto at = text.find(patchFrom);
        if (at == std::string::npos)
            qFatal("%s: no '%s' to patch", name.c_str(), patchFrom.c_str());
        text.replace(at, patchFrom.size(), patchTo);
    }
    auto spec = drills::loadDrill(text, d->fileName);
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    auto r = drills::DrillRun::create(*spec);
    if (!r.ok())
        qFatal("%s", std::string(r.status().message()).c_str());
    (*r)->runToEnd();
    drills::DrillReport report = (*r)->report();
    qInfo("%s: %s", name.c_str(), report.verdictLine().c_str());
    return report;
}

bool failedOn(const drills::DrillReport& r, const std::string& what)
{
    for (const auto& e : r.expectations)
        if (e.name == what)
            return !e.passed;
    for (const auto& i : r.invariants)
        if (i.name == what)
            return !i.passed;
    qFatal("%s has no expectation or invariant '%s'", r.drill.c_str(), what.c_str());
}

std::optional<double> observed(const drills::DrillReport& r, const std::string& expectation)
{
    for (const auto& e : r.expectations)
        if (e.name == expectation)
            return e.observed;
    return std::nullopt;
}

} // namespace

class TstMessagingDrills : public QObject {
    Q_OBJECT
private slots:
    void drillPassesTwinFails_data()
    {
        QTest::addColumn<QString>("drill");
        QTest::addColumn<QString>("twin");
        QTest::addColumn<QString>("where"); // what the twin must fail
        const char* const pairs[][3] = {
            {"messaging-query-upgraded", "messaging-query-legacy", "conversation queries after warm-up fast (Redis, then Taishan)"},
            {"messaging-seq-cache-lost", "messaging-seq-cache-lost-reload-persisted", "messaging.seq_monotonic"},
            {"messaging-bulk-upgraded", "messaging-bulk-legacy",
             "campaign users per second in the write-up's upgraded range (22.5–37.5 K)"},
            {"messaging-content-upgraded", "messaging-content-legacy", "rows per content table near the write-up's 9 M"},
            {"messaging-binlog-sync", "messaging-binlog-sync-legacy", "real binlog records applied per second"},
            {"messaging-mq-duplicates", "messaging-mq-duplicates-plain-set", "messaging.sync_version_monotonic"},
            {"messaging-same-ms-update", "messaging-same-ms-update-mtime", "messaging.cache_converges"},
            {"messaging-clock-back", "messaging-clock-back-naive", "messaging.msgkey_unique"},
            {"messaging-backend-down", "messaging-backend-down-no-client-cache", "messaging.no_blank_page"},
            {"messaging-taishan-quorum-lost", "messaging-taishan-quorum-lost-no-hedge",
             "conversation query p99 stays under 100 ms (worst second)"},
            {"messaging-poison-bulk", "messaging-poison-bulk-no-dlq", "campaign keeps delivering (users/s)"},
            {"messaging-campaign-beside-high", "messaging-campaign-beside-high-one-channel",
             "high-priority notifications delivered (per second)"},
            {"messaging-hot-creator", "messaging-hot-creator-legacy", "conversation query p99 under 50 ms (worst second)"},
            {"messaging-cache-flush", "messaging-cache-flush-no-taishan",
             "MySQL spared after the flush (share of queries reading it, worst second)"},
            {"messaging-replica-lag", "messaging-replica-lag-no-ryw", "messaging.read_your_writes"},
            {"messaging-notice-storm", "messaging-notice-storm-shared-bff",
             "single-chat query p99 under 50 ms during the storm (worst second)"},
            {"messaging-region-down", "messaging-region-down-no-failover",
             "conversation queries answered after the failover (worst second)"},
        };
        for (const auto& p : pairs)
            QTest::newRow(p[0]) << QString::fromUtf8(p[0]) << QString::fromUtf8(p[1]) << QString::fromUtf8(p[2]);
    }
    void drillPassesTwinFails()
    {
        QFETCH(QString, drill);
        QFETCH(QString, twin);
        QFETCH(QString, where);
        const drills::DrillReport plain = run(drill.toStdString());
        QVERIFY2(plain.passed(), plain.failures().c_str());
        const drills::DrillReport sabotaged = run(twin.toStdString());
        QCOMPARE(sabotaged.sabotageOf, drill.toStdString());
        QVERIFY2(!sabotaged.passed(), "the sabotaged twin passed");
        QVERIFY2(failedOn(sabotaged, where.toStdString()), sabotaged.failures().c_str());
    }

    // The legacy side of messaging.bulk-send-rate in the write-up's legacy range.
    void legacyBulkRateInItsRange()
    {
        const drills::DrillReport r = run("messaging-bulk-legacy");
        const auto rate = observed(r, "campaign users per second in the write-up's upgraded range (22.5–37.5 K)");
        QVERIFY(rate.has_value());
        QVERIFY2(*rate >= 2'600.0 && *rate <= 4'400.0, std::to_string(*rate).c_str());
    }

    // The bulk limit comes from the channel's parallelism: halving the workers of the
    // upgraded daily channel roughly halves its rate.
    void bulkRateFollowsTheWorkers()
    {
        const auto full = observed(run("messaging-bulk-upgraded"), "not above the range");
        const auto half = observed(run("messaging-bulk-upgraded", "    campaign_start: 1s\n",
                                       "    campaign_start: 1s\n    channels:\n      daily: {workers: 4}\n"),
                                   "not above the range");
        QVERIFY(full && half);
        qInfo("daily channel 8 workers: %.0f users/s, 4 workers: %.0f users/s", *full, *half);
        QVERIFY(*half < 0.7 * *full);
        QVERIFY(*half > 0.3 * *full);
    }

    // Same seed, same trace.
    void sameSeedSameTrace()
    {
        const drills::DrillReport a = run("messaging-mq-duplicates");
        const drills::DrillReport b = run("messaging-mq-duplicates");
        QCOMPARE(a.traceHash, b.traceHash);
        QCOMPARE(a.stateDigest, b.stateDigest);
    }

    // Bad input: an unknown key, mode or switch is an error at its place in the file.
    void badInputNamesItsPlace()
    {
        const char* const texts[] = {
            "name: x\ndescription: x\nduration: 2s\nengines:\n  messaging:\n    modee: legacy\n",
            "name: x\ndescription: x\nduration: 2s\nengines:\n  messaging:\n    mode: turbo\n",
            "name: x\ndescription: x\nduration: 2s\nengines:\n  messaging:\n    sabotage: [no-brakes]\n",
            "name: x\ndescription: x\nduration: 2s\nengines:\n  messaging:\n    channels: {daily: {lanes: 3}}\n",
        };
        for (const char* t : texts) {
            const auto spec = drills::loadDrill(t, "x.yaml");
            QVERIFY(!spec.ok());
            const std::string message(spec.status().message());
            QVERIFY2(message.starts_with("x.yaml:"), message.c_str());
        }
    }
};

LIVEDECK_TEST_CLASS(TstMessagingDrills)
#include "tst_messaging_drills.moc"
