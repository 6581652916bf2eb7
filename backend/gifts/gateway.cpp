#include "backend/gifts/gateway.h"

#include <cassert>

namespace livedeck::gifts {

PanelGateway::PanelGateway(sim::World& world, telemetry::MetricsRegistry& metrics, std::string_view path,
                           GatewayConfig config, bool enabled)
    : m_world(world),
      m_path(path),
      m_component(world.components().mustAdd(path, "gift-gateway", {}, this)),
      m_enabled(enabled),
      m_detector(std::make_unique<resilience::HotKeyDetector>(world.clock(), config.hotRooms)),
      m_cache(std::make_unique<resilience::LocalCache<RoomId, GeneralTab>>(world.clock(), config.cache)),
      m_entries(&metrics.counter("gifts.gateway.entries", path)),
      m_cacheHits(&metrics.counter("gifts.gateway.cache_hits", path)),
      m_hotEntries(&metrics.counter("gifts.gateway.hot_room_entries", path)),
      m_hotGauge(&metrics.gauge("gifts.gateway.hot_rooms", path)),
      m_eventKind(world.kind("gifts.gateway.hot_room"))
{
    m_detector->setEventCallback([this](const resilience::HotKeyEvent& e) { onHotKey(e); });
}

const GeneralTab* PanelGateway::lookup(RoomId room, double weight)
{
    m_entries->add(weight);
    m_detector->observe(roomKey(room), weight);
    const auto it = m_hot.find(room);
    if (it == m_hot.end() || it->second == 0)
        return nullptr;
    m_hotEntries->add(weight);
    if (!m_enabled)
        return nullptr;
    const GeneralTab* tab = m_cache->get(room);
    if (!tab)
        return nullptr;
    m_cacheHits->add(weight);
    m_answer = *tab;
    m_answer.source = TabSource::GatewayCache;
    m_answer.latency = 0;
    return &m_answer;
}

void PanelGateway::store(RoomId room, const GeneralTab& tab)
{
    if (!m_enabled || !tab.ok)
        return;
    const auto it = m_hot.find(room);
    if (it == m_hot.end() || it->second == 0)
        return;
    m_cache->put(room, tab);
}

void PanelGateway::poll()
{
    m_detector->poll();
}

void PanelGateway::setEnabled(bool enabled)
{
    m_enabled = enabled;
    if (!enabled)
        m_cache->clear();
}

bool PanelGateway::isHot(RoomId room) const
{
    const auto it = m_hot.find(room);
    return it != m_hot.end() && it->second != 0;
}

void PanelGateway::onHotKey(const resilience::HotKeyEvent& e)
{
    // Only room keys are observed here.
    assert((e.key >> 32) == (roomKey(0) >> 32));
    const RoomId room = static_cast<RoomId>(e.key & 0xFFFFFFFFu);
    std::uint8_t& flag = m_hot[room];
    if ((flag != 0) == e.hot)
        return;
    flag = e.hot ? 1 : 0;
    m_hotCount = e.hot ? m_hotCount + 1 : m_hotCount - 1;
    m_hotGauge->set(m_hotCount);
    if (!e.hot)
        m_cache->erase(room);
    m_world.events().raise(e.hot ? "gifts.hot_room" : "gifts.hot_room_cooled", m_component,
                           e.hot ? v1::SEVERITY_WARNING : v1::SEVERITY_INFO,
                           sim::strFormat("%s: room %u %s (%.0f entries/s, %.1f %% of the region's entries)%s",
                                          m_path.c_str(), room, e.hot ? "is hot" : "cooled down", e.ratePerSec,
                                          100.0 * e.share,
                                          e.hot ? (m_enabled ? ", its panel is served from the gateway's memory"
                                                             : ", but the hot-room cache is off")
                                                : ""),
                           {{"room", sim::strCat(room)},
                            {"rate_per_sec", sim::strFormat("%.1f", e.ratePerSec)},
                            {"share", sim::strFormat("%.4f", e.share)}});
}

void PanelGateway::inspect(sim::StateWriter& out) const
{
    out.add("hot_room_cache", m_enabled);
    out.add("entries", m_entries->total());
    out.add("cache_hits", m_cacheHits->total());
    out.add("hot_rooms", static_cast<std::uint64_t>(m_hotCount));
    out.add("cached_panels", static_cast<std::uint64_t>(m_cache->size()));
    std::string rooms;
    for (const resilience::HotKeyEntry& e : m_detector->topK()) {
        if (!e.hot)
            continue;
        const std::string r = sim::strCat(static_cast<RoomId>(e.key & 0xFFFFFFFFu));
        rooms = rooms.empty() ? r : sim::strCat(rooms, " ", r);
    }
    out.add("hot_room_ids", rooms);
}

} // namespace livedeck::gifts
