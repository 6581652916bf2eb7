// What the messaging engine shows its console views (ui/engines/messaging/, docs/MESSAGING.md
// "Console views"): the inspector state of the `messaging` component beyond its headline
// keys. Two parts:
//
// - MessagingTrail: a bounded record of what the mechanisms did, written by the engine
//   as they act (never computed afterwards): each user's last inbox entries (the
//   sequences the SequenceAllocator handed to the user's inbox for one-to-one sends,
//   acknowledged or failed, and the gaps where the inbox's sequence skipped ahead after
//   a lost sequence cache), the durable ceilings confirmed in the Raft KV, the version
//   the canal stamped on each conversation row it carried (so a view can tell whether
//   the binlog sync pushed a message into Redis), the queries each user made in the
//   last completed second by the tier that answered, and the binlog apply's refusals by
//   reason.
// - MessagingInspect::write: the inspector keys built from the trail and the engine's
//   own state (totals, tier histograms, sync lag buckets, bulk channels and their
//   consumer groups' lag, content rows per table as routed). Key formats are below;
//   the console parses them (ui/engines/messaging/messaging_state.h).
//
// Bounds: 12 entries per inbox, at most 4 096 inboxes recorded (later users are not
// recorded), 8 recent pairs, 10 users on the hot board, 8 192 early stamps.
// Cost: every record is a hash lookup (an inbox by user, an early stamp by (owner,
// msgkey)) plus a scan of at most 12 entries in a fixed ring; nothing allocates once an
// inbox exists, nothing grows past its bound. Inboxes are kept in first-recorded order
// and MessagingInspect::write orders them by (activity, user).
// Thread: the world's thread. Recording never changes the engine's behaviour (no
// events scheduled, no store touched), so trace hashes are the same with or without it.
#pragma once

#include "backend/sim/time.h"

#include <absl/container/flat_hash_map.h>

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace livedeck::sim {
class StateWriter;
}

namespace livedeck::messaging {

class MessagingEngine;

class MessagingTrail {
public:
    static constexpr std::size_t kEntriesPerInbox = 12;
    static constexpr std::size_t kMaxInboxes = 4096;
    static constexpr std::size_t kRecentPairs = 8;
    static constexpr std::size_t kBoardSize = 10;
    static constexpr std::size_t kEarlyStamps = 8192;

    struct Entry {
        bool gap = false;            // a skipped range of the inbox's sequences
        sim::Nanos at = 0;           // when the send finished / the skip happened
        std::uint32_t peer = 0;
        bool outgoing = false;       // the inbox's owner sent it
        std::uint64_t seq = 0;       // in this inbox (gap: first skipped)
        std::uint64_t peerSeq = 0;   // in the peer's inbox (gap: last skipped)
        std::uint64_t msgkey = 0;
        bool acked = false;          // content row and both conversation rows written
        std::string failure;         // what failed (not acknowledged)
        std::uint64_t version = 0;   // the canal's version on this owner's row (0: not yet)
    };
    struct Inbox {
        std::uint32_t user = 0;
        std::uint32_t head = 0;      // slot of the oldest entry
        std::uint32_t count = 0;
        // Per slot: the msgkey of an acknowledged entry still waiting for the canal's
        // stamp, 0 otherwise (scanned by stamped() without touching the entries).
        std::array<std::uint64_t, kEntriesPerInbox> waiting{};
        // The last kEntriesPerInbox entries, a ring: entry(0) is the oldest.
        std::array<Entry, kEntriesPerInbox> ring;
        std::size_t size() const { return count; }
        const Entry& entry(std::size_t i) const { return ring[(head + i) % kEntriesPerInbox]; }
        Entry& entry(std::size_t i) { return ring[(head + i) % kEntriesPerInbox]; }
        std::uint64_t activity = 0;  // sends finished in this inbox (both directions)
        std::uint64_t ceiling = 0;   // last durable ceiling confirmed or loaded
        std::uint64_t skipped = 0;   // sequences skipped in all
        std::uint64_t cacheEpoch = 0; // the sequence cache's epoch when the counter was last used
    };
    struct BoardRow {
        std::uint32_t user = 0;
        double queries = 0.0;        // real (weighted) queries in the second
        double tier[3] = {0, 0, 0};  // answered by Redis, Taishan, MySQL
        double failed = 0.0;
        sim::Nanos maxLatency = 0;
        double latencySum = 0.0;     // weighted, ns
    };

    // A one-to-one send finished (failure empty: acknowledged). seq: sender's, receiver's.
    void send(sim::Nanos now, std::uint32_t sender, std::uint32_t receiver, std::uint64_t msgkey,
              const std::uint64_t seq[2], const std::string& failure);
    // The inbox's sequence skipped from `last` to `next` (a gap of next − last − 1).
    void skipped(sim::Nanos now, std::uint64_t inbox, std::uint64_t last, std::uint64_t next);
    // A durable ceiling confirmed (reservation) or read back (load after a cache loss).
    void ceiling(std::uint64_t inbox, std::uint64_t ceiling);
    void sequenceCacheLost() { ++m_cacheEpoch; }
    // The canal: a conversation row of `owner` carrying `msgkey` in the entry it is
    // turning into records, then the version it stamped on the owner's record.
    void binlogRow(std::int64_t owner, std::int64_t msgkey, std::uint32_t users);
    void stamped(std::uint32_t owner, std::uint64_t version);
    // A conversation query finished (tier: 0 Redis, 1 Taishan, 2 MySQL).
    void query(sim::Nanos now, std::uint32_t user, double weight, int tier, sim::Nanos latency, bool ok);
    // The binlog apply into Redis: refused (version ≤ the stored one) or applied below
    // the version applied before (only a plain SET can).
    void syncRefused(std::uint64_t version, std::uint64_t stored, double weight);
    void syncLowered(double weight) { m_syncLowered += weight; }

