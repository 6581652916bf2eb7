#include "backend/messaging/messaging_inspect.h"

#include "backend/messaging/messaging_engine.h"
#include "backend/messaging/messaging_internal.h"
#include "backend/sim/components.h"
#include "backend/sim/strings.h"

#include <absl/strings/str_cat.h>

#include <algorithm>
#include <cmath>

namespace livedeck::messaging {

// ------------------------------------------------------------------ the trail

MessagingTrail::Inbox* MessagingTrail::inbox(std::uint32_t user)
{
    if (auto it = m_inboxIndex.find(user); it != m_inboxIndex.end())
        return &m_inboxes[it->second];
    if (m_inboxes.size() >= kMaxInboxes)
        return nullptr;
    m_inboxIndex.emplace(user, static_cast<std::uint32_t>(m_inboxes.size()));
    Inbox& box = m_inboxes.emplace_back();
    box.user = user;
    return &box;
}

void MessagingTrail::record(Inbox& box, std::uint32_t owner, Entry e)
{
    // An entry waits for the canal's stamp while it is in the ring, acknowledged and
    // unstamped: dropping the oldest drops its wait with it.
    std::uint32_t at;
    if (box.count == kEntriesPerInbox) {
        at = box.head;
        box.head = (box.head + 1) % kEntriesPerInbox;
    } else {
        at = (box.head + box.count) % kEntriesPerInbox;
        ++box.count;
    }
    Entry& slot = box.ring[at];
    slot = std::move(e);
    box.waiting[at] = 0;
    if (slot.gap || slot.msgkey == 0)
        return;
    if (auto early = m_early.find(std::pair{owner, slot.msgkey}); early != m_early.end()) {
        slot.version = early->second;
        m_early.erase(early);
    } else if (slot.acked && slot.version == 0) {
        box.waiting[at] = slot.msgkey;
    }
}

void MessagingTrail::send(sim::Nanos now, std::uint32_t sender, std::uint32_t receiver, std::uint64_t msgkey,
                          const std::uint64_t seq[2], const std::string& failure)
{
    const std::uint32_t users[2] = {sender, receiver};
    for (int side = 0; side < 2; ++side) {
        Inbox* box = inbox(users[side]);
        if (!box)
            continue;
        ++box->activity;
        box->cacheEpoch = m_cacheEpoch;
        Entry e;
        e.at = now;
        e.peer = users[1 - side];
        e.outgoing = side == 0;
        e.seq = seq[side];
        e.peerSeq = seq[1 - side];
        e.msgkey = msgkey;
        e.acked = failure.empty();
        e.failure = failure;
        record(*box, users[side], std::move(e));
    }
    const std::pair pair{std::min(sender, receiver), std::max(sender, receiver)};
    auto it = std::find(m_recentPairs.begin(), m_recentPairs.end(), pair);
    if (it != m_recentPairs.end())
        m_recentPairs.erase(it);
    m_recentPairs.push_front(pair);
    if (m_recentPairs.size() > kRecentPairs)
        m_recentPairs.pop_back();
}

void MessagingTrail::skipped(sim::Nanos now, std::uint64_t inboxKey, std::uint64_t last, std::uint64_t next)
{
    if (inboxKey > 0xffffffffULL)
        return; // group inboxes are not shown
    Inbox* box = inbox(static_cast<std::uint32_t>(inboxKey));
    if (!box)
        return;
    box->skipped += next - last - 1;
    Entry e;
    e.gap = true;
    e.at = now;
    e.seq = last + 1;
    e.peerSeq = next - 1;
    e.failure = "sequence cache lost: restarted at the durable ceiling";
    record(*box, static_cast<std::uint32_t>(inboxKey), std::move(e));
}

void MessagingTrail::ceiling(std::uint64_t inboxKey, std::uint64_t value)
{
    if (inboxKey > 0xffffffffULL)
        return;
    if (Inbox* box = inbox(static_cast<std::uint32_t>(inboxKey))) {
        box->ceiling = std::max(box->ceiling, value);
        box->cacheEpoch = m_cacheEpoch;
    }
}

void MessagingTrail::binlogRow(std::int64_t owner, std::int64_t msgkey, std::uint32_t users)
{
    if (owner < 0 || owner >= static_cast<std::int64_t>(users) || msgkey <= 0)
        return;
    m_entryRows.emplace_back(static_cast<std::uint32_t>(owner), static_cast<std::uint64_t>(msgkey));
}

void MessagingTrail::stamped(std::uint32_t owner, std::uint64_t version)
{
    if (m_entryRows.empty())
        return;
    Inbox* box = nullptr;
    if (auto it = m_inboxIndex.find(owner); it != m_inboxIndex.end())
        box = &m_inboxes[it->second];
    // Whether an early stamp of this owner could ever meet its entry.
    const bool recordable = box != nullptr || m_inboxes.size() < kMaxInboxes;
    for (std::size_t i = 0; i < m_entryRows.size();) {
        if (m_entryRows[i].first != owner) {
            ++i;
            continue;
        }
        const auto key = m_entryRows[i];
        // The entry waiting for this stamp: acknowledged, unstamped, in the ring (a msgkey
        // is in an inbox at most once: sender and receiver differ).
        std::size_t at = kEntriesPerInbox;
        if (box) {
            for (std::size_t k = 0; k < kEntriesPerInbox; ++k) {
                if (box->waiting[k] == key.second) {
                    at = k;
                    break;
                }
            }
        }
        if (at < kEntriesPerInbox) {
            box->ring[at].version = version;
            box->waiting[at] = 0;
        } else if (recordable) {
            // The row committed before the send was acknowledged: kept until it is.
            if (m_early.insert_or_assign(key, version).second) {
                if (m_earlyOrder.size() < kEarlyStamps) {
                    m_earlyOrder.push_back(key);
                } else {
                    m_early.erase(m_earlyOrder[m_earlyNext]);
                    m_earlyOrder[m_earlyNext] = key;
                    m_earlyNext = (m_earlyNext + 1) % kEarlyStamps;
                }
            }
        }
        m_entryRows[i] = m_entryRows.back();
        m_entryRows.pop_back();
    }
}

void MessagingTrail::rollSecond(std::int64_t second)
{
    if (!m_queried.empty()) {
        std::vector<BoardRow> rows;
        rows.reserve(m_queried.size());
        for (std::uint32_t u : m_queried)
            rows.push_back(m_current[u]);
        const std::size_t n = std::min(kBoardSize, rows.size());
        std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(),
                          [](const BoardRow& a, const BoardRow& b) {
                              return a.queries != b.queries ? a.queries > b.queries : a.user < b.user;
                          });
        rows.resize(n);
        m_board = std::move(rows);
        m_boardSecond = m_second;
    }
    m_queried.clear();
    m_current.clear();
    m_second = second;
}

