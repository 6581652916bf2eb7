#include "backend/telemetry/recorder.h"

#include "backend/sim/strings.h"
#include "backend/telemetry/recording_schema.h"

#include <google/protobuf/text_format.h>
#include <sqlite3.h>
#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <system_error>

#ifndef LIVEDECK_BUILD_ID
#define LIVEDECK_BUILD_ID "unknown"
#endif

namespace livedeck::telemetry {
namespace {

// Appends `s` as a JSON string literal (RFC 8259 escaping; bytes >= 0x80 pass through,
// protobuf strings being UTF-8).
void appendJsonString(std::string& out, std::string_view s)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        default:
            if (c < 0x20) {
                out.append("\\u00");
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 0xF]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

void fieldsToJson(const v1::Event& event, std::string& out)
{
    out.clear();
    out.push_back('{');
    for (int i = 0; i < event.fields_size(); ++i) {
        if (i > 0)
            out.push_back(',');
        appendJsonString(out, event.fields(i).key());
        out.push_back(':');
        appendJsonString(out, event.fields(i).value());
    }
    out.push_back('}');
}

std::string_view actionName(const v1::Command& command)
{
    if (command.action_case() == v1::Command::ACTION_NOT_SET)
        return "none";
    const auto* field = v1::Command::descriptor()->FindFieldByNumber(static_cast<int>(command.action_case()));
    return field ? std::string_view(field->name()) : std::string_view("unknown");
}

} // namespace

RunInfo RunInfo::fromWorld(const sim::World& world, std::string drillName, std::string drillText)
{
    RunInfo info;
    info.runId = world.runId();
    info.drillName = std::move(drillName);
    info.drillText = std::move(drillText);
    info.seed = world.seed();
    info.calendarStartUnixMs = world.calendar().startUnixMs();
    info.calendarUtcOffsetMinutes = world.calendar().utcOffsetMinutes();
    info.startedNs = world.now();
    world.topologyToProto(info.topology);
    return info;
}

std::string_view RunRecorder::defaultBuildId()
{
    return LIVEDECK_BUILD_ID;
}

RunRecorder::RunRecorder(std::string path, Options options) : m_path(std::move(path)), m_options(options) {}

RunRecorder::~RunRecorder()
{
    (void)close();
}

absl::StatusOr<std::unique_ptr<RunRecorder>> RunRecorder::create(const std::string& path, const RunInfo& info,
                                                                 const Options& options)
{
    if (path.empty())
        return absl::InvalidArgumentError("recording path is empty");
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        if (!options.overwrite)
            return absl::AlreadyExistsError(
                sim::strCat("recording file '", path, "' already exists; choose another path or allow overwriting"));
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
            std::filesystem::remove(path + suffix, ec);
            if (ec)
                return absl::PermissionDeniedError(
                    sim::strCat("cannot replace recording file '", path, suffix, "': ", ec.message()));
        }
    }
    std::unique_ptr<RunRecorder> recorder(new RunRecorder(path, options));
    if (absl::Status s = recorder->open(info); !s.ok()) {
        recorder->m_db.reset();
        std::filesystem::remove(path, ec); // do not leave a half-made file behind
        return s;
    }
    return recorder;
}

