// Swarm testing (drill sweep --swarm, docs/DRILLS.md "Swarm testing") with a test-only
// engine whose safety invariant breaks only when its primary and its replica are down
// at once: the swarm finds such seeds, shrinking leaves exactly those two faults, the
// reproducer drill breaks it again, a fault budget that forbids the pair keeps every
// seed passing, liveness invariants are judged at the end, jobs 1 and 2 give the same
// sweep, and a swarm over sabotage twins of the gift engine finds their violations
// within 100 seeds (while the drills they sabotage hold under the same faults).
#include "tests/common/multi_test.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/drill_sweep.h"
#include "backend/drills/random_faults.h"
#include "backend/drills/yaml_reader.h"

#include <QTest>

#include <set>

using namespace livedeck;
using namespace livedeck::drills;

namespace {

constexpr std::string_view kPaths[] = {"pair/a", "pair/b", "pair/c", "pair/d"};

struct PairSettings final : EngineSettings {
    bool budget = false;
};

// Every 20 ms a request goes to pair/a, or to pair/b when pair/a is down; with both down
// it is lost (safety invariant pair.served). Work for pair/c backs up while a latency
// fault slows it and drains once it ends (liveness invariant pair.drained). pair/d is
// only a place for faults to land.
class PairEngine final : public Engine {
public:
    explicit PairEngine(sim::World& world) : m_world(world), m_tick(world.kind("pair.tick"))
    {
        for (const std::string_view p : kPaths)
            world.components().mustAdd(std::string(p), "pair-node");
    }
    void start() override { schedule(); }
    absl::Status applyLoad(const LoadRequest&) override { return absl::FailedPreconditionError("no load"); }
    void checkInvariants(std::vector<InvariantCheck>& out) override
    {
        out.push_back(InvariantCheck{"pair.served", m_lost == 0, sim::strCat(m_lost, " request(s) lost")});
        out.push_back(InvariantCheck{"pair.drained", m_backlog == 0, sim::strCat(m_backlog, " job(s) backed up")});
    }

private:
    void schedule()
    {
        m_world.after(20 * sim::kMillisecond, m_tick, sim::kNoComponent, [this] {
            const sim::FaultRegistry& f = m_world.faults();
            if (f.isDown("pair/a") && f.isDown("pair/b"))
                ++m_lost;
            if (f.effect(v1::FAULT_LATENCY, "pair/c").present)
                ++m_backlog;
            else
                m_backlog = 0;
            schedule();
        });
    }

    sim::World& m_world;
    sim::EventKindId m_tick;
    std::uint64_t m_lost = 0;
    std::uint64_t m_backlog = 0;
};

class PairFactory final : public EngineFactory {
public:
    std::string_view name() const override { return "pair"; }
    std::string_view description() const override { return "test engine: a primary and its replica"; }
    std::vector<MetricOffer> metrics() const override { return {}; }
    std::vector<InvariantOffer> invariants() const override
    {
        return {{"pair.served", "no request lost", false}, {"pair.drained", "pair/c's backlog drains", true}};
    }
    std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        auto s = std::make_shared<PairSettings>();
        const YamlMap m(node, "engines.pair", {"budget"});
        s->budget = m.boolean("budget", false);
        return s;
    }
    absl::StatusOr<std::unique_ptr<Engine>> build(EngineContext& context, const EngineSettings&) const override
    {
        return std::unique_ptr<Engine>(std::make_unique<PairEngine>(context.world));
    }
    FaultSurface faultSurface(const EngineSettings& settings, const sim::World&) const override
    {
        FaultSurface out;
        for (const std::string_view p : kPaths)
            out.targets.push_back(FaultTarget{std::string(p), {v1::FAULT_DOWN, v1::FAULT_LATENCY}});
        if (static_cast<const PairSettings&>(settings).budget)
            out.budget.push_back(FaultBudgetRule{"pair: a or b", {"pair/a", "pair/b"}, 1, "one of two serves"});
        return out;
    }
};

const EngineRegistry& registry()
{
    static const EngineRegistry r = [] {
        EngineRegistry out;
        if (!out.add(std::make_shared<PairFactory>()).ok())
            qFatal("cannot register the pair engine");
        return out;
    }();
    return r;
}

DrillSpec load(const std::string& text, const EngineRegistry& engines = registry())
{
    auto spec = loadDrill(text, "pair.yaml", engines);
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    return *spec;
}

std::string pairDrill(bool budget)
{
    return sim::strCat("name: pair-swarm\nseed: 1\nduration: 12s\nengines:\n  pair: {budget: ", budget ? "true" : "false",
                       "}\nswarm:\n  faults_until: 8s\n  faults: 3..6\n  length: 1s..4s\n");
}

