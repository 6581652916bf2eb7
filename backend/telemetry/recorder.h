// RunRecorder: writes one run to a SQLite file (docs/ARCHITECTURE.md, property 4: recordings are
// SQLite files) so a console can replay it without re-running and `drill verify` can
// check it. Contents: run metadata, the series catalogue, per-second samples, every
// EventLog event, applied commands and a 1 Hz stream of serialized v1::Snapshot.
// Schema: recording_schema.h, documented in docs/RECORDING.md.
//
// Contract:
// - Single-threaded: call it on the world's thread (listeners run there).
// - Cheap: prepared statements, WAL journal with synchronous=NORMAL, and batched
//   transactions committed once per rollup (one simulated second) or every
//   Options::maxRowsPerTransaction rows, whichever comes first; a crash loses at most
//   the uncommitted tail. No allocation per row in steady state.
// - attach() subscribes to the world's EventLog and the Telemetry rollups: the world
//   and the telemetry must outlive the recorder, or detach()/close() must run first.
// - Errors come back as absl::Status naming the file. Listener callbacks cannot
//   return one: the first error is kept (status()), recording stops, and every later
//   call returns it.
// - close() (or the destructor) commits and leaves a valid, self-contained file
//   (journal switched back to DELETE) even if finish() never ran.
#pragma once

#include "backend/sim/world.h"
#include "backend/telemetry/sqlite_statement.h"
#include "backend/telemetry/telemetry.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::telemetry {

// What is known about a run when its recording starts.
struct RunInfo {
    std::string runId;
    std::string drillName;
    std::string drillText;  // the drill file as run, verbatim
    std::uint64_t seed = 0;
    std::string buildId;    // empty: the build id this binary was built with
    std::int64_t calendarStartUnixMs = 0;
    int calendarUtcOffsetMinutes = 0;
    sim::Nanos startedNs = 0;
    sim::Nanos rollupIntervalNs = Telemetry::kRollupInterval;
    v1::Topology topology;  // regions, links and the components registered so far

    // Run id, seed, calendar, start time (now) and topology taken from the world.
    static RunInfo fromWorld(const sim::World& world, std::string drillName = {}, std::string drillText = {});
};

// What finish() stores: the values a replay must reproduce.
struct RunResult {
    sim::Nanos finishedNs = 0;
    std::uint64_t eventsExecuted = 0;
    std::uint64_t traceHash = 0;
    std::uint64_t stateDigest = 0;
};

class RunRecorder {
public:
    struct Options {
        bool overwrite = false;             // replace an existing file (else AlreadyExists)
        int snapshotEveryRollups = 1;       // 1: one snapshot per simulated second; 0: none
        bool snapshotAtAttach = true;       // a snapshot at the start time too
        bool includeComponents = true;      // inspector state in recorded snapshots
        bool syncCommandLogOnRollup = true; // write world.commandLog() entries at each rollup
        int maxRowsPerTransaction = 50'000; // commit early during event storms
    };

    struct Counts {
        std::uint64_t series = 0;
        std::uint64_t samples = 0;
        std::uint64_t events = 0;
        std::uint64_t commands = 0;
        std::uint64_t snapshots = 0;
        std::uint64_t commits = 0;
    };

    // Creates the file (and its schema) and writes the run row.
    static absl::StatusOr<std::unique_ptr<RunRecorder>> create(const std::string& path, const RunInfo& info,
                                                               const Options& options);
    static absl::StatusOr<std::unique_ptr<RunRecorder>> create(const std::string& path, const RunInfo& info)
    {
        return create(path, info, Options{});
    }
    ~RunRecorder();
    RunRecorder(const RunRecorder&) = delete;
    RunRecorder& operator=(const RunRecorder&) = delete;

    // The build id compiled into this binary ("0.1.0+<git rev>").
    static std::string_view defaultBuildId();

    // Subscribes to the world's EventLog and the telemetry's rollups. Catches up first:
    // the series defined so far, the events still in the EventLog's ring, the commands
    // already applied, and (Options::snapshotAtAttach) a snapshot of now.
    absl::Status attach(sim::World& world, Telemetry& telemetry);
    // Unsubscribes (no-op when not attached). Does not commit.
    void detach();

