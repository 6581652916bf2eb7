// Deadline: the time by which a call chain must answer, carried from call to call so
// each hop spends only what is left of its caller's budget (docs/GIFTS.md: "the default
// cross-service timeout is 250 ms; the order path's database work is slower, so its
// timeout is set apart from that default").
//
// Contract: a value type holding an absolute simulated time (sim::Nanos; kNever = no
// deadline). remaining() and expired() read a sim::Clock, so a Deadline is tested on a
// sim::ManualClock. No allocation, trivially copyable, any thread (it holds no state
// but numbers).
//
// - child(clock, budget): the deadline of a downstream call: min(what the parent has
//   left, budget). A callee can never outlive its caller's deadline.
// - detached(clock, budget): a fresh budget from now, NOT bounded by the parent. For
//   work that must finish even though the caller's answer budget is spent: the order
//   path's database work (its own timeout, set apart from the 250 ms default) and the
//   payment re-check. The result remembers it was detached (for inspection and events).
// - Across the wire: toWire() gives the remaining budget at send time (a duration,
//   as gRPC's grpc-timeout header carries), fromWire() rebuilds a deadline from the
//   receiver's clock on arrival, so clock skew between hosts does not move deadlines.
//   As in gRPC, the hop's one-way latency is not subtracted: the callee's deadline lies
//   later than the caller's by that latency. A caller that must not be outlived sends
//   its budget minus the expected latency.
//
// Compared with the public counterparts: gRPC deadlines (absolute on the client,
// propagated as a relative timeout, children bounded by the parent) and Go's
// context.WithTimeout (min of parent and budget). Ours adds detached() explicitly:
// in Go the detached case is context.WithoutCancel + a new timeout (Go 1.21), in gRPC
// a new call without the propagated deadline.
#pragma once

#include "backend/sim/time.h"

#include <algorithm>

namespace livedeck::resilience {

// docs/GIFTS.md: the default cross-service timeout.
inline constexpr sim::Nanos kDefaultCrossServiceTimeout = 250 * sim::kMillisecond;

class Deadline {
public:
    // No deadline.
    constexpr Deadline() = default;
    static constexpr Deadline infinite() { return Deadline(); }
    static constexpr Deadline at(sim::Nanos absolute) { return Deadline(absolute, false); }
    // `budget` from now (negative budgets are an already-expired deadline).
    static Deadline after(const sim::Clock& clock, sim::Nanos budget) { return Deadline(addSat(clock.now(), budget), false); }
    // The default cross-service deadline from now (250 ms, docs/GIFTS.md).
    static Deadline crossService(const sim::Clock& clock) { return after(clock, kDefaultCrossServiceTimeout); }

    constexpr sim::Nanos expiresAt() const { return m_at; }
    constexpr bool isInfinite() const { return m_at == sim::kNever; }
    constexpr bool isDetached() const { return m_detached; }

    // Time left, never negative; kNever when infinite.
    sim::Nanos remaining(const sim::Clock& clock) const { return remainingAt(clock.now()); }
    constexpr sim::Nanos remainingAt(sim::Nanos now) const
    {
        if (m_at == sim::kNever)
            return sim::kNever;
        return m_at > now ? m_at - now : 0;
    }
    bool expired(const sim::Clock& clock) const { return expiredAt(clock.now()); }
    constexpr bool expiredAt(sim::Nanos now) const { return m_at != sim::kNever && now >= m_at; }

    // Downstream call: min(this deadline, now + budget). Inherits the detached flag.
    Deadline child(const sim::Clock& clock, sim::Nanos budget) const
    {
        return Deadline(std::min(m_at, addSat(clock.now(), budget)), m_detached);
    }
    // Fresh budget from now, not bounded by this deadline.
    Deadline detached(const sim::Clock& clock, sim::Nanos budget) const
    {
        return Deadline(addSat(clock.now(), budget), true);
    }
    // The earlier of two deadlines.
    constexpr Deadline earliest(const Deadline& other) const
    {
        return m_at <= other.m_at ? *this : other;
    }

    // Propagation as a relative budget (gRPC's grpc-timeout): kNever when infinite.
    sim::Nanos toWire(const sim::Clock& clock) const { return remaining(clock); }
    static Deadline fromWire(const sim::Clock& clock, sim::Nanos remainingBudget)
    {
        return remainingBudget == sim::kNever ? Deadline() : after(clock, remainingBudget);
    }

    friend constexpr bool operator==(const Deadline& a, const Deadline& b) { return a.m_at == b.m_at; }

private:
    constexpr Deadline(sim::Nanos at, bool detached) : m_at(at), m_detached(detached) {}
    static constexpr sim::Nanos addSat(sim::Nanos now, sim::Nanos budget)
    {
        if (budget >= sim::kNever - now)
            return sim::kNever;
        return now + budget;
    }

    sim::Nanos m_at = sim::kNever;
    bool m_detached = false;
};

} // namespace livedeck::resilience
