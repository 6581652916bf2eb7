#include "backend/plugins/sdk_infra.h"

#include "backend/infra/kv_pair.h"
#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_producer.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/infra/service_queue.h"
#include "backend/infra/sql_cluster.h"
#include "backend/resilience/bulkhead.h"
#include "backend/resilience/circuit_breaker.h"
#include "backend/resilience/sliding_window_limiter.h"
#include "backend/resilience/token_bucket.h"
#include "backend/sim/strings.h"
#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"

#include <utility>

namespace livedeck::plugins {
namespace {

// A std::function on the heap, so it fits the host's inline (fixed-size) callbacks.
template <class F>
std::shared_ptr<F> boxed(F f)
{
    return std::make_shared<F>(std::move(f));
}

void setError(std::string* error, std::string text)
{
    if (error)
        *error = std::move(text);
}

// A component path the factory would register: well formed and free.
bool pathFree(const sim::World& world, std::string_view path, std::string* error)
{
    if (path.empty() || path.front() == '/' || path.back() == '/' || path.find("//") != std::string_view::npos
        || path.find('*') != std::string_view::npos) {
        setError(error, sim::strCat("component path '", path, "' is malformed: expected segments like sh-a/danmaku/cache"));
        return false;
    }
    if (world.components().find(path)) {
        setError(error, sim::strCat("component '", path, "' is already registered"));
        return false;
    }
    return true;
}

// ------------------------------------------------------------------ service queue
sdk::ServiceOutcome toSdk(infra::ServiceOutcome o)
{
    switch (o) {
    case infra::ServiceOutcome::Ok:
        return sdk::ServiceOutcome::Ok;
    case infra::ServiceOutcome::Rejected:
        return sdk::ServiceOutcome::Rejected;
    case infra::ServiceOutcome::Down:
        return sdk::ServiceOutcome::Down;
    case infra::ServiceOutcome::Error:
        break;
    }
    return sdk::ServiceOutcome::Error;
}

class HostServiceQueue final : public sdk::ServiceQueue {
public:
    HostServiceQueue(sim::World& world, sim::ComponentId component, infra::ServiceConfig config,
                     telemetry::MetricsRegistry& metrics, std::string_view prefix)
        : m_queue(world, component, config, &metrics, prefix)
    {
    }
    void submit(double weight, std::function<sdk::Nanos()> work,
                std::function<void(sdk::ServiceOutcome, sdk::Nanos)> done) override
    {
        auto w = boxed(std::move(work));
        auto d = boxed(std::move(done));
        m_queue.submit(
            weight, [w](bool&) { return (*w)(); },
            [d](infra::ServiceOutcome outcome, sim::Nanos latency) { (*d)(toSdk(outcome), latency); });
    }
    double queued() const override { return m_queue.queued(); }
    double inflight() const override { return m_queue.inflight(); }

private:
    infra::ServiceQueue m_queue;
};

// ------------------------------------------------------------------ SQL shards
sdk::SqlValue toSdk(const infra::SqlValue& v)
{
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return *i;
    if (const auto* d = std::get_if<double>(&v))
        return *d;
    if (const auto* s = std::get_if<std::string>(&v))
        return *s;
    return std::monostate{};
}

infra::SqlValue toHost(const sdk::SqlValue& v)
{
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return *i;
    if (const auto* d = std::get_if<double>(&v))
        return *d;
    if (const auto* s = std::get_if<std::string>(&v))
        return *s;
    return std::monostate{};
}

sdk::SqlStatus sqlStatus(const absl::Status& s)
{
    switch (s.code()) {
    case absl::StatusCode::kOk:
        return sdk::SqlStatus::Ok;
    case absl::StatusCode::kAlreadyExists:
        return sdk::SqlStatus::AlreadyExists;
    case absl::StatusCode::kInvalidArgument:
        return sdk::SqlStatus::InvalidArgument;
    case absl::StatusCode::kFailedPrecondition:
        return sdk::SqlStatus::FailedPrecondition;
    case absl::StatusCode::kUnavailable:
        return sdk::SqlStatus::Unavailable;
    case absl::StatusCode::kResourceExhausted:
        return sdk::SqlStatus::Overloaded;
    case absl::StatusCode::kAborted:
        return sdk::SqlStatus::Aborted;
    default:
        break;
    }
    return sdk::SqlStatus::Error;
}

class HostSqlShards final : public sdk::SqlShards {
public:
    HostSqlShards(sim::World& world, std::unique_ptr<infra::SqlCluster> cluster)
        : m_world(world), m_cluster(std::move(cluster)), m_refusedKind(world.kind("sdk.sql.refused"))
    {
    }
    std::uint32_t shardCount() const override { return m_cluster->shardCount(); }
    std::uint32_t shardOf(std::uint64_t key) const override { return m_cluster->shardOf(key); }
    void write(std::uint32_t shard, std::vector<sdk::SqlStatement> transaction, sdk::ComponentId from, double weight,
               sdk::SqlCallback done) override
    {
        if (shard >= m_cluster->shardCount() || transaction.empty())
            return refuse(shard, transaction.empty() ? "an empty transaction" : "", std::move(done));
        auto batch = std::make_shared<infra::SqlBatch>();
        for (const sdk::SqlStatement& st : transaction) {
            std::vector<infra::SqlValue> params;
            params.reserve(st.params.size());
            for (const sdk::SqlValue& p : st.params)
                params.push_back(toHost(p));
            batch->add(st.sql, std::span<const infra::SqlValue>(params));
        }
        infra::SqlCall call;
        call.from = from;
        call.weight = weight;
        auto d = boxed(std::move(done));
        m_cluster->write(shard, std::move(batch), call, [d](infra::SqlResult& r) { (*d)(convert(r)); });
    }
    void read(std::uint32_t shard, sdk::SqlConsistency consistency, sdk::SqlStatement query, sdk::ComponentId from,
              double weight, sdk::SqlCallback done) override
    {
        if (shard >= m_cluster->shardCount())
            return refuse(shard, "", std::move(done));
        infra::SqlQuery q;
        q.sql = std::move(query.sql);
        for (const sdk::SqlValue& p : query.params)
            q.params.push_back(toHost(p));
        infra::SqlCall call;
        call.from = from;
        call.weight = weight;
        auto d = boxed(std::move(done));
        m_cluster->read(shard,
                        consistency == sdk::SqlConsistency::Strong ? infra::Consistency::Strong : infra::Consistency::Weak,
                        std::move(q), call, [d](infra::SqlResult& r) { (*d)(convert(r)); });
    }
    std::string failover(std::uint32_t shard) override
    {
        if (shard >= m_cluster->shardCount())
            return sim::strCat("shard ", shard, " is out of range (", m_cluster->shardCount(), " shards)");
        auto r = m_cluster->failover(shard, "plugin");
        return r.ok() ? std::string() : std::string(r.status().message());
    }
    sdk::ComponentId component() const override { return m_cluster->id(); }

private:
    static sdk::SqlReply convert(const infra::SqlResult& r)
    {
        sdk::SqlReply out;
        out.status = sqlStatus(r.status);
        if (!r.status.ok())
            out.error = std::string(r.status.message());
        out.columns = r.columns;
        out.values.reserve(r.values.size());
        for (const infra::SqlValue& v : r.values)
            out.values.push_back(toSdk(v));
        out.changes = r.changes;
        out.lastInsertRowid = r.lastInsertRowid;
        out.position = r.position;
        out.servedBy = r.servedBy;
        out.latency = r.latency;
        return out;
    }
    // Answers InvalidArgument from a later event, like every other answer.
    void refuse(std::uint32_t shard, std::string why, sdk::SqlCallback done)
    {
        sdk::SqlReply reply;
        reply.status = sdk::SqlStatus::InvalidArgument;
        reply.error = why.empty() ? sim::strCat("shard ", shard, " is out of range (", m_cluster->shardCount(), " shards)")
                                  : std::move(why);
        auto d = boxed(std::move(done));
        auto r = std::make_shared<sdk::SqlReply>(std::move(reply));
        m_world.after(0, m_refusedKind, m_cluster->id(), [d, r] { (*d)(*r); });
    }

