#include "backend/infra/sql_connection.h"

#include "backend/infra/sql_memory.h"

#include <sqlite3.h>

#include <cassert>
#include <cstring>

namespace livedeck::infra {

namespace {

// SQLite's memory statistics take a global mutex on every allocation (1.5 % of a
// messaging gala second in pthread_mutex_lock); nothing here reads them
// (sqlite3_memory_used and friends). sqlite3_config must run before SQLite is
// initialised and before other threads use it: a static initialiser does, before
// main. If SQLite was already initialised it returns SQLITE_MISUSE and nothing changes.
//
// SQLite's allocations go to sql_memory (see sql_memory.h); it too has to be installed
// before SQLite is initialised.
const int kNoMemoryStatistics = (sql_memory::install(), sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0));

absl::Status statusFor(int extendedCode, std::string message)
{
    switch (extendedCode) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return absl::AlreadyExistsError(std::move(message));
    default:
        break;
    }
    switch (extendedCode & 0xff) {
    case SQLITE_CONSTRAINT:
        return absl::FailedPreconditionError(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return absl::UnavailableError(std::move(message));
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        return absl::InvalidArgumentError(std::move(message));
    default:
        return absl::InternalError(std::move(message));
    }
}

} // namespace

std::string SqlConnection::checkPageCache(const SqlPageCache& pageCache)
{
    if (pageCache.pages < 0)
        return sim::strCat("a page cache of ", pageCache.pages, " pages: expected 0 (unbounded) or a positive count");
    const int size = pageCache.pageSizeBytes;
    if (size != 0 && (size < 512 || size > 65'536 || (size & (size - 1)) != 0))
        return sim::strCat("a page size of ", size, " bytes: expected 0 (SQLite's default) or a power of two from 512 to 65536");
    return {};
}

absl::StatusOr<std::unique_ptr<SqlConnection>> SqlConnection::open(const std::string& location, SqlPageCache pageCache)
{
    if (std::string problem = checkPageCache(pageCache); !problem.empty())
        return absl::InvalidArgumentError(sim::strCat("cannot open SQLite database '", location, "' with ", problem));
    const bool memory = location == ":memory:";
    // A bounded cache needs pages that live outside the pager: the memdb VFS (a name
    // without a leading '/' is private to this connection).
    const bool memdb = memory && pageCache.pages > 0;
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | (memdb ? SQLITE_OPEN_URI : 0);
    const int rc = sqlite3_open_v2(memdb ? "file:livedeck-sql?vfs=memdb" : location.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = sim::strCat("cannot open SQLite database '", location, "': ",
                                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return absl::UnavailableError(std::move(msg));
    }
    std::unique_ptr<SqlConnection> c(new SqlConnection(db, location, pageCache));
    // The page size first: it only takes effect before the first page is written.
    if (pageCache.pageSizeBytes > 0) {
        if (auto st = c->exec(sim::strCat("PRAGMA page_size=", pageCache.pageSizeBytes, ";")); !st.ok())
            return st;
    }
    if (memdb) {
        // One connection per database: exclusive locking keeps the cache across
        // transactions; the rollback journal stays in memory.
        if (auto st = c->exec("PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=MEMORY;"); !st.ok())
            return st;
    } else if (!memory) {
        if (auto st = c->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !st.ok())
            return st;
    }
    if (pageCache.pages > 0) {
        if (auto st = c->exec(sim::strCat("PRAGMA cache_size=", pageCache.pages, ";")); !st.ok())
            return st;
    }
    auto begin = c->prepare("BEGIN");
    auto commit = c->prepare("COMMIT");
    auto rollback = c->prepare("ROLLBACK");
    if (!begin.ok() || !commit.ok() || !rollback.ok())
        return absl::InternalError(sim::strCat("cannot prepare transaction statements on '", location, "'"));
    c->m_begin = *begin;
    c->m_commit = *commit;
    c->m_rollback = *rollback;
    // One empty transaction: what BEGIN and COMMIT cost in VM steps (charged per batch
    // by applyGrouped, whose group runs them once).
    sqlite3_step(c->m_begin);
    sqlite3_reset(c->m_begin);
    sqlite3_step(c->m_commit);
    sqlite3_reset(c->m_commit);
    c->m_beginVmSteps = static_cast<std::uint64_t>(sqlite3_stmt_status(c->m_begin, SQLITE_STMTSTATUS_VM_STEP, 1));
    c->m_commitVmSteps = static_cast<std::uint64_t>(sqlite3_stmt_status(c->m_commit, SQLITE_STMTSTATUS_VM_STEP, 1));
    c->discardPageCounts();
    return c;
}

SqlConnection::SqlConnection(sqlite3* db, std::string location, SqlPageCache pageCache)
    : m_db(db), m_location(std::move(location)), m_pageCache(pageCache)
{
    sqlite3_update_hook(m_db, &SqlConnection::updateHook, this);
}

SqlConnection::~SqlConnection()
{
    (void)commitGroup();
    sqlite3_update_hook(m_db, nullptr, nullptr);
    for (auto& [sql, stmt] : m_cache)
        sqlite3_finalize(stmt);
    sqlite3_close(m_db);
}

absl::Status SqlConnection::error(std::string_view what, std::string_view sql) const
{
    return statusFor(sqlite3_extended_errcode(m_db),
                     sim::strCat(what, " on ", m_location, ": ", sqlite3_errmsg(m_db), " [", sql, "]"));
}

absl::Status SqlConnection::exec(std::string_view sql)
{
    if (absl::Status st = commitGroup(); !st.ok())
        return st;
    const std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = sim::strCat("SQL failed on ", m_location, ": ", err ? err : sqlite3_errstr(rc), " [", sql, "]");
        sqlite3_free(err);
        discardPageCounts();
        return statusFor(sqlite3_extended_errcode(m_db), std::move(msg));
    }
    discardPageCounts();
    return absl::OkStatus();
}

absl::StatusOr<sqlite3_stmt*> SqlConnection::prepare(std::string_view sql)
{
    return prepare(sql, sim::StringHash{}(sql));
}

absl::StatusOr<sqlite3_stmt*> SqlConnection::prepare(std::string_view sql, std::size_t hash)
{
    assert(hash == sim::StringHash{}(sql));
    if (auto it = m_cache.find(sql, hash); it != m_cache.end())
        return it->second;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, &tail);
    if (rc != SQLITE_OK)
        return error("cannot prepare statement", sql);
    if (!stmt)
        return absl::InvalidArgumentError(sim::strCat("empty SQL statement on ", m_location, ": [", sql, "]"));
    if (tail) {
        // Only whitespace may follow the statement.
        for (const char* p = tail; p < sql.data() + sql.size(); ++p) {
            if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
                sqlite3_finalize(stmt);
                return absl::InvalidArgumentError(sim::strCat("one statement per call, got more on ", m_location,
                                                              ": [", sql, "]"));
            }
        }
    }
    m_cache.emplace(std::string(sql), stmt);
    return stmt;
}

