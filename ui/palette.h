// The console's colours, in one place so every dashboard means the same thing by a
// colour: breaker states (closed green, half-open amber, open red, forced-open
// purple, disabled grey, metrics-only blue — the legend), health (good →
// bad), the heat ramp of the shard heatmap, severities, and fault markers.
// Colours are chosen to stay distinct for the common red/green colour deficiencies
// in brightness as well as hue, and to carry black or white text (textOn()).
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QColor>

namespace livedeck::ui::palette {

QColor breakerColor(v1::BreakerStateKind state);
// Black or white, whichever reads better on `background`.
QColor textOn(const QColor& background);
// Health from 0 (bad) to 1 (good): red → amber → green.
QColor healthColor(double goodness);
// Heat from 0 (cold) to 1 (hot): pale yellow → orange → dark red (sequential, YlOrRd-like).
QColor heatColor(double intensity);
QColor severityColor(v1::Severity severity);

inline QColor faultOnColor() { return QColor(0xd6, 0x27, 0x28); }
inline QColor faultOffColor() { return QColor(0x2c, 0xa0, 0x2c); }
inline QColor faultSpanColor() { return QColor(0xd6, 0x27, 0x28, 34); }
inline QColor downRegionColor() { return QColor(0x26, 0x26, 0x2b); }
inline QColor partitionColor() { return QColor(0xe0, 0x10, 0x10); }
inline QColor noDataColor() { return QColor(0xb8, 0xbd, 0xc6); }
// Line colours for charts, distinct in order.
QColor seriesColor(int index);

} // namespace livedeck::ui::palette