    sim::World& m_world;
    std::unique_ptr<infra::SqlCluster> m_cluster;
    sim::EventKindId m_refusedKind;
};

// ------------------------------------------------------------------ KV
sdk::KvStatus toSdk(infra::KvStatus s)
{
    switch (s) {
    case infra::KvStatus::Ok:
        return sdk::KvStatus::Ok;
    case infra::KvStatus::NotFound:
        return sdk::KvStatus::NotFound;
    case infra::KvStatus::WrongType:
        return sdk::KvStatus::WrongType;
    case infra::KvStatus::NotInteger:
        return sdk::KvStatus::NotInteger;
    case infra::KvStatus::VersionConflict:
        return sdk::KvStatus::VersionConflict;
    case infra::KvStatus::OutOfMemory:
        return sdk::KvStatus::OutOfMemory;
    case infra::KvStatus::ReadOnly:
        return sdk::KvStatus::ReadOnly;
    case infra::KvStatus::Rejected:
        return sdk::KvStatus::Rejected;
    case infra::KvStatus::Unavailable:
        return sdk::KvStatus::Unavailable;
    case infra::KvStatus::Timeout:
        return sdk::KvStatus::Timeout;
    case infra::KvStatus::Error:
        break;
    }
    return sdk::KvStatus::Error;
}

class HostKvCache final : public sdk::KvCache {
public:
    explicit HostKvCache(std::unique_ptr<infra::KvPair> pair) : m_pair(std::move(pair)) {}
    void get(sdk::ComponentId from, std::string_view key, double weight, sdk::KvCallback done) override
    {
        m_pair->get(from, key, weight, wrap(std::move(done)));
    }
    void set(sdk::ComponentId from, std::string_view key, std::string_view value, sdk::Nanos ttl, double weight,
             sdk::KvCallback done) override
    {
        m_pair->set(from, key, value, ttl, weight, wrap(std::move(done)));
    }
    void del(sdk::ComponentId from, std::string_view key, double weight, sdk::KvCallback done) override
    {
        m_pair->del(from, key, weight, wrap(std::move(done)));
    }
    void incrBy(sdk::ComponentId from, std::string_view key, std::int64_t delta, double weight,
                sdk::KvCallback done) override
    {
        m_pair->incrBy(from, key, delta, weight, wrap(std::move(done)));
    }
    void compareAndSet(sdk::ComponentId from, std::string_view key, std::uint64_t expectedVersion,
                       std::string_view value, sdk::Nanos ttl, double weight, sdk::KvCallback done) override
    {
        m_pair->compareAndSet(from, key, expectedVersion, value, ttl, weight, wrap(std::move(done)));
    }
    std::uint64_t lostWrites() const override { return m_pair->lostWrites(); }
    std::uint64_t failovers() const override { return m_pair->failovers(); }
    sdk::ComponentId component() const override { return m_pair->component(); }

private:
    static infra::KvPair::Callback wrap(sdk::KvCallback done)
    {
        auto d = boxed(std::move(done));
        return [d](const infra::KvReply& r) {
            sdk::KvReply out;
            out.status = toSdk(r.status);
            out.value = r.value;
            out.integer = r.integer;
            out.version = r.version;
            out.latency = r.latency;
            out.fromReplica = r.fromReplica;
            (*d)(out);
        };
    }