absl::Status RunRecorder::open(const RunInfo& info)
{
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(m_path.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    m_db.reset(raw);
    if (rc != SQLITE_OK)
        return sqliteError(raw, "cannot create recording", m_path);
    sqlite3* db = m_db.get();
    sqlite3_extended_result_codes(db, 1);

    // WAL + synchronous=NORMAL: a commit appends to the WAL without an fsync, so the
    // per-second commits stay cheap; the file survives a process crash intact.
    const std::string pragmas = sim::strFormat(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;"
        "PRAGMA application_id=%d; PRAGMA user_version=%d;",
        kRecordingApplicationId, kRecordingSchemaVersion);
    if (absl::Status s = sqliteExec(db, pragmas.c_str(), m_path); !s.ok())
        return s;
    if (absl::Status s = sqliteExec(db, "BEGIN", m_path); !s.ok())
        return s;
    if (absl::Status s = sqliteExec(db, kRecordingSchemaSql, m_path); !s.ok())
        return s;

    auto insertRun = SqliteStatement::prepare(
        db,
        "INSERT INTO run (id, run_id, drill_name, drill_text, seed, build_id, calendar_start_unix_ms,"
        " calendar_utc_offset_minutes, rollup_interval_ns, started_ns, last_ns, topology)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        m_path);
    if (!insertRun.ok())
        return insertRun.status();
    info.topology.SerializeToString(&m_blob);
    const std::string_view buildId = info.buildId.empty() ? defaultBuildId() : std::string_view(info.buildId);
    insertRun->bindText(1, info.runId);
    insertRun->bindText(2, info.drillName);
    insertRun->bindText(3, info.drillText);
    insertRun->bindUint(4, info.seed);
    insertRun->bindText(5, buildId);
    insertRun->bindInt(6, info.calendarStartUnixMs);
    insertRun->bindInt(7, info.calendarUtcOffsetMinutes);
    insertRun->bindInt(8, info.rollupIntervalNs);
    insertRun->bindInt(9, info.startedNs);
    insertRun->bindInt(10, info.startedNs);
    insertRun->bindBlob(11, m_blob);
    if (absl::Status s = insertRun->run("cannot write the run row of", m_path); !s.ok())
        return s;
    if (absl::Status s = sqliteExec(db, "COMMIT", m_path); !s.ok())
        return s;
    m_lastTime = info.startedNs;
    return prepareStatements();
}

absl::Status RunRecorder::prepareStatements()
{
    struct Spec {
        SqliteStatement* target;
        const char* sql;
    };
    std::string sampleBatchSql = "INSERT OR REPLACE INTO samples (t_ns, series_id, value) VALUES (?, ?, ?)";
    for (std::size_t j = 1; j < kSampleBatch; ++j)
        sampleBatchSql += ", (?, ?, ?)";
    const Spec specs[] = {
        {&m_begin, "BEGIN"},
        {&m_commit, "COMMIT"},
        {&m_insertSeries,
         "INSERT OR REPLACE INTO series (id, name, component, labels, type, type_name, unit) VALUES (?, ?, ?, ?, ?, ?, ?)"},
        {&m_insertSample, "INSERT OR REPLACE INTO samples (t_ns, series_id, value) VALUES (?, ?, ?)"},
        {&m_insertSampleBatch, sampleBatchSql.c_str()},
        {&m_insertSampleTime,
         "INSERT INTO sample_times (t_ns, samples) VALUES (?, ?)"
         " ON CONFLICT (t_ns) DO UPDATE SET samples = samples + excluded.samples"},
        {&m_insertEvent,
         "INSERT OR IGNORE INTO events (seq, t_ns, event_index, kind, component, severity, message, fields)"
         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"},
        {&m_insertCommand,
         "INSERT INTO commands (t_ns, after_event, issuer, action, command, command_text, result)"
         " VALUES (?, ?, ?, ?, ?, ?, ?)"},
        {&m_insertSnapshot,
         "INSERT OR REPLACE INTO snapshots (t_ns, seq, events_executed, trace_hash, snapshot) VALUES (?, ?, ?, ?, ?)"},
        {&m_updateLast, "UPDATE run SET last_ns = max(last_ns, ?) WHERE id = 1"},
    };
    for (const Spec& spec : specs) {
        auto stmt = SqliteStatement::prepare(m_db.get(), spec.sql, m_path);
        if (!stmt.ok())
            return stmt.status();
        *spec.target = std::move(*stmt);
    }
    return absl::OkStatus();
}

absl::Status RunRecorder::fail(absl::Status status)
{
    if (m_error.ok())
        m_error = std::move(status);
    return m_error;
}

absl::Status RunRecorder::writableCheck()
{
    if (!m_error.ok())
        return m_error;
    if (!m_db)
        return absl::FailedPreconditionError(sim::strCat("recording '", m_path, "' is closed"));
    return absl::OkStatus();
}

absl::Status RunRecorder::ensureTransaction()
{
    if (m_inTransaction)
        return absl::OkStatus();
    if (absl::Status s = m_begin.run("cannot begin a transaction in", m_path); !s.ok())
        return fail(std::move(s));
    m_inTransaction = true;
    return absl::OkStatus();
}

absl::Status RunRecorder::commit()
{
    if (!m_inTransaction)
        return absl::OkStatus();
    m_updateLast.bindInt(1, m_lastTime);
    absl::Status s = m_updateLast.run("cannot update the run row of", m_path);
    if (s.ok())
        s = m_commit.run("cannot commit to", m_path);
    if (!s.ok()) {
        sqlite3_exec(m_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        m_inTransaction = false;
        return fail(std::move(s));
    }
    m_inTransaction = false;
    m_rowsInTransaction = 0;
    ++m_counts.commits;
    return absl::OkStatus();
}

absl::Status RunRecorder::noteRows(std::uint64_t rows)
{
    m_rowsInTransaction += rows;
    if (m_options.maxRowsPerTransaction > 0
        && m_rowsInTransaction >= static_cast<std::uint64_t>(m_options.maxRowsPerTransaction))
        return commit();
    return absl::OkStatus();
}

absl::Status RunRecorder::attach(sim::World& world, Telemetry& telemetry)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    if (m_world)
        return absl::FailedPreconditionError(sim::strCat("recording '", m_path, "' is already attached to a world"));
    m_world = &world;
    m_telemetry = &telemetry;

    // Catch up with what happened before the recording started.
    absl::Status s = recordNewSeries();
    for (const v1::Event& e : world.events().recent()) {
        if (!s.ok())
            break;
        s = recordEvent(e);
    }
    if (s.ok())
        s = recordCommandLog(world);
    if (s.ok() && m_options.snapshotAtAttach && m_options.snapshotEveryRollups > 0)
        s = takeSnapshot();
    if (s.ok())
        s = commit();
    if (!s.ok()) {
        m_world = nullptr;
        m_telemetry = nullptr;
        return s;
    }
    m_eventToken = world.events().subscribe([this](const v1::Event& e) { onEvent(e); });
    m_rollupToken = telemetry.addRollupListener(
        [this](sim::Nanos time, const std::vector<Sample>& samples) { onRollup(time, samples); });
    m_rollupsSinceSnapshot = 0;
    return absl::OkStatus();
}

void RunRecorder::detach()
{
    if (!m_world)
        return;
    m_world->events().unsubscribe(m_eventToken);
    m_telemetry->removeRollupListener(m_rollupToken);
    m_world = nullptr;
    m_telemetry = nullptr;
    m_eventToken = 0;
    m_rollupToken = 0;
}

void RunRecorder::onRollup(sim::Nanos time, const std::vector<Sample>& samples)
{
    if (!m_error.ok() || !m_db)
        return;
    absl::Status s = recordNewSeries();
    if (s.ok())
        s = recordSamples(time, samples);
    if (s.ok() && m_options.syncCommandLogOnRollup)
        s = recordCommandLog(*m_world);
    if (s.ok() && m_options.snapshotEveryRollups > 0 && ++m_rollupsSinceSnapshot >= m_options.snapshotEveryRollups) {
        m_rollupsSinceSnapshot = 0;
        s = takeSnapshot();
    }
    if (s.ok())
        (void)commit(); // errors are kept in m_error
}

void RunRecorder::onEvent(const v1::Event& event)
{
    if (!m_error.ok() || !m_db)
        return;
    (void)recordEvent(event); // errors are kept in m_error
}

absl::Status RunRecorder::recordNewSeries()
{
    if (!m_telemetry || m_telemetry->metrics().seriesCount() <= m_seriesWritten)
        return absl::OkStatus();
    m_defs.clear();
    m_telemetry->metrics().seriesDefs(m_seriesWritten, m_defs);
    return recordSeriesDefs(m_defs);
}

absl::Status RunRecorder::recordSeriesDefs(const std::vector<v1::SeriesDef>& defs)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    if (absl::Status s = ensureTransaction(); !s.ok())
        return s;
    std::uint64_t rows = 0;
    for (const v1::SeriesDef& d : defs) {
        if (d.id() < m_seriesWritten)
            continue;
        m_insertSeries.bindInt(1, d.id());
        m_insertSeries.bindText(2, d.name());
        m_insertSeries.bindText(3, d.component());
        m_insertSeries.bindText(4, d.labels());
        m_insertSeries.bindInt(5, d.type());
        m_insertSeries.bindText(6, metricTypeName(d.type()));
        m_insertSeries.bindText(7, d.unit());
        if (absl::Status s = m_insertSeries.run("cannot write a series definition to", m_path); !s.ok())
            return fail(std::move(s));
        m_seriesWritten = std::max(m_seriesWritten, d.id() + 1);
        ++m_counts.series;
        ++rows;
    }
    return noteRows(rows);
}

absl::Status RunRecorder::recordSamples(sim::Nanos time, const std::vector<Sample>& samples)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    if (samples.empty())
        return absl::OkStatus();
    if (absl::Status s = ensureTransaction(); !s.ok())
        return s;
    // Full batches of kSampleBatch rows through one multi-row statement (a quarter of
    // the per-row cost of single inserts), the rest one by one.
    std::size_t i = 0;
    for (; i + kSampleBatch <= samples.size(); i += kSampleBatch) {
        for (std::size_t j = 0; j < kSampleBatch; ++j) {
            const int base = static_cast<int>(j) * 3;
            m_insertSampleBatch.bindInt(base + 1, time);
            m_insertSampleBatch.bindInt(base + 2, samples[i + j].series);
            m_insertSampleBatch.bindDouble(base + 3, samples[i + j].value); // NaN becomes NULL
        }
        if (m_insertSampleBatch.step() != SQLITE_DONE) {
            absl::Status s = sqliteError(m_db.get(), "cannot write samples to", m_path);
            m_insertSampleBatch.reset();
            return fail(std::move(s));
        }
        sqlite3_reset(m_insertSampleBatch.get()); // every binding is overwritten next time
    }
    for (; i < samples.size(); ++i) {
        m_insertSample.bindInt(1, time);
        m_insertSample.bindInt(2, samples[i].series);
        m_insertSample.bindDouble(3, samples[i].value); // NaN becomes NULL (SQLite has no NaN)
        if (m_insertSample.step() != SQLITE_DONE) {
            absl::Status s = sqliteError(m_db.get(), "cannot write a sample to", m_path);
            m_insertSample.reset();
            return fail(std::move(s));
        }
        sqlite3_reset(m_insertSample.get());
    }
    m_insertSampleTime.bindInt(1, time);
    m_insertSampleTime.bindInt(2, static_cast<std::int64_t>(samples.size()));
    if (absl::Status s = m_insertSampleTime.run("cannot write a sample time to", m_path); !s.ok())
        return fail(std::move(s));
    m_counts.samples += samples.size();
    m_lastTime = std::max(m_lastTime, time);
    return noteRows(samples.size() + 1);
}

absl::Status RunRecorder::recordEvent(const v1::Event& event)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    if (event.seq() != 0 && event.seq() <= m_lastEventSeq)
        return absl::OkStatus(); // already recorded (catch-up overlap)
    if (absl::Status s = ensureTransaction(); !s.ok())
        return s;
    fieldsToJson(event, m_json);
    m_insertEvent.bindUint(1, event.seq());
    m_insertEvent.bindInt(2, event.sim_time_ns());
    m_insertEvent.bindUint(3, event.event_index());
    m_insertEvent.bindText(4, event.kind());
    m_insertEvent.bindText(5, event.component());
    m_insertEvent.bindInt(6, event.severity());
    m_insertEvent.bindText(7, event.message());
    m_insertEvent.bindText(8, m_json);
    if (absl::Status s = m_insertEvent.run("cannot write an event to", m_path); !s.ok())
        return fail(std::move(s));
    m_lastEventSeq = std::max(m_lastEventSeq, event.seq());
    ++m_counts.events;
    m_lastTime = std::max(m_lastTime, event.sim_time_ns());
    return noteRows(1);
}

