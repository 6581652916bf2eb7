// The messaging engine's inspector state as the console views read it: the keys the
// `messaging` component writes (backend/messaging/messaging_inspect.h, the formats are
// documented there), parsed from one Snapshot.components entry. Nothing here is
// computed from a model: every figure is a key the engine wrote from its mechanisms;
// the views only difference cumulative counters over simulated time.
// GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QString>

#include <cstdint>
#include <vector>

namespace livedeck::ui::messaging {

struct TierCounts {
    double queries = 0, redisHits = 0, redisMisses = 0, taishanHits = 0, taishanMisses = 0;
    double mysqlReads = 0, mysqlPrimary = 0, hedges = 0, hedgesWon = 0, failed = 0, hotPrewarms = 0;
};

struct TierLatency {
    double p50 = 0, p99 = 0, count = 0;
};

struct HotRow {
    std::uint32_t user = 0;
    double queries = 0, redis = 0, taishan = 0, mysql = 0, failed = 0, maxMs = 0, meanMs = 0;
    std::int64_t conversations = 0;
    int shard = 0;
    QString region;
    bool prewarmed = false;
};

struct BulkChannel {
    QString topic;
    QString carries; // "campaign", "high", "campaign+high"
    int partitions = 0, consumers = 0, workers = 0;
    double lag = 0;  // real users in the MQ not yet consumed
    int inHand = 0;  // records at the in-process workers (queued + running)
    int busy = 0;
};

struct TimelineEntry {
    bool gap = false;
    std::int64_t atMs = 0;
    std::uint32_t peer = 0;
    bool outgoing = false;
    std::uint64_t seq = 0, peerSeq = 0, msgkey = 0;
    bool acked = false;
    QString failure;
    char pushed = '-'; // y in Redis, q stamped and queued, b waiting for the canal, - no sync
};

struct Inbox {
    std::uint32_t user = 0;
    std::uint64_t handed = 0, ceiling = 0, writtenBack = 0, skipped = 0, activity = 0;
    bool cached = false;
    std::vector<TimelineEntry> entries; // oldest first
};

struct MessagingState {
    bool present = false;
    std::int64_t simNs = 0;
    QString mode;
    TierCounts tier;
    bool taishanTier = false;
    TierLatency latency[3];
    std::int64_t hotSecond = -1;
    std::vector<HotRow> hot;
    bool syncEnabled = false;
    QString syncApply, syncVersion;
    double syncApplied = 0, refusedDuplicate = 0, refusedStale = 0, lowered = 0;
    double syncRecordsPerSec = 0, syncLagP99Ms = 0, replicaDelayP99Ms = 0;
    std::vector<double> lagHist; // real records per bin, bins of kLagBinEdgesMs
    std::vector<BulkChannel> channels;
    double campaignProduced = 0, campaignLeft = 0, campaignDelivered = 0, deadLettered = 0, redelivered = 0;
    double campaignRate = 0, highDelivered = 0, highRate = 0, highP99Ms = 0;
    bool campaignPaused = false;
    QString contentLayout;
    std::vector<std::pair<QString, double>> contentRows; // table → real rows
    std::vector<Inbox> inboxes;                          // in the engine's order
    QString pairs;
};

// Upper edges (ms) of the sync lag bins; the last bin is ≥ the last edge.
inline constexpr double kLagBinEdgesMs[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};

// Fills `out` from the snapshot's `messaging` component; false when there is none.
bool parseMessagingState(const v1::Snapshot& snapshot, MessagingState& out);

} // namespace livedeck::ui::messaging
