#include "backend/gifts/load_generator.h"

#include <algorithm>
#include <cassert>
#include <charconv>

namespace livedeck::gifts {
namespace {

// "room:12" / "product:7" → 12 / 7 when the prefix matches; 0 otherwise.
std::uint64_t keyNumber(std::string_view key, std::string_view prefix)
{
    if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix)
        return 0;
    std::uint64_t v = 0;
    const auto tail = key.substr(prefix.size());
    const auto r = std::from_chars(tail.data(), tail.data() + tail.size(), v);
    return r.ec == std::errc() ? v : 0;
}

} // namespace

LoadGenerator::LoadGenerator(sim::World& world, telemetry::MetricsRegistry& metrics, LoadProfile profile,
                             LoadGeneratorConfig config, GiftTrafficSink& sink)
    : m_world(world),
      m_profile(std::move(profile)),
      m_config(config),
      m_sink(sink),
      m_rooms(config.rooms, config.roomZipfExponent),
      m_products(config.products, config.productZipfExponent),
      m_entryKind(world.kind("gifts.load.room_entry")),
      m_giftKind(world.kind("gifts.load.gift")),
      m_comboKind(world.kind("gifts.load.combo")),
      m_entriesCounter(metrics.counter("gifts.load.room_entries")),
      m_giftsCounter(metrics.counter("gifts.load.gifts")),
      m_discreteGiftsCounter(metrics.counter("gifts.load.discrete_gifts")),
      m_discreteEntriesCounter(metrics.counter("gifts.load.discrete_room_entries")),
      m_viewersGauge(metrics.gauge("gifts.load.viewers"))
{
    assert(config.clusters > 0);
    const auto& regions = world.topology().regions();
    for (const sim::RegionSpec& r : regions) {
        RegionState s;
        s.path = sim::strCat(r.name, "/gifts/load");
        s.component = world.components().mustAdd(s.path, "load-generator", {}, this);
        s.rng = world.stream(s.path);
        m_regions.push_back(std::move(s));
    }
    m_homes.resize(config.clusters);
    const int serving = std::min<int>(2, static_cast<int>(regions.size()));
    for (std::uint32_t c = 0; c < config.clusters; ++c)
        m_homes[c] = static_cast<int>(c % static_cast<std::uint32_t>(std::max(serving, 1)));
    rebuildClusterLists();
}

void LoadGenerator::rebuildClusterLists()
{
    for (RegionState& r : m_regions)
        r.clusters.clear();
    for (std::uint32_t c = 0; c < m_config.clusters; ++c) {
        const int home = m_homes[c];
        if (home >= 0 && static_cast<std::size_t>(home) < m_regions.size())
            m_regions[static_cast<std::size_t>(home)].clusters.push_back(c);
    }
}

void LoadGenerator::setClusterHomes(std::vector<int> homes)
{
    assert(homes.size() == m_config.clusters);
    m_homes = std::move(homes);
    rebuildClusterLists();
    if (m_running) {
        for (std::size_t r = 0; r < m_regions.size(); ++r) {
            for (Stream s : {Stream::Entries, Stream::Gifts}) {
                m_world.scheduler().cancel(m_regions[r].next[static_cast<int>(s)]);
                scheduleNext(r, s);
            }
        }
    }
}

void LoadGenerator::start()
{
    if (m_running)
        return;
    m_running = true;
    for (std::size_t r = 0; r < m_regions.size(); ++r) {
        scheduleNext(r, Stream::Entries);
        scheduleNext(r, Stream::Gifts);
    }
}

void LoadGenerator::stop()
{
    m_running = false;
    for (RegionState& r : m_regions) {
        m_world.scheduler().cancel(r.next[0]);
        m_world.scheduler().cancel(r.next[1]);
    }
}

void LoadGenerator::setProfile(LoadProfile profile)
{
    const double multiplier = m_profile.multiplier;
    m_profile = std::move(profile);
    m_profile.multiplier = multiplier;
}

void LoadGenerator::setMultiplier(double multiplier)
{
    m_profile.multiplier = multiplier;
}

