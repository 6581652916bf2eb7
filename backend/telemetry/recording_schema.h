// The schema of a run recording (a SQLite file), shared by RunRecorder (writer) and
// RecordingReader. docs/RECORDING.md describes every table, column, unit and index.
// Times are simulated nanoseconds since the run's start (sim::Nanos); uint64 values
// (seed, hashes) are stored as their int64 bit pattern. Samples are keyed time-major
// (t_ns, series_id) so each rollup appends at the end of the B-tree (a commit dirties
// a few pages, not one per series); one series is read by seeking (t, id) for each
// time in sample_times. Bump kRecordingSchemaVersion
// on any incompatible change; the reader refuses files newer than it knows.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <cstdint>
#include <string_view>

namespace livedeck::telemetry {

inline constexpr int kRecordingSchemaVersion = 2;          // PRAGMA user_version (2: the topology carries engine descriptors)
inline constexpr std::int32_t kRecordingApplicationId = 0x4C444B52; // PRAGMA application_id, "LDKR"

inline constexpr const char* kRecordingSchemaSql = R"sql(
CREATE TABLE run (
  id                          INTEGER PRIMARY KEY CHECK (id = 1),
  run_id                      TEXT    NOT NULL,
  drill_name                  TEXT    NOT NULL,
  drill_text                  TEXT    NOT NULL,
  seed                        INTEGER NOT NULL,
  build_id                    TEXT    NOT NULL,
  calendar_start_unix_ms      INTEGER NOT NULL,
  calendar_utc_offset_minutes INTEGER NOT NULL,
  rollup_interval_ns          INTEGER NOT NULL,
  started_ns                  INTEGER NOT NULL,
  last_ns                     INTEGER NOT NULL,
  finished_ns                 INTEGER,
  events_executed             INTEGER,
  final_trace_hash            INTEGER,
  state_digest                INTEGER,
  topology                    BLOB
);
CREATE TABLE series (
  id        INTEGER PRIMARY KEY,
  name      TEXT    NOT NULL,
  component TEXT    NOT NULL,
  labels    TEXT    NOT NULL,
  type      INTEGER NOT NULL,
  type_name TEXT    NOT NULL,
  unit      TEXT    NOT NULL
);
CREATE INDEX series_by_key ON series (name, component, labels, type);
CREATE TABLE sample_times (
  t_ns    INTEGER PRIMARY KEY,
  samples INTEGER NOT NULL
);
CREATE TABLE samples (
  t_ns      INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  value     REAL,
  PRIMARY KEY (t_ns, series_id)
) WITHOUT ROWID;
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY,
  t_ns        INTEGER NOT NULL,
  event_index INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  component   TEXT    NOT NULL,
  severity    INTEGER NOT NULL,
  message     TEXT    NOT NULL,
  fields      TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_time ON events (t_ns);
CREATE INDEX events_by_kind ON events (kind, t_ns);
CREATE TABLE commands (
  id           INTEGER PRIMARY KEY,
  t_ns         INTEGER NOT NULL,
  after_event  INTEGER NOT NULL,
  issuer       TEXT    NOT NULL,
  action       TEXT    NOT NULL,
  command      BLOB    NOT NULL,
  command_text TEXT    NOT NULL,
  result       TEXT    NOT NULL
);
CREATE INDEX commands_by_time ON commands (t_ns);
CREATE TABLE snapshots (
  t_ns            INTEGER PRIMARY KEY,
  seq             INTEGER NOT NULL,
  events_executed INTEGER NOT NULL,
  trace_hash      INTEGER NOT NULL,
  snapshot        BLOB    NOT NULL
);
CREATE VIEW sample_view AS
  SELECT s.t_ns, s.t_ns / 1e9 AS t_s, se.id AS series_id, se.name, se.component, se.labels,
         se.type_name, se.unit, s.value
  FROM sample_times st
  JOIN samples s ON s.t_ns = st.t_ns
  JOIN series se ON se.id = s.series_id;
CREATE VIEW event_view AS
  SELECT seq, t_ns, t_ns / 1e9 AS t_s, kind, component,
         CASE severity WHEN 1 THEN 'debug' WHEN 2 THEN 'info' WHEN 3 THEN 'warning'
                       WHEN 4 THEN 'alert' WHEN 5 THEN 'violation' ELSE 'unspecified' END AS severity,
         message, fields
  FROM events;
)sql";

// Short names stored in series.type_name ("counter", "p99", ...).
inline std::string_view metricTypeName(v1::MetricType type)
{
    switch (type) {
    case v1::METRIC_TYPE_COUNTER:
        return "counter";
    case v1::METRIC_TYPE_COUNTER_TOTAL:
        return "counter_total";
    case v1::METRIC_TYPE_GAUGE:
        return "gauge";
    case v1::METRIC_TYPE_HISTOGRAM_P50:
        return "p50";
    case v1::METRIC_TYPE_HISTOGRAM_P90:
        return "p90";
    case v1::METRIC_TYPE_HISTOGRAM_P99:
        return "p99";
    case v1::METRIC_TYPE_HISTOGRAM_P999:
        return "p999";
    default:
        return "unspecified";
    }
}

} // namespace livedeck::telemetry
