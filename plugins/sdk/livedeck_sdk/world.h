// What an engine plugin sees of a run: the world (virtual time, scheduling, seeded
// random streams, components, faults, events) and its metrics. The host implements
// these interfaces over its own world and passes them in at build(); a plugin never
// links the host's libraries. Everything runs on the world's thread; nothing here reads
// the wall clock, so a run stays a function of (drill, seed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livedeck::sdk {

using Nanos = std::int64_t; // virtual time, nanoseconds since the run's start
inline constexpr Nanos kMicrosecond = 1'000;
inline constexpr Nanos kMillisecond = 1'000'000;
inline constexpr Nanos kSecond = 1'000'000'000;

// A component the engine registered (a path such as "sh-a/danmaku/gateway-0").
using ComponentId = std::uint32_t;
inline constexpr ComponentId kNoComponent = 0;

// A seeded random stream, derived from the run's seed and a path: the same path gives
// the same numbers in every run with that seed.
class RandomStream {
public:
    virtual ~RandomStream() = default;
    virtual std::uint64_t next() = 0;            // 64 random bits
    virtual double uniform01() = 0;              // [0, 1)
    virtual std::uint64_t uniformInt(std::uint64_t n) = 0; // [0, n), n > 0
    virtual bool bernoulli(double p) = 0;
    virtual double exponential(double mean) = 0; // mean > 0
};

enum class Severity { Info, Warning, Alert };

// Key/value pairs a component shows in the inspector.
class StateWriter {
public:
    virtual ~StateWriter() = default;
    virtual void add(std::string_view key, std::string_view value) = 0;
    virtual void add(std::string_view key, double value) = 0;
};

class World {
public:
    virtual ~World() = default;

    virtual Nanos now() const = 0;
    virtual std::uint64_t seed() const = 0;
    // Runs `callback` at now() + delay (delay >= 0). `kind` names the event kind
    // ("danmaku.deliver"); it goes into the trace hash.
    virtual void after(Nanos delay, std::string_view kind, ComponentId component, std::function<void()> callback) = 0;
    virtual std::unique_ptr<RandomStream> stream(std::string_view path) const = 0;

    // Regions of the run's topology ("sh-a", "sh-b", "gz").
    virtual std::vector<std::string> regions() const = 0;
    // Registers a component; the path's first segment names its region. Returns
    // kNoComponent and sets `error` when the path is taken or malformed. `inspect`
    // (may be empty) fills the inspector's view of it.
    virtual ComponentId addComponent(std::string_view path, std::string_view kind, std::string* error,
                                     std::function<void(StateWriter&)> inspect = {}) = 0;
    // Faults in force on a component (by its path, as drills name them).
    virtual bool isDown(ComponentId component) const = 0;
    virtual double extraLatencyMs(ComponentId component) const = 0; // latency faults: add_ms
    virtual double latencyMultiplier(ComponentId component) const = 0; // latency faults: multiply
    virtual double errorRate(ComponentId component) const = 0;     // error-rate faults

    virtual void raiseEvent(std::string_view kind, ComponentId component, Severity severity, std::string message) = 0;
};

// Metrics by name and component, rolled up each second by the host's telemetry.
class Counter {
public:
    virtual ~Counter() = default;
    virtual void add(double weight = 1.0) = 0;
    virtual double total() const = 0;
};
class Gauge {
public:
    virtual ~Gauge() = default;
    virtual void set(double value) = 0;
    virtual double value() const = 0;
};
class Histogram {
public:
    virtual ~Histogram() = default;
    virtual void record(Nanos value, double weight = 1.0) = 0; // rolled up in ms
};

class Metrics {
public:
    virtual ~Metrics() = default;
    // The same (name, component) gives the same object; the host owns it for the run.
    virtual Counter& counter(std::string_view name, std::string_view component) = 0;
    virtual Gauge& gauge(std::string_view name, std::string_view component) = 0;
    virtual Histogram& histogram(std::string_view name, std::string_view component) = 0;
};

} // namespace livedeck::sdk
