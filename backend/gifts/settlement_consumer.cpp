#include "backend/gifts/settlement_consumer.h"

#include <algorithm>
#include <cassert>
#include <charconv>

namespace livedeck::gifts {
namespace {

std::int64_t headerInt(const infra::MqRecord& r, std::string_view name)
{
    const std::string* v = r.header(name);
    if (!v)
        return -1;
    std::int64_t out = -1;
    const auto res = std::from_chars(v->data(), v->data() + v->size(), out);
    return res.ec == std::errc() ? out : -1;
}

infra::MqConsumerConfig consumerConfig(const SettlementConfig& c)
{
    infra::MqConsumerConfig m;
    m.maxPollRecords = c.maxPollRecords;
    m.reset = infra::MqOffsetReset::Earliest; // settlement must not skip records
    return m;
}

} // namespace

SettlementConsumer::SettlementConsumer(sim::World& world, std::string path, infra::MqBroker& broker, std::string topic,
                                       Role role, const SettlementConfig& config, bool deadLetter, SettlementDb& db,
                                       telemetry::Telemetry& telemetry, StandbySource standby)
    : m_world(world),
      m_path(std::move(path)),
      m_component(world.components().mustAdd(m_path, "settlement-consumer", {}, this)),
      m_broker(broker),
      m_topic(std::move(topic)),
      m_role(role),
      m_config(config),
      m_deadLetter(deadLetter),
      m_db(db),
      m_standby(std::move(standby)),
      m_consumer(world, broker, sim::strCat(m_path, "/consumer"),
                 role == Role::Primary ? config.group : sim::strCat(config.group, "-standby"),
                 std::vector<std::string>{m_topic}, consumerConfig(config), &telemetry.metrics()),
      m_dlq(world, broker, sim::strCat(m_path, "/dlq"), infra::MqProducerConfig{}, &telemetry.metrics()),
      m_tickKind(world.kind("gifts.settlement.tick")),
      m_retryKind(world.kind("gifts.settlement.retry"))
{
    assert(role == Role::Primary || m_standby.homeBroker);
    auto& m = telemetry.metrics();
    m_settledCounter = &m.counter("gifts.settlement.settled", m_path);
    m_dlqCounter = &m.counter("gifts.settlement.dead_lettered", m_path);
    m_duplicateCounter = &m.counter("gifts.settlement.duplicates", m_path);
    m_poisonCounter = &m.counter("gifts.settlement.poison_retries", m_path);
    m_valid.reserve(static_cast<std::size_t>(config.maxPollRecords));
    m_records.reserve(static_cast<std::size_t>(config.maxPollRecords));
}

SettlementConsumer::~SettlementConsumer() = default;

void SettlementConsumer::start()
{
    if (m_running)
        return;
    m_running = true;
    if (m_role == Role::Primary) {
        m_consumer.runLoop([this](const infra::MqBatch& batch, infra::MqAck ack) { onPrimaryBatch(batch, ack); },
                           m_config.maxPollRecords);
    } else {
        m_consumer.start();
        scheduleTick(m_config.standbyInterval);
    }
}

void SettlementConsumer::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_world.scheduler().cancel(m_tick);
    m_consumer.close();
}

void SettlementConsumer::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    m_world.events().raise("settlement.standby", m_component, v1::SEVERITY_WARNING,
                           active ? sim::strCat("standby settlement takes over ", m_standby.homeRegion,
                                                "'s mirrored order events")
                                  : sim::strCat("standby settlement hands ", m_standby.homeRegion, " back"),
                           {{"home", m_standby.homeRegion}, {"active", active ? "true" : "false"}});
    if (m_running && m_role == Role::Standby && !m_busy)
        scheduleTick(0);
}

// ---------------------------------------------------------------- processing

