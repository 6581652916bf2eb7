// Text formatting shared by the dashboards: simulated time ("T+00:12:34.567"),
// calendar time of the run's own zone (Snapshot.calendar_unix_ms + the topology's UTC
// offset), rates, percentages, durations, speeds and state names. Pure functions,
// any thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QString>

#include <cstdint>

namespace livedeck::ui {

// "T+00:12:34.567" (hours grow past 99 as needed); negative times get "T-".
QString formatSimTime(std::int64_t simTimeNs, bool withMillis = true);
// Seconds with 3 decimals: "754.125 s".
QString formatSimSeconds(std::int64_t simTimeNs);
// "2026-12-31 23:59:58" in the run's zone (UTC offset in minutes); "—" when unknown (0).
QString formatCalendar(std::int64_t unixMs, int utcOffsetMinutes, bool withMillis = false);
// Compact numbers: 12.3 K, 4.56 M, 7.8 G; "—" for NaN.
QString formatCompact(double value, int precision = 3);
// "12.3 K/s"
QString formatRate(double perSecond);
// 0.9994 → "99.94 %"; negative (unknown) → "—".
QString formatPercent(double ratio, int decimals = 2);
// Milliseconds with a sensible unit: "850 µs", "12.4 ms", "3.20 s".
QString formatMillis(double ms);
// Requested speed factor: "×1", "×0.1", "×1000", "max" (<= 0).
QString formatSpeed(double factor);
// A duration in nanoseconds: "12.0 s", "3 min 05 s", "2 h 01 min".
QString formatDuration(std::int64_t ns);

QString breakerStateName(v1::BreakerStateKind state);   // "closed", "half-open", ...
QString severityName(v1::Severity severity);             // "info", "warning", ...
QString faultKindName(v1::FaultKind kind);                // "latency", "error-rate", ... (FaultRegistry names)
// "add_ms=100, multiply=2, peer=gz"
QString faultParamsText(const v1::FaultSpec& fault);

} // namespace livedeck::ui
