// The gala night at drill scale (docs/GALA.md): gala-night-drill passes; each of its
// sabotage twins fails, and for the reason its coupling gives (the named expectation or
// invariant); one seed gives one trace; the run's shared resources are one object per
// name used by the engines the drill couples. GALA_DRILL=<name> prints one drill's summary.
#include "tests/common/multi_test.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/engine/shared.h"
#include "tests/common/engines.h"

#include <QTest>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace livedeck;
using namespace livedeck::drills;

namespace {

std::unique_ptr<DrillRun> createBuiltin(const std::string& name, std::uint64_t seed = 0, bool helperThread = false)
{
    const BuiltinDrill* d = findBuiltinDrill(name);
    if (!d)
        qFatal("no built-in drill %s", name.c_str());
    auto spec = loadDrill(d->text, d->fileName);
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    if (seed)
        spec->seed = seed;
    DrillRunOptions options;
    options.helperThread = helperThread;
    auto run = DrillRun::create(*spec, options);
    if (!run.ok())
        qFatal("%s", std::string(run.status().message()).c_str());
    return std::move(*run);
}

std::unique_ptr<DrillRun> runBuiltin(const std::string& name, std::uint64_t seed = 0)
{
    std::unique_ptr<DrillRun> run = createBuiltin(name, seed);
    run->runToEnd();
    return run;
}

// An operator action applied as a world command when the run reaches `at` (what
// `livedeckctl drill run --action AT:NAME:TARGET` does through the host); a refusal is
// kept in `refused`. `command` must outlive the run.
void actionAt(DrillRun& run, sim::Nanos at, const v1::Command& command, std::vector<std::string>& refused)
{
    sim::World* world = &run.world();
    std::vector<std::string>* out = &refused;
    const v1::Command* c = &command;
    world->at(at, world->kind("test.operator"), sim::kNoComponent, [world, out, c] {
        if (const absl::Status st = world->apply(*c); !st.ok())
            out->push_back(std::string(st.message()));
    });
}

void allInvariantsHold(const DrillReport& r)
{
    QVERIFY(!r.invariants.empty());
    for (const auto& i : r.invariants)
        QVERIFY2(i.passed, (i.name + ": " + i.detail).c_str());
}

v1::Command operatorAction(const std::string& action, const std::string& target)
{
    v1::Command c;
    c.mutable_operator_action()->set_action(action);
    c.mutable_operator_action()->set_target(target);
    return c;
}

const InvariantResult* invariant(const DrillReport& r, const std::string& name)
{
    for (const auto& i : r.invariants)
        if (i.name == name)
            return &i;
    return nullptr;
}

bool failed(const DrillReport& r, const std::string& check)
{
    for (const auto& e : r.expectations)
        if (e.name.find(check) != std::string::npos && !e.passed)
            return true;
    for (const auto& i : r.invariants)
        if (i.name == check && !i.passed)
            return true;
    return false;
}

const engine::SharedResources::Entry* entry(const DrillRun& run, const std::string& name)
{
    static thread_local std::vector<engine::SharedResources::Entry> entries;
    entries = run.shared().entries();
    auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.name == name; });
    return it == entries.end() ? nullptr : &*it;
}

} // namespace

