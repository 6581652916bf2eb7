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

#include <algorithm>
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
    // The engine's fault surface (docs/MESSAGING.md "Fault surface"), as a swarm run
    // reads it: only the engine's own components; a conversation or content shard's
    // primary never goes down (asynchronous replication: its crash loses acknowledged
    // sends), every replica may; the broker duplicates and delays but never loses; its
    // own Taishan keeps a Raft majority.
    void faultSurfaceSparesThePrimaries()
    {
        const drills::BuiltinDrill* d = drills::findBuiltinDrill("messaging-query-upgraded");
        QVERIFY(d);
        auto spec = drills::loadDrill(std::string(d->text), d->fileName);
        QVERIFY(spec.ok());
        drills::DrillRunOptions options;
        options.swarm = true;
        auto r = drills::DrillRun::create(*spec, options);
        QVERIFY2(r.ok(), std::string(r.status().message()).c_str());
        const drills::SwarmVocabulary& v = (*r)->swarmVocabulary();
        auto has = [](const drills::SwarmTarget& t, v1::FaultKind k) {
            return std::find(t.kinds.begin(), t.kinds.end(), k) != t.kinds.end();
        };
        int primaries = 0, replicas = 0, brokers = 0, consumers = 0, bffs = 0;
        for (const drills::SwarmTarget& t : v.targets) {
            if (t.engine != "messaging")
                continue;
            QVERIFY2(t.path.find("/messaging/") != std::string::npos || t.path.find("/msg-taishan/") != std::string::npos,
                     t.path.c_str());
            const bool sql = t.path.find("/conv-db/") != std::string::npos || t.path.find("/content-db/") != std::string::npos;
            if (sql && t.path.starts_with("sh-a/") && t.path.find('.') == std::string::npos) {
                ++primaries; // placement 0: the first home region, no ".N"
                QVERIFY2(!has(t, v1::FAULT_DOWN), t.path.c_str());
                QVERIFY(has(t, v1::FAULT_SLOW_DISK));
            } else if (sql) {
                ++replicas;
                QVERIFY2(has(t, v1::FAULT_DOWN), t.path.c_str());
            } else if (t.path.ends_with("/messaging/mq")) {
                ++brokers;
                QVERIFY(has(t, v1::FAULT_MQ_DUPLICATE) && has(t, v1::FAULT_MQ_DELAY));
                QVERIFY(!has(t, v1::FAULT_MQ_LOSS));
            } else if (t.path.find("/messaging/sync/") != std::string::npos || t.path.find("/messaging/bulk/") != std::string::npos) {
                ++consumers;
                QVERIFY(has(t, v1::FAULT_DOWN));
            } else if (t.path.find("/messaging/bff") != std::string::npos) {
                ++bffs;
                QVERIFY(has(t, v1::FAULT_DOWN) && has(t, v1::FAULT_ERROR_RATE));
            }
        }
        QCOMPARE(primaries, 11); // 10 conversation shards and the content shard
        QVERIFY(replicas >= 2 * primaries);
        QCOMPARE(brokers, 1);
        QVERIFY(consumers > 0);
        QVERIFY(bffs > 0);
        bool majority = false;
        for (const drills::SwarmBudgetRule& b : v.budget)
            if (b.engine == "messaging" && b.rule.members.size() == 3 && b.rule.need == 2)
                majority = true;
        QVERIFY(majority);
        QVERIFY(std::find(v.silentEngines.begin(), v.silentEngines.end(), "messaging") == v.silentEngines.end());
    }

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