void MessagingTrail::query(sim::Nanos now, std::uint32_t user, double weight, int tier, sim::Nanos latency, bool ok)
{
    const std::int64_t second = now / sim::kSecond;
    if (second != m_second)
        rollSecond(second);
    auto [it, inserted] = m_current.try_emplace(user);
    BoardRow& row = it->second;
    if (inserted) {
        row.user = user;
        m_queried.push_back(user);
    }
    row.queries += weight;
    if (!ok) {
        row.failed += weight;
        return;
    }
    row.tier[std::clamp(tier, 0, 2)] += weight;
    row.maxLatency = std::max(row.maxLatency, latency);
    row.latencySum += static_cast<double>(latency) * weight;
}

void MessagingTrail::syncRefused(std::uint64_t version, std::uint64_t stored, double weight)
{
    if (version == stored)
        m_refusedDuplicate += weight;
    else
        m_refusedStale += weight;
}

// ------------------------------------------------------------------ the inspector keys

namespace {

std::string num(double v)
{
    if (std::abs(v - std::round(v)) < 1e-9 && std::abs(v) < 1e15)
        return std::to_string(static_cast<std::int64_t>(std::llround(v)));
    return absl::StrCat(v);
}

std::string latency(const telemetry::Histogram& h)
{
    return absl::StrCat(h.quantile(0.5) / 1e6, ",", h.quantile(0.99) / 1e6, ",", num(h.count()));
}

} // namespace

