// RecordingReader: opens a run recording written by RunRecorder, read-only, and
// answers what a replay or `livedeckctl drill verify` asks: metadata, the series
// catalogue, one series' values over a time range, events over a time range (by
// kind), applied commands in order, snapshot times and the snapshot at or before a
// time. Schema: recording_schema.h and docs/RECORDING.md.
//
// Contract: times are simulated nanoseconds; ranges are inclusive [from, to]. A file
// still being recorded can be read: each call sees what the recorder had committed.
// Errors are absl::Status naming the file. One reader belongs to one thread at a
// time (its own sqlite3 connection); several readers may share a file.
#pragma once

#include "backend/sim/time.h"
#include "backend/telemetry/sqlite_statement.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::telemetry {

struct RecordingMetadata {
    int schemaVersion = 0;
    std::string runId;
    std::string drillName;
    std::string drillText;
    std::uint64_t seed = 0;
    std::string buildId;
    std::int64_t calendarStartUnixMs = 0;
    int calendarUtcOffsetMinutes = 0;
    sim::Nanos rollupIntervalNs = 0;
    sim::Nanos startedNs = 0;
    sim::Nanos lastNs = 0;          // latest simulated time committed
    bool finished = false;          // finish() ran; the fields below are set
    sim::Nanos finishedNs = 0;
    std::uint64_t eventsExecuted = 0;
    std::uint64_t finalTraceHash = 0;
    std::uint64_t stateDigest = 0;
};

struct SeriesKey {
    std::string name;
    std::string component;
    std::string labels;
    v1::MetricType type = v1::METRIC_TYPE_UNSPECIFIED;
};

struct SeriesPoint {
    sim::Nanos time = 0;
    double value = 0.0; // NaN when the recorded value was NaN
};

struct EventQuery {
    sim::Nanos from = 0;
    sim::Nanos to = sim::kNever;
    std::string kind;             // exact kind, or "prefix.*" for a family; empty: all
    v1::Severity minSeverity = v1::SEVERITY_UNSPECIFIED;
    std::size_t limit = 0;        // 0: no limit
};

// The run's state at one recorded snapshot: the running trace hash (docs/RECORDING.md),
// so two recordings of one drill are compared second by second.
struct TracePoint {
    sim::Nanos time = 0;
    std::uint64_t eventsExecuted = 0;
    std::uint64_t traceHash = 0;
};

struct RecordingCounts {
    std::uint64_t series = 0;
    std::uint64_t samples = 0;
    std::uint64_t sampleTimes = 0;
    std::uint64_t events = 0;
    std::uint64_t commands = 0;
    std::uint64_t snapshots = 0;
};

class RecordingReader {
public:
    static absl::StatusOr<std::unique_ptr<RecordingReader>> open(const std::string& path);
    ~RecordingReader();
    RecordingReader(const RecordingReader&) = delete;
    RecordingReader& operator=(const RecordingReader&) = delete;

    const std::string& path() const { return m_path; }

    // Read afresh on each call (a live recording moves on).
    absl::StatusOr<RecordingMetadata> metadata();
    absl::StatusOr<v1::Topology> topology();
    absl::StatusOr<RecordingCounts> counts();

    // Series catalogue, by id.
    absl::StatusOr<std::vector<v1::SeriesDef>> seriesDefs();
    // The id of a series; NotFound when the recording has none such.
    absl::StatusOr<std::uint32_t> findSeries(const SeriesKey& key);
    absl::StatusOr<std::vector<SeriesPoint>> seriesValues(std::uint32_t seriesId, sim::Nanos from = 0,
                                                          sim::Nanos to = sim::kNever);
    absl::StatusOr<std::vector<SeriesPoint>> seriesValues(const SeriesKey& key, sim::Nanos from = 0,
                                                          sim::Nanos to = sim::kNever);

    // Events in seq order.
    absl::StatusOr<std::vector<v1::Event>> events(const EventQuery& query);
    absl::StatusOr<std::vector<v1::Event>> events(sim::Nanos from, sim::Nanos to, std::string_view kind = {})
    {
        EventQuery q;
        q.from = from;
        q.to = to;
        q.kind = std::string(kind);
        return events(q);
    }

    // Applied commands in the order they were applied (after_event, then recording order).
    absl::StatusOr<std::vector<v1::AppliedCommand>> commands();

    absl::StatusOr<std::vector<sim::Nanos>> snapshotTimes();
    // Time, events executed and running trace hash of every snapshot, in time order.
    absl::StatusOr<std::vector<TracePoint>> tracePoints();
    // The latest snapshot taken at or before `time`; NotFound when there is none.
    absl::StatusOr<v1::Snapshot> snapshotAt(sim::Nanos time);

private:
    explicit RecordingReader(std::string path) : m_path(std::move(path)) {}
    absl::Status openFile();
    absl::StatusOr<SqliteStatement*> statement(SqliteStatement& slot, const char* sql);

    std::string m_path;
    SqliteDb m_db;
    SqliteStatement m_seriesValues;
    SqliteStatement m_findSeries;
    SqliteStatement m_snapshotAt;
};

} // namespace livedeck::telemetry