std::uint64_t RunRecorder::commandHash(const v1::AppliedCommand& command, std::string& scratch)
{
    command.SerializeToString(&scratch);
    return XXH3_64bits(scratch.data(), scratch.size());
}

absl::Status RunRecorder::writeCommand(const v1::AppliedCommand& applied)
{
    if (absl::Status s = ensureTransaction(); !s.ok())
        return s;
    const v1::Command& command = applied.command();
    command.SerializeToString(&m_blob);
    google::protobuf::TextFormat::Printer printer;
    printer.SetSingleLineMode(true);
    m_text.clear();
    printer.PrintToString(command, &m_text);
    while (!m_text.empty() && m_text.back() == ' ')
        m_text.pop_back();
    m_insertCommand.bindInt(1, applied.sim_time_ns());
    m_insertCommand.bindUint(2, applied.after_event());
    m_insertCommand.bindText(3, command.issuer());
    m_insertCommand.bindText(4, actionName(command));
    m_insertCommand.bindBlob(5, m_blob);
    m_insertCommand.bindText(6, m_text);
    m_insertCommand.bindText(7, applied.result());
    if (absl::Status s = m_insertCommand.run("cannot write a command to", m_path); !s.ok())
        return fail(std::move(s));
    ++m_counts.commands;
    m_lastTime = std::max(m_lastTime, applied.sim_time_ns());
    return noteRows(1);
}

