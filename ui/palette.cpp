#include "ui/palette.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace livedeck::ui::palette {
namespace {

QColor mix(const QColor& a, const QColor& b, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * t),
                            static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * t),
                            static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * t));
}

template <std::size_t N>
QColor ramp(const std::array<QColor, N>& stops, double t)
{
    if (std::isnan(t))
        return noDataColor();
    t = std::clamp(t, 0.0, 1.0) * static_cast<double>(N - 1);
    const auto i = std::min(static_cast<std::size_t>(t), N - 2);
    return mix(stops[i], stops[i + 1], t - static_cast<double>(i));
}

} // namespace

QColor breakerColor(v1::BreakerStateKind state)
{
    switch (state) {
    case v1::BREAKER_CLOSED:
        return QColor(0x2e, 0x9d, 0x46);
    case v1::BREAKER_HALF_OPEN:
        return QColor(0xf0, 0xa3, 0x0a);
    case v1::BREAKER_OPEN:
        return QColor(0xd6, 0x27, 0x28);
    case v1::BREAKER_FORCED_OPEN:
        return QColor(0x8e, 0x44, 0xad);
    case v1::BREAKER_DISABLED:
        return QColor(0x8a, 0x8f, 0x98);
    case v1::BREAKER_METRICS_ONLY:
        return QColor(0x2f, 0x7e, 0xd8);
    default:
        return QColor(0x55, 0x58, 0x5e);
    }
}

QColor textOn(const QColor& background)
{
    // Relative luminance (sRGB approximation); white text below ~0.45.
    const double l = 0.2126 * background.redF() + 0.7152 * background.greenF() + 0.0722 * background.blueF();
    return l > 0.55 ? QColor(0x14, 0x14, 0x18) : QColor(Qt::white);
}

QColor healthColor(double goodness)
{
    static const std::array<QColor, 3> kStops{QColor(0xd6, 0x27, 0x28), QColor(0xf0, 0xa3, 0x0a), QColor(0x2e, 0x9d, 0x46)};
    return ramp(kStops, goodness);
}

QColor heatColor(double intensity)
{
    static const std::array<QColor, 5> kStops{QColor(0xff, 0xf7, 0xd9), QColor(0xfe, 0xd9, 0x76), QColor(0xfd, 0x8d, 0x3c),
                                              QColor(0xe3, 0x1a, 0x1c), QColor(0x6b, 0x00, 0x0f)};
    return ramp(kStops, intensity);
}

QColor severityColor(v1::Severity severity)
{
    switch (severity) {
    case v1::SEVERITY_DEBUG:
        return QColor(0x80, 0x80, 0x88);
    case v1::SEVERITY_INFO:
        return QColor(0x20, 0x20, 0x28);
    case v1::SEVERITY_WARNING:
        return QColor(0xb0, 0x6a, 0x00);
    case v1::SEVERITY_ALERT:
        return QColor(0xc0, 0x1c, 0x1c);
    case v1::SEVERITY_VIOLATION:
        return QColor(0x8e, 0x24, 0xaa);
    default:
        return QColor(0x20, 0x20, 0x28);
    }
}

QColor seriesColor(int index)
{
    // Tableau-10-like, reordered so neighbours differ in brightness.
    static const std::array<QColor, 10> kColors{
        QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28),
        QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f),
        QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf)};
    return kColors[static_cast<std::size_t>(index) % kColors.size()];
}

} // namespace livedeck::ui::palette
