// DrillRun with the synthetic engine: expectations pass and fail for the right reasons,
// the same drill and seed give the same trace hash and report (also through the host),
// seeds differ, halts and --until stop the run, random faults are reproducible, and a
// recording re-simulates to the same hash.
#include "tests/common/multi_test.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/drill_sweep.h"
#include "backend/drills/drill_verify.h"
#include "backend/drills/headless_drill.h"
#include "backend/drills/random_faults.h"
#include "backend/host/manual_wall_clock.h"

#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;
using namespace livedeck::drills;

namespace {

DrillSpec load(const std::string& text)
{
    auto spec = loadDrill(text, "test.yaml");
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    return *spec;
}

DrillReport runDrill(const DrillSpec& spec, DrillRunOptions options = {})
{
    auto run = DrillRun::create(spec, options);
    if (!run.ok())
        qFatal("%s", std::string(run.status().message()).c_str());
    (*run)->runToEnd();
    return (*run)->report();
}

// A short outage drill (10 s) on a small synthetic world (defined at the end: moc
// does not read raw string literals).
extern const char* const kOutage;
extern const char* const kRandomDrill;
extern const char* const kSweepDrill;

} // namespace

class TstDrillRun : public QObject {
    Q_OBJECT

private slots:
    void outagePasses()
    {
        const DrillReport r = runDrill(load(kOutage));
        QVERIFY2(r.passed(), r.failures().c_str());
        QCOMPARE(r.simNs, 10 * sim::kSecond);
        QCOMPARE(r.score, 100.0);
        QCOMPARE(r.expectations.size(), std::size_t(3));
        QVERIFY(r.expectations[0].observed.has_value());
        QVERIFY(*r.expectations[0].observed <= 2.0);
        QCOMPARE(r.invariants.size(), std::size_t(2)); // drill.no-violations, synthetic.conservation
        QCOMPARE(r.faults.size(), std::size_t(1));
        QCOMPARE(r.faults[0].startedAt, 3 * sim::kSecond);
        QCOMPARE(r.faults[0].endedAt, 6 * sim::kSecond);
    }

    // The sabotage switch: without the alert the event expectation fails, and only it.
    void alertOffFails()
    {
        std::string text = kOutage;
        text.replace(text.find("alert: {below: 0.9, for: 500ms}"), 31, "alert: off");
        const DrillReport r = runDrill(load(text));
        QVERIFY(!r.passed());
        QVERIFY(!r.expectations[0].passed);
        QVERIFY(r.expectations[1].passed);
        QVERIFY(r.expectations[2].passed);
        QVERIFY(r.invariantsPassed());
        QCOMPARE(r.score, 100.0 * 4.0 / 7.0); // weights 3 + 1 + 1 + 2 invariants; 3 lost
    }

    void sameSeedSameRun()
    {
        const DrillSpec spec = load(kOutage);
        const DrillReport a = runDrill(spec);
        const DrillReport b = runDrill(spec);
        QCOMPARE(a.traceHash, b.traceHash);
        QCOMPARE(a.events, b.events);
        QCOMPARE(a.toJson(false), b.toJson(false));
        DrillRunOptions other;
        other.seed = 99;
        const DrillReport c = runDrill(spec, other);
        QVERIFY(c.traceHash != a.traceHash);
        QCOMPARE(c.seed, std::uint64_t(99));
    }

    // Through the WorldHost (as `drill run`) the trace is the one of runToEnd().
    void hostedMatchesDirect()
    {
        const DrillSpec spec = load(kOutage);
        const DrillReport direct = runDrill(spec);
        host::ManualWallClock clock;
        auto run = DrillRun::create(spec);
        QVERIFY(run.ok());
        std::vector<std::string> lines;
        const HeadlessDrillResult hosted = runDrillHeadless(std::move(*run), clock, HeadlessDrillOptions{},
                                                            [&](const std::string& l) { lines.push_back(l); });
        QCOMPARE(hosted.report.traceHash, direct.traceHash);
        QCOMPARE(hosted.report.toJson(false), direct.toJson(false));
        QVERIFY(!lines.empty());
        QVERIFY(lines.back().find("expectations") != std::string::npos);
    }

