#include "backend/telemetry/recording_reader.h"

#include "backend/sim/strings.h"
#include "backend/telemetry/recording_schema.h"

#include <sqlite3.h>

#include <filesystem>
#include <limits>
#include <system_error>

namespace livedeck::telemetry {

RecordingReader::~RecordingReader() = default;

absl::StatusOr<std::unique_ptr<RecordingReader>> RecordingReader::open(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return absl::NotFoundError(sim::strCat("recording '", path, "' does not exist or is not a file"));
    std::unique_ptr<RecordingReader> reader(new RecordingReader(path));
    if (absl::Status s = reader->openFile(); !s.ok())
        return s;
    return reader;
}

absl::Status RecordingReader::openFile()
{
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(m_path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    m_db.reset(raw);
    if (rc != SQLITE_OK)
        return sqliteError(raw, "cannot open recording", m_path);
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 2000); // a live recorder holds its write lock only for a commit

    auto check = SqliteStatement::prepare(raw, "PRAGMA application_id", m_path);
    if (!check.ok())
        return check.status(); // e.g. "file is not a database"
    if (check->step() != SQLITE_ROW)
        return sqliteError(raw, "cannot read the header of recording", m_path);
    const std::int64_t appId = check->columnInt(0);
    check->reset();
    if (appId != kRecordingApplicationId)
        return absl::InvalidArgumentError(
            sim::strCat("'", m_path, "' is a SQLite file but not a livedeck run recording (application_id ", appId, ")"));
    auto version = SqliteStatement::prepare(raw, "PRAGMA user_version", m_path);
    if (!version.ok())
        return version.status();
    if (version->step() != SQLITE_ROW)
        return sqliteError(raw, "cannot read the schema version of recording", m_path);
    const std::int64_t v = version->columnInt(0);
    if (v < 1 || v > kRecordingSchemaVersion)
        return absl::FailedPreconditionError(
            sim::strCat("recording '", m_path, "' has schema version ", v, "; this build reads versions 1 to ",
                        kRecordingSchemaVersion, " (a newer livedeck wrote it?)"));
    return absl::OkStatus();
}

absl::StatusOr<SqliteStatement*> RecordingReader::statement(SqliteStatement& slot, const char* sql)
{
    if (!slot.valid()) {
        auto stmt = SqliteStatement::prepare(m_db.get(), sql, m_path);
        if (!stmt.ok())
            return stmt.status();
        slot = std::move(*stmt);
    }
    return &slot;
}

absl::StatusOr<RecordingMetadata> RecordingReader::metadata()
{
    auto stmt = SqliteStatement::prepare(
        m_db.get(),
        "SELECT run_id, drill_name, drill_text, seed, build_id, calendar_start_unix_ms, calendar_utc_offset_minutes,"
        " rollup_interval_ns, started_ns, last_ns, finished_ns, events_executed, final_trace_hash, state_digest,"
        " (SELECT user_version FROM pragma_user_version) FROM run WHERE id = 1",
        m_path);
    if (!stmt.ok())
        return stmt.status();
    const int rc = stmt->step();
    if (rc == SQLITE_DONE)
        return absl::DataLossError(sim::strCat("recording '", m_path, "' has no run row"));
    if (rc != SQLITE_ROW)
        return sqliteError(m_db.get(), "cannot read the metadata of recording", m_path);
    RecordingMetadata m;
    m.runId = std::string(stmt->columnText(0));
    m.drillName = std::string(stmt->columnText(1));
    m.drillText = std::string(stmt->columnText(2));
    m.seed = stmt->columnUint(3);
    m.buildId = std::string(stmt->columnText(4));
    m.calendarStartUnixMs = stmt->columnInt(5);
    m.calendarUtcOffsetMinutes = static_cast<int>(stmt->columnInt(6));
    m.rollupIntervalNs = stmt->columnInt(7);
    m.startedNs = stmt->columnInt(8);
    m.lastNs = stmt->columnInt(9);
    m.finished = !stmt->columnIsNull(10);
    if (m.finished) {
        m.finishedNs = stmt->columnInt(10);
        m.eventsExecuted = stmt->columnUint(11);
        m.finalTraceHash = stmt->columnUint(12);
        m.stateDigest = stmt->columnUint(13);
    }
    m.schemaVersion = static_cast<int>(stmt->columnInt(14));
    return m;
}

absl::StatusOr<v1::Topology> RecordingReader::topology()
{
    auto stmt = SqliteStatement::prepare(m_db.get(), "SELECT topology FROM run WHERE id = 1", m_path);
    if (!stmt.ok())
        return stmt.status();
    if (stmt->step() != SQLITE_ROW)
        return absl::DataLossError(sim::strCat("recording '", m_path, "' has no run row"));
    v1::Topology topology;
    const std::string_view blob = stmt->columnBlob(0);
    if (!topology.ParseFromArray(blob.data(), static_cast<int>(blob.size())))
        return absl::DataLossError(sim::strCat("recording '", m_path, "' has an unreadable topology"));
    return topology;
}

absl::StatusOr<RecordingCounts> RecordingReader::counts()
{
    auto stmt = SqliteStatement::prepare(
        m_db.get(),
        "SELECT (SELECT count(*) FROM series), (SELECT count(*) FROM samples), (SELECT count(*) FROM sample_times),"
        " (SELECT count(*) FROM events), (SELECT count(*) FROM commands), (SELECT count(*) FROM snapshots)",
        m_path);
    if (!stmt.ok())
        return stmt.status();
    if (stmt->step() != SQLITE_ROW)
        return sqliteError(m_db.get(), "cannot count the rows of recording", m_path);
    RecordingCounts c;
    c.series = stmt->columnUint(0);
    c.samples = stmt->columnUint(1);
    c.sampleTimes = stmt->columnUint(2);
    c.events = stmt->columnUint(3);
    c.commands = stmt->columnUint(4);
    c.snapshots = stmt->columnUint(5);
    return c;
}

absl::StatusOr<std::vector<v1::SeriesDef>> RecordingReader::seriesDefs()
{
    auto stmt = SqliteStatement::prepare(
        m_db.get(), "SELECT id, name, component, labels, type, unit FROM series ORDER BY id", m_path);
    if (!stmt.ok())
        return stmt.status();
    std::vector<v1::SeriesDef> out;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW) {
        v1::SeriesDef& d = out.emplace_back();
        d.set_id(static_cast<std::uint32_t>(stmt->columnInt(0)));
        d.set_name(std::string(stmt->columnText(1)));
        d.set_component(std::string(stmt->columnText(2)));
        d.set_labels(std::string(stmt->columnText(3)));
        d.set_type(static_cast<v1::MetricType>(stmt->columnInt(4)));
        d.set_unit(std::string(stmt->columnText(5)));
    }
    if (rc != SQLITE_DONE)
        return sqliteError(m_db.get(), "cannot read the series of recording", m_path);
    return out;
}