    // Recorded inboxes in first-recorded order; one by user (null: not recorded).
    const std::vector<Inbox>& inboxes() const { return m_inboxes; }
    const Inbox* findInbox(std::uint32_t user) const
    {
        const auto it = m_inboxIndex.find(user);
        return it == m_inboxIndex.end() ? nullptr : &m_inboxes[it->second];
    }
    const std::deque<std::pair<std::uint32_t, std::uint32_t>>& recentPairs() const { return m_recentPairs; }
    const std::vector<BoardRow>& board() const { return m_board; }
    std::int64_t boardSecond() const { return m_boardSecond; }
    std::uint64_t cacheEpoch() const { return m_cacheEpoch; }
    double refusedDuplicate() const { return m_refusedDuplicate; }
    double refusedStale() const { return m_refusedStale; }
    double syncLowered() const { return m_syncLowered; }

private:
    Inbox* inbox(std::uint32_t user);
    void record(Inbox& box, std::uint32_t owner, Entry e);
    void rollSecond(std::int64_t second);

    std::vector<Inbox> m_inboxes;                               // at most kMaxInboxes
    absl::flat_hash_map<std::uint32_t, std::uint32_t> m_inboxIndex; // user → m_inboxes slot
    std::deque<std::pair<std::uint32_t, std::uint32_t>> m_recentPairs; // newest first, (low, high)
    std::uint64_t m_cacheEpoch = 0;
    // Stamps that came before the send finished: (owner, msgkey) → version (looked up,
    // never iterated), and their keys oldest first in a ring of kEarlyStamps.
    absl::flat_hash_map<std::pair<std::uint32_t, std::uint64_t>, std::uint64_t> m_early;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> m_earlyOrder;
    std::size_t m_earlyNext = 0; // next slot of m_earlyOrder (the oldest once it is full)
    std::vector<std::pair<std::uint32_t, std::uint64_t>> m_entryRows; // the canal's current entry
    // Queries of the current second (users in first-query order) and the last board.
    std::int64_t m_second = -1;
    std::vector<std::uint32_t> m_queried;
    absl::flat_hash_map<std::uint32_t, BoardRow> m_current;
    std::vector<BoardRow> m_board;
    std::int64_t m_boardSecond = -1;
    double m_refusedDuplicate = 0.0;
    double m_refusedStale = 0.0;
    double m_syncLowered = 0.0;
};

// Writes the console views' keys of the engine (after its headline keys):
//   tier.*            cumulative real counts: queries, redis_hits, redis_misses,
//                     taishan_hits, taishan_misses, mysql_reads, mysql_primary_reads,
//                     hedges, hedges_won, failed, hot_prewarms; tier.taishan (the tier
//                     exists); tier.latency.{redis,taishan,mysql} = "p50 ms,p99 ms,count".
//   hot.second, hot.N "user,queries,redis,taishan,mysql,failed,max ms,mean ms,
//                     conversations,shard,region,prewarmed" (N = 0.. by queries).
//   sync.*            enabled, apply ("set-if-newer" | "plain SET"), version ("total" |
//                     "mtime"), applied, refused_duplicate, refused_stale, lowered,
//                     records_per_sec, lag_p99_ms (last second), replica_delay_p99_ms,
//                     lag_hist "w0,…,w10" real records since the start in the bins of
//                     kSyncLagBinsMs (last bin: ≥ 1 000 ms).
//   bulk.*            channels, channel.N "topic,carries,partitions,consumers,workers,
//                     lag (real, MQ), in hand (records at workers),busy workers";
//                     campaign.{produced,left,delivered,dead_lettered,redelivered,
//                     paused,rate}; high.{delivered,rate,p99_ms}.
//   content.*         layout, tables, rows "table=real rows;…" (routed + acknowledged).
//   timeline.*        users "u,…" (the most active inboxes, then the recent pairs'),
//                     pairs "a-b,…", epoch (sequence cache epoch),
//                     inbox.U "last handed,durable ceiling,written back,cached (0/1),
//                     skipped,activity", U "entry;entry…" with entry
//                     "s|at ms|peer|out(0/1)|seq|peer seq|msgkey|acked(0/1)|failure|pushed"
//                     (pushed: y applied in Redis, q stamped and queued, b waiting for
//                     the canal, - no sync) or "g|at ms|0|0|first|last|0|0|reason|-".
struct MessagingInspect {
    static constexpr double kSyncLagBinsMs[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    static void write(const MessagingEngine& engine, sim::StateWriter& out);
};

} // namespace livedeck::messaging
