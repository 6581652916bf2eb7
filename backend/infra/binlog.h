// Binlog: a shard's ordered change log (MySQL's binary log, statement-based), the
// source of replication, failover loss reports and binlog subscriptions.
//
// Contract:
// - One entry per committed write transaction that changed at least one row (an
//   empty transaction, e.g. a duplicate INSERT … ON CONFLICT DO NOTHING, is not
//   logged). An entry holds the batch (SQL + bound parameters), the commit time, the
//   primary's term (epoch) and whether the client was acknowledged.
// - Positions are strictly increasing and never reused, also across failovers: a
//   failover truncates the entries the promoted replica never received and the next
//   write continues after the highest position ever assigned, leaving a gap (like
//   GTIDs of a dead server that never return). Readers look entries up by position.
// - Retention: the oldest entries are purged once the log holds more than
//   `retentionBytes` (batch sizes); a replica that needs a purged entry is
//   re-provisioned from the primary, a subscription cannot start before firstPosition().
// Single-threaded (the world's thread).
#pragma once

#include "backend/infra/sql_batch.h"
#include "backend/sim/time.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace livedeck::infra {

struct BinlogEntry {
    std::uint64_t position = 0;
    sim::Nanos commitTime = 0;
    std::uint32_t epoch = 0;      // the primary's term that committed it
    std::int64_t changes = 0;     // rows changed on the primary
    bool acknowledged = false;    // the primary sent OK to the client
    std::shared_ptr<const SqlBatch> batch;
};

class Binlog {
public:
    // 16 MiB (about 90 000 single-row order inserts): a bounded in-memory log per
    // shard. MySQL rotates files at max_binlog_size (1 GiB) and purges them after
    // binlog_expire_logs_seconds (30 days); an emulator of ten shards keeps far less.
    static constexpr std::size_t kDefaultRetentionBytes = 16u << 20;

    explicit Binlog(std::size_t retentionBytes = kDefaultRetentionBytes) : m_retentionBytes(retentionBytes) {}

    const BinlogEntry& append(std::uint64_t position, sim::Nanos commitTime, std::uint32_t epoch,
                              std::int64_t changes, std::shared_ptr<const SqlBatch> batch);

    BinlogEntry* find(std::uint64_t position);
    const BinlogEntry* find(std::uint64_t position) const;
    // The first entry with a position greater than `after`, or nullptr.
    const BinlogEntry* next(std::uint64_t after) const;
    // Position of the last entry of the current timeline (0 when none was ever written).
    std::uint64_t lastPosition() const { return m_lastPosition; }
    // Position of the oldest retained entry (lastPosition() + 1 when empty).
    std::uint64_t firstPosition() const { return m_entries.empty() ? m_lastPosition + 1 : m_entries.front().position; }
    // Highest purged position (0 when nothing was purged).
    std::uint64_t purgedThrough() const { return m_purgedThrough; }
    // How many retained entries have a position greater than `position`.
    std::size_t countAfter(std::uint64_t position) const { return m_entries.size() - indexAfter(position); }
    // Removes and returns the entries after `position` (a failover's lost writes).
    std::vector<BinlogEntry> truncateAfter(std::uint64_t position);

    std::size_t size() const { return m_entries.size(); }
    std::size_t bytes() const { return m_bytes; }
    std::uint64_t purged() const { return m_purgedEntries; }
    const std::deque<BinlogEntry>& entries() const { return m_entries; }

private:
    std::size_t indexAfter(std::uint64_t position) const;

    std::deque<BinlogEntry> m_entries;
    std::size_t m_retentionBytes;
    std::size_t m_bytes = 0;
    std::uint64_t m_lastPosition = 0;
    std::uint64_t m_purgedThrough = 0;
    std::uint64_t m_purgedEntries = 0;
};

} // namespace livedeck::infra
