// Component registry: every emulated part of the world registers under a path like
// "sh-a/gifts/order-db/3" (region/engine/name[/index]) with a kind, its data centre
// and an optional Inspectable that reports its live key/value state to the console's
// inspector. Ids are dense, assigned in registration order (deterministic), id 0 is
// the world itself. Lookup by path uses a hash map; iteration is always by id.
#pragma once

#include "backend/sim/scheduler.h"
#include "backend/sim/strings.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::sim {

// Collects one component's state as ordered key/value pairs.
class StateWriter {
public:
    void add(std::string_view key, std::string_view value);
    void add(std::string_view key, const char* value) { add(key, std::string_view(value)); }
    void add(std::string_view key, double value);
    void add(std::string_view key, std::int64_t value);
    void add(std::string_view key, std::uint64_t value);
    void add(std::string_view key, int value) { add(key, static_cast<std::int64_t>(value)); }
    void add(std::string_view key, bool value) { add(key, std::string_view(value ? "true" : "false")); }
    const std::vector<std::pair<std::string, std::string>>& entries() const { return m_entries; }
    // The entries, to move from (clear() before the next component).
    std::vector<std::pair<std::string, std::string>>& takeEntries() { return m_entries; }
    void clear() { m_entries.clear(); }

private:
    std::vector<std::pair<std::string, std::string>> m_entries;
};

class Inspectable {
public:
    virtual ~Inspectable() = default;
    virtual void inspect(StateWriter& out) const = 0;
};

struct ComponentInfo {
    ComponentId id = kNoComponent;
    std::string path;
    std::string kind;     // "sql-shard", "breaker", ...
    std::string engine;   // second path segment by convention
    int region = -1;      // index into Topology regions, -1 = none
    int dataCentre = -1;  // index into Topology data centres, -1 = none
    const Inspectable* inspectable = nullptr;
};

class Topology;

class ComponentRegistry {
public:
    explicit ComponentRegistry(const Topology& topology);

    // Registers a component. The region is the path's first segment when it names a
    // region; `dataCentre` may be empty (the region's first data centre is used).
    absl::StatusOr<ComponentId> add(std::string_view path, std::string_view kind,
                                    std::string_view dataCentre = {}, const Inspectable* inspectable = nullptr);
    // Like add(), but aborts on error: for engine wiring where a bad path is a bug.
    ComponentId mustAdd(std::string_view path, std::string_view kind, std::string_view dataCentre = {},
                        const Inspectable* inspectable = nullptr);
    void setInspectable(ComponentId id, const Inspectable* inspectable);

    const ComponentInfo& get(ComponentId id) const { return m_components[id]; }
    const ComponentInfo* find(std::string_view path) const;
    std::size_t size() const { return m_components.size(); }
    const std::vector<ComponentInfo>& all() const { return m_components; }
    // Ids of components whose path matches a fault-style target (prefix by segment, '*' = one segment).
    std::vector<ComponentId> matching(std::string_view target) const;

private:
    const Topology& m_topology;
    std::vector<ComponentInfo> m_components;
    absl::flat_hash_map<std::string, ComponentId, StringHash, StringEq> m_byPath;
};

// True when `target` matches `path` segment by segment as a prefix; '*' matches any
// one segment. "sh-a" matches "sh-a/gifts/x"; "*/gifts/order-db" matches "gz/gifts/order-db/3".
bool pathMatches(std::string_view target, std::string_view path);

} // namespace livedeck::sim
