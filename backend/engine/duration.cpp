#include "backend/engine/duration.h"

#include "backend/engine/json_writer.h"
#include "backend/sim/strings.h"

#include <charconv>
#include <cmath>

namespace livedeck::engine {
namespace {

struct Unit {
    std::string_view name;
    sim::Nanos size;
};
// Longest names first where one is a prefix of another ("ms" before "m").
constexpr Unit kUnits[] = {
    {"h", sim::kHour}, {"ms", sim::kMillisecond}, {"m", sim::kMinute}, {"s", sim::kSecond},
    {"us", sim::kMicrosecond}, {"\xC2\xB5s", sim::kMicrosecond},
};

absl::Status bad(std::string_view text, std::string_view why = {})
{
    return absl::InvalidArgumentError(sim::strCat("expected a duration such as 250ms, 5s, 10m, 1h or 1h30m, got '", text,
                                                  "'", why.empty() ? "" : " (", why, why.empty() ? "" : ")"));
}

} // namespace

absl::StatusOr<sim::Nanos> parseDuration(std::string_view text)
{
    if (text.empty())
        return bad(text, "empty");
    std::size_t i = 0;
    double total = 0.0;
    sim::Nanos lastUnit = 0; // units must strictly decrease: "1h30m", not "30m1h"
    while (i < text.size()) {
        const std::size_t numStart = i;
        bool digits = false;
        bool dot = false;
        while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || (text[i] == '.' && !dot))) {
            if (text[i] == '.')
                dot = true;
            else
                digits = true;
            ++i;
        }
        if (!digits)
            return bad(text, i == numStart ? "a number must come before each unit" : "a number has no digits");
        double value = 0.0;
        const auto [end, ec] = std::from_chars(text.data() + numStart, text.data() + i, value);
        if (ec != std::errc() || end != text.data() + i)
            return bad(text, "a number is malformed");
        const Unit* unit = nullptr;
        for (const Unit& u : kUnits) {
            if (text.substr(i, u.name.size()) == u.name) {
                unit = &u;
                break;
            }
        }
        if (!unit)
            return bad(text, i == text.size() ? "the unit is missing: h, m, s, ms or us" : "unknown unit: use h, m, s, ms or us");
        if (lastUnit != 0 && unit->size >= lastUnit)
            return bad(text, "units must go from largest to smallest, each once");
        lastUnit = unit->size;
        i += unit->name.size();
        total += value * static_cast<double>(unit->size);
        if (!(total <= static_cast<double>(kMaxDuration)))
            return bad(text, "longer than 1000h");
    }
    return static_cast<sim::Nanos>(std::llround(total));
}

std::string formatDuration(sim::Nanos d)
{
    if (d == 0)
        return "0s";
    std::string s;
    if (d < 0) {
        s = "-";
        d = -d;
    }
    if (d % sim::kMillisecond != 0 && d < sim::kMillisecond)
        return s + numberText(static_cast<double>(d) / 1e3) + "us";
    if (d < sim::kSecond)
        return s + numberText(static_cast<double>(d) / 1e6) + "ms";
    const sim::Nanos hours = d / sim::kHour;
    const sim::Nanos minutes = (d % sim::kHour) / sim::kMinute;
    const sim::Nanos rest = d % sim::kMinute;
    if (hours)
        s += sim::strCat(hours, "h");
    if (minutes)
        s += sim::strCat(minutes, "m");
    if (rest) {
        if (rest % sim::kSecond == 0)
            s += sim::strCat(rest / sim::kSecond, "s");
        else
            s += numberText(static_cast<double>(rest) / 1e9) + "s";
    }
    return s;
}

} // namespace livedeck::engine