absl::StatusOr<sqlite3_stmt*> SqlConnection::prepare(const SqlText& text)
{
    if (!text.interned)
        return prepare(text.text, text.hash);
    if (const auto it = m_byText.find(&text); it != m_byText.end())
        return it->second;
    auto stmt = prepare(text.text, text.hash);
    if (stmt.ok())
        m_byText.emplace(&text, *stmt);
    return stmt;
}

absl::Status SqlConnection::bind(sqlite3_stmt* stmt, std::span<const SqlValue> params, std::string_view sql)
{
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size()))
        return absl::InvalidArgumentError(sim::strCat("statement takes ", expected, " parameters, got ",
                                                      params.size(), ": [", sql, "]"));
    for (int i = 0; i < expected; ++i) {
        const SqlValue& v = params[static_cast<std::size_t>(i)];
        int rc = SQLITE_OK;
        if (const auto* n = std::get_if<std::int64_t>(&v))
            rc = sqlite3_bind_int64(stmt, i + 1, *n);
        else if (const auto* d = std::get_if<double>(&v))
            rc = sqlite3_bind_double(stmt, i + 1, *d);
        else if (const auto* s = std::get_if<std::string>(&v))
            rc = sqlite3_bind_text(stmt, i + 1, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
        else
            rc = sqlite3_bind_null(stmt, i + 1);
        if (rc != SQLITE_OK)
            return error("cannot bind parameter", sql);
    }
    return absl::OkStatus();
}

void SqlConnection::harvest(sqlite3_stmt* stmt, SqlStats& stats)
{
    stats.vmSteps += static_cast<std::uint64_t>(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_VM_STEP, 1));
    stats.fullScanSteps += static_cast<std::uint64_t>(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1));
    stats.sorts += static_cast<std::uint64_t>(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_SORT, 1));
    stats.autoIndexRows += static_cast<std::uint64_t>(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_AUTOINDEX, 1));
}

