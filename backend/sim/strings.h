// String helpers for the backend. Debian 12's abseil (20220623) has its own
// absl::string_view, distinct from std::string_view, so absl::StrCat/StrFormat do
// not accept std::string_view; these helpers do. absl::Status messages take the
// std::string these return.
#pragma once

#include <xxhash.h>

#include <cmath>
#include <concepts>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <string_view>

namespace livedeck::sim {

namespace detail {
inline void append(std::string& s, std::string_view v) { s.append(v); }
inline void append(std::string& s, const char* v) { s.append(v); }
inline void append(std::string& s, const std::string& v) { s.append(v); }
inline void append(std::string& s, char c) { s.push_back(c); }
inline void append(std::string& s, bool b) { s.append(b ? "true" : "false"); }
template <std::integral T>
    requires(!std::same_as<T, char> && !std::same_as<T, bool>)
inline void append(std::string& s, T v)
{
    s.append(std::to_string(v));
}
inline void append(std::string& s, double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    s.append(buf);
}
} // namespace detail

template <class... Args>
std::string strCat(const Args&... args)
{
    std::string s;
    (detail::append(s, args), ...);
    return s;
}

// printf-style formatting into a std::string.
__attribute__((format(printf, 1, 2))) inline std::string strFormat(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    const int n = std::vsnprintf(nullptr, 0, fmt, ap);
    va_end(ap);
    std::string s(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
    if (n > 0)
        std::vsnprintf(s.data(), s.size() + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

// What printf's "%.0f" writes for v (round half to even, "-0" for a negative value that
// rounds to zero), without printf's multi-precision path for values that fit in 53 bits.
inline std::string wholeText(double v)
{
    const double r = std::nearbyint(v); // the default rounding mode: to nearest, ties to even
    if (!(std::fabs(r) < 9007199254740992.0)) // 2^53, infinities and NaN
        return strFormat("%.0f", v);
    if (r == 0.0 && std::signbit(r))
        return "-0";
    return std::to_string(static_cast<long long>(r));
}

// Transparent hash/equality so hash maps keyed by std::string accept std::string_view.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};
struct StringEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

} // namespace livedeck::sim