    std::unique_ptr<infra::KvPair> m_pair;
};

// ------------------------------------------------------------------ Raft KV
sdk::RaftStatus toSdk(infra::RaftStatus s)
{
    switch (s) {
    case infra::RaftStatus::Ok:
        return sdk::RaftStatus::Ok;
    case infra::RaftStatus::Refused:
        return sdk::RaftStatus::Refused;
    case infra::RaftStatus::NotLeader:
        return sdk::RaftStatus::NotLeader;
    case infra::RaftStatus::NoQuorum:
        return sdk::RaftStatus::NoQuorum;
    case infra::RaftStatus::Unavailable:
        return sdk::RaftStatus::Unavailable;
    case infra::RaftStatus::Timeout:
    case infra::RaftStatus::Interrupted: // never reaches a client's callback; outcome unknown
        break;
    }
    return sdk::RaftStatus::Timeout;
}

class HostRaftKv final : public sdk::RaftKv {
public:
    HostRaftKv(std::unique_ptr<infra::RaftCluster> cluster, std::string_view clientPath, sim::Nanos timeout)
        : m_cluster(std::move(cluster)), m_client(std::make_unique<infra::RaftClient>(*m_cluster, clientPath, config(timeout)))
    {
    }
    ~HostRaftKv() override { m_client.reset(); } // before the cluster it talks to