void SqlConnection::harvestPages(SqlStats& stats)
{
    if (!countsPages())
        return;
    int current = 0;
    int highwater = 0;
    sqlite3_db_status(m_db, SQLITE_DBSTATUS_CACHE_MISS, &current, &highwater, 1);
    const auto misses = static_cast<std::uint64_t>(current);
    stats.pageMisses += misses;
    m_pageMisses += misses;
    sqlite3_db_status(m_db, SQLITE_DBSTATUS_CACHE_HIT, &current, &highwater, 1);
    m_pageHits += static_cast<std::uint64_t>(current);
}

void SqlConnection::discardPageCounts()
{
    if (!countsPages())
        return;
    int current = 0;
    int highwater = 0;
    sqlite3_db_status(m_db, SQLITE_DBSTATUS_CACHE_MISS, &current, &highwater, 1);
    sqlite3_db_status(m_db, SQLITE_DBSTATUS_CACHE_HIT, &current, &highwater, 1);
}

absl::Status SqlConnection::runBatch(const SqlBatch& batch, SqlStats& stats, WriteOutcome& out)
{
    if (absl::Status st = commitGroup(); !st.ok())
        return st;
    assert(sqlite3_get_autocommit(m_db) && "runBatch inside an open transaction");
    m_batchStatements.assign(batch.texts().size(), nullptr);
    for (std::size_t i = 0; i < batch.texts().size(); ++i) {
        auto stmt = prepare(*batch.texts()[i]);
        if (!stmt.ok()) {
            harvestPages(stats); // preparing read the schema
            return stmt.status();
        }
        m_batchStatements[i] = *stmt;
    }
    m_rowUndo.clear();
    m_recordRowUndo = true;

    absl::Status status;
    bool began = true;
    bool commitRan = false;
    if (sqlite3_step(m_begin) != SQLITE_DONE) {
        status = error("BEGIN failed", "BEGIN");
        began = false;
    }
    sqlite3_reset(m_begin);
    std::int64_t changes = 0;
    for (const SqlBatch::Step& step : batch.steps()) {
        if (!status.ok())
            break;
        sqlite3_stmt* stmt = m_batchStatements[step.sql];
        status = bind(stmt, batch.params(step), batch.sql(step));
        if (!status.ok())
            break;
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            ++stats.rowsReturned; // INSERT … RETURNING
        ++stats.statements;
        if (rc != SQLITE_DONE) {
            status = error("statement failed", batch.sql(step));
            sqlite3_reset(stmt);
            break;
        }
        changes += sqlite3_changes64(m_db);
        sqlite3_reset(stmt);
    }
    if (status.ok()) {
        commitRan = true;
        if (sqlite3_step(m_commit) != SQLITE_DONE)
            status = error("COMMIT failed", "COMMIT");
        sqlite3_reset(m_commit);
    }
    if (!status.ok()) {
        abandonTransaction();
        undoRowCounts();
        changes = 0;
    }
    m_recordRowUndo = false;
    m_rowUndo.clear();
    // BEGIN and COMMIT run the same VM steps every time (measured at open): they are
    // charged from that, not read back from SQLite per batch (their counters are not
    // read again). A rollback is read, when there was one.
    if (status.ok()) {
        stats.vmSteps += m_beginVmSteps + m_commitVmSteps;
    } else {
        if (began)
            stats.vmSteps += m_beginVmSteps;
        if (commitRan)
            stats.vmSteps += m_commitVmSteps;
        harvest(m_rollback, stats);
    }
    for (sqlite3_stmt* s : m_batchStatements) // distinct: a batch stores each text once
        harvest(s, stats);
    harvestPages(stats);
    stats.rowsChanged += static_cast<std::uint64_t>(changes);
    out.changes = changes;
    out.lastInsertRowid = sqlite3_last_insert_rowid(m_db);
    return status;
}