absl::Status RunRecorder::recordCommand(const v1::AppliedCommand& command)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    if (absl::Status s = writeCommand(command); !s.ok())
        return s;
    ++m_hostRecorded[commandHash(command, m_text)];
    return absl::OkStatus();
}

absl::Status RunRecorder::recordCommandLog(const sim::World& world)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    const std::vector<v1::AppliedCommand>& log = world.commandLog();
    for (; m_commandLogCursor < log.size(); ++m_commandLogCursor) {
        const v1::AppliedCommand& applied = log[m_commandLogCursor];
        if (!m_hostRecorded.empty()) {
            const auto it = m_hostRecorded.find(commandHash(applied, m_text));
            if (it != m_hostRecorded.end()) {
                if (--it->second == 0)
                    m_hostRecorded.erase(it);
                continue; // the host recorded this one already
            }
        }
        if (absl::Status s = writeCommand(applied); !s.ok())
            return s;
    }
    return absl::OkStatus();
}

absl::Status RunRecorder::takeSnapshot()
{
    assert(m_telemetry);
    m_snapshot.Clear();
    SnapshotOptions options;
    options.includeComponents = m_options.includeComponents;
    options.includeSeriesDefs = true;
    options.seriesDefsFrom = m_snapshotSeriesFrom;
    m_telemetry->buildSnapshot(m_snapshot, options);
    m_snapshot.set_seq(m_snapshotSeq + 1);
    if (absl::Status s = recordSnapshot(m_snapshot); !s.ok())
        return s;
    m_snapshotSeriesFrom = m_telemetry->metrics().seriesCount();
    return absl::OkStatus();
}

