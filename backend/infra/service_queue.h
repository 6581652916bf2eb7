// ServiceQueue: the service-time model every infra emulator shares.
//
// A server with a concurrency limit and a bounded FIFO queue, on virtual time:
// - Capacity is counted in real requests: a discrete job of weight w (it stands for w
//   real requests, docs/ARCHITECTURE.md, property 3) occupies w units of `concurrency` while it is
//   served, and w units of `maxQueue` while it waits. Overload therefore first raises
//   latency (queueing) and then rejects, at the real-equivalent rate where a real
//   server would. A job heavier than the whole concurrency runs alone; one heavier than
//   the whole queue bound waits alone (only an empty queue takes it).
// - The work runs when a worker picks the job up: `start()` does the real work (e.g.
//   executes SQL on SQLite) and returns its cost in nanoseconds, derived from the
//   work actually done. The queue multiplies it by lognormal noise (median 1, drawn
//   from the component's own stream) and by active faults, and completes the job
//   after that service time.
// - A job whose work runs elsewhere (a SQL primary's batch on the world's helper
//   thread) does not know its cost when it starts: its start() calls defer(), and the
//   queue holds it in service until settle(ticket, cost). The noise and the faults are
//   drawn when it starts, as for any job (Deferral::serviceTime gives the service time
//   of a cost, so the owner knows the least it can be); it completes at its start plus
//   that service time, or when it is settled if that is later.
// - Faults consulted (sim::FaultRegistry, by the component's path): down → rejected at
//   once; latency → +add_ms and ×multiply; slow-disk → ×multiply (when the queue is
//   marked disk-bound); error-rate → the job fails with that probability.
// - Metrics (by component path): <prefix>.requests / .rejected / .errors counters
//   (weighted), .latency histogram (queue wait + service, ms), .queue and .inflight
//   gauges (weight units).
// Single-threaded (the world's thread).
#pragma once

#include "backend/sim/inline_callback.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace livedeck::infra {

struct ServiceConfig {
    double concurrency = 1'000.0;       // real requests served at once
    double maxQueue = 10'000.0;         // real requests waiting at most
    sim::Nanos maxQueueWait = 1 * sim::kSecond; // a job waiting longer is rejected when picked up
    double noiseSigma = 0.25;           // lognormal sigma of the service-time noise (median 1)
    bool diskBound = false;             // slow-disk faults apply
};

enum class ServiceOutcome : std::uint8_t {
    Ok,
    Rejected,   // queue full or waited past maxQueueWait
    Down,       // the component is down
    Error,      // error-rate fault or the work itself failed
};

const char* toString(ServiceOutcome outcome);

class ServiceQueue final : public sim::Inspectable {
public:
    // Does the work when a worker picks the job up; returns its cost (ns) and may set
    // `failed` to report an error of its own.
    using Start = sim::InlineFunction<sim::Nanos(bool& failed), 64>;
    // Called once, when the job completes or is refused. `latency` = wait + service.
    using Done = sim::InlineFunction<void(ServiceOutcome outcome, sim::Nanos latency), 64>;

    ServiceQueue(sim::World& world, sim::ComponentId component, ServiceConfig config,
                 telemetry::MetricsRegistry* metrics, std::string_view metricPrefix);

    void submit(double weight, Start start, Done done);

    // What a job that defers its cost (see above) needs to settle it.
    struct Deferral {
        std::uint32_t ticket = 0;
        sim::Nanos started = 0;
        double factor = 1.0;  // noise × latency and slow-disk faults
        sim::Nanos added = 0; // latency fault's add_ms
        // The service time of a cost, as the queue will count it.
        sim::Nanos serviceTime(sim::Nanos cost) const;
    };
    // Only from inside a Start: the job's cost comes later, with settle(); the value
    // start() returns is ignored.
    Deferral defer();
    // Completes a deferred job at max(its start + serviceTime(cost), now).
    void settle(std::uint32_t ticket, sim::Nanos cost);

    double inflight() const { return m_inflight; }
    double queued() const { return m_queued; }
    std::size_t queuedJobs() const { return m_queue.size(); }
    const ServiceConfig& config() const { return m_config; }
    void setConcurrency(double concurrency); // autoscaling changes capacity
    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }

    std::uint64_t completed() const { return m_completed; }
    std::uint64_t rejected() const { return m_rejected; }
    void inspect(sim::StateWriter& out) const override;

private:
    struct Job {
        double weight;
        sim::Nanos enqueued;
        Start start;
        Done done;
    };
    void run(Job job);
    void complete(std::uint32_t slot);
    void finish(double weight, sim::Nanos enqueued, ServiceOutcome outcome, Done done);
    void pump();
    bool fits(double weight) const;

    sim::World& m_world;
    sim::ComponentId m_component;
    std::string m_path;
    ServiceConfig m_config;
    sim::RandomStream m_rng;
    sim::EventKindId m_doneKind;
    std::deque<Job> m_queue;
    // Jobs in service, in a recycled slot pool: no allocation per job.
    struct InService {
        Done done;
        double weight = 0.0;
        sim::Nanos enqueued = 0;
        ServiceOutcome outcome = ServiceOutcome::Ok;
        Deferral deferral;     // its start, noise and faults
        bool deferred = false; // waits for settle()
    };
    std::vector<InService> m_slots;
    static constexpr std::uint32_t kNoSlot = ~0u;
    std::uint32_t m_startingSlot = kNoSlot; // the job whose start() runs now (defer())
    std::vector<std::uint32_t> m_freeSlots;
    double m_inflight = 0.0;
    double m_queued = 0.0;
    std::uint64_t m_completed = 0;
    std::uint64_t m_rejected = 0;
    telemetry::Counter* m_requests = nullptr;
    telemetry::Counter* m_rejects = nullptr;
    telemetry::Counter* m_errors = nullptr;
    telemetry::Histogram* m_latency = nullptr;
    telemetry::Gauge* m_queueGauge = nullptr;
    telemetry::Gauge* m_inflightGauge = nullptr;
};

} // namespace livedeck::infra
