// Value parsing and number formatting for livedeckctl's commands (locale-independent).
#pragma once

#include "backend/sim/time.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace livedeck::ctl {

// The whole text is a non-negative decimal integer.
bool parseUnsigned(std::string_view text, std::uint64_t& out);
// The whole text is a number ("2", "-0.5", "1e3").
bool parseDouble(std::string_view text, double& out);
// A simulated time: a duration ("30s", "2m", "500ms") or plain seconds ("90"), > 0.
bool parseSimTime(std::string_view text, sim::Nanos& out);
// printf's %g (six significant digits): "60", "0.5", "1e+06".
std::string numberG(double value);
// printf's %.Nf.
std::string fixed(double value, int decimals);

} // namespace livedeck::ctl