    void get(std::string_view key, sdk::RaftCallback done) override { m_client->get(key, wrap(std::move(done))); }
    void put(std::string_view key, std::string_view value, sdk::RaftCallback done) override
    {
        m_client->put(key, value, wrap(std::move(done)));
    }
    void cas(std::string_view key, std::uint64_t expectedVersion, std::string_view value,
             sdk::RaftCallback done) override
    {
        m_client->cas(key, expectedVersion, value, wrap(std::move(done)));
    }
    void del(std::string_view key, sdk::RaftCallback done) override { m_client->del(key, wrap(std::move(done))); }
    std::string leader() const override
    {
        const int l = m_cluster->leader();
        return l < 0 ? std::string() : m_cluster->node(static_cast<std::size_t>(l)).path();
    }
    std::uint64_t term() const override { return m_cluster->maxTerm(); }
    std::uint64_t committed() const override { return m_cluster->committed(); }
    std::size_t nodes() const override { return m_cluster->size(); }

private:
    static infra::RaftClientConfig config(sim::Nanos timeout)
    {
        infra::RaftClientConfig c;
        if (timeout > 0)
            c.timeout = timeout;
        return c;
    }
    static infra::RaftCallback wrap(sdk::RaftCallback done)
    {
        auto d = boxed(std::move(done));
        return [d](const infra::RaftResult& r) {
            sdk::RaftReply out;
            out.status = toSdk(r.status);
            out.found = r.found;
            out.value = r.value;
            out.version = r.version;
            out.index = r.index;
            (*d)(out);
        };
    }