class TstGalaDrills : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        LIVEDECK_REQUIRE_ENGINE("gifts");
        LIVEDECK_REQUIRE_ENGINE("messaging");
        LIVEDECK_REQUIRE_ENGINE("cdn");
    }

    void drills_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("breaks"); // what the twin must fail
        QTest::newRow("gala-night-drill") << "gala-night-drill" << "";
        QTest::newRow("private-taishan") << "gala-night-drill-private-taishan" << "Taishan tier is the shared one";
        QTest::newRow("notice-fire-and-forget")
            << "gala-night-drill-notice-fire-and-forget" << "messaging.gift_notice_delivered";
        QTest::newRow("notice-no-claim") << "gala-night-drill-notice-no-claim" << "messaging.gift_notice_once";
        QTest::newRow("cdn-deaf") << "gala-night-drill-cdn-deaf" << "flash crowd follows the audience";
    }
    void drills()
    {
        QFETCH(QString, name);
        QFETCH(QString, breaks);
        const std::unique_ptr<DrillRun> run = runBuiltin(name.toStdString());
        const DrillReport r = run->report();
        if (const char* only = std::getenv("GALA_DRILL"); only && name.toStdString() == only)
            std::printf("%s\n", r.summary().c_str());
        if (breaks.isEmpty()) {
            QVERIFY2(r.passed(), r.verdictLine().c_str());
            QVERIFY(r.simNs <= 60 * sim::kSecond);
        } else {
            QVERIFY2(!r.passed(), r.verdictLine().c_str());
            QVERIFY2(failed(r, breaks.toStdString()), qPrintable(breaks));
        }
    }

    // Every twin of the gala drill is one of the rows above.
    void everyTwinIsChecked()
    {
        int twins = 0;
        for (const BuiltinDrill& d : builtinDrills()) {
            if (d.sabotageOf != "gala-night-drill")
                continue;
            ++twins;
            QVERIFY2(d.name == "gala-night-drill-private-taishan" || d.name == "gala-night-drill-notice-fire-and-forget"
                         || d.name == "gala-night-drill-notice-no-claim" || d.name == "gala-night-drill-cdn-deaf",
                     d.name.c_str());
        }
        QCOMPARE(twins, 4);
    }

    // One Taishan, one Redis pair per home data centre, one notification broker, one
    // ledger and one audience, each obtained by the engines the drill couples.
    void sharedResourcesAreShared()
    {
        const std::unique_ptr<DrillRun> run = runBuiltin("gala-night-drill");
        const auto* taishan = entry(*run, "taishan");
        QVERIFY(taishan);
        QCOMPARE(taishan->users, (std::vector<std::string>{"gifts", "messaging"}));
        int pairsShared = 0; // messaging's two home data centres' pairs serve the gift catalogue too
        for (const auto& e : run->shared().entries()) {
            if (e.name.rfind("redis/", 0) != 0)
                continue;
            QVERIFY2(std::find(e.users.begin(), e.users.end(), "gifts") != e.users.end(), e.name.c_str());
            if (std::find(e.users.begin(), e.users.end(), "messaging") != e.users.end())
                ++pairsShared;
        }
        QCOMPARE(pairsShared, 2);
        for (const char* name : {"gala/notice-mq", "gala/notices"}) {
            const auto* e = entry(*run, name);
            QVERIFY2(e, name);
            QCOMPARE(e->users, (std::vector<std::string>{"gifts", "messaging"}));
        }
        const auto* audience = entry(*run, "gala/audience");
        QVERIFY(audience);
        QCOMPARE(audience->users, (std::vector<std::string>{"gifts", "messaging", "cdn"}));
        // The private-Taishan twin: messaging keeps its own.
        const std::unique_ptr<DrillRun> twin = runBuiltin("gala-night-drill-private-taishan");
        QCOMPARE(entry(*twin, "taishan")->users, std::vector<std::string>{"gifts"});
    }

    // A home region drained and restored while its users write (gala-night-drill, sh-b
    // drained 4-8 s and 6-12 s, through the countdown's greetings): after the restore the
    // users it moved are answered from sh-b's Redis again, which must have caught up with
    // what they were sent meanwhile (the drain and the restore re-sync the moved users;
    // without that, messaging.cache_converges failed at the end: docs/GALA.md).
    void drainAndRestoreConverge_data()
    {
        QTest::addColumn<int>("drainMs");
        QTest::addColumn<int>("restoreMs");
        QTest::newRow("sh-b 4-8 s") << 4000 << 8000;
        QTest::newRow("sh-b 6-12 s") << 6000 << 12000;
    }
    void drainAndRestoreConverge()
    {
        QFETCH(int, drainMs);
        QFETCH(int, restoreMs);
        std::unique_ptr<DrillRun> run = createBuiltin("gala-night-drill");
        std::vector<std::string> refused;
        const v1::Command drain = operatorAction("drain-region", "sh-b");
        const v1::Command restore = operatorAction("restore", "sh-b");
        actionAt(*run, drainMs * sim::kMillisecond, drain, refused);
        actionAt(*run, restoreMs * sim::kMillisecond, restore, refused);
        run->runToEnd();
        QVERIFY2(refused.empty(), refused.empty() ? "" : refused.front().c_str());
        const DrillReport r = run->report();
        const InvariantResult* conv = invariant(r, "messaging.cache_converges");
        QVERIFY(conv);
        QVERIFY2(conv->passed, conv->detail.c_str());
        allInvariantsHold(r); // (a drain costs the gift engine served orders: expectations not asked)
    }

    // A gift notification's idempotency claim is owned by its delivery and never
    // released: gala-night-drill with the sequence cache lost at 11.2 s inside Taishan's
    // quorum loss (11-12.5 s) and sh-b's Redis pair refusing 30 % of requests then, so
    // deliveries that took their claim fail at the inbox's sequence and try again. When
    // a failed step released the claim with DEL, a DEL the pair refused left the claim
    // behind and the record's next try took it for delivered: 3 of 478 notifications
    // were never delivered (messaging.gift_notice_delivered; docs/GALA.md).
    void noticeClaimSurvivesRefusals_data()
    {
        QTest::addColumn<int>("seed");
        QTest::newRow("seed 1") << 1;
        QTest::newRow("seed 3") << 3;
    }
    void noticeClaimSurvivesRefusals()
    {
        QFETCH(int, seed);
        const BuiltinDrill* d = findBuiltinDrill("gala-night-drill");
        QVERIFY(d);
        std::string text(d->text);
        const std::string section = "    gala: {shared_infra: true, notices: true, audience: true, countdown_campaign_users: 4e5}\n";
        const std::size_t at = text.find(section);
        QVERIFY(at != std::string::npos);
        text.insert(at + section.size(), "    actions: [{at: 11200ms, lose_sequence_cache: true}]\n");
        const std::size_t faults = text.find("\nfaults:\n");
        QVERIFY(faults != std::string::npos);
        text.insert(faults + 9, "  - {name: redis-refuses, at: 11s, until: 12500ms, kind: error-rate, target: sh-b/infra/redis, "
                                "params: {rate: 0.3}}\n");
        auto spec = loadDrill(text, "gala-night-drill-notice-refusals.yaml");
        QVERIFY2(spec.ok(), std::string(spec.status().message()).c_str());
        spec->seed = static_cast<std::uint64_t>(seed);
        auto run = DrillRun::create(*spec);
        QVERIFY2(run.ok(), std::string(run.status().message()).c_str());
        (*run)->runToEnd();
        const DrillReport r = (*run)->report();
        for (const char* name : {"messaging.gift_notice_delivered", "messaging.gift_notice_once"}) {
            const InvariantResult* inv = invariant(r, name);
            QVERIFY2(inv, name);
            QVERIFY2(inv->passed, inv->detail.c_str());
        }
        allInvariantsHold(r);
    }

    // One drill and seed, one trace: twice in this process, at another seed a different one.
    void deterministic()
    {
        const DrillReport a = runBuiltin("gala-night-drill", 7)->report();
        const DrillReport b = runBuiltin("gala-night-drill", 7)->report();
        QCOMPARE(a.traceHash, b.traceHash);
        QCOMPARE(a.stateDigest, b.stateDigest);
        QCOMPARE(a.events, b.events);
        const DrillReport c = runBuiltin("gala-night-drill", 8)->report();
        QVERIFY(c.traceHash != a.traceHash);
    }

    // The SQL replicas' applies and primaries' writes on the world's helper thread
    // (sim::Offload) change nothing the world sees: the same trace, state digest,
    // events and verdict as without it — on the coupled gala, and on drills whose
    // replicas fail over, lag under faults and lose their region.
    void helperThreadKeepsTheTrace_data()
    {
        QTest::addColumn<QString>("drill");
        QTest::addColumn<quint64>("seed");
        QTest::newRow("gala-night-drill") << QStringLiteral("gala-night-drill") << quint64{7};
        QTest::newRow("gifts-order-db-failover") << QStringLiteral("gifts-order-db-failover") << quint64{3};
        QTest::newRow("messaging-replica-lag") << QStringLiteral("messaging-replica-lag") << quint64{5};
        QTest::newRow("messaging-region-down") << QStringLiteral("messaging-region-down") << quint64{2};
    }
    void helperThreadKeepsTheTrace()
    {
        QFETCH(QString, drill);
        QFETCH(quint64, seed);
        std::unique_ptr<DrillRun> plain = createBuiltin(drill.toStdString(), seed, false);
        plain->runToEnd();
        std::unique_ptr<DrillRun> helped = createBuiltin(drill.toStdString(), seed, true);
        QVERIFY(helped->world().offload().threaded());
        helped->runToEnd();
        const DrillReport a = plain->report();
        const DrillReport b = helped->report();
        QCOMPARE(b.traceHash, a.traceHash);
        QCOMPARE(b.stateDigest, a.stateDigest);
        QCOMPARE(b.events, a.events);
        QCOMPARE(b.passed(), a.passed());
        QCOMPARE(b.score, a.score);
        QCOMPARE(plain->world().offload().ranOnHelper(), std::uint64_t{0});
        // The helper did take work (some of it may have run in place when waited for).
        QVERIFY(helped->world().offload().ranOnHelper() > 0);
    }
};

LIVEDECK_TEST_CLASS(TstGalaDrills)
#include "tst_gala_drills.moc"
