// SqlConnection: one SQLite database of one emulated MySQL instance, running real SQL
// through prepared statements (docs/ARCHITECTURE.md, property 4).
//
// Contract:
// - Location ":memory:" opens a private in-memory database (every connection its own);
//   anything else is a file path (WAL journal, synchronous = NORMAL).
// - Page cache (SqlPageCache): by default unbounded, and a ":memory:" database keeps
//   every page in its pager, so it never reads a page. With `pages` > 0 the pager's
//   cache holds at most that many pages (PRAGMA cache_size) and an in-memory database
//   lives behind it in SQLite's memdb VFS (private to the connection, exclusive
//   locking, rollback journal in memory): a page that is not cached is read from the
//   VFS, and SQLite counts it (SQLITE_DBSTATUS_CACHE_MISS). runBatch()/runQuery() then
//   add the misses of their statements to SqlStats::pageMisses (the counter is read
//   and reset after each run; DDL and copies reset it without charging). SQLite's
//   page cache evicts in LRU order from the connection's own cache (pcache1 with
//   separate caches), so the same statements give the same misses.
// - Prepared statements are cached per SQL text for the connection's lifetime.
// - runBatch() runs a SqlBatch inside one transaction (rolled back on the first
//   error); runQuery() runs one statement and collects its rows. Both add the work
//   SQLite reports for the statements they ran (sqlite3_stmt_status counters, read
//   and reset after each run) to a SqlStats.
// - Rows per table are kept exactly by SQLite's update hook (insert +1, delete −1),
//   restored on rollback and recounted after copyFrom(). Not counted: WITHOUT ROWID
//   tables and rows removed by ON CONFLICT REPLACE or DELETE's truncate optimization
//   (SQLite does not report those to the hook); recountRows() fixes the counts.
// - copyFrom() replaces the whole database with another's (sqlite3_backup): used to
//   re-provision a replica from the primary.
// - applyGrouped() is a replica's applier (group commit, as a MySQL replica's applier
//   commits a group of binlog transactions at once): it runs a batch inside a transaction
//   it leaves open for the next ones, committed after kGroupEntries batches or before
//   anything else uses the connection (runBatch, exec, copyFrom in either direction,
//   commitGroup). The connection's own reads see every applied batch, as they would
//   have one by one; SqlStats are those of the batch in its own transaction (BEGIN's and
//   COMMIT's VM steps included), so the applier's virtual cost does not change. A failing
//   batch rolls the whole open group back (the replica is then re-provisioned). A
//   connection that counts page misses charges each batch the misses of its own
//   statements (BEGIN's go to a group's first batch). The pages the group changes are
//   written back once, when it commits (or when the full cache spills them), as a
//   buffer pool flushes dirty pages, so what the cache evicts differs from committing
//   batch by batch: the same applies give other misses than runBatch would.
// - setRollbackJournal(false) (in-memory databases only) drops SQLite's rollback
//   journal: a transaction no longer copies each page before changing it. A replica
//   applies what its primary already committed and never rolls back, so SqlInstance
//   turns the journal off while it is a replica and on when it is promoted. Without a
//   journal a failing batch cannot be undone: runBatch()/applyGrouped() then commit what
//   ran, return the error, and the caller must re-provision the database (copyFrom), as
//   SqlReplication does. Statements, VM steps and page misses are the same either way.
// Single-threaded (the world's thread). Not copyable.
#pragma once

#include "backend/infra/sql_batch.h"
#include "backend/infra/sql_result.h"
#include "backend/sim/strings.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace livedeck::infra {

struct SqlPageCache {
    std::int64_t pages = 0; // 0 = unbounded (no miss accounting)
    int pageSizeBytes = 0;  // 0 = SQLite's default (4096); a power of two in 512..65536
};

class SqlConnection {
public:
    struct TableRows {
        std::string name;
        std::int64_t rows = 0;
    };
    struct WriteOutcome {
        std::int64_t changes = 0;
        std::int64_t lastInsertRowid = 0;
    };

    static absl::StatusOr<std::unique_ptr<SqlConnection>> open(const std::string& location,
                                                               SqlPageCache pageCache = {});
    // Empty when valid, else what is wrong with it.
    static std::string checkPageCache(const SqlPageCache& pageCache);
    ~SqlConnection();
    SqlConnection(const SqlConnection&) = delete;
    SqlConnection& operator=(const SqlConnection&) = delete;

    sqlite3* handle() const { return m_db; }
    const std::string& location() const { return m_location; }

