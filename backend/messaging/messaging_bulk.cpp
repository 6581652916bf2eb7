// Bulk sends through the MQ (docs/MESSAGING.md "Bulk sends"): a campaign's fan-out
// produces one record per recipient into its channel; each channel is a topic with
// `partitions`, a consumer group of `consumers`, and `workers` in-process workers per
// consumer. A worker delivers one recipient at a time: an idempotency key in Redis
// (exactly one message per (task, recipient) under redelivery), a sequence for the
// recipient's inbox, the conversation row on the recipient's shard. A discrete record
// stands for `weight` real recipients, which the real worker handles one after another:
// the worker stays busy `weight` × the latency its store calls took. So a channel
// delivers at most min(partitions, consumers) × workers ÷ (store latency) real users
// per second, and the stores' capacity sets the latency.
//
// Legacy: one shared channel (every kind, high-priority notifications behind campaigns).
// Upgraded: a daily channel for campaigns and a high-priority channel with more
// partitions and workers (or, sabotaged, one shared channel).
#include "backend/messaging/messaging_engine.h"
#include "backend/messaging/messaging_internal.h"

#include <algorithm>
#include <cstdlib>

namespace livedeck::messaging {

namespace {

constexpr std::uint64_t kHighTaskBase = std::uint64_t{1} << 40;
constexpr sim::Nanos kRetryBackoff = 100 * sim::kMillisecond;
constexpr sim::Nanos kPoisonCost = 1 * sim::kMillisecond; // parse, then the handler throws

struct ParsedBulk {
    std::uint64_t task = 0;
    std::uint64_t index = 0;
    std::uint32_t user = 0;
    bool high = false;
    bool poison = false;
    sim::Nanos producedAt = 0;
};

bool parseBulk(std::string_view v, ParsedBulk& out)
{
    // "<task>,<index>,<user>,<high>,<poison>,<produced ns>"
    std::uint64_t f[6] = {};
    std::size_t at = 0;
    for (int i = 0; i < 6; ++i) {
        const std::size_t end = i == 5 ? v.size() : v.find(',', at);
        if (end == std::string_view::npos)
            return false;
        f[i] = std::strtoull(std::string(v.substr(at, end - at)).c_str(), nullptr, 10);
        at = end + 1;
    }
    out = ParsedBulk{f[0], f[1], static_cast<std::uint32_t>(f[2]), f[3] != 0, f[4] != 0, static_cast<sim::Nanos>(f[5])};
    return true;
}

} // namespace

void MessagingEngine::buildChannels()
{
    const std::string& dc = m_regions.front()->dataCentre;
    const std::string region = m_regions.front()->name;
    auto& metrics = m_telemetry.metrics();
    m_mq = std::make_unique<infra::MqBroker>(m_world, sim::strCat(region, "/messaging/mq"), infra::MqBrokerConfig{},
                                             &metrics, dc);
    std::vector<BulkChannelConfig> configs;
    if (m_config.mode == MessagingMode::Legacy)
        configs.push_back(m_config.sharedChannel);
    else if (m_config.sabotage.oneSharedChannel)
        configs.push_back(m_config.dailyChannel);
    else
        configs = {m_config.dailyChannel, m_config.highChannel};
    for (const BulkChannelConfig& c : configs) {
        auto ch = std::make_unique<Channel>();
        ch->config = c;
        ch->group = sim::strCat(c.topic, "-workers");
        (void)m_mq->createTopic(c.topic, c.partitions);
        infra::MqConsumerConfig cc;
        cc.maxPollRecords = std::max(1, 8 * c.workers);
        cc.pollInterval = 20 * sim::kMillisecond;
        for (int i = 0; i < c.consumers; ++i) {
            ch->consumers.push_back(std::make_unique<infra::MqConsumer>(
                m_world, *m_mq, sim::strCat(region, "/messaging/bulk/", c.topic, "/", i), ch->group,
                std::vector<std::string>{c.topic}, cc, &metrics, dc));
        }
        ch->locals.resize(static_cast<std::size_t>(c.consumers));
        m_channels.push_back(std::move(ch));
    }
    (void)m_mq->createTopic("msg-dlq", 1);
    m_producer = std::make_unique<infra::MqProducer>(m_world, *m_mq, sim::strCat(region, "/messaging/bulk/producer"),
                                                     infra::MqProducerConfig{}, &metrics, dc);
}

void MessagingEngine::startChannels()
{
    for (auto& owned : m_channels) {
        Channel& ch = *owned;
        for (std::size_t i = 0; i < ch.consumers.size(); ++i) {
            infra::MqConsumer& c = *ch.consumers[i];
            c.start();
            c.runLoop([this, &ch, i](const infra::MqBatch& batch, infra::MqAck ack) {
                handleBulkBatch(ch, static_cast<int>(i), batch, ack);
            });
        }
    }
}

MessagingEngine::Channel& MessagingEngine::channelFor(bool high)
{
    if (high && m_channels.size() > 1)
        return *m_channels[1];
    return *m_channels[0];
}

double MessagingEngine::bulkParallelism(bool high) const
{
    const BulkChannelConfig& c =
        high && m_channels.size() > 1 ? m_channels[1]->config : m_channels.front()->config;
    return static_cast<double>(std::min(c.partitions, c.consumers) * c.workers);
}

void MessagingEngine::startCampaign(double realUsers)
{
    m_campaignTask = m_nextTask++;
    m_campaignLeft = realUsers;
    m_fanOutCursor = 0;
    if (!m_fanOutRunning && !m_campaignPaused) {
        m_fanOutRunning = true;
        nextFanOut();
    }
}

void MessagingEngine::resumeCampaign()
{
    m_campaignPaused = false;
    if (!m_fanOutRunning && m_campaignLeft > 0.0) {
        m_fanOutRunning = true;
        nextFanOut();
    }
}

void MessagingEngine::nextFanOut()
{
    if (m_campaignPaused || m_campaignLeft <= 0.0) {
        m_fanOutRunning = false;
        return;
    }
    // Equal weights in both modes: the fan-out rate ÷ the discrete floor.
    const double discrete = m_config.minDiscreteBulkPerSec * m_config.scale;
    const double weight = std::min(m_config.bulkUsersPerSec / discrete, m_campaignLeft);
    const std::uint64_t index = m_fanOutCursor++;
    const std::uint32_t user = m_popularity[static_cast<std::uint32_t>(index % m_users)];
    const bool poison = m_config.poisonShare > 0.0 && m_bulkRng.bernoulli(m_config.poisonShare);
    produceBulk(channelFor(false), user, m_campaignTask, index, weight, false, poison);
    m_campaignLeft -= weight;
    m_world.after(std::max<sim::Nanos>(1, static_cast<sim::Nanos>(1e9 / discrete)), m_bulkKind, m_component,
                  [this] { nextFanOut(); });
}

void MessagingEngine::nextHigh()
{
    if (m_loadStopped)
        return;
    const double real = m_config.highPriorityPerSec * m_config.loadMultiplier;
    const double discrete = std::min(real, m_config.minDiscreteHighPerSec * m_config.scale);
    if (discrete > 0.0) {
        const auto user = static_cast<std::uint32_t>(m_bulkRng.uniformInt(m_users));
        const std::uint64_t task = kHighTaskBase + m_nextTask++;
        produceBulk(channelFor(true), user, task, 0, real / discrete, true, false);
    }
    const double gap = discrete > 0.0 ? m_bulkRng.exponential(1.0 / discrete) : 0.1;
    m_world.after(std::max<sim::Nanos>(1, static_cast<sim::Nanos>(gap * 1e9)), m_bulkKind, m_component,
                  [this] { nextHigh(); });
}

void MessagingEngine::produceBulk(Channel& ch, std::uint32_t user, std::uint64_t task, std::uint64_t index,
                                  double weight, bool high, bool poison)
{
    ++m_totals.discreteBulk;
    m_totals.bulkProduced += high ? 0.0 : weight;
    infra::MqMessage m;
    m.key = std::to_string(user);
    m.value = sim::strCat(task, ",", index, ",", user, ",", high ? 1 : 0, ",", poison ? 1 : 0, ",", m_world.now());
    m.weight = weight;
    m_producer->send(ch.config.topic, std::move(m));
}

void MessagingEngine::handleBulkBatch(Channel& ch, int consumer, const infra::MqBatch& batch, infra::MqAck ack)
{
    auto counter = std::make_shared<BulkBatch>(BulkBatch{static_cast<int>(batch.records.size()), ack});
    Channel::Local& local = ch.locals[static_cast<std::size_t>(consumer)];
    for (const infra::MqConsumerRecord& r : batch.records) {
        ParsedBulk p;
        if (!parseBulk(r.record.value, p)) {
            --counter->remaining; // unreadable: skipped (counted nowhere else)
            continue;
        }
        auto job = std::make_shared<BulkJob>();
        job->task = p.task;
        job->index = p.index;
        job->user = p.user;
        job->high = p.high;
        job->poison = p.poison;
        job->producedAt = p.producedAt;
        job->weight = r.record.weight;
        job->batch = counter;
        local.queue.push_back(std::move(job));
    }
    if (counter->remaining == 0) {
        ack.commit();
        return;
    }
    while (local.busy < ch.config.workers && !local.queue.empty())
        runWorker(ch, consumer);
}

void MessagingEngine::runWorker(Channel& ch, int consumer)
{
    Channel::Local& local = ch.locals[static_cast<std::size_t>(consumer)];
    if (local.queue.empty())
        return;
    std::shared_ptr<BulkJob> job = std::move(local.queue.front());
    local.queue.pop_front();
    ++local.busy;
    job->startedAt = m_world.now();
    deliverBulk(ch, std::move(job), consumer);
}

void MessagingEngine::finishBulk(std::shared_ptr<BulkJob> job, sim::Nanos hold)
{
    // The worker is done with this record `hold` from now: the next one starts then.
    m_world.after(std::max<sim::Nanos>(0, hold), m_bulkKind, m_component, [this, job] {
        Channel& ch = *job->channel;
        Channel::Local& local = ch.locals[static_cast<std::size_t>(job->consumer)];
        --local.busy;
        if (--job->batch->remaining == 0)
            job->batch->ack.commit();
        runWorker(ch, job->consumer);
    });
}

void MessagingEngine::retryBulk(std::shared_ptr<BulkJob> job, bool claimed)
{
    // A failed delivery releases its claim and tries again after the backoff.
    if (claimed) {
        Region& r = claimHome(job->user);
        r.redis->del(r.bff, sim::strCat("bulk:", job->task, ":", job->index), job->weight, [](const infra::KvReply&) {});
    }
    m_world.after(kRetryBackoff, m_bulkKind, m_component, [this, job] { deliverBulk(*job->channel, job, job->consumer); });
}

void MessagingEngine::deliverBulk(Channel& ch, std::shared_ptr<BulkJob> job, int consumer)
{
    job->channel = &ch;
    job->consumer = consumer;
    if (!job->high && m_campaignPaused) {
        // The campaign is paused: the worker holds the record until it resumes.
        m_world.after(kRetryBackoff, m_bulkKind, m_component, [this, job] { deliverBulk(*job->channel, job, job->consumer); });
        return;
    }
    if (job->poison) {
        // The handler fails on this record every time.
        ++job->attempts;
        if (job->attempts >= m_config.maxDeliveryAttempts && !m_config.sabotage.noDeadLetter) {
            infra::MqMessage m;
            m.key = std::to_string(job->user);
            m.value = sim::strCat(job->task, ",", job->index, ",", job->user, ",0,1,", job->producedAt);
            m.weight = job->weight;
            m_producer->send("msg-dlq", std::move(m));
            m_totals.deadLettered += job->weight;
            finishBulk(job, kPoisonCost);
            return;
        }
        m_world.after(kPoisonCost + kRetryBackoff, m_bulkKind, m_component,
                      [this, job] { deliverBulk(*job->channel, job, job->consumer); });
        return;
    }
    Region& r = claimHome(job->user);
    r.redis->incrBy(r.bff, sim::strCat("bulk:", job->task, ":", job->index), 1, job->weight,
                    [this, job](const infra::KvReply& reply) {
                        if (reply.status != infra::KvStatus::Ok) {
                            retryBulk(job, false);
                            return;
                        }
                        if (reply.integer > 1) {
                            // A redelivered record: already delivered, nothing written.
                            m_totals.bulkRedelivered += job->weight;
                            finishBulk(job, 0);
                            return;
                        }
                        reserveSeq(job->user, home(job->user), [this, job](bool ok, std::uint64_t) { writeBulk(job, ok); });
                    });
}

void MessagingEngine::writeBulk(std::shared_ptr<BulkJob> job, bool seqOk)
{
    std::uint64_t msgkey = 0;
    const std::int64_t nowMs = nowUnixMs();
    if (!seqOk || !issueMsgkey(nowMs, msgkey)) {
        retryBulk(job, true);
        return;
    }
    Region& r = home(job->user);
    auto b = std::make_shared<infra::SqlBatch>();
    const std::int64_t account = static_cast<std::int64_t>(m_users) + static_cast<std::int64_t>(job->task % 1000);
    m_schema.addSend(*b, ConversationUpdate{job->user, account, job->high ? MessageKind::OneToOne : MessageKind::Bulk,
                                            static_cast<std::int64_t>(msgkey), nowMs, 1, nowMs});
    if (m_mirror)
        m_rowWeight[static_cast<std::int64_t>(msgkey)] = job->weight;
    const infra::SqlCall call{r.bff, job->weight, 0};
    m_convDb->write(m_convDb->shardOf(job->user), std::move(b), call, [this, job](infra::SqlResult& res) {
        const sim::Nanos took = m_world.now() - job->startedAt;
        if (!res.ok() || res.changes == 0) {
            retryBulk(job, true);
            return;
        }
        int& n = m_bulkDelivered[{job->task, job->index}];
        ++n;
        ++m_invariants[kBulkExactlyOnce].checked;
        if (n > 1)
            violation(kBulkExactlyOnce,
                      sim::strCat("task ", job->task, " recipient ", job->index, " (user ", job->user, ") got ", n, " messages"));
        if (job->high) {
            m_totals.highDelivered += job->weight;
            m_highLatency.record(m_world.now() - job->producedAt, job->weight);
            m_highSecond.record(m_world.now() - job->producedAt, job->weight);
        } else {
            m_totals.bulkDelivered += job->weight;
            m_bulkWorkSecond.record(took, 1.0);
        }
        // The real worker handles the record's other recipients the same way.
        finishBulk(job, static_cast<sim::Nanos>(static_cast<double>(took) * (job->weight - 1.0)));
    });
}

} // namespace livedeck::messaging