void LoadGenerator::rates(std::size_t region, Stream stream, double& real, double& discrete) const
{
    const RegionState& r = m_regions[region];
    const double share = static_cast<double>(r.clusters.size()) / static_cast<double>(m_config.clusters);
    const LoadRates all = m_profile.at(m_world.now());
    double spike = 1.0;
    if (m_world.faults().anyActive(v1::FAULT_LOAD_SPIKE))
        spike = m_world.faults().effect(v1::FAULT_LOAD_SPIKE, r.path).multiply;
    const bool gifts = stream == Stream::Gifts;
    real = (gifts ? all.giftsPerSec : all.roomEntriesPerSec) * share * spike;
    // Arrivals are Poisson: aim 5 % above the floor so a simulated second rarely falls short of it.
    constexpr double kFloorMargin = 1.05;
    const double floor = (gifts ? m_config.minDiscreteGiftsPerSec : m_config.minDiscreteEntriesPerSec) * share * kFloorMargin;
    const double maxWeight = gifts ? m_config.maxGiftWeight : m_config.maxEntryWeight;
    // Never more discrete requests than real ones; at least the floor when real traffic allows.
    discrete = std::min(real, std::max(floor, real / maxWeight));
}

void LoadGenerator::scheduleNext(std::size_t region, Stream stream)
{
    if (!m_running)
        return;
    RegionState& r = m_regions[region];
    double real = 0;
    double discrete = 0;
    rates(region, stream, real, discrete);
    const auto kind = stream == Stream::Gifts ? m_giftKind : m_entryKind;
    if (discrete <= 0.0 || r.clusters.empty()) {
        // No users here now: look again in a second (profiles and homes change).
        r.next[static_cast<int>(stream)] = m_world.after(sim::kSecond, kind, r.component, [this, region, stream] {
            scheduleNext(region, stream);
        });
        return;
    }
    const auto gap = static_cast<sim::Nanos>(r.rng.exponential(1e9 / discrete));
    r.next[static_cast<int>(stream)] = m_world.after(gap, kind, r.component, [this, region, stream] {
        arrive(region, stream);
    });
}

Uid LoadGenerator::drawUid(RegionState& r)
{
    const std::uint32_t cluster = r.clusters[r.rng.uniformInt(r.clusters.size())];
    const std::uint64_t perCluster = std::max<std::uint64_t>(1, m_config.users / m_config.clusters);
    return cluster + m_config.clusters * r.rng.uniformInt(perCluster);
}

RoomId LoadGenerator::drawRoom(RegionState& r, const sim::FaultEffect& hot)
{
    if (hot.present && r.rng.bernoulli(hot.share)) {
        const std::uint64_t room = keyNumber(hot.key, "room:");
        if (hot.key.empty() || room != 0)
            return static_cast<RoomId>(room != 0 ? room : 1);
    }
    if (r.rng.bernoulli(m_config.galaRoomShare))
        return 1;
    return static_cast<RoomId>(std::min<std::uint64_t>(m_rooms(r.rng) + 1, m_config.rooms));
}

ProductId LoadGenerator::drawProduct(RegionState& r, const sim::FaultEffect& hot)
{
    if (hot.present) {
        const std::uint64_t product = keyNumber(hot.key, "product:");
        if (product != 0 && r.rng.bernoulli(hot.share))
            return static_cast<ProductId>(product);
    }
    return static_cast<ProductId>(m_products(r.rng));
}

