// Binlog sync (upgraded; docs/MESSAGING.md "Binlog sync"): a canal subscribes to every
// conversation shard's binlog, turns each entry into one record per user it changed —
// the user's list as of that entry (row images kept in a mirror), stamped with a total
// version `max(mtime_ms << 20, previous + 1)` — and produces it into the sync topic
// keyed by user, in per-partition batches gathered for 1 ms. Consumers apply each batch
// (users in parallel, one user's records in order) into Redis with set-if-newer and into
// Taishan with the Raft KV's set-if-newer, then commit. Duplicates, redeliveries and reordered records are refused by the
// version; the sabotage switches apply with a plain SET or stamp the plain mtime.
#include "backend/messaging/messaging_engine.h"
#include "backend/messaging/messaging_internal.h"
#include "backend/messaging/row_version.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cassert>
#include <charconv>

namespace livedeck::messaging {

namespace {

constexpr sim::Nanos kReplicaSample = 50 * sim::kMillisecond;
constexpr sim::Nanos kCanalLinger = 1 * sim::kMillisecond; // the canal's batch window (Kafka's linger.ms)

struct SyncRecord {
    std::uint32_t user = 0;
    std::uint64_t version = 0;
    sim::Nanos commitTime = 0;
    std::string_view image;
    double weight = 1.0;
};

bool parseNumber(std::string_view v, std::uint64_t& out)
{
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc() && end == v.data() + v.size();
}

bool parseSync(std::string_view v, SyncRecord& out)
{
    // "<user>|<version>|<commit ns>|<image>"
    const std::size_t a = v.find('|');
    const std::size_t b = a == std::string_view::npos ? a : v.find('|', a + 1);
    const std::size_t c = b == std::string_view::npos ? b : v.find('|', b + 1);
    if (c == std::string_view::npos)
        return false;
    std::uint64_t user = 0;
    std::uint64_t commit = 0;
    if (!parseNumber(v.substr(0, a), user) || !parseNumber(v.substr(a + 1, b - a - 1), out.version)
        || !parseNumber(v.substr(b + 1, c - b - 1), commit))
        return false;
    out.user = static_cast<std::uint32_t>(user);
    out.commitTime = static_cast<sim::Nanos>(commit);
    out.image = v.substr(c + 1);
    return true;
}

} // namespace

// A consumer's batch being applied: one chain per user, committed when all are done.
// The records' values sit one after another in `text` (the images point into it); chain
// i is records[begin[i], begin[i + 1]), in arrival order.
struct MessagingEngine::SyncBatch {
    std::string text;
    std::vector<SyncRecord> records;
    std::vector<std::uint32_t> begin;
    int pending = 0;
    infra::MqAck ack;
};

void MessagingEngine::buildSync()
{
    // The mirror starts from what the shards hold (the preloaded rows).
    m_mirror = std::make_unique<Mirror>(m_users);
    for (std::uint32_t s = 0; s < m_convDb->shardCount(); ++s) {
        infra::SqlConnection& db = m_convDb->shard(s).primary().connection();
        infra::SqlResult r;
        infra::SqlStats stats;
        if (!db.runQuery("SELECT owner_uid, peer_uid, last_msg_key, last_msg_time, unread FROM conversation "
                         "WHERE is_deleted = 0 ORDER BY owner_uid, peer_uid",
                         {}, true, r, stats)
                 .ok())
            continue;
        for (std::size_t i = 0; i < r.rowCount(); ++i)
            m_mirror->upsert(ConversationUpdate{infra::sqlInt(r.at(i, 0)), infra::sqlInt(r.at(i, 1)), MessageKind::OneToOne,
                                                infra::sqlInt(r.at(i, 2)), infra::sqlInt(r.at(i, 3)),
                                                infra::sqlInt(r.at(i, 4)), 0});
    }
    const std::string& dc = m_regions.front()->dataCentre;
    const std::string region = m_regions.front()->name;
    auto& metrics = m_telemetry.metrics();
    const BulkChannelConfig& c = m_config.syncChannel;
    (void)m_mq->createTopic(c.topic, c.partitions);
    infra::MqProducerConfig pc;
    // Several requests per partition in flight (Kafka's default of five): a retried record can
    // land after newer ones of its user, which the version guard refuses.
    m_canal = std::make_unique<infra::MqProducer>(m_world, *m_mq, sim::strCat(region, "/messaging/canal"), pc, &metrics, dc);
    infra::MqConsumerConfig cc;
    cc.maxPollRecords = std::max(1, 8 * c.workers);
    cc.pollInterval = 5 * sim::kMillisecond;
    for (int i = 0; i < c.consumers; ++i)
        m_syncConsumers.push_back(std::make_unique<infra::MqConsumer>(m_world, *m_mq,
                                                                      sim::strCat(region, "/messaging/sync/", i),
                                                                      "msg-sync", std::vector<std::string>{c.topic}, cc,
                                                                      &metrics, dc));
}

void MessagingEngine::startSync()
{
    if (!m_mirror)
        return;
    for (std::uint32_t s = 0; s < m_convDb->shardCount(); ++s)
        (void)m_convDb->subscribe(s, 0, m_canal->component(),
                                  [this, s](const infra::BinlogEntry& e) { onBinlog(s, e); });
    for (auto& c : m_syncConsumers) {
        c->start();
        c->runLoop([this](const infra::MqBatch& batch, infra::MqAck ack) { handleSyncBatch(batch, ack); });
    }
    sampleReplicas();
}

void MessagingEngine::sampleReplicas()
{
    // Replica apply delay of every conversation shard (what a replica read may lag).
    for (std::uint32_t s = 0; s < m_convDb->shardCount(); ++s) {
        infra::SqlShard& shard = m_convDb->shard(s);
        for (std::size_t i = 0; i < shard.instanceCount(); ++i) {
            const infra::SqlInstance& inst = shard.instance(i);
            if (!inst.isPrimary()) {
                m_replicaDelay.record(inst.applyLag(), 1.0);
                m_replicaSecond.record(inst.applyLag(), 1.0);
            }
        }
    }
    m_world.after(kReplicaSample, m_syncKind, m_component, [this] { sampleReplicas(); });
}

void MessagingEngine::onBinlog(std::uint32_t shard, const infra::BinlogEntry& entry)
{
    (void)shard;
    if (!entry.batch || !m_mirror)
        return;
    // The entry's row changes into the mirror; the users it touched, in order.
    std::vector<std::pair<std::int64_t, std::int64_t>> touched; // (user, mtime ms)
    double weight = 0.0;
    CanalWork& work = newCanalWork();
    for (const infra::SqlBatch::Step& step : entry.batch->steps()) {
        ConversationUpdate u;
        if (!ConversationSchema::parseSend(*entry.batch, step, u))
            continue;
        work.updates.push_back(u);
        m_trail.binlogRow(u.owner, u.msgKey, m_users);
        auto w = m_rowWeight.find(u.msgKey);
        weight = std::max(weight, w == m_rowWeight.end() ? 1.0 : w->second);
        if (std::find_if(touched.begin(), touched.end(), [&](const auto& t) { return t.first == u.owner; }) == touched.end())
            touched.emplace_back(u.owner, u.nowMs);
    }
    for (const auto& [owner, mtime] : touched) {
        if (owner < 0 || owner >= static_cast<std::int64_t>(m_users))
            continue;
        stampSync(work, static_cast<std::uint32_t>(owner), mtime, entry.commitTime, weight > 0.0 ? weight : 1.0);
    }
    postCanalWork(work);
}

MessagingEngine::CanalWork& MessagingEngine::newCanalWork()
{
    if (m_canalIdle.empty()) {
        m_canalIdle.push_back(std::make_unique<CanalWork>());
        m_canalIdle.back()->mirror = m_mirror.get();
        m_canalIdle.back()->pageSize = m_config.pageSize;
    }
    m_canalWork.push_back(std::move(m_canalIdle.back()));
    m_canalIdle.pop_back();
    return *m_canalWork.back();
}

void MessagingEngine::postCanalWork(CanalWork& work)
{
    assert(&work == m_canalWork.back().get());
    if (work.images.empty()) {
        // No record to build: its updates, if any, are of users the mirror does not hold
        // (every update of one it holds stamps that user), which upsert ignores. Back to
        // the idle works, so none waits for a flush that no record arms.
        work.clear();
        m_canalIdle.push_back(std::move(m_canalWork.back()));
        m_canalWork.pop_back();
        return;
    }
    m_world.offload().post(work, &m_canalStrand);
}

void MessagingEngine::stampSync(CanalWork& work, std::uint32_t user, std::int64_t mtimeMs, sim::Nanos commitTime,
                                double weight)
{
    std::uint64_t& prev = m_canalVersion[user];
    const std::uint64_t version =
        m_config.sabotage.mtimeVersion ? static_cast<std::uint64_t>(mtimeMs) << 20 : nextRowVersion(prev, mtimeMs);
    prev = version;
    m_trail.stamped(user, version);
    infra::MqMessage m;
    m.key = std::to_string(user);
    std::string value;
    value.reserve(64 + 48 * static_cast<std::size_t>(std::max<std::int64_t>(0, m_config.pageSize)));
    absl::StrAppend(&value, user, "|", version, "|", commitTime, "|");
    work.images.emplace_back(static_cast<std::int64_t>(user), std::move(value)); // the image follows
    m.weight = weight;
    m_totals.syncRecords += m.weight;
    // Batched as Canal's client batches: records gather per partition for the linger
    // time and go out as one produce request each.
    const int partition = m_canal->partitionFor(m_config.syncChannel.topic, m.key);
    m_canalBatch[partition].push_back(CanalRecord{std::move(m), &work, work.images.size() - 1});
    if (!m_canalFlushArmed) {
        m_canalFlushArmed = true;
        m_world.after(kCanalLinger, m_syncKind, m_component, [this] { flushCanal(); });
    }
}

void MessagingEngine::resyncMoved(const std::vector<const Region*>& servedBefore)
{
    // A drain or a restore moves users to another region, whose Redis holds their lists
    // as they were when it last served them (or the start's pre-warm): the sync kept
    // applying to the region serving each user, so a user written while drained would be
    // answered from its home region's stale entry after the restore for good
    // (docs/GALA.md). The canal sends each moved user's list as the mirror holds it now,
    // stamped above every earlier version; it goes through the sync like any record.
    if (!m_mirror)
        return;
    const std::int64_t nowMs = nowUnixMs();
    CanalWork& work = newCanalWork();
    for (std::uint32_t user = 0; user < m_users && user < servedBefore.size(); ++user) {
        if (&home(user) != servedBefore[user])
            stampSync(work, user, nowMs, m_world.now(), 1.0);
    }
    postCanalWork(work);
}

void MessagingEngine::flushCanal()
{
    m_canalFlushArmed = false;
    for (const auto& work : m_canalWork)
        m_world.offload().wait(*work);
    for (auto& [partition, records] : m_canalBatch) {
        std::vector<infra::MqMessage> messages;
        messages.reserve(records.size());
        for (CanalRecord& r : records) {
            r.message.value = std::move(r.work->images[r.image].second);
            messages.push_back(std::move(r.message));
        }
        if (!messages.empty())
            produceCanal(partition, std::move(messages));
    }
    m_canalBatch.clear();
    for (auto& work : m_canalWork) {
        work->clear();
        m_canalIdle.push_back(std::move(work));
    }
    m_canalWork.clear();
}

void MessagingEngine::produceCanal(int partition, std::vector<infra::MqMessage> messages)
{
    // The canal holds its binlog position until the broker has the batch: a produce that
    // failed (broker down, retries used up) is sent again after 100 ms — dropped, its
    // users' caches would stay behind the database for good (docs/GALA.md). A batch sent
    // again may land after later ones; the version guard refuses what is older. The
    // producer hands the request's messages back with a failure: the canal copies them
    // only then.
    m_canal->sendBatch(m_config.syncChannel.topic, partition, std::move(messages),
                       [this, partition](const infra::MqProduceResult& r) {
                           if (r.error == infra::MqError::Ok)
                               return;
                           auto keep = std::make_shared<const std::vector<infra::MqMessage>>(r.messages.begin(),
                                                                                            r.messages.end());
                           m_world.after(100 * sim::kMillisecond, m_syncKind, m_component,
                                         [this, partition, keep] { produceCanal(partition, *keep); });
                       });
}

void MessagingEngine::handleSyncBatch(const infra::MqBatch& batch, infra::MqAck ack)
{
    auto state = std::make_shared<SyncBatch>(SyncBatch{{}, {}, {}, 0, ack});
    std::size_t bytes = 0;
    for (const infra::MqConsumerRecord& r : batch.records)
        bytes += r.record.value.size();
    state->text.reserve(bytes); // no reallocation below: the views stay valid
    absl::flat_hash_map<std::uint32_t, std::uint32_t> chainOf; // looked up only; chains keep arrival order
    chainOf.reserve(batch.records.size());
    std::vector<std::pair<std::uint32_t, SyncRecord>> parsed; // (chain, record) in arrival order
    parsed.reserve(batch.records.size());
    std::vector<std::uint32_t> counts;
    for (const infra::MqConsumerRecord& r : batch.records) {
        const std::size_t at = state->text.size();
        state->text += r.record.value;
        SyncRecord rec;
        if (!parseSync(std::string_view(state->text).substr(at), rec))
            continue;
        rec.weight = r.record.weight;
        auto [it, inserted] = chainOf.try_emplace(rec.user, static_cast<std::uint32_t>(counts.size()));
        if (inserted)
            counts.push_back(0);
        ++counts[it->second];
        parsed.emplace_back(it->second, rec);
    }
    if (counts.empty()) {
        ack.commit();
        return;
    }
    state->begin.resize(counts.size() + 1, 0);
    for (std::size_t i = 0; i < counts.size(); ++i)
        state->begin[i + 1] = state->begin[i] + counts[i];
    state->records.resize(parsed.size());
    std::vector<std::uint32_t> next(state->begin.begin(), state->begin.end() - 1);
    for (const auto& [chain, rec] : parsed)
        state->records[next[chain]++] = rec;
    state->pending = static_cast<int>(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i)
        applySync(state, i, 0);
}

void MessagingEngine::applySync(std::shared_ptr<SyncBatch> state, std::size_t chain, std::size_t at)
{
    const std::size_t index = state->begin[chain] + at;
    if (index >= state->begin[chain + 1]) {
        if (--state->pending == 0)
            state->ack.commit();
        return;
    }
    const SyncRecord& rec = state->records[index];
    Region& h = home(rec.user);
    auto applied = [this, state, chain, at](const infra::KvReply& reply) {
        const SyncRecord& rec = state->records[state->begin[chain] + at];
        m_syncLag.record(m_world.now() - rec.commitTime, rec.weight);
        m_syncLagSecond.record(m_world.now() - rec.commitTime, rec.weight);
        if (reply.status == infra::KvStatus::Ok) {
            m_totals.syncApplied += rec.weight;
            m_synced[rec.user] = 1;
            std::uint64_t& last = m_appliedVersion[rec.user];
            ++m_invariants[kSyncVersion].checked;
            if (rec.version < last)
                m_trail.syncLowered(rec.weight);
            if (rec.version < last)
                violation(kSyncVersion, sim::strCat("user ", rec.user, ": Redis took version ", rec.version, " after ",
                                                    last, " (record committed at ", sim::toMillis(rec.commitTime), " ms)"));
            last = std::max(last, rec.version);
        } else if (reply.status == infra::KvStatus::VersionConflict) {
            m_totals.syncRefused += rec.weight;
            m_trail.syncRefused(rec.version, reply.version, rec.weight);
        } else if (infra::isTransportError(reply.status)) {
            // The node refused or did not answer (overload, failover, a partition): the
            // record is applied again after a pause; dropped, it would leave the cache
            // behind the database for good (docs/GALA.md: a Redis pair shared with the
            // gift catalogue refuses more under the countdown's load).
            m_world.after(50 * sim::kMillisecond, m_syncKind, m_component,
                          [this, state, chain, at] { applySync(state, chain, at); });
            return;
        }
        applySync(state, chain, at + 1);
    };
    const std::string key = cacheKey(rec.user);
    if (m_config.sabotage.plainSetSync)
        h.redis->set(h.bff, key, rec.image, m_config.redisTtl, rec.weight, std::move(applied));
    else
        h.redis->setIfNewer(h.bff, key, rec.image, rec.version, m_config.redisTtl, rec.weight, std::move(applied));
    if (h.taishanClient && !m_config.sabotage.noTaishanTier) {
        if (m_config.sabotage.plainSetSync)
            h.taishanClient->put(key, rec.image, [](const infra::RaftResult&) {});
        else
            h.taishanClient->setIfNewer(key, rec.image, rec.version, [](const infra::RaftResult&) {});
    }
}

void MessagingEngine::checkConvergence()
{
    // Every user the sync wrote: the Redis entry (when there is one) equals the list
    // the primary answers now — once the user's rows have been quiet for the quiet
    // period the invariant grants after the load stops (2 s, finalInvariants). Writes
    // do not all end with the load: a campaign's records already in its channel are
    // still delivered (stopLoad) and gift notifications still arrive, so a row the
    // database changed within the last 2 s (its shard's binlog says when) may still be
    // on its way through the canal and the sync; that user is not judged yet. Nothing
    // older hides behind it: every record carries the user's whole list, so the last
    // write's record alone decides whether the entry converges.
    InvariantState& inv = m_invariants[kCacheConverges];
    constexpr sim::Nanos kQuiet = 2 * sim::kSecond;
    std::vector<char> recent(m_users, 0);
    for (std::uint32_t s = 0; s < m_convDb->shardCount(); ++s) {
        const auto& entries = m_convDb->shard(s).binlog().entries();
        for (auto it = entries.rbegin(); it != entries.rend() && m_world.now() - it->commitTime < kQuiet; ++it) {
            if (!it->batch)
                continue;
            for (const infra::SqlBatch::Step& step : it->batch->steps()) {
                ConversationUpdate u;
                if (ConversationSchema::parseSend(*it->batch, step, u) && u.owner >= 0
                    && u.owner < static_cast<std::int64_t>(m_users))
                    recent[static_cast<std::size_t>(u.owner)] = 1;
            }
        }
    }
    std::uint64_t notJudged = 0;
    for (std::uint32_t user = 0; user < m_synced.size(); ++user) {
        if (!m_synced[user])
            continue;
        if (recent[user]) {
            ++notJudged;
            continue;
        }
        Region& h = home(user);
        infra::KvReply reply;
        if (h.redis->node(0).store().get(cacheKey(user), reply) != infra::KvStatus::Ok)
            continue;
        infra::SqlConnection& db = m_convDb->shard(m_convDb->shardOf(user)).primary().connection();
        const infra::SqlQuery list = m_schema.listPage(user, ListCursor{}, m_config.pageSize);
        const infra::SqlQuery total = m_schema.totalUnread(user);
        infra::SqlResult lr;
        infra::SqlResult tr;
        infra::SqlStats stats;
        if (!db.runQuery(list.sql, list.params, true, lr, stats).ok()
            || !db.runQuery(total.sql, total.params, true, tr, stats).ok())
            continue;
        const std::string want = encodeConversationList(ConversationSchema::rows(lr), ConversationSchema::total(tr));
        ++inv.checked;
        if (reply.value != want) {
            violation(kCacheConverges, sim::strCat("user ", user, ": Redis holds '", reply.value.substr(0, 80),
                                                   "', the database '", want.substr(0, 80), "'"));
            return;
        }
    }
    if (notJudged > 0)
        inv.detail = sim::strCat(inv.detail, "; ", notJudged, " written in the last 2 s not judged yet");
}

double MessagingEngine::replicaDelayMs() const { return m_replicaDelay.quantile(0.99) / 1e6; }

} // namespace livedeck::messaging
