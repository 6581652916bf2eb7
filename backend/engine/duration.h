// Durations in drill files: a number with a unit, units joined largest first —
// "250ms", "5s", "1.5s", "10m", "1h", "1h30m", "2m30s", "500us". Units: h, m, s, ms,
// us (µs also accepted). A bare number is refused (a drill author must say the unit).
// Values are converted to simulated nanoseconds (sim::Nanos), rounded to the nearest
// nanosecond; the largest accepted duration is 1000 h (far beyond any drill).
#pragma once

#include "backend/sim/time.h"

#include <absl/status/statusor.h>

#include <string>
#include <string_view>

namespace livedeck::engine {

inline constexpr sim::Nanos kMaxDuration = 1000 * sim::kHour;

// InvalidArgument names what was expected ("expected a duration such as 250ms, 5s, ...").
absl::StatusOr<sim::Nanos> parseDuration(std::string_view text);
// The shortest exact spelling in the same syntax: "1h30m", "250ms", "1.5s", "0s".
std::string formatDuration(sim::Nanos duration);

} // namespace livedeck::engine
