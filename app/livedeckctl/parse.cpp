#include "app/livedeckctl/parse.h"

#include "backend/engine/duration.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace livedeck::ctl {

bool parseUnsigned(std::string_view text, std::uint64_t& out)
{
    if (text.empty())
        return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

bool parseDouble(std::string_view text, double& out)
{
    if (text.empty())
        return false;
    if (text.front() == '+')
        text.remove_prefix(1);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

bool parseSimTime(std::string_view text, sim::Nanos& out)
{
    auto d = engine::parseDuration(std::string(text));
    if (d.ok() && *d > 0) {
        out = *d;
        return true;
    }
    double seconds = 0.0;
    if (parseDouble(text, seconds) && seconds > 0 && std::isfinite(seconds) && seconds < 3.6e6) {
        out = sim::fromSeconds(seconds);
        return true;
    }
    return false;
}

std::string numberG(double value)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", value);
    return buf;
}

std::string fixed(double value, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

} // namespace livedeck::ctl
