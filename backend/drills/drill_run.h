// DrillRun: one drill (a DrillSpec) with one seed, as a host::HostedRun — the world
// with the drill's topology and calendar, its telemetry, the engines, the drill's fault
// timeline (scheduled and random faults, injected as recorded world commands so a
// replay or a recording sees them), load phases, halt conditions, expectations,
// invariants and the score. Run it in a WorldHost (livedeckctl drill run, the console)
// or directly with runToEnd() (sweeps, verify, tests): the trace is the same.
//
// Contract:
// - create() builds everything and checks what needs the world: fault targets and
//   peers, random fault targets and component filters must match components the
//   engines registered. Errors: InvalidArgument "file:line:col: message" at the
//   offending string of the drill file.
// - The run ends at its stop time (the drill's duration, or an earlier `stopAt`) with
//   the "drill.end" world event, which re-queues itself until it is the last event at
//   that instant; or at a rollup where a halt condition fires. At that point — a
//   deterministic point of the event sequence — the run finalizes: last invariant
//   checks, expectation verdicts, score, the DrillReport (with the trace hash and state
//   digest of that point), the recording finished and closed. endTime() then returns
//   that time and finished() true; the host may still run a few events of its current
//   slice after a halt, which the report and recording do not include.
// - Events on the EventLog: "drill.start" (at build: drill, seed, duration, stop time;
//   verify reads the stop time back from a recording), "drill.halt", "drill.end".
// - Thread: built on any thread, then used on one thread at a time (the host's).
#pragma once

#include "backend/drills/drill_report.h"
#include "backend/drills/drill_spec.h"
#include "backend/drills/engine.h"
#include "backend/drills/expectations.h"
#include "backend/drills/random_faults.h"
#include "backend/host/hosted_run.h"
#include "backend/telemetry/recorder.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::drills {

struct DrillRunOptions {
    std::optional<std::uint64_t> seed; // overrides the file's seed
    sim::Nanos stopAt = sim::kNever;   // end before the drill's duration (livedeckctl --until)
    std::string runId;                 // empty: "<drill>-<seed>"
    // Swarm testing (random_faults.h): the file's faults and random faults are left out;
    // the run draws its faults over the engines' fault surfaces (or takes `swarmFaults`
    // as given, e.g. while shrinking) and checks every invariant the engines offer.
    bool swarm = false;
    std::optional<std::vector<DrawnFault>> swarmFaults;
    // The world runs work it needs later on a helper thread (sim::WorldConfig::
    // helperThread): the same trace, faster when a core is spare.
    bool helperThread = false;
};

// One fault of the drill's timeline as injected and as it happened.
struct DrillFault {
    std::string name;   // the file's name (may be empty), or "<set>#<n>" for random faults
    v1::FaultSpec spec; // as injected (kind, target, params, start, end, origin)
    std::uint64_t id = 0; // in the world's FaultRegistry; 0 when the world refused it
    sim::Nanos startedAt = -1;
    sim::Nanos endedAt = -1;
    std::string error;
};

class DrillRun final : public host::HostedRun, private telemetry::SnapshotContributor {
public:
    static absl::StatusOr<std::unique_ptr<DrillRun>> create(const DrillSpec& spec, const DrillRunOptions& options = {});
    ~DrillRun() override;
    DrillRun(const DrillRun&) = delete;
    DrillRun& operator=(const DrillRun&) = delete;

    // HostedRun
    sim::World& world() override { return *m_world; }
    const sim::World& world() const override { return *m_world; }
    telemetry::Telemetry& telemetry() override { return *m_telemetry; }
    const telemetry::Telemetry& telemetry() const override { return *m_telemetry; }
    // One nanosecond past the stop time until done, so a host runs every event at the
    // stop instant (the end event comes last there) before it calls the run finished.
    sim::Nanos endTime() const override { return m_done ? m_doneAt : m_stopAt + 1; }
    bool finished() const override { return m_done; }
    bool fillDrillState(v1::DrillState& out) const override;
    void onCommandApplied(const v1::AppliedCommand& applied) override;

