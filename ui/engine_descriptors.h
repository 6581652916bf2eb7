// What the console knows about the engines of a run, read from their descriptors
// (v1::Topology.engines, see docs/UI.md "Engines as data"). Every dashboard that
// shows something engine-specific — Overview tiles, chart headlines, legend labels,
// the Set-load and operator-action dialogs, the inspector's headline keys, the alerts
// panel's review queue — asks here and never names an engine itself. Engine-specific
// console views, when an engine has any, live in ui/engines/<engine>/.
// Plain functions over the protobuf messages; any thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QString>

#include <string>
#include <string_view>
#include <vector>

namespace livedeck::ui {

// A legend label: the series name without the prefix "<engine>." of the engine that
// describes it ("orders.placed" for an engine named like the series' first segment);
// other names unchanged.
QString legendName(std::string_view series, const v1::Topology& topology);

// Rank of a series among the headlines of a chart ("throughput", "errors", "latency")
// over every engine, engines in topology order; -1 when it is no headline there.
int headlineRank(const v1::Topology& topology, std::string_view chart, std::string_view series);

// The role the describing engine gives a metric (a trailing ".*" describes a family);
// METRIC_ROLE_UNSPECIFIED when no engine describes it.
v1::MetricRole metricRole(const v1::Topology& topology, std::string_view series);

// The component-kind descriptor of a kind (nullptr when no engine describes it).
const v1::ComponentKindDescriptor* componentKind(const v1::Topology& topology, std::string_view kind);

// The kinds whose descriptor carries this console view hint ("alerts.review-queue").
std::vector<std::string> kindsWithView(const v1::Topology& topology, std::string_view view);

// An engine's descriptor by name (nullptr when absent).
const v1::EngineDescriptor* engineNamed(const v1::Topology& topology, std::string_view name);

// One RegionHealth per region of a snapshot, as seen by one engine's probes (`engine`)
// or by all of them ("" : up when every engine sees it up; availability the lowest,
// p99 and error rate the highest, requests and probes summed, unreachable_from the
// union). Regions in first-seen order.
std::vector<v1::RegionHealth> regionHealthFor(const v1::Snapshot& snapshot, std::string_view engine);
// The engines that report region health in a snapshot, first-seen order.
std::vector<std::string> regionHealthEngines(const v1::Snapshot& snapshot);

class SeriesCatalog;

// A KPI tile's raw value over the latest values of a catalogue: the aggregate the tile
// names over every series of its name and type (a ratio: the sums' quotient, 0 when
// nothing was counted). NaN when no such series has a value.
double tileValue(const v1::KpiTile& tile, const SeriesCatalog& catalog);

// A KPI tile's value for display: value × scale (scale 0 = 1).
double tileScaled(const v1::KpiTile& tile, double value);
// The status a tile's thresholds give a (scaled) value: 0 good, 1 warning, 2 bad. A tile
// with good == warn == 0 is a plain figure (always good).
int tileGrade(const v1::KpiTile& tile, double scaled);
// The scaled value as text with the tile's decimals and unit ("99.993 %", "1.2 k/s").
QString tileText(const v1::KpiTile& tile, double scaled);

} // namespace livedeck::ui