absl::StatusOr<std::uint32_t> RecordingReader::findSeries(const SeriesKey& key)
{
    auto stmt = statement(m_findSeries,
                          "SELECT id FROM series WHERE name = ? AND component = ? AND labels = ? AND type = ?");
    if (!stmt.ok())
        return stmt.status();
    SqliteStatement& s = **stmt;
    s.bindText(1, key.name);
    s.bindText(2, key.component);
    s.bindText(3, key.labels);
    s.bindInt(4, key.type);
    const int rc = s.step();
    std::int64_t id = -1;
    if (rc == SQLITE_ROW)
        id = s.columnInt(0);
    s.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqliteError(m_db.get(), "cannot look up a series in recording", m_path);
    if (id < 0)
        return absl::NotFoundError(sim::strCat("recording '", m_path, "' has no series ", key.name, " of component '",
                                               key.component, "' labels '", key.labels, "' type ",
                                               metricTypeName(key.type)));
    return static_cast<std::uint32_t>(id);
}

absl::StatusOr<std::vector<SeriesPoint>> RecordingReader::seriesValues(std::uint32_t seriesId, sim::Nanos from,
                                                                       sim::Nanos to)
{
    // One primary-key seek of (t, id) per recorded sample time (samples are keyed
    // time-major; see recording_schema.h).
    auto stmt = statement(m_seriesValues,
                          "SELECT st.t_ns, s.value FROM sample_times st"
                          " JOIN samples s ON s.t_ns = st.t_ns AND s.series_id = ?1"
                          " WHERE st.t_ns BETWEEN ?2 AND ?3 ORDER BY st.t_ns");
    if (!stmt.ok())
        return stmt.status();
    SqliteStatement& s = **stmt;
    s.bindInt(1, seriesId);
    s.bindInt(2, from);
    s.bindInt(3, to);
    std::vector<SeriesPoint> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        const double v = s.columnIsNull(1) ? std::numeric_limits<double>::quiet_NaN() : s.columnDouble(1);
        out.push_back(SeriesPoint{s.columnInt(0), v});
    }
    s.reset();
    if (rc != SQLITE_DONE)
        return sqliteError(m_db.get(), "cannot read series values from recording", m_path);
    return out;
}

