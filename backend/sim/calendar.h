// Calendar: maps simulated time to a wall-calendar instant chosen by the drill, so
// month partitions and dates are real. Default start: 2026-12-31 23:50 at UTC+08:00
// (Beijing time), so a New Year gala crosses into a new month and a new year.
// Pure arithmetic (days-from-civil), no time-zone database and no wall clock.
#pragma once

#include "backend/sim/time.h"

#include <cstdint>
#include <string>

namespace livedeck::sim {

struct CivilTime {
    int year = 1970;
    int month = 1;  // 1..12
    int day = 1;    // 1..31
    int hour = 0;
    int minute = 0;
    int second = 0;
    int millisecond = 0;
};

class Calendar {
public:
    static constexpr int kDefaultUtcOffsetMinutes = 8 * 60;
    Calendar(); // the default start
    Calendar(std::int64_t startUnixMs, int utcOffsetMinutes);
    // From a local civil time ("2026-12-31T23:50:00") at the given offset.
    static Calendar fromCivil(const CivilTime& localStart, int utcOffsetMinutes);

    std::int64_t startUnixMs() const { return m_startUnixMs; }
    int utcOffsetMinutes() const { return m_offsetMinutes; }
    std::int64_t unixMs(Nanos simTime) const { return m_startUnixMs + simTime / kMillisecond; }
    CivilTime local(Nanos simTime) const;
    // Month partition key of the local date, e.g. 202612.
    int monthKey(Nanos simTime) const;
    // "2026-12-31 23:59:58.250"
    std::string format(Nanos simTime) const;

    static std::int64_t daysFromCivil(int y, int m, int d);
    static CivilTime civilFromUnixMs(std::int64_t unixMs);

private:
    std::int64_t m_startUnixMs;
    int m_offsetMinutes;
};

} // namespace livedeck::sim
