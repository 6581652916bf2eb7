// Multiwindow, multi-burn-rate SLO alerts as the Google SRE workbook describes them
// ("Alerting on SLOs", recommendation 6, for a 30-day SLO): page when the burn rate over
// 1 h and over 5 min both exceed 14.4 (2 % of the budget in an hour), open a ticket when
// over 6 h and over 30 min both exceed 6 (5 % in six hours). A burn rate is the error
// rate over a window divided by the error budget (1 - objective): 1 spends the budget
// exactly over the SLO period.
//
// Drills last seconds to minutes, so the windows are scaled by scaleFor(length): the
// 6 h window spans the whole drill and the others keep their ratios to it (a 60 s
// drill: 1 h -> 10 s, 5 min -> 0.83 s, 6 h -> 60 s, 30 min -> 5 s).
//
// Observations come with their time; each holds until the next one (time-weighted), so
// a snapshot rate higher than the metrics' rollup does not change the result.
// Plain C++ (no Qt): the board and its tests use it.
#pragma once

#include <deque>
#include <string>
#include <vector>

namespace sloburn {

struct AlertRule {
    std::string severity;  // "page", "ticket"
    double longWindowSec;
    double shortWindowSec;
    double burnRate;       // both windows must burn faster than this
};

// The workbook's two rules with windows multiplied by `scale`.
std::vector<AlertRule> workbookRules(double scale = 1.0);
// The scale that fits the 6 h window to a drill of `lengthSec` (1 when the length is
// unknown, <= 0: the workbook's windows as they are).
double scaleFor(double lengthSec);

struct AlertState {
    std::string severity;
    bool firing = false;
    double longBurn = 0.0;
    double shortBurn = 0.0;
};

class BurnRateTracker {
public:
    // objective in (0, 1): 0.999 = 99.9 % of events (or seconds) good.
    BurnRateTracker(double objective, std::vector<AlertRule> rules);

    // The share of bad events (0..1) observed at `timeSec`, holding from the previous
    // observation's time to this one. Times must not go back (an earlier one is ignored).
    void observe(double timeSec, double badFraction);

    double objective() const { return m_objective; }
    // Mean bad fraction over (now - window, now] divided by the budget; 0 without data.
    double burnRate(double windowSec) const;
    // The share of the budget left over everything observed (1 = untouched, < 0 = overspent).
    double budgetLeft() const;
    std::vector<AlertState> evaluate() const;
    const std::vector<AlertRule>& rules() const { return m_rules; }

private:
    struct Span {
        double from;
        double to;
        double bad;
    };
    double m_objective;
    std::vector<AlertRule> m_rules;
    std::deque<Span> m_spans;
    double m_lastTime = -1.0;
    double m_lastBad = 0.0;
    double m_totalTime = 0.0;
    double m_totalBad = 0.0;
    double m_keepSec = 0.0;
};

} // namespace sloburn