SweepResult sweep(const DrillSpec& spec, std::uint64_t first, std::uint64_t last, int jobs)
{
    SweepOptions o;
    o.firstSeed = first;
    o.lastSeed = last;
    o.swarm = true;
    o.jobs = jobs;
    auto r = sweepDrill(spec, o);
    if (!r.ok())
        qFatal("%s", std::string(r.status().message()).c_str());
    return *r;
}

bool failed(const DrillReport& r, std::string_view invariant)
{
    for (const InvariantResult& i : r.invariants) {
        if (i.name == invariant)
            return !i.passed;
    }
    return false;
}

bool overlap(const DrawnFault& x, const DrawnFault& y)
{
    return x.spec.start_ns() < y.spec.end_ns() && y.spec.start_ns() < x.spec.end_ns();
}

} // namespace

class TstSwarm : public QObject {
    Q_OBJECT

private slots:
    void drawsAreReproducibleAndEndBeforeTheTail()
    {
        const DrillSpec spec = load(pairDrill(false));
        const SweepResult a = sweep(spec, 1, 20, 1);
        const SweepResult b = sweep(spec, 1, 20, 1);
        std::set<std::string> kindsSeen;
        for (std::size_t i = 0; i < a.seeds.size(); ++i) {
            QCOMPARE(a.seeds[i].report.traceHash, b.seeds[i].report.traceHash);
            const auto& faults = a.seeds[i].swarmFaults;
            QVERIFY(!faults.empty() && faults.size() <= 6);
            for (const DrawnFault& f : faults) {
                QVERIFY(f.spec.end_ns() <= 8 * sim::kSecond);
                QVERIFY(f.spec.end_ns() > f.spec.start_ns());
                QCOMPARE(f.spec.origin(), std::string("swarm"));
                kindsSeen.insert(std::string(sim::FaultRegistry::kindName(f.spec.kind())));
            }
        }
        // Seeds differ in their faults.
        QVERIFY(a.seeds[0].swarmFaults.size() != a.seeds[1].swarmFaults.size() ||
                a.seeds[0].swarmFaults[0].spec.target() != a.seeds[1].swarmFaults[0].spec.target() ||
                a.seeds[0].swarmFaults[0].spec.start_ns() != a.seeds[1].swarmFaults[0].spec.start_ns());
        QCOMPARE(kindsSeen.size(), std::size_t(2));
        const SwarmCoverage c = swarmCoverage(a);
        QCOMPARE(c.pairs.size(), std::size_t(8));
        QCOMPARE(c.uncovered(), std::size_t(0));
    }

    void swarmSectionErrorsNamePositions()
    {
        const auto error = [](const std::string& swarm) {
            auto spec = loadDrill("name: x\nduration: 10s\nengines:\n  pair: {}\nswarm:\n" + swarm, "x.yaml", registry());
            return spec.ok() ? std::string() : std::string(spec.status().message());
        };
        QCOMPARE(error("  faults: 3..2\n"),
                 std::string("x.yaml:6:11: swarm.faults: expected a count or a range of counts in 1..64 such as 2..6, got '3..2'"));
        QVERIFY(error("  faults_until: 10s\n").starts_with("x.yaml:6:17: swarm.faults_until: the faults must stop before"));
        QVERIFY(error("  length: 2s..1s\n").starts_with("x.yaml:6:11: swarm.length:"));
        QVERIFY(error("  tail: 2s\n").starts_with("x.yaml:6:3: "));
        const DrillSpec spec = load(pairDrill(false));
        QCOMPARE(spec.swarmFaultsUntil(), 8 * sim::kSecond);
        QCOMPARE(spec.swarm.minFaults, 3);
        QCOMPARE(spec.swarm.maxFaults, 6);
        QCOMPARE(load("name: x\nduration: 10s\nengines:\n  pair: {}\n").swarmFaultsUntil(), 5 * sim::kSecond);
    }