    // Runs SQL without parameters (DDL, pragmas; several statements allowed).
    absl::Status exec(std::string_view sql);
    // The cached prepared statement for `sql`.
    absl::StatusOr<sqlite3_stmt*> prepare(std::string_view sql);
    // The same, with `hash` = sim::StringHash of `sql`.
    absl::StatusOr<sqlite3_stmt*> prepare(std::string_view sql, std::size_t hash);
    // The same for a batch's text; an interned one is found by its address.
    absl::StatusOr<sqlite3_stmt*> prepare(const SqlText& text);

    absl::Status runBatch(const SqlBatch& batch, SqlStats& stats, WriteOutcome& out);
    // A replica's grouped apply and the group's commit (see the contract above).
    static constexpr int kGroupEntries = 64;
    absl::Status applyGrouped(const SqlBatch& batch, SqlStats& stats, WriteOutcome& out);
    absl::Status commitGroup();
    int groupEntries() const { return m_groupEntries; }
    // Appends the rows to out.values (setting out.columns); `readOnly` refuses a
    // statement that would write.
    absl::Status runQuery(std::string_view sql, std::span<const SqlValue> params, bool readOnly, SqlResult& out,
                          SqlStats& stats);

    absl::Status copyFrom(SqlConnection& source);

    // See the contract: off only for a database that is re-provisioned on a failed write.
    absl::Status setRollbackJournal(bool on);
    bool rollbackJournal() const { return m_rollbackJournal; }

    // Rows of one table (0 when unknown); every table seen, in first-seen order.
    std::int64_t rows(std::string_view table) const;
    const std::vector<TableRows>& tables() const { return m_tables; }
    absl::Status recountRows();
    std::size_t cachedStatements() const { return m_cache.size(); }

    const SqlPageCache& pageCache() const { return m_pageCache; }
    bool countsPages() const { return m_pageCache.pages > 0; }
    // Pages read by charged statements since open (misses) and served from the cache.
    std::uint64_t pageMisses() const { return m_pageMisses; }
    std::uint64_t pageHits() const { return m_pageHits; }

private:
    explicit SqlConnection(sqlite3* db, std::string location, SqlPageCache pageCache);
    static void updateHook(void* self, int op, const char* database, const char* table, long long rowid);
    void undoRowCounts();
    void countRow(const char* table, int delta);
    absl::Status error(std::string_view what, std::string_view sql) const;
    absl::Status bind(sqlite3_stmt* stmt, std::span<const SqlValue> params, std::string_view sql);
    void harvest(sqlite3_stmt* stmt, SqlStats& stats);
    // Adds the page misses since the last call to `stats` (when counting pages).
    void harvestPages(SqlStats& stats);
    // Forgets page misses that no statement is charged for (DDL, copies).
    void discardPageCounts();
    // Ends a failed transaction: ROLLBACK, or COMMIT of what ran when there is no journal.
    void abandonTransaction();

    sqlite3* m_db = nullptr;
    std::string m_location;
    SqlPageCache m_pageCache;
    bool m_rollbackJournal = true;
    std::uint64_t m_pageMisses = 0;
    std::uint64_t m_pageHits = 0;
    absl::flat_hash_map<std::string, sqlite3_stmt*, sim::StringHash, sim::StringEq> m_cache;
    absl::flat_hash_map<const SqlText*, sqlite3_stmt*> m_byText; // interned texts → m_cache's statements
    sqlite3_stmt* m_begin = nullptr;
    sqlite3_stmt* m_commit = nullptr;
    sqlite3_stmt* m_rollback = nullptr;
    std::uint64_t m_beginVmSteps = 0;  // VM steps of one BEGIN (constant)
    std::uint64_t m_commitVmSteps = 0; // VM steps of one COMMIT (constant)
    int m_groupEntries = 0;         // batches applied in the open group transaction
    std::vector<sqlite3_stmt*> m_batchStatements; // scratch: one per distinct text of a batch
    std::vector<TableRows> m_tables;
    absl::flat_hash_map<std::string, std::size_t, sim::StringHash, sim::StringEq> m_tableIndex;
    // Row-count changes of the running batch (runBatch) or open group (applyGrouped),
    // (table index, delta) in order: undone on its rollback.
    std::vector<std::pair<std::uint32_t, int>> m_rowUndo;
    bool m_recordRowUndo = false;
    const char* m_lastTable = nullptr;     // update-hook fast path: the last table's name pointer
    std::size_t m_lastTableIndex = 0;
};

} // namespace livedeck::infra