absl::Status RunRecorder::recordSnapshot(const v1::Snapshot& snapshot)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    if (absl::Status s = ensureTransaction(); !s.ok())
        return s;
    if (!snapshot.SerializeToString(&m_blob))
        return fail(absl::InternalError(sim::strCat("cannot serialize the snapshot at ", snapshot.sim_time_ns(),
                                                    " ns for recording '", m_path, "'")));
    m_insertSnapshot.bindInt(1, snapshot.sim_time_ns());
    m_insertSnapshot.bindUint(2, snapshot.seq());
    m_insertSnapshot.bindUint(3, snapshot.events_executed());
    m_insertSnapshot.bindUint(4, snapshot.trace_hash());
    m_insertSnapshot.bindBlob(5, m_blob);
    if (absl::Status s = m_insertSnapshot.run("cannot write a snapshot to", m_path); !s.ok())
        return fail(std::move(s));
    m_snapshotSeq = std::max(m_snapshotSeq, snapshot.seq());
    m_lastSnapshotTime = std::max(m_lastSnapshotTime, snapshot.sim_time_ns());
    m_lastTime = std::max(m_lastTime, snapshot.sim_time_ns());
    ++m_counts.snapshots;
    return noteRows(1);
}

absl::Status RunRecorder::finish(const RunResult& result)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    if (absl::Status s = ensureTransaction(); !s.ok())
        return s;
    auto update = SqliteStatement::prepare(
        m_db.get(),
        "UPDATE run SET finished_ns = ?, events_executed = ?, final_trace_hash = ?, state_digest = ? WHERE id = 1",
        m_path);
    if (!update.ok())
        return fail(update.status());
    update->bindInt(1, result.finishedNs);
    update->bindUint(2, result.eventsExecuted);
    update->bindUint(3, result.traceHash);
    update->bindUint(4, result.stateDigest);
    if (absl::Status s = update->run("cannot write the run's result to", m_path); !s.ok())
        return fail(std::move(s));
    m_lastTime = std::max(m_lastTime, result.finishedNs);
    if (absl::Status s = commit(); !s.ok())
        return s;
    m_finished = true;
    return absl::OkStatus();
}