absl::Status SqlConnection::applyGrouped(const SqlBatch& batch, SqlStats& stats, WriteOutcome& out)
{
    m_batchStatements.assign(batch.texts().size(), nullptr);
    for (std::size_t i = 0; i < batch.texts().size(); ++i) {
        auto stmt = prepare(*batch.texts()[i]);
        if (!stmt.ok()) {
            harvestPages(stats); // preparing read the schema
            return stmt.status();
        }
        m_batchStatements[i] = *stmt;
    }
    if (m_groupEntries == 0) {
        assert(sqlite3_get_autocommit(m_db) && "a group opened inside a transaction");
        m_rowUndo.clear();
        m_recordRowUndo = true; // until the group commits or rolls back
        const int rc = sqlite3_step(m_begin);
        sqlite3_reset(m_begin);
        sqlite3_stmt_status(m_begin, SQLITE_STMTSTATUS_VM_STEP, 1);
        if (rc != SQLITE_DONE) {
            m_recordRowUndo = false;
            return error("BEGIN failed", "BEGIN");
        }
    }
    absl::Status status;
    std::int64_t changes = 0;
    for (const SqlBatch::Step& step : batch.steps()) {
        sqlite3_stmt* stmt = m_batchStatements[step.sql];
        status = bind(stmt, batch.params(step), batch.sql(step));
        if (!status.ok())
            break;
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            ++stats.rowsReturned;
        ++stats.statements;
        if (rc != SQLITE_DONE) {
            status = error("statement failed", batch.sql(step));
            sqlite3_reset(stmt);
            break;
        }
        changes += sqlite3_changes64(m_db);
        sqlite3_reset(stmt);
    }
    for (sqlite3_stmt* s : m_batchStatements)
        harvest(s, stats);
    harvestPages(stats); // the pages this batch's statements read (and BEGIN's, for a group's first)
    if (!status.ok()) {
        // The whole open group goes: the caller re-provisions the replica.
        abandonTransaction();
        sqlite3_stmt_status(m_rollback, SQLITE_STMTSTATUS_VM_STEP, 1);
        undoRowCounts();
        m_recordRowUndo = false;
        m_rowUndo.clear();
        m_groupEntries = 0;
        out.changes = 0;
        out.lastInsertRowid = sqlite3_last_insert_rowid(m_db);
        return status;
    }
    stats.vmSteps += m_beginVmSteps + m_commitVmSteps; // as if in a transaction of its own
    stats.rowsChanged += static_cast<std::uint64_t>(changes);
    out.changes = changes;
    out.lastInsertRowid = sqlite3_last_insert_rowid(m_db);
    if (++m_groupEntries >= kGroupEntries)
        return commitGroup();
    return absl::OkStatus();
}

absl::Status SqlConnection::commitGroup()
{
    if (m_groupEntries == 0)
        return absl::OkStatus();
    m_groupEntries = 0;
    const int rc = sqlite3_step(m_commit);
    sqlite3_reset(m_commit);
    sqlite3_stmt_status(m_commit, SQLITE_STMTSTATUS_VM_STEP, 1);
    absl::Status status;
    if (rc != SQLITE_DONE) {
        status = error("COMMIT failed", "COMMIT");
        abandonTransaction();
        undoRowCounts();
    }
    m_recordRowUndo = false;
    m_rowUndo.clear();
    return status;
}

absl::Status SqlConnection::runQuery(std::string_view sql, std::span<const SqlValue> params, bool readOnly,
                                     SqlResult& out, SqlStats& stats)
{
    auto prepared = prepare(sql);
    if (!prepared.ok()) {
        harvestPages(stats); // preparing read the schema
        return prepared.status();
    }
    sqlite3_stmt* stmt = *prepared;
    if (readOnly && !sqlite3_stmt_readonly(stmt)) {
        harvestPages(stats);
        return absl::InvalidArgumentError(sim::strCat("a read must not write; send writes as a batch to the primary: [",
                                                      sql, "]"));
    }
    if (auto st = bind(stmt, params, sql); !st.ok()) {
        harvestPages(stats);
        return st;
    }
    const int columns = sqlite3_column_count(stmt);
    out.columns = static_cast<std::uint32_t>(columns);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ++stats.rowsReturned;
        for (int c = 0; c < columns; ++c) {
            switch (sqlite3_column_type(stmt, c)) {
            case SQLITE_INTEGER:
                out.values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
                break;
            case SQLITE_FLOAT:
                out.values.emplace_back(sqlite3_column_double(stmt, c));
                break;
            case SQLITE_NULL:
                out.values.emplace_back(std::monostate{});
                break;
            default: {
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                out.values.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
                break;
            }
            }
        }
    }
    ++stats.statements;
    absl::Status status;
    if (rc != SQLITE_DONE)
        status = error("query failed", sql);
    else if (!readOnly)
        stats.rowsChanged += static_cast<std::uint64_t>(sqlite3_changes64(m_db));
    sqlite3_reset(stmt);
    harvest(stmt, stats);
    harvestPages(stats);
    return status;
}

void SqlConnection::abandonTransaction()
{
    if (sqlite3_get_autocommit(m_db))
        return;
    // Without a journal ROLLBACK is undefined (SQLite's journal_mode documentation):
    // keep what ran; the caller re-provisions the database.
    if (m_rollbackJournal) {
        sqlite3_step(m_rollback);
        sqlite3_reset(m_rollback);
        return;
    }
    sqlite3_step(m_commit);
    sqlite3_reset(m_commit);
    sqlite3_stmt_status(m_commit, SQLITE_STMTSTATUS_VM_STEP, 1); // charged as the rollback it stands for
}