    std::unique_ptr<infra::RaftCluster> m_cluster;
    std::unique_ptr<infra::RaftClient> m_client;
};

// ------------------------------------------------------------------ message queue
sdk::MqStatus toSdk(infra::MqError e)
{
    switch (e) {
    case infra::MqError::Ok:
        return sdk::MqStatus::Ok;
    case infra::MqError::Timeout:
        return sdk::MqStatus::Timeout;
    case infra::MqError::Down:
        return sdk::MqStatus::Down;
    case infra::MqError::Rejected:
        return sdk::MqStatus::Rejected;
    case infra::MqError::BrokerError:
        return sdk::MqStatus::BrokerError;
    case infra::MqError::UnknownTopic:
        return sdk::MqStatus::UnknownTopic;
    case infra::MqError::UnknownPartition:
        return sdk::MqStatus::UnknownPartition;
    case infra::MqError::UnknownMember:
        return sdk::MqStatus::UnknownMember;
    case infra::MqError::RebalanceInProgress:
        return sdk::MqStatus::RebalanceInProgress;
    case infra::MqError::NotOwner:
        return sdk::MqStatus::NotOwner;
    case infra::MqError::NotMember:
        return sdk::MqStatus::NotMember;
    case infra::MqError::Crashed:
        break;
    }
    return sdk::MqStatus::Crashed;
}

class HostMqProducer final : public sdk::MqProducer {
public:
    explicit HostMqProducer(std::unique_ptr<infra::MqProducer> producer) : m_producer(std::move(producer)) {}
    void send(std::string_view topic, std::string_view key, std::string_view value, double weight,
              std::function<void(const sdk::MqSendResult&)> done) override
    {
        infra::MqProducer::Callback cb;
        if (done) {
            auto d = boxed(std::move(done));
            cb = [d](const infra::MqProduceResult& r) {
                sdk::MqSendResult out;
                out.status = toSdk(r.error);
                out.partition = r.partition;
                out.offset = r.baseOffset;
                out.latency = r.latency;
                (*d)(out);
            };
        }
        m_producer->send(topic, key, value, weight, std::move(cb));
    }
    sdk::ComponentId component() const override { return m_producer->component(); }

private:
    std::unique_ptr<infra::MqProducer> m_producer;
};

class HostMqConsumer final : public sdk::MqConsumer {
public:
    explicit HostMqConsumer(std::unique_ptr<infra::MqConsumer> consumer) : m_consumer(std::move(consumer)) {}
    void start() override { m_consumer->start(); }
    void poll(int maxRecords, std::function<void(sdk::MqStatus, const std::vector<sdk::MqRecord>&)> done) override
    {
        auto d = boxed(std::move(done));
        m_consumer->poll(maxRecords, [this, d](infra::MqError error, const infra::MqBatch& batch) {
            m_last = batch;
            std::vector<sdk::MqRecord> records;
            records.reserve(batch.records.size());
            for (const infra::MqConsumerRecord& r : batch.records) {
                sdk::MqRecord x;
                x.topic = std::string(r.topic);
                x.partition = r.partition;
                x.offset = r.record.offset;
                x.key = r.record.key;
                x.value = r.record.value;
                x.weight = r.record.weight;
                records.push_back(std::move(x));
            }
            (*d)(toSdk(error), records);
        });
    }
    void commit(std::function<void(sdk::MqStatus)> done) override
    {
        infra::MqConsumer::CommitCallback cb;
        if (done) {
            auto d = boxed(std::move(done));
            cb = [d](infra::MqError error) { (*d)(toSdk(error)); };
        }
        m_consumer->commit(m_last, std::move(cb));
    }
    bool isMember() const override { return m_consumer->isMember(); }
    std::int64_t position(std::string_view topic, int partition) const override
    {
        return m_consumer->position(topic, partition);
    }
    sdk::ComponentId component() const override { return m_consumer->component(); }

private:
    std::unique_ptr<infra::MqConsumer> m_consumer;
    infra::MqBatch m_last; // what the last poll returned (topics point into the broker)
};

class HostMqBroker final : public sdk::MqBroker {
public:
    HostMqBroker(sim::World& world, std::string_view path, telemetry::MetricsRegistry& metrics)
        : m_world(world), m_metrics(metrics), m_broker(std::make_unique<infra::MqBroker>(world, path, infra::MqBrokerConfig{}, &metrics))
    {
    }
    std::string createTopic(std::string_view name, int partitions) override
    {
        auto t = m_broker->createTopic(name, partitions);
        return t.ok() ? std::string() : std::string(t.status().message());
    }
    std::unique_ptr<sdk::MqProducer> producer(std::string_view path, std::string* error) override
    {
        if (!pathFree(m_world, path, error))
            return nullptr;
        return std::make_unique<HostMqProducer>(
            std::make_unique<infra::MqProducer>(m_world, *m_broker, path, infra::MqProducerConfig{}, &m_metrics));
    }
    std::unique_ptr<sdk::MqConsumer> consumer(std::string_view path, std::string_view group,
                                              std::vector<std::string> topics, std::string* error) override
    {
        if (!pathFree(m_world, path, error))
            return nullptr;
        if (group.empty() || topics.empty()) {
            setError(error, "an MQ consumer needs a group and at least one topic");
            return nullptr;
        }
        return std::make_unique<HostMqConsumer>(std::make_unique<infra::MqConsumer>(
            m_world, *m_broker, path, group, std::move(topics), infra::MqConsumerConfig{}, &m_metrics));
    }
    std::int64_t committed(std::string_view group, std::string_view topic, int partition) const override
    {
        infra::MqConsumerGroup* g = m_broker->findGroup(group);
        return g ? g->committed(topic, partition) : -1;
    }
    std::int64_t lag(std::string_view group, std::string_view topic, int partition) const override
    {
        infra::MqConsumerGroup* g = m_broker->findGroup(group);
        return g ? g->lagOffsets(topic, partition) : -1;
    }
    std::int64_t endOffset(std::string_view topic, int partition) const override
    {
        const infra::MqTopic* t = std::as_const(*m_broker).findTopic(topic);
        if (!t || partition < 0 || partition >= t->partitionCount())
            return -1;
        return t->partition(partition).logEnd();
    }
    sdk::ComponentId component() const override { return m_broker->component(); }

private:
    sim::World& m_world;
    telemetry::MetricsRegistry& m_metrics;
    std::unique_ptr<infra::MqBroker> m_broker;
};

// ------------------------------------------------------------------ resilience
sdk::BreakerState toSdk(resilience::BreakerState s)
{
    switch (s) {
    case resilience::BreakerState::Closed:
        return sdk::BreakerState::Closed;
    case resilience::BreakerState::Open:
        return sdk::BreakerState::Open;
    case resilience::BreakerState::HalfOpen:
        return sdk::BreakerState::HalfOpen;
    case resilience::BreakerState::ForcedOpen:
        return sdk::BreakerState::ForcedOpen;
    case resilience::BreakerState::Disabled:
        return sdk::BreakerState::Disabled;
    case resilience::BreakerState::MetricsOnly:
        break;
    }
    return sdk::BreakerState::MetricsOnly;
}

class HostBreaker final : public sdk::CircuitBreaker {
public:
    HostBreaker(sim::World& world, sim::ComponentId component, std::string path,
                resilience::CircuitBreakerConfig config, telemetry::MetricsRegistry& metrics)
        : m_component(component), m_events(world, component), m_breaker(std::move(path), config, world.clock(), &m_events)
    {
        world.components().setInspectable(component, &m_breaker);
        m_breaker.attachMetrics(metrics, m_breaker.name());
        m_world = &world;
    }
    ~HostBreaker() override { m_world->components().setInspectable(m_component, nullptr); }

