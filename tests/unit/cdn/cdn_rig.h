// Shared pieces of the CDN unit tests: a world with an origin region, a scripted slice
// source, and a helper that runs one sliced request to its end.
#pragma once

#include "backend/cdn/origin.h"
#include "backend/cdn/slice_module.h"
#include "backend/sim/world.h"

#include <functional>
#include <optional>

namespace livedeck::cdn::cdntest {

// The default topology plus region "bj" (the origin's) at `oneWay` from sh-a, no jitter.
inline sim::WorldConfig worldWithOrigin(sim::Nanos oneWay, std::uint64_t seed = 1)
{
    sim::WorldConfig c;
    c.seed = seed;
    c.topology = sim::Topology::defaults();
    c.topology.addRegion("bj", "beijing");
    c.topology.addDataCentre("bj1", "bj");
    c.topology.setLink("sh-a", "bj", oneWay, 0, 0.0);
    c.topology.setLink("sh-b", "bj", oneWay, 0, 0.0);
    return c;
}

// Answers from an Origin after scripted delays: header at +headerDelay(first), body at
// +doneDelay(first) (both from the fetch).
class ScriptedSource final : public SliceSource {
public:
    using Delay = std::function<sim::Nanos(std::uint64_t first)>;
    ScriptedSource(sim::World& world, const Origin& origin, Delay header, Delay done)
        : m_world(world), m_origin(origin), m_header(std::move(header)), m_done(std::move(done))
    {
    }
    void fetch(const SliceFetch& r, OnHeader onHeader, OnDone onDone) override
    {
        ++fetches;
        auto reply = std::make_shared<SliceReply>(m_origin.answer(r.object, r.first, r.last));
        auto h = std::make_shared<OnHeader>(std::move(onHeader));
        auto d = std::make_shared<OnDone>(std::move(onDone));
        const sim::Nanos hd = m_header(r.first);
        const sim::Nanos dd = std::max(hd, m_done(r.first));
        m_world.after(hd, m_world.kind("test.header"), 0, [reply, h]() { (*h)(reply->header); });
        m_world.after(dd, m_world.kind("test.done"), 0, [reply, d]() { (*d)(*reply); });
    }
    int fetches = 0;

private:
    sim::World& m_world;
    const Origin& m_origin;
    Delay m_header;
    Delay m_done;
};

inline SliceResult runRequest(sim::World& world, SliceModule& module, ClientRange range)
{
    std::optional<SliceResult> out;
    module.request(range, [&](const SliceResult& r) { out = r; });
    while (!out && world.scheduler().step()) {
    }
    return out ? *out : SliceResult{};
}

} // namespace livedeck::cdn::cdntest