absl::Status SqlConnection::setRollbackJournal(bool on)
{
    if (on == m_rollbackJournal)
        return absl::OkStatus();
    if (m_location != ":memory:")
        return absl::FailedPreconditionError(
            sim::strCat("the rollback journal of ", m_location, " stays: only an in-memory database can drop it"));
    if (absl::Status st = exec(on ? "PRAGMA journal_mode=MEMORY;" : "PRAGMA journal_mode=OFF;"); !st.ok())
        return st;
    m_rollbackJournal = on;
    return absl::OkStatus();
}

absl::Status SqlConnection::copyFrom(SqlConnection& source)
{
    if (absl::Status st = source.commitGroup(); !st.ok())
        return st;
    if (absl::Status st = commitGroup(); !st.ok())
        return st;
    sqlite3_backup* backup = sqlite3_backup_init(m_db, "main", source.m_db, "main");
    if (!backup)
        return error("cannot start copy", source.m_location);
    sqlite3_backup_step(backup, -1);
    const int rc = sqlite3_backup_finish(backup);
    if (rc != SQLITE_OK)
        return error("copy failed", source.m_location);
    return recountRows();
}

absl::Status SqlConnection::recountRows()
{
    std::vector<std::string> names;
    {
        auto stmt = prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        if (!stmt.ok())
            return stmt.status();
        while (sqlite3_step(*stmt) == SQLITE_ROW)
            names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(*stmt, 0)));
        sqlite3_reset(*stmt);
    }
    for (TableRows& t : m_tables)
        t.rows = 0;
    for (const std::string& name : names) {
        std::string quoted;
        for (char ch : name) {
            quoted.push_back(ch);
            if (ch == '"')
                quoted.push_back('"');
        }
        auto stmt = prepare(sim::strCat("SELECT COUNT(*) FROM \"", quoted, "\""));
        if (!stmt.ok())
            return stmt.status();
        std::int64_t n = 0;
        if (sqlite3_step(*stmt) == SQLITE_ROW)
            n = sqlite3_column_int64(*stmt, 0);
        sqlite3_reset(*stmt);
        auto it = m_tableIndex.find(name);
        if (it == m_tableIndex.end()) {
            m_tableIndex.emplace(name, m_tables.size());
            m_tables.push_back(TableRows{name, n});
        } else {
            m_tables[it->second].rows = n;
        }
    }
    m_lastTable = nullptr;
    discardPageCounts();
    return absl::OkStatus();
}

std::int64_t SqlConnection::rows(std::string_view table) const
{
    auto it = m_tableIndex.find(table);
    return it == m_tableIndex.end() ? 0 : m_tables[it->second].rows;
}

void SqlConnection::updateHook(void* self, int op, const char* database, const char* table, long long /*rowid*/)
{
    if (op == SQLITE_UPDATE || std::strcmp(database, "main") != 0)
        return;
    static_cast<SqlConnection*>(self)->countRow(table, op == SQLITE_INSERT ? 1 : -1);
}

void SqlConnection::countRow(const char* table, int delta)
{
    // Fast path: the same table as last time (SQLite passes its schema's name pointer;
    // the name is still compared, as a schema reload may reuse the memory).
    if (table == m_lastTable && m_tables[m_lastTableIndex].name == table) {
        m_tables[m_lastTableIndex].rows += delta;
        if (m_recordRowUndo)
            m_rowUndo.emplace_back(static_cast<std::uint32_t>(m_lastTableIndex), delta);
        return;
    }
    const std::string_view name(table);
    auto it = m_tableIndex.find(name);
    std::size_t index;
    if (it == m_tableIndex.end()) {
        index = m_tables.size();
        m_tableIndex.emplace(std::string(name), index);
        m_tables.push_back(TableRows{std::string(name), 0});
    } else {
        index = it->second;
    }
    m_tables[index].rows += delta;
    if (m_recordRowUndo)
        m_rowUndo.emplace_back(static_cast<std::uint32_t>(index), delta);
    m_lastTable = table;
    m_lastTableIndex = index;
}

void SqlConnection::undoRowCounts()
{
    for (auto it = m_rowUndo.rbegin(); it != m_rowUndo.rend(); ++it)
        m_tables[it->first].rows -= it->second;
    m_rowUndo.clear();
}

} // namespace livedeck::infra