    sdk::BreakerPermit tryAcquire(double weight) override
    {
        const resilience::Permit p = m_breaker.tryAcquire(weight);
        return sdk::BreakerPermit{p.granted, p.epoch, p.weight};
    }
    void onSuccess(const sdk::BreakerPermit& permit, sdk::Nanos duration) override
    {
        m_breaker.onSuccess(host(permit), duration);
    }
    void onError(const sdk::BreakerPermit& permit, sdk::Nanos duration) override
    {
        m_breaker.onError(host(permit), duration);
    }
    void onTimeout(const sdk::BreakerPermit& permit) override { m_breaker.onTimeout(host(permit)); }
    void release(const sdk::BreakerPermit& permit) override { m_breaker.release(host(permit)); }
    sdk::BreakerState state() const override { return toSdk(m_breaker.state()); }
    double failureRate() const override { return m_breaker.failureRate(); }
    std::uint64_t transitions() const override { return m_breaker.stats().transitions; }
    sdk::ComponentId component() const override { return m_component; }

private:
    static resilience::Permit host(const sdk::BreakerPermit& p) { return resilience::Permit{p.granted, p.epoch, p.weight}; }

    sim::World* m_world = nullptr;
    sim::ComponentId m_component;
    resilience::WorldBreakerEvents m_events;
    resilience::CircuitBreaker m_breaker;
};

class HostRateLimiter final : public sdk::RateLimiter {
public:
    HostRateLimiter(double rate, double burst, const sim::Clock& clock) : m_bucket(rate, burst, clock) {}
    bool tryAcquire(double weight) override { return m_bucket.tryAcquire(weight); }
    sdk::Nanos timeUntilAvailable(double weight) override { return m_bucket.timeUntilAvailable(weight); }

private:
    resilience::TokenBucket m_bucket;
};

class HostWindowLimiter final : public sdk::WindowLimiter {
public:
    HostWindowLimiter(sim::Nanos window, double limit, const sim::Clock& clock) : m_limiter(window, limit, clock) {}
    bool tryAcquire(double weight) override { return m_limiter.tryAcquire(weight); }
    double estimate() const override { return m_limiter.estimate(); }
    sdk::Nanos timeUntilAvailable(double weight) const override { return m_limiter.timeUntilAvailable(weight); }

private:
    resilience::SlidingWindowLimiter m_limiter;
};

class HostConcurrencyLimiter final : public sdk::ConcurrencyLimiter {
public:
    HostConcurrencyLimiter(sim::World& world, resilience::BulkheadConfig config, sim::ComponentId component)
        : m_bulkhead(world.scheduler(), config, world.kind("sdk.bulkhead.timeout"), component)
    {
    }
    sdk::Admission acquire(std::function<void(bool)> waiter) override
    {
        auto w = boxed(std::move(waiter));
        switch (m_bulkhead.acquire([w](bool admitted) { (*w)(admitted); })) {
        case resilience::Bulkhead::Admission::Admitted:
            return sdk::Admission::Admitted;
        case resilience::Bulkhead::Admission::Queued:
            return sdk::Admission::Queued;
        case resilience::Bulkhead::Admission::Rejected:
            break;
        }
        return sdk::Admission::Rejected;
    }
    bool tryAcquire() override { return m_bulkhead.tryAcquire(); }
    void release() override { m_bulkhead.release(); }
    std::uint32_t inFlight() const override { return m_bulkhead.inFlight(); }
    std::uint32_t queued() const override { return m_bulkhead.queued(); }

private:
    resilience::Bulkhead m_bulkhead;
};

// ------------------------------------------------------------------ the factories
// Each shard is a SQLite database per placement: a plugin asking for more is a mistake.
constexpr std::uint32_t kMaxSqlShards = 1024;

class HostInfra final : public sdk::Infra {
public:
    HostInfra(sim::World& world, telemetry::Telemetry& telemetry) : m_world(world), m_telemetry(telemetry) {}