absl::StatusOr<std::vector<SeriesPoint>> RecordingReader::seriesValues(const SeriesKey& key, sim::Nanos from,
                                                                       sim::Nanos to)
{
    auto id = findSeries(key);
    if (!id.ok())
        return id.status();
    return seriesValues(*id, from, to);
}

absl::StatusOr<std::vector<v1::Event>> RecordingReader::events(const EventQuery& query)
{
    std::string sql =
        "SELECT e.seq, e.t_ns, e.event_index, e.kind, e.component, e.severity, e.message, j.key, j.value"
        " FROM events e LEFT JOIN json_each(e.fields) j"
        " WHERE e.t_ns BETWEEN ?1 AND ?2 AND e.severity >= ?3";
    std::string pattern;
    if (query.kind.size() >= 2 && query.kind.ends_with(".*")) {
        // A family: kinds starting with "prefix." (GLOB, so '_' and '%' are literal).
        pattern = sim::strCat(query.kind.substr(0, query.kind.size() - 1), "*");
        sql += " AND e.kind GLOB ?4";
    } else if (!query.kind.empty()) {
        sql += " AND e.kind = ?4";
    }
    // The limit applies to events, not to their field rows.
    if (query.limit > 0)
        sql += sim::strCat(" AND e.seq IN (SELECT seq FROM events WHERE t_ns BETWEEN ?1 AND ?2 AND severity >= ?3",
                           query.kind.empty() ? "" : pattern.empty() ? " AND kind = ?4" : " AND kind GLOB ?4",
                           " ORDER BY seq LIMIT ", query.limit, ")");
    sql += " ORDER BY e.seq, j.id";
    auto stmt = SqliteStatement::prepare(m_db.get(), sql, m_path);
    if (!stmt.ok())
        return stmt.status();
    stmt->bindInt(1, query.from);
    stmt->bindInt(2, query.to);
    stmt->bindInt(3, query.minSeverity);
    if (!query.kind.empty())
        stmt->bindText(4, pattern.empty() ? std::string_view(query.kind) : std::string_view(pattern));
    std::vector<v1::Event> out;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW) {
        const std::uint64_t seq = stmt->columnUint(0);
        if (out.empty() || out.back().seq() != seq) {
            v1::Event& e = out.emplace_back();
            e.set_seq(seq);
            e.set_sim_time_ns(stmt->columnInt(1));
            e.set_event_index(stmt->columnUint(2));
            e.set_kind(std::string(stmt->columnText(3)));
            e.set_component(std::string(stmt->columnText(4)));
            e.set_severity(static_cast<v1::Severity>(stmt->columnInt(5)));
            e.set_message(std::string(stmt->columnText(6)));
        }
        if (!stmt->columnIsNull(7)) {
            auto* kv = out.back().add_fields();
            kv->set_key(std::string(stmt->columnText(7)));
            kv->set_value(std::string(stmt->columnText(8)));
        }
    }
    if (rc != SQLITE_DONE)
        return sqliteError(m_db.get(), "cannot read events from recording", m_path);
    return out;
}

