#include "backend/drills/drill_run.h"

#include "backend/drills/drill_loader.h"
#include "backend/drills/duration.h"
#include "backend/drills/json_writer.h"
#include "backend/drills/random_faults.h"
#include "backend/drills/yaml_reader.h"
#include "backend/sim/strings.h"

#include <algorithm>
#include <cassert>

namespace livedeck::drills {
namespace {

// The end event re-queues itself while other events wait at the same instant; this
// bounds it against a component that re-schedules itself at "now" forever.
constexpr int kMaxEndRequeues = 100'000;

std::string paramsText(const v1::FaultSpec& spec)
{
    std::string s;
    for (const v1::FaultParam& p : spec.params()) {
        s += sim::strCat(s.empty() ? "" : " ", p.name(), "=");
        s += p.text().empty() ? numberText(p.value(), 6) : p.text();
    }
    return s;
}

bool targetMatchesSomething(const sim::World& world, std::string_view target)
{
    for (const sim::ComponentInfo& c : world.components().all()) {
        if (c.id != sim::kNoComponent && sim::pathMatches(target, c.path))
            return true;
    }
    return false;
}

} // namespace

absl::StatusOr<std::unique_ptr<DrillRun>> DrillRun::create(const DrillSpec& spec, const DrillRunOptions& options)
{
    std::unique_ptr<DrillRun> run(new DrillRun(spec, options));
    try {
        run->build();
    } catch (const DrillError& e) {
        return absl::InvalidArgumentError(formatDiagnostic(spec.fileName, e.pos(), e.message()));
    }
    return run;
}

DrillRun::DrillRun(const DrillSpec& spec, const DrillRunOptions& options)
    : m_spec(spec),
      m_seed(options.seed.value_or(spec.seed)),
      m_stopAt(std::min(options.stopAt, spec.duration)),
      m_swarm(options.swarm || options.swarmFaults.has_value()),
      m_givenSwarmFaults(options.swarmFaults)
{
    sim::WorldConfig config;
    config.seed = m_seed;
    config.topology = m_spec.topology;
    config.calendar = m_spec.calendar;
    config.runId = options.runId.empty() ? sim::strCat(m_spec.name, "-", m_seed) : options.runId;
    config.helperThread = options.helperThread;
    m_world = std::make_unique<sim::World>(std::move(config));
    m_telemetry = std::make_unique<telemetry::Telemetry>(*m_world);
    m_shared = std::make_unique<SharedResources>();
}

DrillRun::~DrillRun()
{
    if (m_recorder)
        m_recorder->close().IgnoreError();
    if (m_telemetry) {
        m_telemetry->removeContributor(this);
        if (m_rollupToken != 0)
            m_telemetry->removeRollupListener(m_rollupToken);
    }
    if (m_world && m_eventToken != 0)
        m_world->events().unsubscribe(m_eventToken);
}

void DrillRun::build()
{
    sim::World& world = *m_world;
    m_endKind = world.kind(kEndEvent);
    m_loadKind = world.kind("drill.load");

    EngineContext context{world, *m_telemetry, *m_shared};
    for (const EngineEntry& entry : m_spec.engines) {
        assert(entry.factory && entry.settings);
        auto engine = entry.factory->build(context, *entry.settings);
        if (!engine.ok())
            fail(entry.pos, sim::strCat("engine ", entry.name, ": ", std::string(engine.status().message())));
        m_engines.push_back(std::move(*engine));
        m_descriptors.push_back(entry.factory->describe());
        world.addEngineDescriptor(m_descriptors.back());
    }
    checkTargets();

    // Invariants, in report order.
    std::vector<std::string> invariantNames;
    std::vector<std::string> liveness;
    for (const EngineEntry& e : m_spec.engines) {
        for (const InvariantOffer& o : e.factory->invariants()) {
            if (o.liveness)
                liveness.push_back(o.name);
        }
    }
    if (m_spec.allInvariants || m_swarm) {
        invariantNames.emplace_back(kNoViolationsInvariant);
        for (const EngineEntry& e : m_spec.engines) {
            for (const InvariantOffer& o : e.factory->invariants())
                invariantNames.push_back(o.name);
        }
    } else {
        for (const auto& [name, pos] : m_spec.invariants)
            invariantNames.push_back(name);
    }
    m_invariants = std::make_unique<InvariantTracker>(std::move(invariantNames), m_spec.invariantWeight, std::move(liveness));

    for (const ExpectationSpec& x : m_spec.expectations) {
        if (x.isMetric) {
            m_expectationOrder.emplace_back(true, m_metricExpectations.size());
            m_metricExpectations.emplace_back(x);
        } else {
            m_expectationOrder.emplace_back(false, m_eventExpectations.size());
            m_eventExpectations.emplace_back(x);
        }
    }
    for (const HaltCondition& h : m_spec.halts)
        m_halts.emplace_back(h);
    m_anchors.setEnd(m_stopAt);

    m_eventToken = world.events().subscribe([this](const v1::Event& e) { onEvent(e); });
    world.faults().addListener([this](const sim::Fault& f, bool active) { onFault(f, active); });
    m_rollupToken = m_telemetry->addRollupListener([this](sim::Nanos t, const std::vector<telemetry::Sample>&) { onRollup(t); });
    m_telemetry->addContributor(this);
    world.setCommandHandler(v1::Command::kSetLoad, [this](const v1::Command& c) {
        const v1::SetLoad& load = c.set_load();
        for (std::size_t e = 0; e < m_spec.engines.size(); ++e) {
            if (m_spec.engines[e].name == load.engine())
                return m_engines[e]->setLoad(load.profile(), load.multiplier());
        }
        return absl::NotFoundError(sim::strCat("set_load: no engine '", load.engine(), "' in drill ", m_spec.name));
    });
    world.setCommandHandler(v1::Command::kOperatorAction, [this](const v1::Command& c) { return operatorAction(c.operator_action()); });

    world.events().raise(kStartEvent, sim::kNoComponent, v1::SEVERITY_INFO,
                         sim::strCat("drill ", m_spec.name, " starts (seed ", m_seed, ", duration ",
                                     formatDuration(m_spec.duration), ")"),
                         {{"drill", m_spec.name},
                          {"seed", std::to_string(m_seed)},
                          {"duration_ns", std::to_string(m_spec.duration)},
                          {"stop_ns", std::to_string(m_stopAt)}});

    injectFaults();

    for (std::size_t i = 0; i < m_spec.load.size(); ++i) {
        const LoadPhase& phase = m_spec.load[i];
        if (phase.at > m_stopAt)
            continue;
        world.at(phase.at, m_loadKind, sim::kNoComponent, [this, i] {
            const LoadPhase& p = m_spec.load[i];
            for (std::size_t e = 0; e < m_spec.engines.size(); ++e) {
                if (m_spec.engines[e].name != p.engine)
                    continue;
                if (absl::Status st = m_engines[e]->applyLoad(LoadRequest{p.profile, p.multiplier, p.params}); !st.ok()) {
                    m_world->events().raise("drill.load.error", sim::kNoComponent, v1::SEVERITY_ALERT,
                                            sim::strCat("load phase at ", formatDuration(p.at), " for ", p.engine, ": ",
                                                        std::string(st.message())));
                }
            }
        });
    }
    for (auto& engine : m_engines)
        engine->start();
    m_telemetry->start();
    world.at(m_stopAt, m_endKind, sim::kNoComponent, [this] { endEvent(); });
    m_started = true;
}

absl::Status DrillRun::operatorAction(const v1::OperatorAction& action)
{
    // Every engine whose descriptor declares the action gets it; the action succeeds
    // when at least one engine applied it, and fails with the first engine's error when
    // none could (a bad target, a value out of range).
    ActionRequest request{action.action(), action.target(), action.value()};
    std::string declaredBy;
    std::string offered;
    absl::Status firstError = absl::OkStatus();
    int applied = 0;
    for (std::size_t e = 0; e < m_engines.size(); ++e) {
        const v1::EngineDescriptor& d = m_descriptors[e];
        for (const v1::ActionDescriptor& a : d.actions()) {
            if (offered.find(sim::strCat("'", a.name(), "'")) == std::string::npos)
                offered += sim::strCat(offered.empty() ? "" : ", ", "'", a.name(), "'");
        }
        if (!declaresAction(d, request.action))
            continue;
        declaredBy += sim::strCat(declaredBy.empty() ? "" : ", ", d.name());
        absl::Status st = m_engines[e]->applyAction(request);
        if (st.ok())
            ++applied;
        else if (firstError.ok())
            firstError = absl::Status(st.code(), sim::strCat(d.name(), ": ", std::string(st.message())));
    }
    if (declaredBy.empty()) {
        return absl::InvalidArgumentError(sim::strCat("no engine of drill ", m_spec.name, " declares operator action '",
                                                      request.action, "'",
                                                      offered.empty() ? std::string(" (its engines declare none)")
                                                                      : sim::strCat(" (declared: ", offered, ")")));
    }
    if (applied == 0)
        return firstError;
    m_world->events().raise("operator.action", sim::kNoComponent, v1::SEVERITY_INFO,
                            sim::strCat("operator action ", request.action, " ", request.target,
                                        action.value() != 0.0 ? sim::strCat(" ", numberText(action.value(), 6)) : std::string(),
                                        " applied by ", declaredBy),
                            {{"action", request.action}, {"target", request.target}, {"engines", declaredBy}});
    return absl::OkStatus();
}

void DrillRun::checkTarget(const std::string& target, SourcePos pos, std::string_view what, bool requireComponent)
{
    if (targetMatchesSomething(*m_world, target))
        return;
    if (!requireComponent) {
        // Metric filters may name a metric's component that is not a registered component.
        for (const telemetry::MetricInfo& m : m_telemetry->metrics().metrics()) {
            if (sim::pathMatches(target, m.component))
                return;
        }
    }
    // Suggest the top-level paths the engines registered.
    std::vector<std::string> roots;
    for (const sim::ComponentInfo& c : m_world->components().all()) {
        if (c.id == sim::kNoComponent)
            continue;
        const std::size_t a = c.path.find('/');
        const std::size_t b = a == std::string::npos ? a : c.path.find('/', a + 1);
        std::string root = c.path.substr(0, b);
        if (std::find(roots.begin(), roots.end(), root) == roots.end() && roots.size() < 12)
            roots.push_back(std::move(root));
    }
    std::string list;
    for (const std::string& r : roots)
        list += sim::strCat(list.empty() ? "" : ", ", r, "/...");
    fail(pos, sim::strCat(what, ": '", target, "' matches no component of this drill's engines: expected a path under ",
                          list.empty() ? std::string("(none registered)") : list));
}

void DrillRun::checkTargets()
{
    for (const ScheduledFault& f : m_spec.faults) {
        checkTarget(f.target, f.targetPos, "fault.target");
        for (const v1::FaultParam& p : f.params) {
            if (p.name() == "peer")
                checkTarget(p.text(), f.peerPos, "fault.params.peer");
        }
    }
    for (const RandomFaultSet& set : m_spec.randomFaults) {
        for (std::size_t i = 0; i < set.targets.size(); ++i)
            checkTarget(set.targets[i], set.targetPos[i], "random_faults.targets");
        for (const RandomParamSet& ps : set.params) {
            for (const RandomParam& rp : ps.params) {
                if (rp.name != "peer")
                    continue;
                for (const std::string& c : rp.choices)
                    checkTarget(c, rp.pos, "random_faults.params.peer");
            }
        }
    }
    for (const HaltCondition& h : m_spec.halts) {
        if (!h.metric.component.empty())
            checkTarget(h.metric.component, h.metric.componentPos, "halt.component", false);
    }
    for (const ExpectationSpec& x : m_spec.expectations) {
        if (x.isMetric && !x.metric.metric.component.empty())
            checkTarget(x.metric.metric.component, x.metric.metric.componentPos, "expectation.component", false);
        if (!x.isMetric && !x.event.component.empty())
            checkTarget(x.event.component, x.event.componentPos, "expectation.component");
    }
}

void DrillRun::injectFaults()
{
    if (m_swarm) {
        for (std::size_t e = 0; e < m_spec.engines.size(); ++e) {
            const EngineEntry& entry = m_spec.engines[e];
            FaultSurface surface = entry.factory->faultSurface(*entry.settings, *m_world);
            if (surface.targets.empty())
                m_swarmVocabulary.silentEngines.push_back(entry.name);
            for (FaultTarget& t : surface.targets)
                m_swarmVocabulary.targets.push_back(SwarmTarget{entry.name, std::move(t.path), std::move(t.kinds)});
            for (FaultBudgetRule& r : surface.budget)
                m_swarmVocabulary.budget.push_back(SwarmBudgetRule{entry.name, std::move(r)});
        }
        m_swarmFaults = m_givenSwarmFaults
            ? *m_givenSwarmFaults
            : drawSwarmFaults(m_spec.swarm, std::min(m_spec.swarmFaultsUntil(), m_stopAt), m_swarmVocabulary, *m_world);
        for (const DrawnFault& d : m_swarmFaults) {
            if (d.spec.start_ns() < m_stopAt)
                injectOne(d.name, d.spec);
        }
        return;
    }
    for (const ScheduledFault& f : m_spec.faults) {
        if (f.at >= m_stopAt && m_stopAt < m_spec.duration)
            continue; // --until stops the run first
        v1::FaultSpec spec;
        spec.set_kind(f.kind);
        spec.set_target(f.target);
        for (const v1::FaultParam& p : f.params)
            *spec.add_params() = p;
        spec.set_start_ns(f.at);
        spec.set_end_ns(f.end == sim::kNever ? 0 : f.end);
        spec.set_origin("drill");
        injectOne(f.name, std::move(spec));
    }
    for (const RandomFaultSet& set : m_spec.randomFaults) {
        for (DrawnFault& d : drawRandomFaults(set, *m_world)) {
            if (d.spec.start_ns() >= m_stopAt)
                continue;
            injectOne(std::move(d.name), std::move(d.spec));
        }
    }
}

void DrillRun::injectOne(std::string name, v1::FaultSpec spec)
{
    v1::Command command;
    command.set_issuer("drill");
    *command.mutable_inject_fault()->mutable_fault() = spec;
    DrillFault df;
    df.name = std::move(name);
    df.spec = std::move(spec);
    const absl::Status st = m_world->apply(command);
    if (st.ok()) {
        df.id = m_world->faults().all().back().id;
        m_faultIndex[df.id] = m_timeline.size();
    } else {
        // Targets were checked above; a refusal here is a fault the world's rules reject
        // (e.g. a random partition whose two ends overlap). It is reported, not fatal.
        df.error = std::string(st.message());
    }
    m_timeline.push_back(std::move(df));
}

void DrillRun::onFault(const sim::Fault& fault, bool active)
{
    const auto it = m_faultIndex.find(fault.id);
    if (it == m_faultIndex.end())
        return; // an operator's fault, not the drill's
    DrillFault& df = m_timeline[it->second];
    const sim::Nanos now = m_world->now();
    if (active) {
        df.startedAt = now;
        if (!df.name.empty())
            m_anchors.faultStarted(df.name, now);
    } else {
        df.endedAt = now;
        if (!df.name.empty())
            m_anchors.faultEnded(df.name, now);
    }
    if (m_done)
        return;
    for (EventExpectation& e : m_eventExpectations)
        e.onTime(now, m_anchors);
}

void DrillRun::onEvent(const v1::Event& event)
{
    if (m_done)
        return;
    for (EventExpectation& e : m_eventExpectations)
        e.onEvent(event, m_anchors);
    if (event.severity() == v1::SEVERITY_VIOLATION)
        m_invariants->onViolation(event);
}

void DrillRun::checkInvariants(sim::Nanos t)
{
    m_checkScratch.clear();
    for (auto& engine : m_engines)
        engine->checkInvariants(m_checkScratch);
    m_invariants->update(m_checkScratch, t);
}

void DrillRun::onRollup(sim::Nanos t)
{
    if (m_done || m_halting)
        return;
    checkInvariants(t);
    for (MetricExpectation& m : m_metricExpectations)
        m.onRollup(t, *m_telemetry, m_anchors);
    for (EventExpectation& e : m_eventExpectations)
        e.onTime(t, m_anchors);
    for (HaltTracker& h : m_halts) {
        if (h.onRollup(t, *m_telemetry)) {
            // Stop here: the end event runs once everything else at this instant ran.
            m_halting = true;
            m_haltReason = h.reason();
            m_anchors.setEnd(t);
            m_world->events().raise(kHaltEvent, sim::kNoComponent, v1::SEVERITY_ALERT, m_haltReason);
            m_world->at(t, m_endKind, sim::kNoComponent, [this] { endEvent(); });
            break;
        }
    }
}

void DrillRun::endEvent()
{
    if (m_done)
        return;
    sim::Scheduler& s = m_world->scheduler();
    if (s.nextTime() <= m_world->now() && m_endRequeues < kMaxEndRequeues) {
        ++m_endRequeues;
        m_world->at(m_world->now(), m_endKind, sim::kNoComponent, [this] { endEvent(); });
        return;
    }
    if (!m_halting && m_world->now() < m_stopAt)
        return; // a halt's end event superseded by nothing: cannot happen, kept safe
    m_world->events().raise(kEndEvent, sim::kNoComponent, v1::SEVERITY_INFO,
                            sim::strCat("drill ", m_spec.name, m_halting ? " halted" : " ended", " at ",
                                        numberText(sim::toSeconds(m_world->now()), 6), " s"));
    finalize(m_halting, m_haltReason);
}

std::vector<ExpectationResult> DrillRun::expectationResults() const
{
    std::vector<ExpectationResult> out;
    out.reserve(m_expectationOrder.size());
    for (const auto& [isMetric, index] : m_expectationOrder)
        out.push_back(isMetric ? m_metricExpectations[index].result() : m_eventExpectations[index].result());
    return out;
}

void DrillRun::finalize(bool halted, std::string haltReason)
{
    const sim::Nanos now = m_world->now();
    m_checkScratch.clear();
    for (auto& engine : m_engines)
        engine->finalInvariants(m_checkScratch);
    m_invariants->update(m_checkScratch, now, true);
    m_anchors.setEnd(now);
    for (MetricExpectation& m : m_metricExpectations)
        m.finish(now, m_anchors);
    for (EventExpectation& e : m_eventExpectations)
        e.finish(now, m_anchors);

    DrillReport& r = m_report;
    r.drill = m_spec.name;
    r.description = m_spec.description;
    r.sabotageOf = m_spec.sabotageOf;
    r.fileName = m_spec.fileName;
    r.seed = m_seed;
    r.build = std::string(telemetry::RunRecorder::defaultBuildId());
    {
        v1::Topology topology; // the plugins the engines recorded when they were built
        m_world->topologyToProto(topology);
        r.plugins.clear();
        for (const v1::PluginInfo& p : topology.plugins())
            r.plugins.push_back(DrillReport::Plugin{p.id(), p.version(), p.file_sha256()});
    }
    r.simNs = now;
    r.durationNs = m_spec.duration;
    r.events = m_world->scheduler().executed();
    r.traceHash = m_world->traceHash();
    r.stateDigest = m_world->stateDigest();
    r.calendarStart = m_world->calendar().format(0);
    r.halted = halted;
    r.haltReason = std::move(haltReason);
    r.stoppedEarly = !halted && m_stopAt < m_spec.duration;
    r.expectations = expectationResults();
    r.invariants = m_invariants->results();
    r.score = drillScore(r.expectations, r.invariants);
    r.faults.clear();
    for (const DrillFault& f : m_timeline) {
        FaultRecord fr;
        fr.name = f.name;
        fr.origin = f.spec.origin();
        fr.kind = std::string(sim::FaultRegistry::kindName(f.spec.kind()));
        fr.target = f.spec.target();
        fr.params = paramsText(f.spec);
        fr.start = f.spec.start_ns();
        fr.end = f.spec.end_ns() > 0 ? f.spec.end_ns() : -1;
        fr.startedAt = f.startedAt;
        fr.endedAt = f.endedAt;
        fr.error = f.error;
        r.faults.push_back(std::move(fr));
    }
    m_reportJson = r.toJson(false);
    m_done = true;
    m_doneAt = now;
    if (m_recorder) {
        if (absl::Status st = m_recorder->finish(*m_world); !st.ok() && m_recordingStatus.ok())
            m_recordingStatus = st;
        if (absl::Status st = m_recorder->close(); !st.ok() && m_recordingStatus.ok())
            m_recordingStatus = st;
    }
}

DrillReport DrillRun::report() const
{
    if (m_done)
        return m_report;
    DrillReport r;
    r.drill = m_spec.name;
    r.description = m_spec.description;
    r.sabotageOf = m_spec.sabotageOf;
    r.fileName = m_spec.fileName;
    r.seed = m_seed;
    r.simNs = m_world->now();
    r.durationNs = m_spec.duration;
    r.events = m_world->scheduler().executed();
    r.traceHash = m_world->traceHash();
    r.calendarStart = m_world->calendar().format(0);
    r.expectations = expectationResults();
    r.invariants = m_invariants->results();
    r.score = drillScore(r.expectations, r.invariants);
    return r;
}

absl::Status DrillRun::startRecording(const std::string& path, bool overwrite)
{
    if (m_done)
        return absl::FailedPreconditionError("the drill run has already finished");
    if (m_recorder)
        return absl::FailedPreconditionError(sim::strCat("the run is already recorded to ", m_recorder->path()));
    telemetry::RunInfo info = telemetry::RunInfo::fromWorld(*m_world, m_spec.name, m_spec.text);
    telemetry::RunRecorder::Options options;
    options.overwrite = overwrite;
    auto recorder = telemetry::RunRecorder::create(path, info, options);
    if (!recorder.ok())
        return recorder.status();
    if (absl::Status st = (*recorder)->attach(*m_world, *m_telemetry); !st.ok())
        return st;
    m_recorder = std::move(*recorder);
    return absl::OkStatus();
}

void DrillRun::onCommandApplied(const v1::AppliedCommand& applied)
{
    if (m_recorder && !m_done) {
        if (absl::Status st = m_recorder->recordCommand(applied); !st.ok() && m_recordingStatus.ok())
            m_recordingStatus = st;
    }
}

void DrillRun::runToEnd()
{
    sim::Scheduler& s = m_world->scheduler();
    while (!m_done && s.step()) {
    }
}

bool DrillRun::fillDrillState(v1::DrillState& out) const
{
    out.Clear(); // contribute() may have filled it while the snapshot was built
    out.set_name(m_spec.name);
    out.set_description(m_spec.description);
    out.set_seed(m_seed);
    out.set_duration_ns(m_spec.duration);
    out.set_sim_time_ns(m_done ? m_doneAt : m_world->now());
    out.set_phase(m_done ? (m_report.halted ? v1::DRILL_HALTED : v1::DRILL_FINISHED) : v1::DRILL_RUNNING);
    for (const DrillFault& f : m_timeline) {
        v1::FaultSpec* spec = out.add_timeline();
        *spec = f.spec;
        spec->set_id(f.id);
        spec->set_active(f.startedAt >= 0 && f.endedAt < 0);
    }
    const DrillReport r = report();
    for (const ExpectationResult& e : r.expectations) {
        v1::ExpectationStatus* s = out.add_expectations();
        s->set_name(e.name);
        s->set_passed(e.passed);
        s->set_final(e.final);
        s->set_observed(e.observedText);
        s->set_expected(e.expected);
        s->set_weight(e.weight);
    }
    for (const InvariantResult& i : r.invariants) {
        v1::InvariantStatus* s = out.add_invariants();
        s->set_name(i.name);
        s->set_passed(i.passed);
        s->set_detail(i.detail);
    }
    out.set_score(r.score);
    if (m_done)
        out.set_report_json(m_reportJson);
    return true;
}

void DrillRun::contribute(v1::Snapshot& snapshot) const
{
    // Recorded snapshots carry the drill's state too, so a replay shows the verdicts.
    fillDrillState(*snapshot.mutable_drill());
}

} // namespace livedeck::drills