    std::unique_ptr<sdk::ServiceQueue> serviceQueue(sdk::ComponentId component, const sdk::ServiceConfig& config,
                                                    std::string_view metricPrefix) override
    {
        infra::ServiceConfig c;
        c.concurrency = config.concurrency;
        c.maxQueue = config.maxQueue;
        c.maxQueueWait = config.maxQueueWait;
        c.noiseSigma = config.noiseSigma;
        return std::make_unique<HostServiceQueue>(m_world, component, c, m_telemetry.metrics(), metricPrefix);
    }

    std::unique_ptr<sdk::SqlShards> sqlShards(const sdk::SqlShardsConfig& config, std::string* error) override
    {
        infra::SqlClusterConfig c;
        c.name = config.name;
        c.shards = config.shards;
        if (!config.placement.empty())
            c.placement = config.placement;
        c.schema = config.schema;
        c.replication = config.semiSync ? infra::ReplicationMode::SemiSync : infra::ReplicationMode::Async;
        c.autoFailover = config.autoFailover;
        if (c.shards > kMaxSqlShards) {
            setError(error, sim::strCat("SQL cluster ", c.name, ": ", c.shards, " shards, at most ", kMaxSqlShards));
            return nullptr;
        }
        // Instance paths must be free too (create() checks the cluster's own).
        for (std::uint32_t s = 0; s < c.shards; ++s) {
            for (std::size_t k = 0; k < c.placement.size(); ++k) {
                const std::string path = infra::sqlInstancePath(m_world.topology(), c, s, k);
                if (!path.empty() && m_world.components().find(path)) {
                    setError(error, sim::strCat("SQL cluster ", c.name, ": component '", path, "' is already registered"));
                    return nullptr;
                }
            }
        }
        auto cluster = infra::SqlCluster::create(m_world, std::move(c), &m_telemetry);
        if (!cluster.ok()) {
            setError(error, std::string(cluster.status().message()));
            return nullptr;
        }
        return std::make_unique<HostSqlShards>(m_world, std::move(*cluster));
    }

    std::unique_ptr<sdk::KvCache> kvCache(const sdk::KvConfig& config, std::string* error) override
    {
        for (const char* suffix : {"", "/primary", "/replica", "/sentinel"}) {
            if (!pathFree(m_world, sim::strCat(config.path, suffix), error))
                return nullptr;
        }
        if (!config.dataCentre.empty() && m_world.topology().dataCentreIndex(config.dataCentre) < 0) {
            setError(error, sim::strCat("KV ", config.path, ": unknown data centre '", config.dataCentre, "'"));
            return nullptr;
        }
        if (config.clientTimeout <= 0) {
            setError(error, sim::strCat("KV ", config.path, ": the client timeout must be positive"));
            return nullptr;
        }
        infra::KvPairConfig c;
        c.node.store.maxMemoryBytes = config.maxMemoryBytes;
        c.clientTimeout = config.clientTimeout;
        c.readFromReplica = config.readFromReplica;
        return std::make_unique<HostKvCache>(
            std::make_unique<infra::KvPair>(m_world, config.path, config.dataCentre, c, &m_telemetry.metrics()));
    }

