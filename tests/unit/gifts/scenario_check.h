// Shared by the gift scenario tests: runs a scenario and its sabotaged twin at reduced
// scale and checks the effect, the twin's failure and the invariants.
#pragma once

#include "backend/gifts/scenarios.h"

#include <QTest> // after the backend headers (Qt's `emit` macro)

#include <string>

namespace livedeck::gifts::test {

// Discrete scale of the scenario tests: 5 % of the fidelity floor (100 orders and
// 250 panel requests per simulated second); the real rates are unchanged.
inline constexpr double kTestScale = 0.05;

inline ScenarioOutcome runScenario(const char* name, bool twin, std::uint64_t seed = 3)
{
    ScenarioOptions o;
    o.scale = kTestScale;
    o.seed = seed;
    absl::StatusOr<Scenario> s = makeScenario(name, twin, o);
    if (!s.ok())
        qFatal("%s", std::string(s.status().message()).c_str());
    ScenarioRun run(std::move(*s), o);
    ScenarioOutcome out = run.run();
    qInfo("%s%s: %s", name, twin ? " (twin)" : "", out.summary().c_str());
    return out;
}

// Runs the scenario (or its twin) and says what did not hold: empty when its effect held
// and its invariants broke exactly as expected; otherwise the reasons and the summary.
inline std::string scenarioFailure(const char* name, bool twin)
{
    const ScenarioOutcome out = runScenario(name, twin);
    std::string why;
    if (!out.effect.holds)
        why += "effect missing; ";
    if (!out.invariantsAsExpected)
        why += "invariants not as expected; ";
    return why.empty() ? why : why + out.summary();
}

} // namespace livedeck::gifts::test
