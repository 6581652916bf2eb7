// Shared by the gift unit tests: a GiftsEngine on its own world with no generated load,
// so a test drives single orders, charges and settlements by hand.
#pragma once

#include "backend/gifts/gifts_engine.h"

#include <memory>

namespace livedeck::gifts::test {

struct EngineRig {
    sim::World world;
    telemetry::Telemetry telemetry{world};
    std::unique_ptr<GiftsEngine> engine;

    static sim::WorldConfig worldConfig(std::uint64_t seed, sim::Calendar calendar)
    {
        sim::WorldConfig w;
        w.seed = seed;
        w.calendar = calendar;
        return w;
    }
    explicit EngineRig(GiftsConfig c = {}, sim::Calendar calendar = {}, std::uint64_t seed = 5)
        : world(worldConfig(seed, calendar))
    {
        c.load.multiplier = 0.0; // no generated traffic
        engine = std::make_unique<GiftsEngine>(world, telemetry, std::move(c));
        engine->start();
    }
    ~EngineRig() { engine.reset(); }

    GiftsEngine& e() { return *engine; }
    void runFor(sim::Nanos d) { world.scheduler().runUntil(world.now() + d); }
    int region(const char* name) const { return world.topology().regionIndex(name); }

    // A gift send; the client sends it to the entry of the uid's home region (UID
    // cluster uid % 100: even clusters are homed in sh-a, odd ones in sh-b).
    static GiftSend gift(Uid uid, std::uint64_t seq, int region, double weight = 1.0, ProductId product = 3)
    {
        GiftSend g;
        g.uid = uid;
        g.room = 7;
        g.region = region;
        g.product = product;
        g.clientSeq = seq;
        g.weight = weight;
        return g;
    }
    // Charges at the bank for one idempotency key.
    int chargesFor(Uid uid, std::uint64_t seq) const
    {
        int n = 0;
        for (const Charge& c : engine->ledger().charges())
            if (c.key.uid == uid && c.key.clientSeq == seq)
                ++n;
        return n;
    }
};

} // namespace livedeck::gifts::test
