// SqlCostModel: virtual service time of SQL work, from SQLite's own counters for the
// statements actually run (docs/ARCHITECTURE.md, property 4), so a query without a usable index
// is slow for real: its full-scan steps and VM steps grow with the table.
//
//   cost = statements × statementNs            parse/plan/dispatch per statement
//        + vmSteps × vmStepNs                  SQLITE_STMTSTATUS_VM_STEP: CPU work
//        + fullScanSteps × fullScanStepNs      SQLITE_STMTSTATUS_FULLSCAN_STEP: rows read by scans
//        + sorts × sortNs                      SQLITE_STMTSTATUS_SORT: filesort set-up
//        + autoIndexRows × autoIndexRowNs      SQLITE_STMTSTATUS_AUTOINDEX: transient index builds
//        + rowsReturned × rowReturnedNs        result rows sent to the client
//        + rowsChanged × rowChangedNs          redo/undo and index maintenance per row
//        + commitNs if any row changed         redo log + binlog flush at commit
//        + pageMisses × pageReadNs             SQLITE_DBSTATUS_CACHE_MISS: pages read from
//                                              disk because the page cache did not hold them
//
// Defaults are MySQL/InnoDB-like orders of magnitude on a current server (one
// statement ≈ 50 µs of server work, sysbench-style point selects; a full scan reads
// about 1 M rows/s per thread from the buffer pool; a durable commit with
// sync_binlog = 1 and innodb_flush_log_at_trx_commit = 1 ≈ 0.5 ms of log flush). The
// ServiceQueue multiplies the result by noise and by active latency/slow-disk faults.
// pageReadNs 150 µs: one random read from a data-centre SSD with its queueing (ours;
// docs/MESSAGING.md). Page misses happen only with a bounded page cache
// (SqlClusterConfig::pageCache); the default unbounded cache never misses.
#pragma once

#include "backend/infra/sql_result.h"
#include "backend/sim/time.h"

#include <cstddef>

namespace livedeck::infra {

struct SqlCostModel {
    sim::Nanos statementNs = 50 * sim::kMicrosecond;
    sim::Nanos vmStepNs = 20;
    sim::Nanos fullScanStepNs = 1 * sim::kMicrosecond;
    sim::Nanos sortNs = 20 * sim::kMicrosecond;
    sim::Nanos autoIndexRowNs = 1 * sim::kMicrosecond;
    sim::Nanos rowReturnedNs = 1 * sim::kMicrosecond;
    sim::Nanos rowChangedNs = 10 * sim::kMicrosecond;
    sim::Nanos commitNs = 500 * sim::kMicrosecond;
    sim::Nanos pageReadNs = 150 * sim::kMicrosecond;

    sim::Nanos costNs(const SqlStats& stats) const;
    // The least costNs of any run that executes `statements` statements: every other
    // term is non-negative.
    sim::Nanos leastCostNs(std::size_t statements) const
    {
        return static_cast<sim::Nanos>(statements) * statementNs;
    }
};

} // namespace livedeck::infra