    // Records the run to a SQLite file (docs/RECORDING.md) with the drill's name, text
    // and seed. Call before the run starts; the recording is finished and closed when
    // the run finalizes. recordingStatus() keeps the recorder's first error.
    absl::Status startRecording(const std::string& path, bool overwrite = false);
    const absl::Status& recordingStatus() const { return m_recordingStatus; }

    // Runs the world on this thread until the run finalizes.
    void runToEnd();

    bool done() const { return m_done; }
    // The final report once done(); before that, the verdicts so far.
    DrillReport report() const;
    const DrillSpec& spec() const { return m_spec; }
    std::uint64_t seed() const { return m_seed; }
    sim::Nanos stopTime() const { return m_stopAt; }
    const std::vector<DrillFault>& timeline() const { return m_timeline; }
    // The engines of this run as they described themselves, in the drill's order.
    const std::vector<v1::EngineDescriptor>& engineDescriptors() const { return m_descriptors; }
    const SharedResources& shared() const { return *m_shared; }
    // A swarm run's fault surfaces and the faults it drew (or was given); empty otherwise.
    const SwarmVocabulary& swarmVocabulary() const { return m_swarmVocabulary; }
    const std::vector<DrawnFault>& swarmFaults() const { return m_swarmFaults; }
    // Events on the EventLog this run raises.
    static constexpr std::string_view kStartEvent = "drill.start";
    static constexpr std::string_view kEndEvent = "drill.end";
    static constexpr std::string_view kHaltEvent = "drill.halt";

private:
    DrillRun(const DrillSpec& spec, const DrillRunOptions& options);
    void build(); // throws DrillError
    void checkTargets();
    void checkTarget(const std::string& target, SourcePos pos, std::string_view what, bool requireComponent = true);
    void injectFaults();
    void injectOne(std::string name, v1::FaultSpec spec);
    void onFault(const sim::Fault& fault, bool active);
    void onEvent(const v1::Event& event);
    void onRollup(sim::Nanos t);
    void checkInvariants(sim::Nanos t);
    void endEvent();
    absl::Status operatorAction(const v1::OperatorAction& action);
    void finalize(bool halted, std::string haltReason);
    std::vector<ExpectationResult> expectationResults() const;
    void contribute(v1::Snapshot& snapshot) const override;

    DrillSpec m_spec;
    std::uint64_t m_seed;
    sim::Nanos m_stopAt;
    std::unique_ptr<sim::World> m_world;
    std::unique_ptr<telemetry::Telemetry> m_telemetry;
    std::unique_ptr<SharedResources> m_shared; // after the engines are gone, before the world
    std::vector<std::unique_ptr<Engine>> m_engines;
    std::vector<v1::EngineDescriptor> m_descriptors; // per engine, as it described itself

    bool m_swarm = false;
    std::optional<std::vector<DrawnFault>> m_givenSwarmFaults;
    SwarmVocabulary m_swarmVocabulary;
    std::vector<DrawnFault> m_swarmFaults;

    std::vector<DrillFault> m_timeline;
    absl::flat_hash_map<std::uint64_t, std::size_t> m_faultIndex; // fault id -> timeline index
    TimeAnchors m_anchors;
    std::vector<MetricExpectation> m_metricExpectations;
    std::vector<EventExpectation> m_eventExpectations;
    std::vector<std::pair<bool, std::size_t>> m_expectationOrder; // (isMetric, index), in file order
    std::vector<HaltTracker> m_halts;
    std::unique_ptr<InvariantTracker> m_invariants;
    std::vector<InvariantCheck> m_checkScratch;

    std::unique_ptr<telemetry::RunRecorder> m_recorder;
    absl::Status m_recordingStatus;
    int m_eventToken = 0;
    int m_rollupToken = 0;
    sim::EventKindId m_endKind = 0;
    sim::EventKindId m_loadKind = 0;

    bool m_started = false;
    bool m_halting = false;        // a halt fired; the end event is queued at its instant
    std::string m_haltReason;
    int m_endRequeues = 0;
    bool m_done = false;
    sim::Nanos m_doneAt = 0;
    DrillReport m_report;
    std::string m_reportJson;
};

} // namespace livedeck::drills
