#include "backend/sim/calendar.h"

#include <cstdio>

namespace livedeck::sim {

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
std::int64_t Calendar::daysFromCivil(int y, int m, int d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + static_cast<unsigned>(d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilTime Calendar::civilFromUnixMs(std::int64_t unixMs)
{
    std::int64_t days = unixMs >= 0 ? unixMs / 86'400'000 : (unixMs - 86'399'999) / 86'400'000;
    std::int64_t msOfDay = unixMs - days * 86'400'000;
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    CivilTime c;
    c.year = static_cast<int>(y + (m <= 2));
    c.month = static_cast<int>(m);
    c.day = static_cast<int>(d);
    c.hour = static_cast<int>(msOfDay / 3'600'000);
    msOfDay %= 3'600'000;
    c.minute = static_cast<int>(msOfDay / 60'000);
    msOfDay %= 60'000;
    c.second = static_cast<int>(msOfDay / 1000);
    c.millisecond = static_cast<int>(msOfDay % 1000);
    return c;
}

Calendar::Calendar()
    : Calendar(fromCivil(CivilTime{2026, 12, 31, 23, 50, 0, 0}, kDefaultUtcOffsetMinutes))
{
}

Calendar::Calendar(std::int64_t startUnixMs, int utcOffsetMinutes)
    : m_startUnixMs(startUnixMs), m_offsetMinutes(utcOffsetMinutes)
{
}

Calendar Calendar::fromCivil(const CivilTime& c, int utcOffsetMinutes)
{
    const std::int64_t days = daysFromCivil(c.year, c.month, c.day);
    const std::int64_t localMs = days * 86'400'000 + c.hour * 3'600'000LL + c.minute * 60'000LL
        + c.second * 1000LL + c.millisecond;
    return Calendar(localMs - utcOffsetMinutes * 60'000LL, utcOffsetMinutes);
}

CivilTime Calendar::local(Nanos simTime) const
{
    return civilFromUnixMs(unixMs(simTime) + m_offsetMinutes * 60'000LL);
}

int Calendar::monthKey(Nanos simTime) const
{
    const CivilTime c = local(simTime);
    return c.year * 100 + c.month;
}

std::string Calendar::format(Nanos simTime) const
{
    const CivilTime c = local(simTime);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", c.year, c.month, c.day, c.hour,
                  c.minute, c.second, c.millisecond);
    return buf;
}

} // namespace livedeck::sim