    void untilStopsEarly()
    {
        DrillRunOptions o;
        o.stopAt = 4 * sim::kSecond;
        const DrillReport r = runDrill(load(kOutage), o);
        QCOMPARE(r.simNs, 4 * sim::kSecond);
        QVERIFY(r.stoppedEarly);
        // The window (cut.start, cut.end] opened but never closed: judged on what was seen.
        QVERIFY(r.expectations[2].passed);
        QVERIFY2(r.expectations[2].observedText.find("over 1 sample") != std::string::npos,
                 r.expectations[2].observedText.c_str());
        QVERIFY(r.expectations[0].passed);
    }

    void haltStopsTheRun()
    {
        std::string text = kOutage;
        text += "halt:\n  - name: collapse\n    metric: synthetic.send_success\n    when: \"< 0.9\"\n    for: 1s\n";
        const DrillReport r = runDrill(load(text));
        QVERIFY(r.halted);
        QVERIFY(r.simNs > 3 * sim::kSecond && r.simNs <= 6 * sim::kSecond);
        QVERIFY(r.haltReason.find("collapse") != std::string::npos);
        QCOMPARE(runDrill(load(text)).traceHash, r.traceHash);
    }

    void randomFaultsAreSeeded()
    {
        const DrillSpec spec = load(kRandomDrill);
        auto a = DrillRun::create(spec);
        auto b = DrillRun::create(spec);
        DrillRunOptions o;
        o.seed = 2;
        auto c = DrillRun::create(spec, o);
        QVERIFY(a.ok() && b.ok() && c.ok());
        const auto& ta = (*a)->timeline();
        QVERIFY(ta.size() >= 3);
        QCOMPARE(ta.size(), (*b)->timeline().size());
        for (std::size_t i = 0; i < ta.size(); ++i) {
            QCOMPARE(ta[i].spec.SerializeAsString(), (*b)->timeline()[i].spec.SerializeAsString());
            const auto& s = ta[i].spec;
            QVERIFY(s.end_ns() - s.start_ns() >= sim::kSecond && s.end_ns() - s.start_ns() <= 4 * sim::kSecond);
            if (s.kind() == v1::FAULT_LATENCY) {
                QCOMPARE(s.params_size(), 1);
                QVERIFY(s.params(0).value() >= 5 && s.params(0).value() <= 50);
            }
            int active = 0;
            for (const auto& other : ta)
                active += (other.spec.start_ns() <= s.start_ns() && s.start_ns() < other.spec.end_ns()) ? 1 : 0;
            QVERIFY(active <= 2);
        }
        bool differs = ta.size() != (*c)->timeline().size();
        for (std::size_t i = 0; !differs && i < ta.size(); ++i)
            differs = ta[i].spec.start_ns() != (*c)->timeline()[i].spec.start_ns();
        QVERIFY(differs);
    }

