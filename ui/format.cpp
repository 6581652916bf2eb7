#include "ui/format.h"

#include "backend/sim/faults.h"

#include <QDateTime>
#include <QTimeZone>

#include <cmath>
#include <cstdlib>

namespace livedeck::ui {

QString formatSimTime(std::int64_t simTimeNs, bool withMillis)
{
    const bool negative = simTimeNs < 0;
    const std::uint64_t ns = negative ? static_cast<std::uint64_t>(-(simTimeNs + 1)) + 1 : static_cast<std::uint64_t>(simTimeNs);
    const std::uint64_t totalMs = ns / 1'000'000;
    const std::uint64_t ms = totalMs % 1000;
    const std::uint64_t totalS = totalMs / 1000;
    const std::uint64_t s = totalS % 60;
    const std::uint64_t m = (totalS / 60) % 60;
    const std::uint64_t h = totalS / 3600;
    QString text = (negative ? QStringLiteral("T-") : QStringLiteral("T+")) + QStringLiteral("%1:%2:%3")
                                                                                  .arg(h, 2, 10, QLatin1Char('0'))
                                                                                  .arg(m, 2, 10, QLatin1Char('0'))
                                                                                  .arg(s, 2, 10, QLatin1Char('0'));
    if (withMillis)
        text += QStringLiteral(".%1").arg(ms, 3, 10, QLatin1Char('0'));
    return text;
}

QString formatSimSeconds(std::int64_t simTimeNs)
{
    return QString::number(static_cast<double>(simTimeNs) / 1e9, 'f', 3) + QStringLiteral(" s");
}

QString formatCalendar(std::int64_t unixMs, int utcOffsetMinutes, bool withMillis)
{
    if (unixMs == 0)
        return QStringLiteral("—");
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(unixMs, QTimeZone(utcOffsetMinutes * 60));
    QString text = t.toString(withMillis ? QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz") : QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    const int h = std::abs(utcOffsetMinutes) / 60;
    const int m = std::abs(utcOffsetMinutes) % 60;
    text += QStringLiteral(" UTC%1%2").arg(utcOffsetMinutes < 0 ? QLatin1Char('-') : QLatin1Char('+')).arg(h);
    if (m != 0)
        text += QStringLiteral(":%1").arg(m, 2, 10, QLatin1Char('0'));
    return text;
}

QString formatCompact(double value, int precision)
{
    if (std::isnan(value))
        return QStringLiteral("—");
    const double a = std::fabs(value);
    struct Unit {
        double scale;
        const char* suffix;
    };
    static constexpr Unit kUnits[] = {{1e12, " T"}, {1e9, " G"}, {1e6, " M"}, {1e3, " K"}};
    for (const Unit& u : kUnits) {
        if (a >= u.scale)
            return QString::number(value / u.scale, 'g', precision) + QLatin1String(u.suffix);
    }
    if (a >= 100 || a == 0.0)
        return QString::number(value, 'f', 0);
    return QString::number(value, 'g', precision);
}

QString formatRate(double perSecond)
{
    if (std::isnan(perSecond))
        return QStringLiteral("—");
    return formatCompact(perSecond) + QStringLiteral("/s");
}

QString formatPercent(double ratio, int decimals)
{
    if (std::isnan(ratio) || ratio < 0)
        return QStringLiteral("—");
    return QString::number(ratio * 100.0, 'f', decimals) + QStringLiteral(" %");
}

QString formatMillis(double ms)
{
    if (std::isnan(ms) || ms < 0)
        return QStringLiteral("—");
    if (ms < 1.0)
        return QString::number(ms * 1000.0, 'f', 0) + QStringLiteral(" µs");
    if (ms < 1000.0)
        return QString::number(ms, 'g', 3) + QStringLiteral(" ms");
    return QString::number(ms / 1000.0, 'f', 2) + QStringLiteral(" s");
}

QString formatSpeed(double factor)
{
    if (!(factor > 0.0))
        return QStringLiteral("max");
    return QStringLiteral("×") + QString::number(factor, 'g', 4);
}

QString formatDuration(std::int64_t ns)
{
    const double s = static_cast<double>(ns) / 1e9;
    if (s < 60.0)
        return QString::number(s, 'f', 1) + QStringLiteral(" s");
    const auto total = static_cast<std::int64_t>(s);
    if (total < 3600)
        return QStringLiteral("%1 min %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(total / 3600).arg((total / 60) % 60, 2, 10, QLatin1Char('0'));
}

QString breakerStateName(v1::BreakerStateKind state)
{
    switch (state) {
    case v1::BREAKER_CLOSED:
        return QStringLiteral("closed");
    case v1::BREAKER_OPEN:
        return QStringLiteral("open");
    case v1::BREAKER_HALF_OPEN:
        return QStringLiteral("half-open");
    case v1::BREAKER_FORCED_OPEN:
        return QStringLiteral("forced-open");
    case v1::BREAKER_DISABLED:
        return QStringLiteral("disabled");
    case v1::BREAKER_METRICS_ONLY:
        return QStringLiteral("metrics-only");
    default:
        return QStringLiteral("unknown");
    }
}

QString severityName(v1::Severity severity)
{
    switch (severity) {
    case v1::SEVERITY_DEBUG:
        return QStringLiteral("debug");
    case v1::SEVERITY_INFO:
        return QStringLiteral("info");
    case v1::SEVERITY_WARNING:
        return QStringLiteral("warning");
    case v1::SEVERITY_ALERT:
        return QStringLiteral("alert");
    case v1::SEVERITY_VIOLATION:
        return QStringLiteral("violation");
    default:
        return QStringLiteral("—");
    }
}

QString faultKindName(v1::FaultKind kind)
{
    const std::string_view name = sim::FaultRegistry::kindName(kind);
    return QString::fromUtf8(name.data(), static_cast<qsizetype>(name.size()));
}

QString faultParamsText(const v1::FaultSpec& fault)
{
    QString text;
    for (const v1::FaultParam& p : fault.params()) {
        if (!text.isEmpty())
            text += QStringLiteral(", ");
        text += QString::fromStdString(p.name()) + QLatin1Char('=');
        text += p.text().empty() ? QString::number(p.value(), 'g', 6) : QString::fromStdString(p.text());
    }
    return text;
}

} // namespace livedeck::ui
