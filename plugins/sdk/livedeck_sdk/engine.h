// The engine-plugin contract in plain C++ (no Qt, no protobuf, no host library): what a
// plugin's engine factory and engine implement, the description the host turns into
// its EngineDescriptor (metrics, KPI tiles, chart headlines, load profiles, actions,
// component kinds, invariants), the settings tree a drill file's section arrives as, and
// the one C entry point a plugin library exports. The host's contract (backend/engine/
// engine.h, docs/PLUGINS.md) applies unchanged: the host adapts these to it.
#pragma once

#include "livedeck_sdk/infra.h"
#include "livedeck_sdk/version.h"
#include "livedeck_sdk/world.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livedeck::sdk {

// ------------------------------------------------------------------ settings tree
// A drill file's YAML as the host read it, with each node's 1-based position, so a
// plugin's error lands at "file:line:col" like a built-in engine's.
struct Node {
    enum class Type { Null, Scalar, List, Map };
    Type type = Type::Null;
    std::string scalar;
    std::vector<Node> list;
    std::vector<std::pair<std::string, Node>> map; // in file order
    int line = 0;
    int column = 0;

    const Node* find(std::string_view key) const
    {
        for (const auto& [k, v] : map) {
            if (k == key)
                return &v;
        }
        return nullptr;
    }
};

struct ParseError {
    std::string message; // empty: no error
    int line = 0;
    int column = 0;
    bool failed() const { return !message.empty(); }
    void set(const Node& at, std::string text)
    {
        if (message.empty()) {
            message = std::move(text);
            line = at.line;
            column = at.column;
        }
    }
};

