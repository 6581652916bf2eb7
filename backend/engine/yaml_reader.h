// Strict readers over yaml-cpp nodes for drill files and engine sections. Every reader
// either returns a value or throws DrillError at the node's position (1-based line and
// column) with a message that says what was expected: unknown keys name the allowed
// ones, numbers their range, durations their syntax (duration.h). Maps refuse
// duplicate keys (yaml-cpp itself keeps both silently).
//
// Engine factories use these to validate their own sections (engine.h). Throwing is
// confined to the drills library: DrillLoader and DrillRun::create turn a DrillError
// into an absl::Status "file:line:col: message".
#pragma once

#include "backend/engine/drill_error.h"
#include "backend/sim/time.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::engine {

SourcePos posOf(const YAML::Node& node);
[[noreturn]] void fail(const YAML::Node& node, std::string message);
[[noreturn]] void fail(SourcePos pos, std::string message);
// "a map", "a list", "a value", "nothing"
std::string_view describe(const YAML::Node& node);

// Scalars. `what` names the value in messages ("fault.at", "weight").
std::string scalarText(const YAML::Node& node, std::string_view what);
double numberValue(const YAML::Node& node, std::string_view what, double min, double max);
std::int64_t integerValue(const YAML::Node& node, std::string_view what, std::int64_t min, std::int64_t max);
std::uint64_t unsignedValue(const YAML::Node& node, std::string_view what);
bool boolValue(const YAML::Node& node, std::string_view what); // true/false, yes/no, on/off
sim::Nanos durationValue(const YAML::Node& node, std::string_view what, sim::Nanos min = 0,
                         sim::Nanos max = sim::kNever);
// A list, or a single value standing for a list of one.
std::vector<YAML::Node> listOf(const YAML::Node& node, std::string_view what);
// Parses a plain number the way drill files write them (no locale; '+' allowed).
bool parseNumber(std::string_view text, double& out);

class YamlMap {
public:
    struct Entry {
        std::string key;
        YAML::Node keyNode;
        YAML::Node value;
    };

    // `node` must be a map; a null node (an empty section) counts as an empty map.
    // `what` names it in messages ("fault", "engines.synthetic"). Keys outside `allowed`
    // are refused, naming the allowed ones.
    YamlMap(const YAML::Node& node, std::string what, std::initializer_list<std::string_view> allowed);
    // Any keys (the caller checks them, e.g. a map from engine name to section).
    YamlMap(const YAML::Node& node, std::string what);

    const std::string& what() const { return m_what; }
    SourcePos pos() const { return m_pos; }
    const std::vector<Entry>& entries() const { return m_entries; }

    bool has(std::string_view key) const { return find(key) != nullptr; }
    // The value node; an invalid node when absent (check has() first).
    YAML::Node get(std::string_view key) const;
    // The value node; throws "<what> needs '<key>'" at the map when absent or null.
    YAML::Node require(std::string_view key) const;
    SourcePos keyPos(std::string_view key) const;

    std::string string(std::string_view key, std::string fallback = {}) const;
    double number(std::string_view key, double fallback, double min, double max) const;
    std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
    bool boolean(std::string_view key, bool fallback) const;
    sim::Nanos duration(std::string_view key, sim::Nanos fallback, sim::Nanos min = 0, sim::Nanos max = sim::kNever) const;
    // "<what>.<key>" for messages.
    std::string path(std::string_view key) const;

private:
    void read(const YAML::Node& node);
    const Entry* find(std::string_view key) const;

    std::string m_what;
    SourcePos m_pos;
    std::vector<Entry> m_entries;
};

} // namespace livedeck::engine