void LoadGenerator::arrive(std::size_t region, Stream stream)
{
    RegionState& r = m_regions[region];
    double real = 0;
    double discrete = 0;
    rates(region, stream, real, discrete);
    if (discrete <= 0.0 || r.clusters.empty()) {
        scheduleNext(region, stream);
        return;
    }
    const double weight = real / discrete;
    sim::FaultEffect hot;
    if (m_world.faults().anyActive(v1::FAULT_HOT_KEY))
        hot = m_world.faults().effect(v1::FAULT_HOT_KEY, r.path);
    m_viewersGauge.set(m_profile.at(m_world.now()).viewers);
    if (stream == Stream::Entries) {
        RoomEntry e;
        e.uid = drawUid(r);
        e.room = drawRoom(r, hot);
        e.region = static_cast<int>(region);
        e.weight = weight;
        ++m_discreteEntries;
        m_realEntries += weight;
        m_entriesCounter.add(weight);
        m_discreteEntriesCounter.add(1.0);
        m_sink.roomEntry(e);
    } else {
        GiftSend g;
        g.uid = drawUid(r);
        g.room = drawRoom(r, hot);
        g.region = static_cast<int>(region);
        g.product = drawProduct(r, hot);
        g.clientSeq = m_nextClientSeq++;
        g.weight = weight;
        const double u = r.rng.uniform01();
        std::uint32_t comboLength = 0;
        if (u < m_config.comboShare) {
            g.kind = GiftKind::Combo;
            comboLength = static_cast<std::uint32_t>(r.rng.uniformRange(m_config.comboMin, m_config.comboMax));
        } else if (u < m_config.comboShare + m_config.blindBoxShare) {
            g.kind = GiftKind::BlindBox;
        } else if (u < m_config.comboShare + m_config.blindBoxShare + m_config.chestShare) {
            g.kind = GiftKind::TreasureChest;
        }
        if (comboLength > 0 && m_config.comboAsOneOrder) {
            // One order for the whole run, placed when the run ends (the client counts the
            // clicks, comboSpacing apart): its quantity is the gifts, its weight the real
            // sends it stands for (as a single gift's).
            g.quantity = comboLength;
            comboOrder(g, static_cast<sim::Nanos>(comboLength - 1) * m_config.comboSpacing);
        } else if (comboLength > 0) {
            // The combo's sends together stand for `weight` real sends, like a single gift.
            g.weight = weight / comboLength;
            comboStep(g, comboLength - 1);
        } else {
            ++m_discreteGifts;
            m_realGifts += g.weight;
            m_giftsCounter.add(g.weight);
            m_discreteGiftsCounter.add(1.0);
            m_sink.sendGift(g);
        }
    }
    scheduleNext(region, stream);
}

void LoadGenerator::comboOrder(const GiftSend& send, sim::Nanos runLength)
{
    struct Place {
        LoadGenerator* self;
        Uid uid;
        RoomId room;
        ProductId product;
        std::uint32_t quantity;
        std::uint64_t clientSeq;
        double weight;
        void operator()() const
        {
            if (!self->m_running)
                return; // load stopped while the run was being clicked
            GiftSend g;
            g.uid = uid;
            g.room = room;
            g.product = product;
            g.region = self->homeOf(uid); // the user's home now (a drain moves it)
            g.kind = GiftKind::Combo;
            g.quantity = quantity;
            g.clientSeq = clientSeq;
            g.weight = weight;
            ++self->m_discreteGifts;
            self->m_realGifts += weight;
            self->m_giftsCounter.add(weight);
            self->m_discreteGiftsCounter.add(1.0);
            self->m_sink.sendGift(g);
        }
    };
    m_world.after(runLength, m_comboKind, m_regions[static_cast<std::size_t>(send.region)].component,
                  Place{this, send.uid, send.room, send.product, send.quantity, send.clientSeq, send.weight});
}

void LoadGenerator::comboStep(GiftSend send, std::uint32_t remaining)
{
    ++m_discreteGifts;
    m_realGifts += send.weight;
    m_giftsCounter.add(send.weight);
    m_discreteGiftsCounter.add(1.0);
    m_sink.sendGift(send);
    if (remaining == 0 || !m_running)
        return;
    // Captures stay small: the combo's identity is re-derived from a few fields.
    struct Next {
        LoadGenerator* self;
        Uid uid;
        RoomId room;
        ProductId product;
        std::uint32_t index;
        std::uint32_t remaining;
        int region;
        double weight;
        void operator()() const
        {
            GiftSend g;
            g.uid = uid;
            g.room = room;
            g.product = product;
            g.region = self->homeOf(uid); // the user's home now (a drain moves it)
            g.kind = GiftKind::Combo;
            g.clientSeq = self->m_nextClientSeq++;
            g.comboIndex = index;
            g.weight = weight;
            self->comboStep(g, remaining);
        }
    };
    m_world.after(m_config.comboSpacing, m_comboKind, m_regions[static_cast<std::size_t>(send.region)].component,
                  Next{this, send.uid, send.room, send.product, send.comboIndex + 1, remaining - 1, send.region, send.weight});
}

void LoadGenerator::inspect(sim::StateWriter& out) const
{
    const LoadRates r = m_profile.at(m_world.now());
    out.add("profile", m_profile.name);
    out.add("viewers", r.viewers);
    out.add("room_entries_per_sec", r.roomEntriesPerSec);
    out.add("gifts_per_sec", r.giftsPerSec);
    out.add("discrete_entries", m_discreteEntries);
    out.add("discrete_gifts", m_discreteGifts);
    out.add("running", m_running);
}

} // namespace livedeck::gifts