// Reads `key` of map `node` as a number in [min, max]; `fallback` when absent. On a
// bad value records the error at the value and returns `fallback`.
inline double readNumber(const Node& node, std::string_view key, double fallback, double min, double max,
                         std::string_view what, ParseError& error)
{
    const Node* v = node.find(key);
    if (!v)
        return fallback;
    const std::string name = std::string(what) + "." + std::string(key);
    if (v->type != Node::Type::Scalar) {
        error.set(*v, name + ": expected a number");
        return fallback;
    }
    std::size_t used = 0;
    double x = 0.0;
    try {
        x = std::stod(v->scalar, &used);
    } catch (...) {
        used = 0;
    }
    if (used == 0 || used != v->scalar.size()) {
        error.set(*v, name + ": expected a number, got '" + v->scalar + "'");
        return fallback;
    }
    if (!(x >= min && x <= max)) {
        error.set(*v, name + ": " + v->scalar + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
        return fallback;
    }
    return x;
}

// Refuses keys of map `node` outside `allowed` (an empty node is an empty map).
inline void checkKeys(const Node& node, std::vector<std::string_view> allowed, std::string_view what,
                      ParseError& error)
{
    if (node.type == Node::Type::Null)
        return;
    if (node.type != Node::Type::Map) {
        error.set(node, std::string(what) + ": expected a map");
        return;
    }
    for (const auto& [k, v] : node.map) {
        bool ok = false;
        for (std::string_view a : allowed)
            ok = ok || a == k;
        if (!ok) {
            std::string list;
            for (std::string_view a : allowed)
                list += (list.empty() ? "" : ", ") + std::string(a);
            error.set(v, std::string(what) + ": unknown key '" + k + "' (expected one of " + list + ")");
            return;
        }
    }
}

// ------------------------------------------------------------------ description
enum class MetricKind { Counter, Gauge, Histogram };
enum class MetricRole { Unspecified, Throughput, Latency, Errors, Saturation, Ratio, State };
enum class Aggregate { Sum, Mean, Min, Max, Ratio };
// Which series of a metric a tile reads: a counter's rate, a histogram's p99, a gauge's value.
enum class SeriesType { Rate, Total, Value, P50, P99 };
enum class ActionTarget { None, Region, Component, Text };

struct MetricDescription {
    std::string name; // "danmaku.accepted"; "danmaku.room.*" describes a family
    MetricKind kind = MetricKind::Gauge;
    std::string unit;
    std::string description;
    MetricRole role = MetricRole::Unspecified;
};

struct TileDescription {
    std::string id;
    std::string title;
    std::string series;
    SeriesType type = SeriesType::Value;
    Aggregate aggregate = Aggregate::Sum;
    std::string denominatorSeries; // Aggregate::Ratio only
    std::string unit;
    double scale = 1.0;
    bool higherIsBetter = true;
    double good = 0.0;
    double warn = 0.0;
    std::string targetText;
    int decimals = 0;
};

struct ChartDescription {
    std::string chart; // "throughput", "errors", "latency", "saturation"
    std::vector<std::string> series;
};

struct ParamDescription {
    std::string name;
    std::string description;
    std::string unit;
    double defaultValue = 0.0;
    double min = 0.0;
    double max = 0.0;
};

struct LoadProfileDescription {
    std::string name;
    std::string description;
    std::vector<ParamDescription> params;
};

struct ActionDescription {
    std::string name;
    std::string description;
    ActionTarget target = ActionTarget::None;
    std::string targetHint;
    bool changesWorld = true;
};

struct ComponentKindDescription {
    std::string kind;
    std::string description;
    std::vector<std::string> headlineKeys;
    std::string view; // an inspector view that shows it ("danmaku.room"), may be empty
};

struct InvariantDescription {
    std::string name;
    std::string description;
};

struct EngineDescription {
    std::string name;
    std::string title;
    std::string description;
    std::vector<MetricDescription> metrics;
    std::vector<TileDescription> tiles;
    std::vector<ChartDescription> charts;
    std::vector<LoadProfileDescription> loadProfiles;
    std::vector<ActionDescription> actions;
    std::vector<ComponentKindDescription> componentKinds;
    std::vector<InvariantDescription> invariants;
};

// ------------------------------------------------------------------ engine
class Settings {
public:
    virtual ~Settings() = default;
};

struct LoadRequest {
    std::string profile;
    double multiplier = 1.0;
    std::shared_ptr<const Settings> params; // from parseLoad(); may be null
};

struct ActionRequest {
    std::string action;
    std::string target;
    double value = 0.0;
};

struct InvariantCheck {
    std::string name;
    bool passed = true;
    std::string detail;
};

// What build() gets: the host's world, metrics and infrastructure, valid for the run.
struct Context {
    World& world;
    Metrics& metrics;
    Infra& infra;
};

// Same contract as the host's Engine (backend/engine/engine.h). Errors are returned as
// text (empty: success).
class Engine {
public:
    virtual ~Engine() = default;
    virtual void start() = 0;
    virtual std::string applyLoad(const LoadRequest& load) = 0;
    virtual std::string setLoad(const std::string& profile, double multiplier) = 0;
    virtual std::string applyAction(const ActionRequest& action) = 0;
    virtual void checkInvariants(std::vector<InvariantCheck>& out) = 0;
    virtual void finalInvariants(std::vector<InvariantCheck>& out) { checkInvariants(out); }
};

class EngineFactory {
public:
    virtual ~EngineFactory() = default;
    virtual EngineDescription describe() const = 0;
    // `engines.<name>` (a Null node for an empty section). Returns null and sets `error`
    // on bad input.
    virtual std::shared_ptr<const Settings> parseSettings(const Node& node, ParseError& error) const = 0;
    // One `load:` entry's params for a profile of describe().loadProfiles.
    virtual std::shared_ptr<const Settings> parseLoad(const std::string& profile, const Node& params,
                                                      ParseError& error) const = 0;
    // Builds the engine into the run; null with `error` set when it cannot.
    virtual std::unique_ptr<Engine> build(Context& context, const Settings& settings, std::string& error) const = 0;
};

// ------------------------------------------------------------------ registration
class Registrar {
public:
    virtual ~Registrar() = default;
    // Adds an engine; false with `error` set when refused (a name already registered,
    // built in or by another plugin).
    virtual bool addEngine(std::shared_ptr<const EngineFactory> factory, std::string& error) = 0;
};

} // namespace livedeck::sdk

// The one symbol an engine plugin exports (C linkage, so the host finds it by name).
// `abi` must equal the host's LIVEDECK_SDK_API_VERSION; `pluginId` and `version` must
// match the plugin's metadata file; `buildId` is the livedeck build it was compiled
// against (recorded). registerEngines returns false and fills `error` on failure.
extern "C" {
struct LivedeckEnginePlugin {
    unsigned abi;
    const char* buildId;
    const char* pluginId;
    const char* version;
    bool (*registerEngines)(livedeck::sdk::Registrar* registrar, std::string* error);
};
typedef const LivedeckEnginePlugin* (*LivedeckEnginePluginEntryFn)();
}
#define LIVEDECK_ENGINE_PLUGIN_ENTRY "livedeck_engine_plugin"
#define LIVEDECK_ENGINE_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