void MessagingInspect::write(const MessagingEngine& e, sim::StateWriter& out)
{
    const MessagingEngine::Totals& t = e.m_totals;
    const bool upgraded = e.m_config.mode == MessagingMode::Upgraded;
    const MessagingTrail& trail = e.m_trail;

    // Tiers.
    out.add("tier.queries", num(t.queries + t.queryFailures));
    out.add("tier.redis_hits", num(t.redisHits));
    out.add("tier.redis_misses", num(t.redisMisses));
    out.add("tier.taishan_hits", num(t.taishanHits));
    out.add("tier.taishan_misses", num(t.taishanMisses));
    out.add("tier.mysql_reads", num(t.mysqlReads));
    out.add("tier.mysql_primary_reads", num(t.mysqlPrimaryReads));
    out.add("tier.hedges", num(t.hedges));
    out.add("tier.hedges_won", num(t.hedgesWon));
    out.add("tier.failed", num(t.queryFailures));
    out.add("tier.hot_prewarms", num(t.hotPrewarms));
    out.add("tier.taishan", upgraded && !e.m_config.sabotage.noTaishanTier);
    out.add("tier.latency.redis", latency(e.m_tierLatency[0]));
    out.add("tier.latency.taishan", latency(e.m_tierLatency[1]));
    out.add("tier.latency.mysql", latency(e.m_tierLatency[2]));

    // Hot users: the last completed second with queries.
    out.add("hot.second", trail.boardSecond());
    for (std::size_t i = 0; i < trail.board().size(); ++i) {
        const MessagingTrail::BoardRow& r = trail.board()[i];
        const double answered = r.tier[0] + r.tier[1] + r.tier[2];
        const std::string& region = e.m_regions[r.user % e.m_regions.size()]->name;
        out.add(absl::StrCat("hot.", i),
                absl::StrCat(r.user, ",", num(r.queries), ",", num(r.tier[0]), ",", num(r.tier[1]), ",", num(r.tier[2]),
                             ",", num(r.failed), ",", static_cast<double>(r.maxLatency) / 1e6, ",",
                             answered > 0.0 ? r.latencySum / answered / 1e6 : 0.0, ",",
                             r.user < e.m_convCount.size() ? e.m_convCount[r.user] : 0, ",", e.m_convDb->shardOf(r.user),
                             ",", region, ",", e.m_hotUsers.contains(r.user) ? 1 : 0));
    }

    // Binlog sync.
    out.add("sync.enabled", e.m_mirror != nullptr);
    out.add("sync.apply", e.m_config.sabotage.plainSetSync ? "plain SET" : "set-if-newer");
    out.add("sync.version", e.m_config.sabotage.mtimeVersion ? "mtime" : "total");
    out.add("sync.applied", num(t.syncApplied));
    out.add("sync.refused_duplicate", num(trail.refusedDuplicate()));
    out.add("sync.refused_stale", num(trail.refusedStale()));
    out.add("sync.lowered", num(trail.syncLowered()));
    out.add("sync.records_per_sec", num(e.m_lastSecondStats.syncRecordsPerSec));
    out.add("sync.lag_p99_ms", e.m_lastSecondStats.syncLagP99Ms);
    out.add("sync.replica_delay_p99_ms", e.m_lastSecondStats.replicaDelayP99Ms);
    {
        constexpr std::size_t kBins = std::size(kSyncLagBinsMs) + 1;
        double bins[kBins] = {};
        const telemetry::Histogram& h = e.m_syncLag;
        for (std::size_t i = 0; i < h.bucketCount(); ++i) {
            const double w = h.bucketWeight(i);
            if (w <= 0.0)
                continue;
            const double lowMs = static_cast<double>(telemetry::Histogram::bucketLow(i)) / 1e6;
            std::size_t b = 0;
            while (b < std::size(kSyncLagBinsMs) && lowMs >= kSyncLagBinsMs[b])
                ++b;
            bins[b] += w;
        }
        std::string s;
        for (std::size_t b = 0; b < kBins; ++b)
            absl::StrAppend(&s, b ? "," : "", num(std::round(bins[b])));
        out.add("sync.lag_hist", s);
    }

    // Bulk channels.
    out.add("bulk.channels", static_cast<std::uint64_t>(e.m_channels.size()));
    for (std::size_t i = 0; i < e.m_channels.size(); ++i) {
        const MessagingEngine::Channel& ch = *e.m_channels[i];
        const char* carries = e.m_channels.size() == 1 ? "campaign+high" : (i == 0 ? "campaign" : "high");
        double lag = 0.0;
        for (const auto& g : e.m_mq->groups()) {
            if (g->name() == ch.group)
                lag = g->totalLag();
        }
        std::size_t inHand = 0;
        int busy = 0;
        for (const MessagingEngine::Channel::Local& l : ch.locals) {
            inHand += l.queue.size();
            busy += l.busy;
        }
        out.add(absl::StrCat("bulk.channel.", i),
                absl::StrCat(ch.config.topic, ",", carries, ",", ch.config.partitions, ",", ch.config.consumers, ",",
                             ch.config.workers, ",", num(std::round(lag)), ",", inHand + static_cast<std::size_t>(busy),
                             ",", busy));
    }
    out.add("bulk.campaign.produced", num(t.bulkProduced));
    out.add("bulk.campaign.left", num(std::max(0.0, e.m_campaignLeft)));
    out.add("bulk.campaign.delivered", num(t.bulkDelivered));
    out.add("bulk.campaign.dead_lettered", num(t.deadLettered));
    out.add("bulk.campaign.redelivered", num(t.bulkRedelivered));
    out.add("bulk.campaign.paused", e.m_campaignPaused);
    out.add("bulk.campaign.rate", num(e.m_lastSecondStats.bulkUsersPerSec));
    out.add("bulk.high.delivered", num(t.highDelivered));
    out.add("bulk.high.rate", num(e.m_lastSecondStats.highUsersPerSec));
    out.add("bulk.high.p99_ms", e.m_lastSecondStats.highP99Ms);

    // Content tables of the current month: routed rows plus the run's acknowledged ones.
    out.add("content.layout", upgraded ? "monthly databases, 100 tables each, snowflake routed"
                                       : "quarter databases, one table a month");
    out.add("content.tables", static_cast<std::uint64_t>(e.m_placed.size()));
    {
        std::string s;
        for (const auto& [table, rows] : e.m_placed) {
            auto it = e.m_contentReal.find(table);
            absl::StrAppend(&s, s.empty() ? "" : ";", table, "=",
                            num(std::round(rows + (it == e.m_contentReal.end() ? 0.0 : it->second))));
        }
        out.add("content.rows", s);
    }

    // Conversation timelines: the most active inboxes, then the recent pairs' users.
    std::vector<std::uint32_t> users;
    {
        std::vector<std::pair<std::uint64_t, std::uint32_t>> active;
        active.reserve(trail.inboxes().size());
        for (const MessagingTrail::Inbox& box : trail.inboxes())
            active.emplace_back(box.activity, box.user);
        const std::size_t n = std::min<std::size_t>(5, active.size());
        std::partial_sort(active.begin(), active.begin() + static_cast<std::ptrdiff_t>(n), active.end(),
                          [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
        for (std::size_t i = 0; i < n; ++i)
            users.push_back(active[i].second);
        for (const auto& [a, b] : trail.recentPairs()) {
            for (std::uint32_t u : {a, b}) {
                if (users.size() < 12 && std::find(users.begin(), users.end(), u) == users.end()
                    && trail.findInbox(u) != nullptr)
                    users.push_back(u);
            }
        }
    }
    {
        std::string s;
        for (std::uint32_t u : users)
            absl::StrAppend(&s, s.empty() ? "" : ",", u);
        out.add("timeline.users", s);
        s.clear();
        for (const auto& [a, b] : trail.recentPairs())
            absl::StrAppend(&s, s.empty() ? "" : ",", a, "-", b);
        out.add("timeline.pairs", s);
        out.add("timeline.epoch", trail.cacheEpoch());
    }
    for (std::uint32_t u : users) {
        const MessagingTrail::Inbox& box = *trail.findInbox(u);
        auto last = e.m_lastSeq.find(u);
        auto persisted = e.m_persistedSeq.find(u);
        out.add(absl::StrCat("timeline.inbox.", u),
                absl::StrCat(last == e.m_lastSeq.end() ? 0 : last->second, ",", box.ceiling, ",",
                             persisted == e.m_persistedSeq.end() ? 0 : persisted->second, ",",
                             box.cacheEpoch == trail.cacheEpoch() ? 1 : 0, ",", box.skipped, ",", box.activity));
        const std::uint64_t applied = u < e.m_appliedVersion.size() ? e.m_appliedVersion[u] : 0;
        std::string s;
        for (std::size_t k = 0; k < box.size(); ++k) {
            const MessagingTrail::Entry& en = box.entry(k);
            char pushed = '-';
            if (!en.gap && e.m_mirror && en.acked)
                pushed = en.version == 0 ? 'b' : (applied >= en.version ? 'y' : 'q');
            absl::StrAppend(&s, s.empty() ? "" : ";", en.gap ? "g" : "s", "|", en.at / sim::kMillisecond, "|", en.peer,
                            "|", en.outgoing ? 1 : 0, "|", en.seq, "|", en.peerSeq, "|", en.msgkey, "|", en.acked ? 1 : 0,
                            "|", en.failure, "|", std::string(1, pushed));
        }
        out.add(absl::StrCat("timeline.", u), s);
    }
}

} // namespace livedeck::messaging
