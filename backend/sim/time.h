// Simulated time: int64 nanoseconds since the start of a run (docs/ARCHITECTURE.md, property 1).
// Every backend duration is a Nanos value; helpers convert at the edges only.
#pragma once

#include <cstdint>
#include <limits>

namespace livedeck::sim {

using Nanos = std::int64_t;

inline constexpr Nanos kNanosecond = 1;
inline constexpr Nanos kMicrosecond = 1'000;
inline constexpr Nanos kMillisecond = 1'000'000;
inline constexpr Nanos kSecond = 1'000'000'000;
inline constexpr Nanos kMinute = 60 * kSecond;
inline constexpr Nanos kHour = 60 * kMinute;
inline constexpr Nanos kNever = std::numeric_limits<Nanos>::max();

constexpr Nanos fromMillis(double ms) { return static_cast<Nanos>(ms * 1e6); }
constexpr Nanos fromSeconds(double s) { return static_cast<Nanos>(s * 1e9); }
constexpr double toMillis(Nanos t) { return static_cast<double>(t) / 1e6; }
constexpr double toSeconds(Nanos t) { return static_cast<double>(t) / 1e9; }

// Anything that can tell the simulated time. Resilience mechanisms take a Clock so
// they can be tested on a ManualClock without a scheduler.
class Clock {
public:
    virtual ~Clock() = default;
    virtual Nanos now() const = 0;
};

// A clock tests move by hand.
class ManualClock final : public Clock {
public:
    explicit ManualClock(Nanos start = 0) : m_now(start) {}
    Nanos now() const override { return m_now; }
    void set(Nanos t) { m_now = t; }
    void advance(Nanos d) { m_now += d; }

private:
    Nanos m_now;
};

} // namespace livedeck::sim