    // Direct feeds (used by attach's listeners; also for recording a remote stream).
    // Series with an id already written are skipped.
    absl::Status recordSeriesDefs(const std::vector<v1::SeriesDef>& defs);
    absl::Status recordSamples(sim::Nanos time, const std::vector<Sample>& samples);
    // An event whose seq is already recorded is ignored.
    absl::Status recordEvent(const v1::Event& event);
    // The host calls this for each command it applied to the world.
    absl::Status recordCommand(const v1::AppliedCommand& command);
    // Writes world.commandLog() entries not yet written (those given to recordCommand()
    // are recognised by content and not written twice).
    absl::Status recordCommandLog(const sim::World& world);
    absl::Status recordSnapshot(const v1::Snapshot& snapshot);

    // Stores the run's end. The world overload also writes pending commands and series,
    // a final snapshot (when attached and the last one is older) and the final topology.
    absl::Status finish(const RunResult& result);
    absl::Status finish(const sim::World& world);

    // Commits what is pending now (a console may read the file while it is recorded).
    absl::Status flush();
    // Detaches, commits, checkpoints the WAL and closes. Idempotent; returns the first
    // error of the recording, if any.
    absl::Status close();

    const std::string& path() const { return m_path; }
    const absl::Status& status() const { return m_error; }
    bool isOpen() const { return m_db != nullptr; }
    bool isAttached() const { return m_world != nullptr; }
    bool finished() const { return m_finished; }
    const Counts& counts() const { return m_counts; }

private:
    static constexpr std::size_t kSampleBatch = 64; // 192 parameters, under SQLite's limit of 999
    RunRecorder(std::string path, Options options);
    absl::Status open(const RunInfo& info);
    absl::Status prepareStatements();
    absl::Status ensureTransaction();
    absl::Status commit();
    absl::Status noteRows(std::uint64_t rows); // commits when the batch is full
    absl::Status fail(absl::Status status);    // keeps the first error
    absl::Status writableCheck();
    absl::Status writeCommand(const v1::AppliedCommand& command);
    absl::Status recordNewSeries();
    absl::Status takeSnapshot();
    void onRollup(sim::Nanos time, const std::vector<Sample>& samples);
    void onEvent(const v1::Event& event);
    static std::uint64_t commandHash(const v1::AppliedCommand& command, std::string& scratch);

    std::string m_path;
    Options m_options;
    SqliteDb m_db;
    absl::Status m_error;
    bool m_inTransaction = false;
    bool m_finished = false;
    std::uint64_t m_rowsInTransaction = 0;
    sim::Nanos m_lastTime = 0;
    sim::Nanos m_lastSnapshotTime = -1;

    SqliteStatement m_begin;
    SqliteStatement m_commit;
    SqliteStatement m_insertSeries;
    SqliteStatement m_insertSample;
    SqliteStatement m_insertSampleBatch; // kSampleBatch rows per statement
    SqliteStatement m_insertSampleTime;
    SqliteStatement m_insertEvent;
    SqliteStatement m_insertCommand;
    SqliteStatement m_insertSnapshot;
    SqliteStatement m_updateLast;

    // Attachment
    sim::World* m_world = nullptr;
    Telemetry* m_telemetry = nullptr;
    int m_eventToken = 0;
    int m_rollupToken = 0;
    int m_rollupsSinceSnapshot = 0;

    // Progress
    std::uint32_t m_seriesWritten = 0;      // series ids below this are in the file
    std::uint32_t m_snapshotSeriesFrom = 0; // next snapshot describes series from here
    std::uint64_t m_lastEventSeq = 0;
    std::uint64_t m_snapshotSeq = 0;
    std::size_t m_commandLogCursor = 0;     // world.commandLog() entries handled
    absl::flat_hash_map<std::uint64_t, int> m_hostRecorded; // content hash -> count not yet seen in the log
    Counts m_counts;

    // Scratch buffers reused across rows (no allocation per row once warm).
    std::string m_json;
    std::string m_blob;
    std::string m_text;
    std::vector<v1::SeriesDef> m_defs;
    v1::Snapshot m_snapshot;
};

} // namespace livedeck::telemetry