    std::unique_ptr<sdk::RaftKv> raftKv(const sdk::RaftKvConfig& config, std::string* error) override
    {
        infra::RaftClusterConfig c;
        c.name = config.name;
        c.regions = config.regions;
        if (c.regions.empty()) {
            for (const sim::RegionSpec& r : m_world.topology().regions())
                c.regions.push_back(r.name);
        }
        if (c.name.empty() || c.name.find_first_of("/*") != std::string::npos) {
            setError(error, sim::strCat("Raft KV name '", c.name, "' is invalid: use one segment such as danmaku-config"));
            return nullptr;
        }
        if (c.regions.empty()) {
            setError(error, "Raft KV " + c.name + ": the topology has no region");
            return nullptr;
        }
        for (std::size_t i = 0; i < c.regions.size(); ++i) {
            if (m_world.topology().regionIndex(c.regions[i]) < 0) {
                setError(error, sim::strCat("Raft KV ", c.name, ": unknown region '", c.regions[i], "'"));
                return nullptr;
            }
            if (!pathFree(m_world, sim::strCat(c.regions[i], "/infra/", c.name, "/", i), error))
                return nullptr;
        }
        const sim::ComponentInfo* client = m_world.components().find(config.clientPath);
        if (!client && !pathFree(m_world, config.clientPath, error))
            return nullptr;
        auto cluster = std::make_unique<infra::RaftCluster>(m_world, std::move(c), &m_telemetry.metrics());
        return std::make_unique<HostRaftKv>(std::move(cluster), config.clientPath, config.timeout);
    }

    std::unique_ptr<sdk::MqBroker> mqBroker(std::string_view path, std::string* error) override
    {
        if (!pathFree(m_world, path, error))
            return nullptr;
        return std::make_unique<HostMqBroker>(m_world, path, m_telemetry.metrics());
    }

    std::unique_ptr<sdk::CircuitBreaker> circuitBreaker(std::string_view path, const sdk::BreakerConfig& config,
                                                        std::string* error) override
    {
        resilience::CircuitBreakerConfig c;
        c.windowType = resilience::SlidingWindowType::CountBased;
        c.windowSize = config.windowSize;
        c.failureRateThreshold = config.failureRateThreshold;
        c.slowCallRateThreshold = config.slowCallRateThreshold;
        c.slowCallDuration = config.slowCallDuration;
        c.minimumNumberOfCalls = config.minimumCalls;
        c.waitDurationInOpen = config.waitInOpen;
        c.permittedCallsInHalfOpen = config.permittedInHalfOpen;
        if (absl::Status st = c.validate(); !st.ok()) {
            setError(error, sim::strCat("breaker ", path, ": ", std::string(st.message())));
            return nullptr;
        }
        if (!pathFree(m_world, path, error))
            return nullptr;
        auto id = m_world.components().add(path, "breaker");
        if (!id.ok()) {
            setError(error, std::string(id.status().message()));
            return nullptr;
        }
        return std::make_unique<HostBreaker>(m_world, *id, std::string(path), c, m_telemetry.metrics());
    }

    std::unique_ptr<sdk::RateLimiter> rateLimiter(double ratePerSec, double burst) override
    {
        if (!resilience::TokenBucket::validate(ratePerSec, burst).ok())
            return nullptr;
        return std::make_unique<HostRateLimiter>(ratePerSec, burst, m_world.clock());
    }

    std::unique_ptr<sdk::WindowLimiter> windowLimiter(sdk::Nanos window, double limit) override
    {
        if (!resilience::SlidingWindowLimiter::validate(window, limit).ok())
            return nullptr;
        return std::make_unique<HostWindowLimiter>(window, limit, m_world.clock());
    }

    std::unique_ptr<sdk::ConcurrencyLimiter> concurrencyLimiter(const sdk::ConcurrencyConfig& config,
                                                                sdk::ComponentId component, std::string* error) override
    {
        if (config.maxConcurrent == 0 || config.maxWait < 0) {
            setError(error, "a concurrency limiter needs maxConcurrent > 0 and maxWait >= 0");
            return nullptr;
        }
        if (component != sdk::kNoComponent && component >= m_world.components().size()) {
            setError(error, sim::strCat("concurrency limiter: unknown component ", component));
            return nullptr;
        }
        resilience::BulkheadConfig c;
        c.maxConcurrent = config.maxConcurrent;
        c.maxQueue = config.maxQueue;
        c.maxWait = config.maxWait;
        return std::make_unique<HostConcurrencyLimiter>(m_world, c, component);
    }

private:
    sim::World& m_world;
    telemetry::Telemetry& m_telemetry;
};

} // namespace

std::unique_ptr<sdk::Infra> makeHostInfra(sim::World& world, telemetry::Telemetry& telemetry)
{
    return std::make_unique<HostInfra>(world, telemetry);
}

} // namespace livedeck::plugins
