#include "backend/resilience/sliding_window_limiter.h"

#include "backend/sim/strings.h"
#include "backend/telemetry/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace livedeck::resilience {

absl::Status SlidingWindowLimiter::validate(sim::Nanos window, double limit)
{
    if (window <= 0)
        return absl::InvalidArgumentError("sliding window limiter: window must be > 0 ns");
    if (!(limit > 0.0) || !std::isfinite(limit))
        return absl::InvalidArgumentError(sim::strFormat("sliding window limiter: limit %g must be a positive number", limit));
    return absl::OkStatus();
}

SlidingWindowLimiter::SlidingWindowLimiter(sim::Nanos window, double limit, const sim::Clock& clock)
    : m_clock(clock), m_window(window), m_invWindow(1.0 / static_cast<double>(window)), m_limit(limit)
{
    if (auto st = validate(window, limit); !st.ok()) {
        std::fprintf(stderr, "livedeck: %s\n", std::string(st.message()).c_str());
        std::abort();
    }
    m_index = clock.now() / window;
}

SlidingWindowLimiter::View SlidingWindowLimiter::viewAt(sim::Nanos now) const
{
    View v;
    const sim::Nanos start = m_index * m_window;
    // Most calls fall in the stored window: skip the 64-bit division.
    v.index = now >= start && now - start < m_window ? m_index : now / m_window;
    if (v.index == m_index) {
        v.previous = m_previous;
        v.current = m_current;
    } else if (v.index == m_index + 1) {
        v.previous = m_current;
        v.current = 0.0;
    } else {
        v.previous = 0.0;
        v.current = 0.0;
    }
    v.progress = static_cast<double>(now - v.index * m_window) * m_invWindow;
    return v;
}

double SlidingWindowLimiter::estimate() const
{
    const View v = viewAt(m_clock.now());
    return v.previous * (1.0 - v.progress) + v.current;
}

double SlidingWindowLimiter::previousCount() const
{
    return viewAt(m_clock.now()).previous;
}

double SlidingWindowLimiter::currentCount() const
{
    return viewAt(m_clock.now()).current;
}

bool SlidingWindowLimiter::tryAcquire(double weight)
{
    const View v = viewAt(m_clock.now());
    m_index = v.index;
    m_previous = v.previous;
    m_current = v.current;
    if (fits(v, weight)) {
        m_current += weight;
        m_acquired += weight;
        if (m_acquiredCounter)
            m_acquiredCounter->add(weight);
        return true;
    }
    m_rejected += weight;
    if (m_rejectedCounter)
        m_rejectedCounter->add(weight);
    return false;
}

bool SlidingWindowLimiter::fits(const View& v, double weight) const
{
    const double est = v.previous * (1.0 - v.progress) + v.current;
    return est + weight <= m_limit + kEpsilon || (weight > m_limit && est <= kEpsilon);
}

sim::Nanos SlidingWindowLimiter::timeUntilAvailable(double weight) const
{
    const sim::Nanos now = m_clock.now();
    const View v = viewAt(now);
    if (fits(v, weight))
        return 0;
    const sim::Nanos start = v.index * m_window;
    const auto W = static_cast<double>(m_window);
    // Analytic estimate: the earliest time in the window starting at `windowStart`
    // (previous = prev, current = cur) at which prev*(1-p) + cur + w fits.
    auto within = [&](sim::Nanos windowStart, double prev, double cur, sim::Nanos notBefore) -> sim::Nanos {
        if (weight > m_limit) {
            if (cur > 0.0)
                return sim::kNever;
            return prev <= 0.0 ? notBefore : std::max(notBefore, windowStart + m_window);
        }
        const double room = m_limit + kEpsilon - weight - cur;
        if (room < 0.0)
            return sim::kNever;
        if (prev <= room)
            return notBefore;
        const double p = 1.0 - room / prev; // in (0, 1]
        return std::max(notBefore, windowStart + static_cast<sim::Nanos>(std::ceil(p * W)));
    };
    sim::Nanos t = within(start, v.previous, v.current, now);
    if (t == sim::kNever)
        t = within(start + m_window, v.current, 0.0, start + m_window);
    if (t == sim::kNever)
        t = start + 2 * m_window; // both windows slid out
    t = std::max(t, now + 1);
    // The estimate never grows without traffic, so settle on the first nanosecond that
    // fits by the same arithmetic tryAcquire uses.
    while (t - 1 > now && fits(viewAt(t - 1), weight))
        --t;
    while (!fits(viewAt(t), weight))
        ++t;
    return t - now;
}

void SlidingWindowLimiter::attachMetrics(telemetry::MetricsRegistry& metrics, std::string_view component,
                                         std::string_view prefix)
{
    m_acquiredCounter = &metrics.counter(sim::strCat(prefix, ".acquired"), component);
    m_rejectedCounter = &metrics.counter(sim::strCat(prefix, ".rejected"), component);
}

void SlidingWindowLimiter::inspect(sim::StateWriter& out) const
{
    const View v = viewAt(m_clock.now());
    out.add("window_ms", sim::toMillis(m_window));
    out.add("limit", m_limit);
    out.add("previous", v.previous);
    out.add("current", v.current);
    out.add("estimate", v.previous * (1.0 - v.progress) + v.current);
    out.add("acquired", m_acquired);
    out.add("rejected", m_rejected);
}

} // namespace livedeck::resilience
