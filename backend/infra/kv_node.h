// KvNode: one Redis stand-in process: a KvStore served through a ServiceQueue, registered
// as a component ("sh-a/gifts/redis/primary") with its inspector state and metrics.
//
// Contract
// - serve() runs a command when a worker picks it up; the service time comes from the
//   work the store reports for that command (KvCostModel below) times the queue's noise
//   and faults. `request` and `reply` must stay alive until `done` runs.
// - Role: a replica refuses writes with ReadOnly (Redis READONLY); a primary logs every
//   successful write as an effect (TTL made absolute, compare-and-set turned into a SET
//   with the resulting version) through the write log, and every eviction as a DEL, for
//   replication. applyReplicated() runs such an effect on a replica and gives the key the
//   primary's version.
// - Key access hook: every served command that names a key calls the observer with
//   (key, weight, hit) — per-key hit counting for the hot-key detector
//   (backend/resilience), which the engine connects.
// - Metrics (component = path): kv.requests/.rejected/.errors/.latency/.queue/.inflight
//   from the ServiceQueue; kv.hits, kv.misses (weighted reads), kv.writes (weighted),
//   kv.evictions, kv.expired (keys), kv.memory_bytes and kv.keys gauges.
// Single-threaded (the world's thread).
//
// Cost model defaults (per command): base 5 µs — redis-benchmark puts one Redis core at
// 100-200 K simple GET/SET per second without pipelining, i.e. 5-10 µs per command with
// its socket I/O; 0.5 ns per payload byte (protocol parsing and copying at ~2 GB/s);
// 100 ns per collection element visited or returned (skiplist/dict step plus reply
// encoding); 1 µs per evicted key. The concurrency of the queue stands for the cores of
// the deployment the node represents (engines size it).
#pragma once

#include "backend/infra/kv_store.h"
#include "backend/infra/service_queue.h"

#include <functional>
#include <string>
#include <string_view>

namespace livedeck::infra {

struct KvCostModel {
    sim::Nanos base = 5 * sim::kMicrosecond;
    double perByteNs = 0.5;
    double perElementNs = 100.0;
    sim::Nanos perEviction = 1 * sim::kMicrosecond;

    sim::Nanos cost(const KvWork& work) const;
};

struct KvNodeConfig {
    ServiceConfig service;
    KvStoreConfig store;
    KvCostModel cost;
};

enum class KvRole : std::uint8_t { Primary, Replica };
const char* toString(KvRole role);

class KvNode final : public sim::Inspectable {
public:
    using KeyObserver = std::function<void(std::string_view key, double weight, bool hit)>;
    // A successful write on a primary, as the effect to replicate; weight 0 = an eviction.
    using WriteLog = std::function<void(const KvRequest& effect, std::uint64_t version, double weight)>;

    KvNode(sim::World& world, std::string_view path, std::string_view dataCentre, KvNodeConfig config,
           KvRole role, telemetry::MetricsRegistry* metrics);
    KvNode(const KvNode&) = delete;
    KvNode& operator=(const KvNode&) = delete;

    void serve(double weight, const KvRequest* request, KvReply* reply, ServiceQueue::Done done);
    // Applies a replicated effect (on a replica); returns the work's cost in ns.
    sim::Nanos applyReplicated(const KvRequest& effect, std::uint64_t version);

    KvRole role() const { return m_role; }
    void setRole(KvRole role);
    void setKeyObserver(KeyObserver observer) { m_keyObserver = std::move(observer); }
    void setWriteLog(WriteLog log) { m_writeLog = std::move(log); }

    KvStore& store() { return m_store; }
    const KvStore& store() const { return m_store; }
    ServiceQueue& queue() { return m_queue; }
    const ServiceQueue& queue() const { return m_queue; }
    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }
    const KvNodeConfig& config() const { return m_config; }

    void inspect(sim::StateWriter& out) const override;

private:
    sim::Nanos execute(const KvRequest& request, KvReply& reply, double weight);
    void logEffect(const KvRequest& request, const KvReply& reply, double weight);
    void updateGauges();

    sim::World& m_world;
    std::string m_path;
    sim::ComponentId m_component;
    KvNodeConfig m_config;
    KvRole m_role;
    KvStore m_store;
    ServiceQueue m_queue;
    KeyObserver m_keyObserver;
    WriteLog m_writeLog;
    KvRequest m_effect;        // scratch: the effect of the write being logged
    KvRequest m_evictEffect;   // scratch: the DEL of an evicted key
    KvReply m_scratch;         // scratch: replies of replicated effects
    telemetry::Counter* m_hits = nullptr;
    telemetry::Counter* m_misses = nullptr;
    telemetry::Counter* m_writes = nullptr;
    telemetry::Counter* m_evictions = nullptr;
    telemetry::Counter* m_expired = nullptr;
    telemetry::Gauge* m_memoryGauge = nullptr;
    telemetry::Gauge* m_keysGauge = nullptr;
};

} // namespace livedeck::infra
