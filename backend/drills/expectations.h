// The checks of a drill run, evaluated as the world runs (DrillRun feeds them):
// - SeriesMatcher: the rolled-up series a MetricSelector names, combined into one
//   value per rollup (sum / mean / min / max over the matching series, NaN skipped).
// - TimeAnchors: the actual start and end times of the drill's named faults (an
//   operator may clear a fault early, so the file's times are not enough), the stop
//   time; resolves a TimeRef once its anchor is known.
// - MetricExpectation: a statistic (mean/min/max/first/last/sum) of a series over the
//   window (from, to], compared with a Condition; final once the window closed.
// - EventExpectation: "an event of kind K (on component C, with fields F) within D
//   after T", "never in [from, to]", or "a count in [from, to]" over EventLog events.
// - HaltCondition tracking and InvariantTracker (latching failures with their time).
// Times are simulated nanoseconds; a rollup at time t covers (t - 1 s, t]. Everything
// runs on the world's thread; nothing here changes the world.
#pragma once

#include "backend/drills/drill_report.h"
#include "backend/drills/drill_spec.h"
#include "backend/drills/engine.h"
#include "backend/telemetry/telemetry.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/container/flat_hash_map.h>

#include <optional>
#include <string>
#include <vector>

namespace livedeck::drills {

class SeriesMatcher {
public:
    explicit SeriesMatcher(MetricSelector selector) : m_selector(std::move(selector)) {}

    // The combined value of the matching series in the telemetry's last rollup;
    // nullopt when no matching series had a (non-NaN) value.
    std::optional<double> value(const telemetry::Telemetry& telemetry);
    std::size_t matched() const { return m_ids.size(); }
    const MetricSelector& selector() const { return m_selector; }

    static bool labelsMatch(std::string_view wanted, std::string_view labels);

private:
    void refresh(const telemetry::MetricsRegistry& metrics);

    MetricSelector m_selector;
    std::vector<std::uint32_t> m_ids;
    std::size_t m_metricsSeen = 0;
};

class TimeAnchors {
public:
    void setEnd(sim::Nanos end) { m_end = end; }
    sim::Nanos end() const { return m_end; }
    void faultStarted(const std::string& name, sim::Nanos t);
    void faultEnded(const std::string& name, sim::Nanos t);
    // nullopt while the anchor is unknown (a fault that has not started or ended yet).
    std::optional<sim::Nanos> resolve(const TimeRef& ref) const;
    // "outage.start (not reached)" style text for a TimeRef that did not resolve.
    std::string why(const TimeRef& ref) const;

private:
    struct Times {
        sim::Nanos start = -1;
        sim::Nanos end = -1;
    };
    sim::Nanos m_end = sim::kNever;
    absl::flat_hash_map<std::string, Times> m_faults;
};

class MetricExpectation {
public:
    explicit MetricExpectation(const ExpectationSpec& spec) : m_spec(spec), m_series(spec.metric.metric) {}

    void onRollup(sim::Nanos t, const telemetry::Telemetry& telemetry, const TimeAnchors& anchors);
    void finish(sim::Nanos t, const TimeAnchors& anchors);
    ExpectationResult result() const;

private:
    std::optional<double> statValue() const;

    const ExpectationSpec& m_spec;
    SeriesMatcher m_series;
    std::size_t m_count = 0;
    double m_sum = 0.0;
    double m_min = 0.0;
    double m_max = 0.0;
    double m_first = 0.0;
    double m_last = 0.0;
    sim::Nanos m_firstAt = -1;
    sim::Nanos m_lastAt = -1;
    bool m_final = false;
    std::string m_note; // why the window never opened, when it did not
};

class EventExpectation {
public:
    explicit EventExpectation(const ExpectationSpec& spec) : m_spec(spec) {}

    bool matches(const v1::Event& event) const;
    void onEvent(const v1::Event& event, const TimeAnchors& anchors);
    // Called when a fault anchor resolved and at every rollup (deadlines).
    void onTime(sim::Nanos now, const TimeAnchors& anchors);
    void finish(sim::Nanos t, const TimeAnchors& anchors);
    ExpectationResult result() const;

private:
    const ExpectationSpec& m_spec;
    bool m_passed = false;
    bool m_final = false;
    sim::Nanos m_lastMatch = -1;
    std::uint64_t m_count = 0;
    std::optional<double> m_observed;
    std::string m_observedText;
};

class HaltTracker {
public:
    explicit HaltTracker(const HaltCondition& spec) : m_spec(spec), m_series(spec.metric) {}
    // True when the halt fires at this rollup; reason() then says why.
    bool onRollup(sim::Nanos t, const telemetry::Telemetry& telemetry);
    const std::string& reason() const { return m_reason; }

private:
    const HaltCondition& m_spec;
    SeriesMatcher m_series;
    sim::Nanos m_trueSince = -1;
    std::string m_reason;
};

class InvariantTracker {
public:
    // `names`: the invariants to check, in report order; weight for the score.
    // `liveness`: those among them judged by their final check only (InvariantOffer).
    InvariantTracker(std::vector<std::string> names, double weight, std::vector<std::string> liveness = {});
    // `final`: the drill's last check. A safety invariant fails at its first failing
    // check; a liveness invariant only when its final check fails.
    void update(const std::vector<InvariantCheck>& checks, sim::Nanos t, bool final = false);
    // A VIOLATION event: fails drill.no-violations, and "invariant.<name>" fails <name>.
    void onViolation(const v1::Event& event);
    const std::vector<InvariantResult>& results() const { return m_results; }
    bool allPassed() const;

private:
    InvariantResult* find(std::string_view name);
    bool isLiveness(std::string_view name) const;
    std::vector<InvariantResult> m_results;
    std::vector<std::string> m_liveness;
};

// 0..100 from the weights of what passed; 100 when nothing carries weight.
double drillScore(const std::vector<ExpectationResult>& expectations, const std::vector<InvariantResult>& invariants);

} // namespace livedeck::drills