    void recordAndVerify()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("rec.sqlite")).toStdString();
        DrillRunOptions o;
        o.stopAt = 7 * sim::kSecond;
        auto run = DrillRun::create(load(kOutage), o);
        QVERIFY(run.ok());
        QVERIFY((*run)->startRecording(path).ok());
        (*run)->runToEnd();
        QVERIFY((*run)->recordingStatus().ok());
        const DrillReport r = (*run)->report();
        run->reset();
        const auto v = verifyRecording(path);
        QVERIFY2(v.ok(), v.ok() ? "" : std::string(v.status().message()).c_str());
        QVERIFY(v->match);
        QCOMPARE(v->recordedHash, r.traceHash);
        QCOMPARE(v->replayedEnd, 7 * sim::kSecond);
        QCOMPARE(v->drill, std::string("outage"));
        QVERIFY(v->summary().find("MATCH") != std::string::npos);
        QVERIFY(!verifyRecording(dir.filePath(QStringLiteral("none.sqlite")).toStdString()).ok());
    }

    // An operator's SetLoad reaches the drill's engine by name (and is recorded).
    void setLoadCommand()
    {
        auto run = DrillRun::create(load(kOutage));
        QVERIFY(run.ok());
        v1::Command c;
        c.mutable_set_load()->set_engine("synthetic");
        c.mutable_set_load()->set_multiplier(2.0);
        QCOMPARE((*run)->world().apply(c).code(), absl::StatusCode::kFailedPrecondition); // takes no load changes
        c.mutable_set_load()->set_engine("warp");
        QCOMPARE((*run)->world().apply(c).code(), absl::StatusCode::kNotFound);
        QVERIFY((*run)->world().commandLog().size() >= 2);
    }

    void sweepListsFailingSeeds()
    {
        // The halt at "< 0.999" makes seeds whose random outage hits fail.
        const DrillSpec spec = load(kSweepDrill);
        SweepOptions o;
        o.firstSeed = 1;
        o.lastSeed = 6;
        std::vector<std::string> lines;
        const auto r = sweepDrill(spec, o, [&](const SweepSeed& s) { lines.push_back(sweepLine(s, false)); });
        QVERIFY(r.ok());
        QCOMPARE(r->seeds.size(), std::size_t(6));
        QCOMPARE(lines.size(), std::size_t(6));
        QVERIFY(!r->failingSeeds.empty());
        QVERIFY(r->failingSeeds.size() < 6);
        for (const SweepSeed& s : r->seeds) {
            int started = 0;
            for (const FaultRecord& f : s.report.faults)
                started += f.startedAt >= 0 ? 1 : 0;
            // A seed fails exactly when one of its outages happened.
            QCOMPARE(!s.passed, started > 0);
        }
        // A failing seed reproduces on its own.
        const std::uint64_t seed = r->failingSeeds.front();
        DrillRunOptions ro;
        ro.seed = seed;
        const DrillReport again = runDrill(spec, ro);
        QVERIFY(!again.passed());
        QCOMPARE(again.traceHash, r->seeds[seed - 1].report.traceHash);
        QVERIFY(!parseSeedRange("5..1").ok());
        QCOMPARE(parseSeedRange("3..7")->second, std::uint64_t(7));
    }
};

LIVEDECK_TEST_CLASS(TstDrillRun)

namespace {

// A short outage drill (10 s) on a small synthetic world.
const char* const kOutage = R"(name: outage
duration: 10s
engines:
  synthetic: {services_per_region: 2, send_interval: 5ms, alert: {below: 0.9, for: 500ms}}
faults:
  - name: cut
    at: 3s
    for: 3s
    kind: down
    target: gz
expectations:
  - name: alert fires
    event: synthetic.alert.on
    after: cut.start
    within: 2s
    weight: 3
  - name: healthy before
    metric: synthetic.send_success
    stat: min
    expect: ">= 0.99"
    to: cut.start
  - name: degraded during
    metric: synthetic.send_success
    stat: min
    expect: "< 0.9"
    from: cut.start
    to: cut.end
invariants: all
)";

const char* const kRandomDrill = R"(name: rf
duration: 60s
engines: {synthetic: {services_per_region: 2}}
random_faults:
  - name: chaos
    kinds: [latency, down]
    targets: ["*/synthetic/svc/*"]
    rate: 10/min
    length: 1s..4s
    max_active: 2
    params: {latency: {add_ms: 5..50}}
)";
const char* const kSweepDrill = R"(name: sw
duration: 20s
engines: {synthetic: {services_per_region: 2, send_interval: 10ms}}
random_faults:
  - kinds: [down]
    targets: [sh-a, sh-b, gz]
    rate: 3/min
    length: 2s..4s
expectations:
  - name: untouched
    metric: synthetic.send_success
    stat: min
    expect: ">= 0.999"
)";
} // namespace

#include "tst_drill_run.moc"