void SettlementConsumer::process(const std::vector<const infra::MqConsumerRecord*>& records, Then then)
{
    ++m_stats.batches;
    m_valid.clear();
    bool blocked = false;
    std::vector<const infra::MqConsumerRecord*> toDlq;
    const sim::Nanos now = m_world.now();
    for (const infra::MqConsumerRecord* r : records) {
        if (m_tracker.observe(*r, now) == infra::MqSequenceTracker::Verdict::Duplicate) {
            ++m_stats.duplicatesSeen;
            m_duplicateCounter->add(r->record.weight);
        }
        PaidOrder o;
        if (parseOrderEvent(r->record.value, o)) {
            o.weight = r->record.weight;
            m_valid.push_back(o);
            continue;
        }
        AttemptKey key{std::string(r->topic), r->partition, r->record.offset};
        int& attempts = m_attempts[key];
        ++attempts;
        if (m_deadLetter && attempts >= m_config.poisonAttempts) {
            toDlq.push_back(r);
            m_attempts.erase(key);
        } else {
            blocked = true;
        }
    }
    if (blocked) {
        // A poison record that has not used up its attempts: the batch comes again.
        ++m_stats.poisonRetries;
        m_poisonCounter->add(1.0);
        then(false);
        return;
    }
    m_outstanding = static_cast<int>(toDlq.size()) + (m_valid.empty() ? 0 : 1);
    if (m_outstanding == 0) {
        then(true);
        return;
    }
    m_then = std::move(then);
    m_stepFailed = false;
    const std::uint64_t seq = ++m_batchSeq;
    for (const infra::MqConsumerRecord* r : toDlq) {
        const double weight = r->record.weight;
        infra::MqDeadLetter::send(m_dlq, *r, "unparseable order event",
                                  [this, seq, weight](const infra::MqProduceResult& res) {
                                      if (seq != m_batchSeq)
                                          return;
                                      if (res.error == infra::MqError::Ok) {
                                          ++m_stats.deadLettered;
                                          m_dlqCounter->add(weight);
                                      } else {
                                          m_stepFailed = true;
                                      }
                                      stepDone(true);
                                  });
        m_world.events().raise("settlement.dead_letter", m_component, v1::SEVERITY_WARNING,
                               sim::strCat("order event at ", r->topic, "/", r->partition, "@", r->record.offset,
                                           " cannot be parsed after ", m_config.poisonAttempts,
                                           " attempts: sent to the DLQ"),
                               {{"topic", std::string(r->topic)},
                                {"partition", std::to_string(r->partition)},
                                {"offset", std::to_string(r->record.offset)},
                                {"key", r->record.key},
                                {"value", r->record.value.substr(0, 80)}});
    }
    if (!m_valid.empty()) {
        m_db.settle(m_valid, m_component, [this, seq](infra::SqlResult& res) {
            if (seq != m_batchSeq)
                return;
            if (res.ok()) {
                double weight = 0.0;
                for (const PaidOrder& o : m_valid) {
                    weight += o.weight;
                    for (SettlementSink* s : m_sinks)
                        s->onSettled(o);
                }
                m_stats.settled += m_valid.size();
                if (m_role == Role::Standby)
                    m_stats.takenOver += m_valid.size();
                m_settledCounter->add(weight);
            } else {
                ++m_stats.dbRetries;
                m_stepFailed = true;
            }
            stepDone(true);
        });
    }
}

void SettlementConsumer::stepDone(bool)
{
    if (--m_outstanding > 0)
        return;
    Then t = std::move(m_then);
    t(!m_stepFailed);
}

// ---------------------------------------------------------------- primary

void SettlementConsumer::onPrimaryBatch(const infra::MqBatch& batch, infra::MqAck ack)
{
    if (m_busy) {
        // An earlier batch (from before a crash and restart) is still being written.
        m_world.after(m_config.retryBackoff, m_retryKind, m_component, [ack] { ack.retry(); });
        return;
    }
    m_busy = true;
    m_records.clear();
    for (const infra::MqConsumerRecord& r : batch.records)
        m_records.push_back(&r);
    process(m_records, [this, ack](bool ok) {
        m_busy = false;
        if (ok) {
            ack.commit(); // manual commit, only after the DB acknowledged the batch
            return;
        }
        m_world.after(m_config.retryBackoff, m_retryKind, m_component, [ack] { ack.retry(); });
    });
}

// ---------------------------------------------------------------- standby

void SettlementConsumer::scheduleTick(sim::Nanos delay)
{
    m_world.scheduler().cancel(m_tick);
    m_tick = m_world.after(delay, m_tickKind, m_component, [this] { standbyTick(); });
}

void SettlementConsumer::refreshCheckpoint()
{
    infra::MqBroker* home = m_standby.homeBroker;
    if (!m_world.network().reachable(m_component, home->component()))
        return; // keep the last checkpoint we saw
    infra::MqConsumerGroup* group = home->findGroup(m_standby.homeGroup);
    const infra::MqTopic* topic = home->findTopic(m_standby.homeTopic);
    if (!group || !topic)
        return;
    m_checkpoint.resize(static_cast<std::size_t>(topic->partitionCount()), -1);
    for (int p = 0; p < topic->partitionCount(); ++p)
        m_checkpoint[static_cast<std::size_t>(p)] =
            std::max(m_checkpoint[static_cast<std::size_t>(p)], group->committed(m_standby.homeTopic, p));
}

