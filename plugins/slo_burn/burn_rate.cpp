#include "burn_rate.h"

#include <algorithm>

namespace sloburn {

std::vector<AlertRule> workbookRules(double scale)
{
    constexpr double kHour = 3600.0;
    constexpr double kMinute = 60.0;
    return {{"page", 1 * kHour * scale, 5 * kMinute * scale, 14.4},
            {"ticket", 6 * kHour * scale, 30 * kMinute * scale, 6.0}};
}

double scaleFor(double lengthSec)
{
    return lengthSec > 0.0 ? lengthSec / (6 * 3600.0) : 1.0;
}

BurnRateTracker::BurnRateTracker(double objective, std::vector<AlertRule> rules)
    : m_objective(std::clamp(objective, 1e-9, 1.0 - 1e-9)), m_rules(std::move(rules))
{
    for (const AlertRule& r : m_rules)
        m_keepSec = std::max({m_keepSec, r.longWindowSec, r.shortWindowSec});
}

void BurnRateTracker::observe(double timeSec, double badFraction)
{
    badFraction = std::clamp(badFraction, 0.0, 1.0);
    if (m_lastTime < 0.0) {
        m_lastTime = timeSec;
        m_lastBad = badFraction;
        return;
    }
    if (timeSec < m_lastTime)
        return;
    if (timeSec > m_lastTime) {
        // The previous observation held until now.
        m_spans.push_back(Span{m_lastTime, timeSec, m_lastBad});
        m_totalTime += timeSec - m_lastTime;
        m_totalBad += (timeSec - m_lastTime) * m_lastBad;
        while (!m_spans.empty() && m_spans.front().to < timeSec - m_keepSec)
            m_spans.pop_front();
    }
    m_lastTime = timeSec;
    m_lastBad = badFraction;
}

double BurnRateTracker::burnRate(double windowSec) const
{
    if (m_spans.empty() || windowSec <= 0.0)
        return 0.0;
    const double now = m_spans.back().to;
    const double from = now - windowSec;
    double time = 0.0;
    double bad = 0.0;
    for (auto it = m_spans.rbegin(); it != m_spans.rend() && it->to > from; ++it) {
        const double overlap = it->to - std::max(it->from, from);
        time += overlap;
        bad += overlap * it->bad;
    }
    if (time <= 0.0)
        return 0.0;
    return (bad / time) / (1.0 - m_objective);
}

double BurnRateTracker::budgetLeft() const
{
    if (m_totalTime <= 0.0)
        return 1.0;
    return 1.0 - (m_totalBad / m_totalTime) / (1.0 - m_objective);
}

std::vector<AlertState> BurnRateTracker::evaluate() const
{
    std::vector<AlertState> out;
    for (const AlertRule& r : m_rules) {
        AlertState s;
        s.severity = r.severity;
        s.longBurn = burnRate(r.longWindowSec);
        s.shortBurn = burnRate(r.shortWindowSec);
        s.firing = s.longBurn > r.burnRate && s.shortBurn > r.burnRate;
        out.push_back(s);
    }
    return out;
}

} // namespace sloburn
