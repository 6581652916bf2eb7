// Infrastructure and resilience parts an engine plugin obtains from the host instead of
// writing its own: the host's service-time model (a server with concurrency, a bounded
// queue, fault effects and lognormal noise) and token-bucket rate limiters. The caller
// owns what it obtains; the host registers its metrics under the given prefix.
#pragma once

#include "livedeck_sdk/world.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace livedeck::sdk {

enum class ServiceOutcome { Ok, Rejected, Down, Error };

struct ServiceConfig {
    double concurrency = 1'000.0;          // real requests served at once
    double maxQueue = 10'000.0;            // real requests waiting at most
    Nanos maxQueueWait = kSecond;          // a job waiting longer is rejected when picked up
    double noiseSigma = 0.25;              // lognormal sigma of the service-time noise
};

// A server on virtual time. submit(): when a worker picks the job up, `work` runs and
// returns its cost in ns (the host applies noise and faults); `done` runs once with the
// outcome and the latency (wait + service).
class ServiceQueue {
public:
    virtual ~ServiceQueue() = default;
    virtual void submit(double weight, std::function<Nanos()> work,
                        std::function<void(ServiceOutcome, Nanos latency)> done) = 0;
    virtual double queued() const = 0;
    virtual double inflight() const = 0;
};

// A token bucket on the world's clock: `ratePerSec` tokens a second, up to `burst`.
class RateLimiter {
public:
    virtual ~RateLimiter() = default;
    virtual bool tryAcquire(double weight = 1.0) = 0;
    virtual Nanos timeUntilAvailable(double weight = 1.0) = 0;
};

class Infra {
public:
    virtual ~Infra() = default;
    // `component` is the server the queue stands for (its faults apply); metrics are
    // <metricPrefix>.requests/.rejected/.errors/.latency/.queue/.inflight.
    virtual std::unique_ptr<ServiceQueue> serviceQueue(ComponentId component, const ServiceConfig& config,
                                                       std::string_view metricPrefix) = 0;
    virtual std::unique_ptr<RateLimiter> rateLimiter(double ratePerSec, double burst) = 0;
};

} // namespace livedeck::sdk