absl::StatusOr<std::vector<v1::AppliedCommand>> RecordingReader::commands()
{
    auto stmt = SqliteStatement::prepare(
        m_db.get(), "SELECT id, t_ns, after_event, command, result FROM commands ORDER BY after_event, t_ns, id",
        m_path);
    if (!stmt.ok())
        return stmt.status();
    std::vector<v1::AppliedCommand> out;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW) {
        v1::AppliedCommand& c = out.emplace_back();
        c.set_sim_time_ns(stmt->columnInt(1));
        c.set_after_event(stmt->columnUint(2));
        const std::string_view blob = stmt->columnBlob(3);
        if (!c.mutable_command()->ParseFromArray(blob.data(), static_cast<int>(blob.size())))
            return absl::DataLossError(
                sim::strCat("recording '", m_path, "' has an unreadable command (row ", stmt->columnInt(0), ")"));
        c.set_result(std::string(stmt->columnText(4)));
    }
    if (rc != SQLITE_DONE)
        return sqliteError(m_db.get(), "cannot read commands from recording", m_path);
    return out;
}

absl::StatusOr<std::vector<sim::Nanos>> RecordingReader::snapshotTimes()
{
    auto stmt = SqliteStatement::prepare(m_db.get(), "SELECT t_ns FROM snapshots ORDER BY t_ns", m_path);
    if (!stmt.ok())
        return stmt.status();
    std::vector<sim::Nanos> out;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW)
        out.push_back(stmt->columnInt(0));
    if (rc != SQLITE_DONE)
        return sqliteError(m_db.get(), "cannot read snapshot times from recording", m_path);
    return out;
}

absl::StatusOr<std::vector<TracePoint>> RecordingReader::tracePoints()
{
    auto stmt = SqliteStatement::prepare(
        m_db.get(), "SELECT t_ns, events_executed, trace_hash FROM snapshots ORDER BY t_ns", m_path);
    if (!stmt.ok())
        return stmt.status();
    std::vector<TracePoint> out;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW) {
        out.push_back({stmt->columnInt(0), static_cast<std::uint64_t>(stmt->columnInt(1)),
                       static_cast<std::uint64_t>(stmt->columnInt(2))});
    }
    if (rc != SQLITE_DONE)
        return sqliteError(m_db.get(), "cannot read trace hashes from recording", m_path);
    return out;
}

absl::StatusOr<v1::Snapshot> RecordingReader::snapshotAt(sim::Nanos time)
{
    auto stmt = statement(m_snapshotAt,
                          "SELECT t_ns, snapshot FROM snapshots WHERE t_ns <= ? ORDER BY t_ns DESC LIMIT 1");
    if (!stmt.ok())
        return stmt.status();
    SqliteStatement& s = **stmt;
    s.bindInt(1, time);
    const int rc = s.step();
    if (rc == SQLITE_DONE) {
        s.reset();
        return absl::NotFoundError(sim::strCat("recording '", m_path, "' has no snapshot at or before ", time, " ns"));
    }
    if (rc != SQLITE_ROW) {
        s.reset();
        return sqliteError(m_db.get(), "cannot read a snapshot from recording", m_path);
    }
    v1::Snapshot snapshot;
    const std::string_view blob = s.columnBlob(1);
    const bool parsed = snapshot.ParseFromArray(blob.data(), static_cast<int>(blob.size()));
    const sim::Nanos t = s.columnInt(0);
    s.reset();
    if (!parsed)
        return absl::DataLossError(sim::strCat("recording '", m_path, "' has an unreadable snapshot at ", t, " ns"));
    return snapshot;
}

} // namespace livedeck::telemetry