void SettlementConsumer::standbyTick()
{
    if (!m_running)
        return;
    refreshCheckpoint();
    if (m_busy || !m_consumer.isMember()) {
        scheduleTick(m_config.standbyInterval);
        return;
    }
    m_busy = true;
    m_consumer.poll(m_config.maxPollRecords,
                    [this](infra::MqError error, const infra::MqBatch& batch) { onStandbyBatch(error, batch); });
}

void SettlementConsumer::onStandbyBatch(infra::MqError error, const infra::MqBatch& batch)
{
    if (error != infra::MqError::Ok || batch.empty()) {
        m_busy = false;
        m_consumer.seekToCommitted();
        scheduleTick(m_config.standbyInterval);
        return;
    }
    struct PartState {
        int partition;
        std::int64_t next;
        bool blocked;
    };
    std::vector<PartState> parts;
    m_records.clear();
    for (const infra::MqConsumerRecord& rec : batch.records) {
        auto it = std::find_if(parts.begin(), parts.end(), [&](const PartState& s) { return s.partition == rec.partition; });
        if (it == parts.end()) {
            parts.push_back(PartState{rec.partition, -1, false});
            it = parts.end() - 1;
        }
        if (it->blocked)
            continue;
        const std::string* region = rec.record.header(infra::kRegionHeader);
        if (!region || *region != m_standby.homeRegion) {
            ++m_stats.skippedRegion;
            it->next = rec.record.offset + 1;
            continue;
        }
        const std::int64_t source = headerInt(rec.record, infra::kMirrorOffsetHeader);
        const auto p = static_cast<std::size_t>(rec.partition);
        const std::int64_t checkpoint = p < m_checkpoint.size() ? m_checkpoint[p] : -1;
        if (source >= 0 && source < checkpoint) {
            ++m_stats.skippedCheckpoint; // the home group settled it
            it->next = rec.record.offset + 1;
            continue;
        }
        if (m_active) {
            m_records.push_back(&rec);
            it->next = rec.record.offset + 1;
            continue;
        }
        it->blocked = true; // the home region may still settle it: wait
    }
    std::vector<infra::MqOffsetCommit> commits;
    bool progress = false;
    for (const PartState& s : parts) {
        if (s.next >= 0) {
            commits.push_back(infra::MqOffsetCommit{batch.records.front().topic, s.partition, s.next});
            progress = true;
        }
    }
    const std::uint64_t generation = batch.generation;
    // Commits the handled prefix of every partition, then rewinds to what was committed.
    auto commitAndContinue = [this, generation, progress](std::vector<infra::MqOffsetCommit> offsets, bool ok) {
        if (!ok || offsets.empty()) {
            m_consumer.seekToCommitted();
            m_busy = false;
            scheduleTick(ok ? m_config.standbyInterval : m_config.retryBackoff);
            return;
        }
        m_consumer.commitOffsets(std::move(offsets), generation, [this, progress](infra::MqError) {
            m_consumer.seekToCommitted();
            m_busy = false;
            scheduleTick(progress ? 0 : m_config.standbyInterval);
        });
    };
    if (m_records.empty()) {
        commitAndContinue(std::move(commits), true);
        return;
    }
    m_pendingCommits = std::move(commits);
    process(m_records, [this, commitAndContinue](bool ok) mutable {
        commitAndContinue(std::move(m_pendingCommits), ok);
    });
}

void SettlementConsumer::inspect(sim::StateWriter& out) const
{
    out.add("role", m_role == Role::Primary ? "primary" : "standby");
    out.add("topic", m_topic);
    out.add("running", m_running);
    if (m_role == Role::Standby) {
        out.add("home", m_standby.homeRegion);
        out.add("active", m_active);
        out.add("skipped_checkpoint", m_stats.skippedCheckpoint);
        out.add("taken_over", m_stats.takenOver);
    }
    out.add("batches", m_stats.batches);
    out.add("settled", m_stats.settled);
    out.add("dead_lettered", m_stats.deadLettered);
    out.add("poison_retries", m_stats.poisonRetries);
    out.add("db_retries", m_stats.dbRetries);
    out.add("duplicates_seen", m_stats.duplicatesSeen);
    out.add("poison_pending", static_cast<std::uint64_t>(m_attempts.size()));
}

} // namespace livedeck::gifts
