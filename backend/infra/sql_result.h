// What a SQL call carries and what it gets back.
//
// - SqlStats: the work SQLite reports for the statements actually run, read from
//   sqlite3_stmt_status (VM steps, full-scan steps, sorts, automatic-index rows) plus
//   rows changed/returned and, with a bounded page cache, the pages read because they
//   were not cached (sqlite3_db_status SQLITE_DBSTATUS_CACHE_MISS). The cost model turns it into virtual service time.
// - SqlCall: per-call options. `from` is the calling component (the request and its
//   reply cross world.network() from it to the serving instance, so a strong read
//   from another region pays the latency and partitions block it; kNoComponent = a
//   caller next to the database). `weight` = real requests this discrete call stands
//   for (docs/ARCHITECTURE.md, property 3). `partition` = the month partition the call touches
//   (ShardRouter), for the per-partition load in the shard heatmap; 0 = none.
// - SqlResult: status + rows as a small value type, delivered on the world's thread.
//   Status codes: AlreadyExists (unique/primary-key violation), InvalidArgument (bad
//   SQL or parameters), FailedPrecondition (other constraint, write sent to a
//   read-only instance), Unavailable (instance down, unreachable, injected error,
//   primary lost before acknowledging), ResourceExhausted (overloaded: queue full or
//   waited too long), Aborted (the write committed but a failover discarded it).
#pragma once

#include "backend/infra/sql_batch.h"
#include "backend/sim/inline_callback.h"
#include "backend/sim/scheduler.h"

#include <absl/status/status.h>

#include <cstdint>
#include <vector>

namespace livedeck::infra {

enum class Consistency : std::uint8_t {
    Strong, // the primary: sees every acknowledged write, pays the way to it
    Weak,   // a replica in the caller's region (the primary when there is none): may be stale
};

struct SqlStats {
    std::uint64_t statements = 0;
    std::uint64_t vmSteps = 0;        // SQLITE_STMTSTATUS_VM_STEP
    std::uint64_t fullScanSteps = 0;  // SQLITE_STMTSTATUS_FULLSCAN_STEP
    std::uint64_t sorts = 0;          // SQLITE_STMTSTATUS_SORT
    std::uint64_t autoIndexRows = 0;  // SQLITE_STMTSTATUS_AUTOINDEX
    std::uint64_t rowsChanged = 0;
    std::uint64_t rowsReturned = 0;
    std::uint64_t pageMisses = 0;     // SQLITE_DBSTATUS_CACHE_MISS (bounded page cache only)

    SqlStats& operator+=(const SqlStats& o)
    {
        statements += o.statements;
        vmSteps += o.vmSteps;
        fullScanSteps += o.fullScanSteps;
        sorts += o.sorts;
        autoIndexRows += o.autoIndexRows;
        rowsChanged += o.rowsChanged;
        rowsReturned += o.rowsReturned;
        pageMisses += o.pageMisses;
        return *this;
    }
};

struct SqlCall {
    sim::ComponentId from = sim::kNoComponent;
    double weight = 1.0;
    int partition = 0;
};

struct SqlResult {
    absl::Status status;
    std::uint32_t columns = 0;
    std::vector<SqlValue> values;    // rows × columns, row-major
    std::int64_t changes = 0;        // rows changed by a write
    std::int64_t lastInsertRowid = 0;
    // Writes: the binlog position of the committed transaction (0 when it changed
    // nothing, e.g. a duplicate INSERT … ON CONFLICT DO NOTHING). Reads: the last
    // position applied on the instance that served it (how fresh the answer is).
    std::uint64_t position = 0;
    sim::ComponentId servedBy = sim::kNoComponent;
    sim::Nanos latency = 0;   // as the caller sees it: network + queue + execution (+ semi-sync wait)
    sim::Nanos execution = 0; // virtual execution time on the instance (what the slow log judges)
    SqlStats stats;

    bool ok() const { return status.ok(); }
    std::size_t rowCount() const { return columns ? values.size() / columns : 0; }
    const SqlValue& at(std::size_t row, std::size_t column) const { return values[row * columns + column]; }
};

// Receives the result on the world's thread; the callee may move from it.
using SqlCallback = sim::InlineFunction<void(SqlResult& result), 64>;

} // namespace livedeck::infra