absl::Status RunRecorder::finish(const sim::World& world)
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    absl::Status s = recordCommandLog(world);
    if (s.ok() && m_telemetry && m_world == &world) {
        s = recordNewSeries();
        if (s.ok() && m_options.snapshotEveryRollups > 0 && world.now() > m_lastSnapshotTime)
            s = takeSnapshot();
    }
    if (!s.ok())
        return s;
    // Components registered after the recording started belong in the topology too.
    v1::Topology topology;
    world.topologyToProto(topology);
    topology.SerializeToString(&m_blob);
    if (s = ensureTransaction(); !s.ok())
        return s;
    auto update = SqliteStatement::prepare(m_db.get(), "UPDATE run SET topology = ? WHERE id = 1", m_path);
    if (!update.ok())
        return fail(update.status());
    update->bindBlob(1, m_blob);
    if (s = update->run("cannot write the final topology to", m_path); !s.ok())
        return fail(std::move(s));
    return finish(RunResult{world.now(), world.scheduler().executed(), world.traceHash(), world.stateDigest()});
}

absl::Status RunRecorder::flush()
{
    if (absl::Status s = writableCheck(); !s.ok())
        return s;
    return commit();
}

absl::Status RunRecorder::close()
{
    if (!m_db)
        return m_error;
    detach();
    if (m_inTransaction)
        (void)commit(); // a failure is kept in m_error
    for (SqliteStatement* stmt : {&m_begin, &m_commit, &m_insertSeries, &m_insertSample, &m_insertSampleBatch,
                                  &m_insertSampleTime, &m_insertEvent, &m_insertCommand, &m_insertSnapshot,
                                  &m_updateLast})
        stmt->finalize();
    // Checkpoint the WAL into the main file and go back to a rollback journal, so the
    // closed recording is one self-contained file (readable from read-only media).
    // Best effort: with another connection open (a live reader) the file stays in WAL
    // mode, which is just as valid.
    sqlite3_exec(m_db.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    m_db.reset(); // every statement is finalized: the connection closes now
    return m_error;
}

} // namespace livedeck::telemetry
