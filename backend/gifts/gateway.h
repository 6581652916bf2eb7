// PanelGateway: one region's gift gateway in front of the panel (docs/GIFTS.md: "Room-entry
// traffic can spike above what the panel services sustain. The gateway detects hot
// rooms and serves their panel from an in-memory cache").
//
// Mechanism: every room entry is observed, with its weight, by a HotKeyDetector over
// room ids (HeavyKeeper, decaying window). A room the detector flags hot has its
// panel (the general tab the panel server last built for it) kept in a LocalCache;
// while the room stays hot and the cached panel is fresh, the gateway answers the
// entry from memory and the panel server, the per-user services and the KV never see
// it. A hot-room answer carries the general tab only: its viewers briefly lose their
// privileged and custom tabs (docs/GIFTS.md "the panel stays usable even if some users
// briefly lose privileged gifts"). A room that cools down leaves the cache at once.
//
// Contract
// - lookup(room, weight): observes the entry and returns the cached general tab when
//   the room is hot and cached (nullptr otherwise). The pointer is valid until the
//   next call on this gateway. store(room, tab): offers a freshly built tab; kept only
//   while the room is hot. Both O(1), no allocation in steady state.
// - enabled = false (sabotage "hot-room cache off"): detection still runs (the
//   dashboards still see hot rooms) but nothing is served from memory.
// - Component "<region>/gifts/gateway" (kind "gift-gateway"); events "gifts.hot_room"
//   (warning) / "gifts.hot_room_cooled" (info) with the room, its rate and share;
//   weighted counters gifts.gateway.entries, .cache_hits, .hot_room_entries and gauge
//   gifts.gateway.hot_rooms on the component.
// - Counts by weight (docs/ARCHITECTURE.md, property 3): the detector's rates are real-equivalent.
// Defaults (ours): a room is hot at 2 % of the region's room entries (the gala room
// holds about a third of them, the next few Zipf ranks a few per cent each), counted
// only while the region sees at least 20 000 real entries/s (below that the panel
// servers need no help, and the decaying window's first moments are not a sample:
// at a gala-peak region's ~275 K/s the estimate passes 20 K/s after ~0.5 s, ~1 000
// entries); 5 s half-life (the detector's default); a cached panel lives 1 s
// (LocalCache default: a stale general tab for at most a second) in a 256-entry cache.
// Single-threaded (the world's thread). The world and metrics registry outlive it.
#pragma once

#include "backend/gifts/catalog.h"
#include "backend/resilience/hot_key_detector.h"
#include "backend/resilience/local_cache.h"
#include "backend/telemetry/metrics.h"

#include <memory>
#include <string>

namespace livedeck::gifts {

struct GatewayConfig {
    resilience::HotKeyConfig hotRooms = defaultHotRooms();
    resilience::LocalCacheConfig cache = defaultCache();

    static resilience::HotKeyConfig defaultHotRooms()
    {
        resilience::HotKeyConfig c;
        c.hotShare = 0.02;
        c.minTotalRatePerSec = 20'000.0;
        return c;
    }
    static resilience::LocalCacheConfig defaultCache()
    {
        resilience::LocalCacheConfig c;
        c.capacity = 256;
        c.ttl = sim::kSecond;
        return c;
    }
};

class PanelGateway final : public sim::Inspectable {
public:
    PanelGateway(sim::World& world, telemetry::MetricsRegistry& metrics, std::string_view path, GatewayConfig config,
                 bool enabled);
    PanelGateway(const PanelGateway&) = delete;
    PanelGateway& operator=(const PanelGateway&) = delete;

    // Observes one room entry; the cached general tab when the room is hot and cached.
    const GeneralTab* lookup(RoomId room, double weight);
    // Offers a tab the panel server built; kept while the room is hot.
    void store(RoomId room, const GeneralTab& tab);
    // Runs the detector's time-based checks (cool-downs when traffic stopped).
    void poll();

    bool enabled() const { return m_enabled; }
    void setEnabled(bool enabled);
    bool isHot(RoomId room) const;
    std::uint32_t hotRooms() const { return m_hotCount; }
    double cacheHits() const { return m_cacheHits->total(); }
    double entries() const { return m_entries->total(); }
    const resilience::HotKeyDetector& detector() const { return *m_detector; }
    const resilience::LocalCacheStats& cacheStats() const { return m_cache->stats(); }
    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }

    static std::uint64_t roomKey(RoomId room) { return 0x726f6f6d00000000ULL | room; } // "room" tag

    void inspect(sim::StateWriter& out) const override;

private:
    void onHotKey(const resilience::HotKeyEvent& e);

    sim::World& m_world;
    std::string m_path;
    sim::ComponentId m_component;
    bool m_enabled;
    std::unique_ptr<resilience::HotKeyDetector> m_detector;
    std::unique_ptr<resilience::LocalCache<RoomId, GeneralTab>> m_cache;
    absl::flat_hash_map<RoomId, std::uint8_t> m_hot; // rooms flagged hot (lookup only)
    std::uint32_t m_hotCount = 0;
    GeneralTab m_answer;
    telemetry::Counter* m_entries = nullptr;
    telemetry::Counter* m_cacheHits = nullptr;
    telemetry::Counter* m_hotEntries = nullptr;
    telemetry::Gauge* m_hotGauge = nullptr;
    sim::EventKindId m_eventKind;
};

} // namespace livedeck::gifts