    void shrinksToExactlyThePairThatBreaks()
    {
        const DrillSpec spec = load(pairDrill(false));
        const SweepResult r = sweep(spec, 1, 100, 1);
        const SweepSeed* found = nullptr;
        for (const SweepSeed& s : r.seeds) {
            if (!s.passed && s.swarmFaults.size() > 2) {
                found = &s;
                break;
            }
        }
        QVERIFY2(found, "no seed of 1..100 lost a request with more than two faults drawn");
        QVERIFY(failed(found->report, "pair.served"));
        auto shrunk = shrinkSwarmSeed(spec, *found, sim::kNever);
        QVERIFY2(shrunk.ok(), std::string(shrunk.status().message()).c_str());
        QCOMPARE(shrunk->invariant, std::string("pair.served"));
        QCOMPARE(shrunk->faults.size(), std::size_t(2));
        const DrawnFault& x = shrunk->faults[0];
        const DrawnFault& y = shrunk->faults[1];
        QCOMPARE(x.spec.kind(), v1::FAULT_DOWN);
        QCOMPARE(y.spec.kind(), v1::FAULT_DOWN);
        QCOMPARE((std::set<std::string>{x.spec.target(), y.spec.target()}), (std::set<std::string>{"pair/a", "pair/b"}));
        QVERIFY(overlap(x, y));
        QVERIFY(failed(shrunk->report, "pair.served"));
        QVERIFY(shrunk->runs >= 2);

        // The reproducer is a plain drill that breaks the same invariant.
        const std::string text = swarmReproducer(spec, *shrunk, "pair.yaml", "");
        const DrillSpec repro = load(text);
        QCOMPARE(repro.faults.size(), std::size_t(2));
        QCOMPARE(repro.seed, found->seed);
        auto run = DrillRun::create(repro);
        QVERIFY(run.ok());
        (*run)->runToEnd();
        QVERIFY2(failed((*run)->report(), "pair.served"), text.c_str());
    }

    void budgetKeepsThePairAlive()
    {
        const DrillSpec spec = load(pairDrill(true));
        const SweepResult r = sweep(spec, 1, 100, 2);
        QVERIFY(r.failingSeeds.empty());
        for (const SweepSeed& s : r.seeds) {
            for (const DrawnFault& x : s.swarmFaults) {
                for (const DrawnFault& y : s.swarmFaults) {
                    QVERIFY(!(x.spec.kind() == v1::FAULT_DOWN && y.spec.kind() == v1::FAULT_DOWN &&
                              x.spec.target() == "pair/a" && y.spec.target() == "pair/b" && overlap(x, y)));
                }
            }
        }
        QCOMPARE(swarmCoverage(r).uncovered(), std::size_t(0));
        // The budget check itself.
        SwarmVocabulary v;
        v.budget.push_back(SwarmBudgetRule{"pair", FaultBudgetRule{"a or b", {"pair/a", "pair/b"}, 1, ""}});
        v1::FaultSpec a;
        a.set_kind(v1::FAULT_DOWN);
        a.set_target("pair/a");
        a.set_start_ns(0);
        a.set_end_ns(sim::kSecond);
        v1::FaultSpec b = a;
        b.set_target("pair/b");
        b.set_start_ns(sim::kSecond / 2);
        std::string why;
        QVERIFY(!withinFaultBudget({a, b}, v, &why));
        QVERIFY2(why.find("a or b") != std::string::npos, why.c_str());
        b.set_start_ns(sim::kSecond);
        b.set_end_ns(2 * sim::kSecond);
        QVERIFY(withinFaultBudget({a, b}, v));
        // A partition between the two leaves each alone: one is enough for this rule...
        v1::FaultSpec p;
        p.set_kind(v1::FAULT_PARTITION);
        p.set_target("pair/a");
        p.set_start_ns(0);
        p.set_end_ns(sim::kSecond);
        auto* peer = p.add_params();
        peer->set_name("peer");
        peer->set_text("pair/b");
        QVERIFY(withinFaultBudget({p}, v));
        // ...but not for a rule that needs both to reach each other.
        v.budget[0].rule.need = 2;
        QVERIFY(!withinFaultBudget({p}, v));
    }

    void livenessIsJudgedAtTheEnd()
    {
        const DrillSpec spec = load(pairDrill(false));
        const auto fault = [](std::string target, v1::FaultKind kind, sim::Nanos from, sim::Nanos to) {
            DrawnFault d;
            d.name = "swarm#1";
            d.spec.set_kind(kind);
            d.spec.set_target(std::move(target));
            d.spec.set_start_ns(from);
            d.spec.set_end_ns(to);
            d.spec.set_origin("swarm");
            if (kind == v1::FAULT_LATENCY) {
                auto* p = d.spec.add_params();
                p->set_name("add_ms");
                p->set_value(50);
            }
            return d;
        };
        DrillRunOptions o;
        o.swarmFaults = std::vector<DrawnFault>{fault("pair/c", v1::FAULT_LATENCY, sim::kSecond, 3 * sim::kSecond)};
        auto run = DrillRun::create(spec, o);
        QVERIFY(run.ok());
        // Mid-fault the check fails, yet the verdict waits for the end.
        (*run)->world().scheduler().runUntil(2 * sim::kSecond);
        QVERIFY(!failed((*run)->report(), "pair.drained"));
        (*run)->runToEnd();
        QVERIFY(!failed((*run)->report(), "pair.drained"));
        // A backlog still there at the end fails it.
        o.swarmFaults = std::vector<DrawnFault>{fault("pair/c", v1::FAULT_LATENCY, sim::kSecond, 20 * sim::kSecond)};
        run = DrillRun::create(spec, o);
        QVERIFY(run.ok());
        (*run)->runToEnd();
        QVERIFY(failed((*run)->report(), "pair.drained"));
        // A safety invariant fails at its first failing check, though the faults end.
        o.swarmFaults = std::vector<DrawnFault>{fault("pair/a", v1::FAULT_DOWN, sim::kSecond, 2 * sim::kSecond),
                                                fault("pair/b", v1::FAULT_DOWN, sim::kSecond, 2 * sim::kSecond)};
        run = DrillRun::create(spec, o);
        QVERIFY(run.ok());
        (*run)->runToEnd();
        QVERIFY(failed((*run)->report(), "pair.served"));
    }

