// Origin: the content's source of truth in a chosen region (docs/CDN.md, "Back-origin").
// It holds each object's size and current version, answers ranged GETs as an HTTP server
// does (206 with Content-Range and ETag, 416 for a range starting at or past the end,
// 404 for an unknown object) and lets a drill change an object mid-download (a new
// version: new bytes, new ETag). `ttfb` is its think time before the first byte.
#pragma once

#include "backend/cdn/cdn_defaults.h"
#include "backend/cdn/slice_source.h"
#include "backend/sim/world.h"

#include <absl/container/flat_hash_map.h>

#include <string_view>

namespace livedeck::cdn {

struct OriginConfig {
    sim::Nanos ttfb = kOriginTtfb;
};

class Origin {
public:
    // Registers the origin as a component at `path` (its first segment is its region).
    Origin(sim::World& world, std::string_view path, OriginConfig config = {});

    void put(ObjectId object, std::uint64_t size, Version version = 1);
    // A new version of an existing object (same size unless given); false when unknown.
    bool update(ObjectId object, Version version, std::uint64_t size = 0);
    bool has(ObjectId object) const { return m_objects.contains(object); }
    std::uint64_t size(ObjectId object) const;
    Version version(ObjectId object) const;

    // The answer to `Range: bytes=first-last` now: header and body (consistent: one version).
    SliceReply answer(ObjectId object, std::uint64_t first, std::uint64_t last) const;

    sim::ComponentId component() const { return m_component; }
    const OriginConfig& config() const { return m_config; }
    std::uint64_t requests() const { return m_requests; }
    std::uint64_t bytesServed() const { return m_bytes; }

private:
    struct Object {
        std::uint64_t size = 0;
        Version version = 1;
    };
    sim::World& m_world;
    sim::ComponentId m_component;
    OriginConfig m_config;
    absl::flat_hash_map<ObjectId, Object> m_objects;
    mutable std::uint64_t m_requests = 0;
    mutable std::uint64_t m_bytes = 0;
};

} // namespace livedeck::cdn