    void jobsOneAndTwoGiveTheSameSweep()
    {
        const DrillSpec spec = load(pairDrill(false));
        const SweepResult one = sweep(spec, 1, 40, 1);
        const SweepResult two = sweep(spec, 1, 40, 2);
        QCOMPARE(one.seeds.size(), two.seeds.size());
        for (std::size_t i = 0; i < one.seeds.size(); ++i)
            QCOMPARE(sweepLine(one.seeds[i], true), sweepLine(two.seeds[i], true));
        QCOMPARE(one.failingSeeds, two.failingSeeds);
        QCOMPARE(swarmCoverageText(swarmCoverage(one)), swarmCoverageText(swarmCoverage(two)));
        QVERIFY(!one.failingSeeds.empty()); // the comparison covers failing seeds too
    }

    void swarmFindsTheSabotageTwinsViolation_data()
    {
        QTest::addColumn<QString>("twinName");
        QTest::addColumn<QString>("invariantName");
        QTest::addColumn<int>("kind"); // a fault kind the breaking seed must have drawn
        QTest::newRow("settlement without its unique index") << "gifts-mq-duplicates-not-idempotent"
                                                             << "gifts.settled_twice" << int(v1::FAULT_MQ_DUPLICATE);
        QTest::newRow("no payment re-check, no audit")
            << "gifts-payment-timeout-no-recheck" << "gifts.paid_unsettled" << int(v1::FAULT_KIND_UNSPECIFIED);
    }

    void swarmFindsTheSabotageTwinsViolation()
    {
        QFETCH(QString, twinName);
        QFETCH(QString, invariantName);
        QFETCH(int, kind);
        const std::string invariant = invariantName.toStdString();
        const BuiltinDrill* twin = findBuiltinDrill(twinName.toStdString());
        if (!twin || !processEngines().find("gifts"))
            QSKIP("this build has no gift engine");
        auto spec = loadDrill(twin->text, twin->fileName);
        QVERIFY2(spec.ok(), std::string(spec.status().message()).c_str());
        // Without its own duplicates the twin holds; the swarm must find what breaks it.
        for (std::uint64_t seed = 1; seed <= 100; ++seed) {
            DrillRunOptions o;
            o.seed = seed;
            o.swarm = true;
            auto run = DrillRun::create(*spec, o);
            QVERIFY(run.ok());
            (*run)->runToEnd();
            if (failed((*run)->report(), invariant)) {
                bool drawn = kind == v1::FAULT_KIND_UNSPECIFIED;
                for (const DrawnFault& f : (*run)->swarmFaults())
                    drawn = drawn || f.spec.kind() == kind;
                QVERIFY2(drawn, "broken without the fault kind that breaks it drawn");
                qInfo("seed %llu breaks %s", static_cast<unsigned long long>(seed), invariant.c_str());
                // The drill it sabotages holds under the same faults.
                const BuiltinDrill* sound = findBuiltinDrill(twin->sabotageOf);
                QVERIFY(sound);
                auto soundSpec = loadDrill(sound->text, sound->fileName);
                QVERIFY(soundSpec.ok());
                auto soundRun = DrillRun::create(*soundSpec, o);
                QVERIFY(soundRun.ok());
                (*soundRun)->runToEnd();
                QCOMPARE((*soundRun)->swarmFaults().size(), (*run)->swarmFaults().size());
                QVERIFY(!failed((*soundRun)->report(), invariant));
                return;
            }
        }
        QFAIL(qPrintable(QStringLiteral("no seed of 1..100 broke %1 on %2").arg(invariantName, twinName)));
    }
};

LIVEDECK_TEST_CLASS(TstSwarm)
#include "tst_swarm.moc"
