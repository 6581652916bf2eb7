// danmaku: live comments ("bullet chat") for the gala room, as an engine plugin built
// only against the SDK (plugins/sdk/livedeck_sdk). docs/PLUGINS.md describes the model;
// in short:
// - Rooms of viewers, each holding a long connection to a gateway of its region
//   (round-robin). Viewers post comments (Poisson per room, a share of them from a few
//   heavy posters); a per-user token bucket and a per-room token bucket limit them.
// - What passes goes through a moderation queue (the host's service queue: workers,
//   a queue budget; over budget the comment is shed) that blocks a share outright. A
//   circuit breaker (the host's) guards it: when moderation is down or failing, half of
//   the last 50 calls failing opens it and comments are refused at once for 2 s instead
//   of queueing for a service that cannot answer; then 5 probes decide.
// - An accepted comment gets the room's next sequence number. Each gateway pushes a
//   room's comments to its connections in order, as one batch from the last sequence it
//   pushed; its cost grows with the connections it holds in the room (fan-out cost).
// - A gateway that is down refuses pushes; its connections reconnect to another gateway
//   of the region after a delay and resume from the last sequence they showed
//   (resume: offset), or from the room's newest comment (resume: latest — legacy, loses
//   what was posted meanwhile). Connections drop sequences they already showed
//   (dedupe: on) or show them again (dedupe: off).
// - Invariant danmaku.exactly-once: no connection skipped an accepted comment, and none
//   showed one twice.
#include "livedeck_sdk/engine.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef DANMAKU_PLUGIN_VERSION
#define DANMAKU_PLUGIN_VERSION "0.0.0"
#endif
#ifndef LIVEDECK_BUILD_ID
#define LIVEDECK_BUILD_ID "unknown"
#endif

namespace danmaku {
namespace sdk = livedeck::sdk;

struct Settings final : sdk::Settings {
    int rooms = 4;                    // room 0 is the gala room
    int galaViewers = 2000;
    int roomViewers = 200;
    int gatewaysPerRegion = 2;
    double userRate = 0.5;            // comments/s per user
    double userBurst = 3.0;
    double roomRate = 150.0;          // comments/s per room
    double roomBurst = 300.0;
    double moderationWorkers = 8.0;
    double moderationBudget = 400.0;  // comments waiting at most
    double moderationMs = 20.0;       // per comment
    double blockShare = 0.02;         // moderation blocks this share
    double fanoutUs = 4.0;            // gateway cost per connection and comment
    double gatewayWorkers = 4.0;
    double reconnectMs = 800.0;       // mean reconnect delay
    bool resumeOffset = true;
    bool dedupe = true;
};

struct LoadParams final : sdk::Settings {
    double postRate = 0.02;   // comments per viewer per second
    double heavyShare = 0.3;  // share of comments from the heavy posters (1 % of viewers)
};

bool readFlag(const sdk::Node& node, std::string_view key, std::string_view yes, std::string_view no, bool fallback,
              sdk::ParseError& error)
{
    const sdk::Node* v = node.find(key);
    if (!v)
        return fallback;
    if (v->type == sdk::Node::Type::Scalar && v->scalar == yes)
        return true;
    if (v->type == sdk::Node::Type::Scalar && v->scalar == no)
        return false;
    error.set(*v, "engines.danmaku." + std::string(key) + ": expected " + std::string(yes) + " or " + std::string(no));
    return fallback;
}

class Engine final : public sdk::Engine {
public:
    Engine(sdk::Context& context, const Settings& s) : m_world(context.world), m_infra(&context.infra), m_s(s)
    {
        auto& m = context.metrics;
        const std::string c = "danmaku";
        m_posted = &m.counter("danmaku.posted", c);
        m_userLimited = &m.counter("danmaku.rejected.user_limit", c);
        m_roomLimited = &m.counter("danmaku.rejected.room_limit", c);
        m_shed = &m.counter("danmaku.rejected.moderation_shed", c);
        m_unavailable = &m.counter("danmaku.rejected.moderation_unavailable", c);
        m_blocked = &m.counter("danmaku.rejected.blocked", c);
        m_accepted = &m.counter("danmaku.accepted", c);
        m_delivered = &m.counter("danmaku.delivered", c);
        m_dupSuppressed = &m.counter("danmaku.duplicates_suppressed", c);
        m_shownTwice = &m.counter("danmaku.shown_twice", c);
        m_lost = &m.counter("danmaku.lost", c);
        m_reconnects = &m.counter("danmaku.reconnects", c);
        m_fanoutLatency = &m.histogram("danmaku.fanout_latency", c);
        m_connected = &m.gauge("danmaku.connections", c);
        m_acceptShare = &m.gauge("danmaku.accept_share", c);
    }

    bool build(sdk::Infra& infra, std::string& error)
    {
        const std::vector<std::string> regions = m_world.regions();
        if (regions.empty()) {
            error = "the topology has no region";
            return false;
        }
        m_moderationId = m_world.addComponent(regions[0] + "/danmaku/moderation", "danmaku-moderation", &error);
        if (m_moderationId == sdk::kNoComponent)
            return false;
        sdk::ServiceConfig mc;
        mc.concurrency = m_s.moderationWorkers;
        mc.maxQueue = m_s.moderationBudget;
        mc.maxQueueWait = 2 * sdk::kSecond;
        m_moderation = infra.serviceQueue(m_moderationId, mc, "danmaku.moderation");
        sdk::BreakerConfig bc;
        bc.windowSize = 50;
        bc.minimumCalls = 20;
        bc.failureRateThreshold = 0.5;
        bc.slowCallDuration = 3600 * sdk::kSecond; // failures only: a long queue is the budget's business
        bc.waitInOpen = 2 * sdk::kSecond;
        bc.permittedInHalfOpen = 5;
        m_moderationBreaker = infra.circuitBreaker(regions[0] + "/danmaku/moderation-breaker", bc, &error);
        if (!m_moderationBreaker)
            return false;
        for (const std::string& region : regions) {
            for (int g = 0; g < m_s.gatewaysPerRegion; ++g) {
                auto gw = std::make_unique<Gateway>();
                gw->region = region;
                gw->index = static_cast<int>(m_gateways.size());
                gw->path = region + "/danmaku/gateway-" + std::to_string(g);
                Gateway* raw = gw.get();
                gw->id = m_world.addComponent(gw->path, "danmaku-gateway", &error, [this, raw](sdk::StateWriter& w) {
                    w.add("connections", static_cast<double>(raw->connections));
                    w.add("queued", raw->queue->queued());
                });
                if (gw->id == sdk::kNoComponent)
                    return false;
                sdk::ServiceConfig gc;
                gc.concurrency = m_s.gatewayWorkers;
                gc.maxQueue = 1e9; // pushes wait; the gateway's cost shows as latency
                gc.maxQueueWait = 3600 * sdk::kSecond;
                gc.noiseSigma = 0.1;
                gw->queue = infra.serviceQueue(gw->id, gc, "danmaku.gateway");
                m_gateways.push_back(std::move(gw));
            }
        }
        for (int r = 0; r < m_s.rooms; ++r) {
            auto room = std::make_unique<Room>();
            room->index = r;
            room->path = regions[0] + "/danmaku/room-" + std::to_string(r);
            Room* raw = room.get();
            room->id = m_world.addComponent(room->path, "danmaku-room", &error, [this, raw](sdk::StateWriter& w) {
                inspectRoom(*raw, w);
            });
            if (room->id == sdk::kNoComponent)
                return false;
            room->limiter = infra.rateLimiter(m_s.roomRate, m_s.roomBurst);
            room->arrivals = m_world.stream(room->path + "/arrivals");
            room->per.resize(m_gateways.size());
            const int viewers = r == 0 ? m_s.galaViewers : m_s.roomViewers;
            for (int v = 0; v < viewers; ++v) {
                Connection conn;
                conn.room = r;
                conn.user = static_cast<std::uint32_t>(m_connections.size());
                conn.gateway = static_cast<int>(m_connections.size() % m_gateways.size());
                room->connections.push_back(conn.user);
                room->per[static_cast<std::size_t>(conn.gateway)].connections.push_back(conn.user);
                ++m_gateways[static_cast<std::size_t>(conn.gateway)]->connections;
                m_connections.push_back(conn);
            }
            m_rooms.push_back(std::move(room));
        }
        if (!m_moderation)
            return false;
        m_random = m_world.stream("danmaku/engine");
        m_connected->set(static_cast<double>(m_connections.size()));
        return true;
    }

    void start() override
    {
        for (auto& room : m_rooms)
            scheduleArrival(*room);
        m_world.after(100 * sdk::kMillisecond, "danmaku.tick", sdk::kNoComponent, [this] { tick(); });
    }

    std::string applyLoad(const sdk::LoadRequest& load) override
    {
        if (load.profile != "gala")
            return "danmaku: unknown load profile '" + load.profile + "'";
        if (const auto* p = dynamic_cast<const LoadParams*>(load.params.get()))
            m_load = *p;
        m_multiplier = load.multiplier;
        restartArrivals();
        return {};
    }

    std::string setLoad(const std::string& profile, double multiplier) override
    {
        if (!profile.empty() && profile != "gala")
            return "danmaku: unknown load profile '" + profile + "' (expected gala)";
        if (multiplier > 0.0)
            m_multiplier = multiplier;
        restartArrivals();
        return {};
    }

    std::string applyAction(const sdk::ActionRequest& action) override
    {
        if (action.action == "slow-mode") {
            if (!(action.value > 0.0 && action.value <= 100.0))
                return "slow-mode: the value is comments per second per user, in (0, 100]";
            m_s.userRate = action.value;
            m_userLimiters.clear(); // every user starts a fresh bucket at the new rate
            return {};
        }
        return "danmaku: no action '" + action.action + "'";
    }

    void checkInvariants(std::vector<sdk::InvariantCheck>& out) override
    {
        std::uint64_t lost = 0;
        std::uint64_t twice = 0;
        std::uint64_t behind = 0;
        std::string first;
        for (const Connection& c : m_connections) {
            lost += c.lost;
            twice += c.shownTwice;
            behind += m_rooms[static_cast<std::size_t>(c.room)]->lastSeq - std::min(c.lastShown, m_rooms[static_cast<std::size_t>(c.room)]->lastSeq);
            if (first.empty() && (c.lost || c.shownTwice))
                first = "connection " + std::to_string(c.user) + " in room-" + std::to_string(c.room) + " lost "
                        + std::to_string(c.lost) + ", showed " + std::to_string(c.shownTwice) + " twice";
        }
        sdk::InvariantCheck check;
        check.name = "danmaku.exactly-once";
        check.passed = lost == 0 && twice == 0;
        check.detail = std::to_string(m_acceptedCount) + " comments accepted; connections lost " + std::to_string(lost)
                       + " and showed " + std::to_string(twice) + " twice; " + std::to_string(behind)
                       + " (connection, comment) deliveries still in flight" + (first.empty() ? "" : "; " + first);
        out.push_back(std::move(check));
    }

private:
    struct Connection {
        int room = 0;
        std::uint32_t user = 0;
        int gateway = -1;          // -1: reconnecting
        std::uint64_t lastShown = 0;
        std::uint64_t lost = 0;
        std::uint64_t shownTwice = 0;
        bool catchingUp = false;   // a resume replay is in flight
    };
    struct PerGateway {            // a room on one gateway
        std::vector<std::uint32_t> connections;
        std::uint64_t pushedSeq = 0;
        bool inFlight = false;
    };
    struct Room {
        int index = 0;
        std::string path;
        sdk::ComponentId id = sdk::kNoComponent;
        std::unique_ptr<sdk::RateLimiter> limiter;
        std::unique_ptr<sdk::RandomStream> arrivals;
        std::vector<std::uint32_t> connections;
        std::vector<PerGateway> per;                   // by gateway index
        std::vector<std::uint64_t> log;                // comment ids, by seq - 1
        std::vector<sdk::Nanos> acceptedAt;            // by seq - 1
        std::uint64_t lastSeq = 0;
        std::uint64_t generation = 0;                  // arrival chains of older loads stop
    };
    struct Gateway {
        std::string region;
        std::string path;
        int index = 0;
        sdk::ComponentId id = sdk::kNoComponent;
        std::unique_ptr<sdk::ServiceQueue> queue;
        int connections = 0;
    };

    double roomPostRate(const Room& room) const
    {
        return static_cast<double>(room.connections.size()) * m_load.postRate * m_multiplier;
    }

    void restartArrivals()
    {
        for (auto& room : m_rooms) {
            ++room->generation;
            scheduleArrival(*room);
        }
    }

    void scheduleArrival(Room& room)
    {
        const double rate = roomPostRate(room);
        if (rate <= 0.0 || room.connections.empty())
            return;
        const double gapSec = room.arrivals->exponential(1.0 / rate);
        const auto gap = static_cast<sdk::Nanos>(gapSec * 1e9);
        const std::uint64_t generation = room.generation;
        Room* r = &room;
        m_world.after(gap, "danmaku.post", room.id, [this, r, generation] {
            if (r->generation != generation)
                return;
            post(*r);
            scheduleArrival(*r);
        });
    }

    void post(Room& room)
    {
        m_posted->add();
        // The poster: a heavy poster (the first 1 % of the room) or any viewer.
        const std::size_t n = room.connections.size();
        const std::size_t heavy = std::max<std::size_t>(1, n / 100);
        const std::size_t pick = room.arrivals->bernoulli(m_load.heavyShare) ? room.arrivals->uniformInt(heavy)
                                                                              : room.arrivals->uniformInt(n);
        const std::uint32_t user = room.connections[pick];
        auto& limiter = m_userLimiters[user];
        if (!limiter)
            limiter = m_infra->rateLimiter(m_s.userRate, m_s.userBurst);
        if (!limiter->tryAcquire()) {
            m_userLimited->add();
            return;
        }
        if (!room.limiter->tryAcquire()) {
            m_roomLimited->add();
            return;
        }
        const sdk::BreakerPermit permit = m_moderationBreaker->tryAcquire();
        if (!permit) {
            m_unavailable->add();
            return;
        }
        const std::uint64_t commentId = ++m_nextCommentId;
        const bool blocked = m_random->bernoulli(m_s.blockShare);
        Room* r = &room;
        const double costNs = m_s.moderationMs * 1e6;
        m_moderation->submit(
            1.0, [costNs] { return static_cast<sdk::Nanos>(costNs); },
            [this, r, commentId, blocked, permit](sdk::ServiceOutcome outcome, sdk::Nanos latency) {
                if (outcome == sdk::ServiceOutcome::Rejected) { // over budget: not moderation's failure
                    m_moderationBreaker->release(permit);
                    m_shed->add();
                    return;
                }
                if (outcome != sdk::ServiceOutcome::Ok) {
                    m_moderationBreaker->onError(permit, latency);
                    m_unavailable->add();
                    return;
                }
                m_moderationBreaker->onSuccess(permit, latency);
                if (blocked) {
                    m_blocked->add();
                    return;
                }
                accept(*r, commentId);
            });
    }

    void accept(Room& room, std::uint64_t commentId)
    {
        m_accepted->add();
        ++m_acceptedCount;
        room.log.push_back(commentId);
        room.acceptedAt.push_back(m_world.now());
        room.lastSeq = room.log.size();
        for (std::size_t g = 0; g < m_gateways.size(); ++g)
            push(room, static_cast<int>(g));
    }

    // Pushes the room's comments after pushedSeq to the gateway's connections, one batch.
    void push(Room& room, int g)
    {
        PerGateway& pg = room.per[static_cast<std::size_t>(g)];
        if (pg.inFlight || pg.connections.empty() || pg.pushedSeq >= room.lastSeq)
            return;
        Gateway& gw = *m_gateways[static_cast<std::size_t>(g)];
        const std::uint64_t from = pg.pushedSeq + 1;
        const std::uint64_t to = room.lastSeq;
        pg.inFlight = true;
        const double cost = m_s.fanoutUs * 1e3 * static_cast<double>(pg.connections.size()) * static_cast<double>(to - from + 1);
        Room* r = &room;
        gw.queue->submit(
            static_cast<double>(1), [cost] { return static_cast<sdk::Nanos>(cost); },
            [this, r, g, from, to](sdk::ServiceOutcome outcome, sdk::Nanos) {
                PerGateway& p = r->per[static_cast<std::size_t>(g)];
                p.inFlight = false;
                if (outcome == sdk::ServiceOutcome::Down) {
                    gatewayLost(g);
                    return;
                }
                if (outcome == sdk::ServiceOutcome::Ok) {
                    for (std::uint32_t c : p.connections) {
                        if (!m_connections[c].catchingUp)
                            deliver(m_connections[c], from, to);
                    }
                    for (std::uint64_t s = from; s <= to; ++s)
                        m_fanoutLatency->record(m_world.now() - r->acceptedAt[s - 1]);
                    p.pushedSeq = std::max(p.pushedSeq, to);
                }
                // Rejected or an error: the same range goes again.
                push(*r, g);
            });
    }

    void deliver(Connection& c, std::uint64_t from, std::uint64_t to)
    {
        for (std::uint64_t s = from; s <= to; ++s) {
            if (s <= c.lastShown) {
                if (m_s.dedupe) {
                    m_dupSuppressed->add();
                    continue;
                }
                ++c.shownTwice;
                m_shownTwice->add();
                m_delivered->add();
                continue;
            }
            if (s > c.lastShown + 1) {
                const std::uint64_t skipped = s - c.lastShown - 1;
                c.lost += skipped;
                m_lost->add(static_cast<double>(skipped));
            }
            c.lastShown = s;
            m_delivered->add();
        }
    }

    // The gateway refused a push because it is down: every connection it holds drops and
    // reconnects to another gateway of its region after a delay.
    void gatewayLost(int g)
    {
        Gateway& gw = *m_gateways[static_cast<std::size_t>(g)];
        for (auto& room : m_rooms) {
            PerGateway& pg = room->per[static_cast<std::size_t>(g)];
            for (std::uint32_t c : pg.connections) {
                m_connections[c].gateway = -1;
                m_connections[c].catchingUp = false;
                scheduleReconnect(c);
            }
            gw.connections -= static_cast<int>(pg.connections.size());
            pg.connections.clear();
        }
        m_connected->set(static_cast<double>(connectedCount()));
    }

    void scheduleReconnect(std::uint32_t c)
    {
        const auto delay = static_cast<sdk::Nanos>(m_random->exponential(m_s.reconnectMs) * 1e6);
        m_world.after(delay, "danmaku.reconnect", sdk::kNoComponent, [this, c] { reconnect(c); });
    }

    void reconnect(std::uint32_t c)
    {
        Connection& conn = m_connections[c];
        Room& room = *m_rooms[static_cast<std::size_t>(conn.room)];
        // The least-loaded gateway that is up (ties: the lowest index).
        int best = -1;
        for (const auto& gw : m_gateways) {
            if (m_world.isDown(gw->id))
                continue;
            if (best < 0 || gw->connections < m_gateways[static_cast<std::size_t>(best)]->connections)
                best = gw->index;
        }
        if (best < 0) {
            scheduleReconnect(c);
            return;
        }
        m_reconnects->add();
        Gateway& gw = *m_gateways[static_cast<std::size_t>(best)];
        PerGateway& pg = room.per[static_cast<std::size_t>(best)];
        conn.gateway = best;
        ++gw.connections;
        if (pg.connections.empty())
            pg.pushedSeq = m_s.resumeOffset ? conn.lastShown : room.lastSeq;
        pg.connections.push_back(c);
        // The gateway may be past what this connection showed: resuming from its offset,
        // the connection first gets the gap replayed alone (and no regular push until
        // then); a legacy client resumes at the newest comment and skips the gap.
        if (m_s.resumeOffset && pg.pushedSeq > conn.lastShown)
            catchUp(c, best);
        // Behind it instead: the gateway's next push repeats comments the connection
        // showed, which dedupe drops (or which it shows twice).
        m_connected->set(static_cast<double>(connectedCount()));
        push(room, best);
    }

    void catchUp(std::uint32_t c, int g)
    {
        Connection& conn = m_connections[c];
        Room& room = *m_rooms[static_cast<std::size_t>(conn.room)];
        Gateway& gw = *m_gateways[static_cast<std::size_t>(g)];
        conn.catchingUp = true;
        const double count = static_cast<double>(room.per[static_cast<std::size_t>(g)].pushedSeq - conn.lastShown);
        const double cost = m_s.fanoutUs * 1e3 * count;
        gw.queue->submit(1.0, [cost] { return static_cast<sdk::Nanos>(cost); },
                         [this, c, g](sdk::ServiceOutcome outcome, sdk::Nanos) {
                             Connection& cc = m_connections[c];
                             if (cc.gateway != g || !cc.catchingUp)
                                 return; // it moved on (its gateway went down meanwhile)
                             Room& r = *m_rooms[static_cast<std::size_t>(cc.room)];
                             if (outcome == sdk::ServiceOutcome::Down) {
                                 gatewayLost(g);
                                 return;
                             }
                             if (outcome != sdk::ServiceOutcome::Ok) {
                                 catchUp(c, g);
                                 return;
                             }
                             cc.catchingUp = false;
                             // Up to what the gateway pushed by now (regular pushes skipped it).
                             deliver(cc, cc.lastShown + 1, r.per[static_cast<std::size_t>(g)].pushedSeq);
                         });
    }

    std::size_t connectedCount() const
    {
        std::size_t n = 0;
        for (const Connection& c : m_connections)
            n += c.gateway >= 0 ? 1 : 0;
        return n;
    }

    void tick()
    {
        const double posted = m_posted->total();
        m_acceptShare->set(posted > 0.0 ? m_accepted->total() / posted : 1.0);
        m_world.after(100 * sdk::kMillisecond, "danmaku.tick", sdk::kNoComponent, [this] { tick(); });
    }

    void inspectRoom(const Room& room, sdk::StateWriter& w) const
    {
        w.add("viewers", static_cast<double>(room.connections.size()));
        w.add("accepted", static_cast<double>(room.lastSeq));
        w.add("post_rate", roomPostRate(room));
        std::uint64_t behind = 0;
        std::uint64_t lost = 0;
        for (std::uint32_t c : room.connections) {
            behind += room.lastSeq - std::min(room.lastSeq, m_connections[c].lastShown);
            lost += m_connections[c].lost;
        }
        w.add("deliveries_in_flight", static_cast<double>(behind));
        w.add("lost", static_cast<double>(lost));
        for (std::size_t g = 0; g < room.per.size(); ++g) {
            if (!room.per[g].connections.empty())
                w.add(m_gateways[g]->path, static_cast<double>(room.per[g].connections.size()));
        }
    }

private:
    sdk::World& m_world;
    sdk::Infra* m_infra;
    Settings m_s;
    LoadParams m_load;
    double m_multiplier = 0.0; // no comments until a load phase
    sdk::ComponentId m_moderationId = sdk::kNoComponent;
    std::unique_ptr<sdk::ServiceQueue> m_moderation;
    std::unique_ptr<sdk::CircuitBreaker> m_moderationBreaker;
    std::vector<std::unique_ptr<Gateway>> m_gateways;
    std::vector<std::unique_ptr<Room>> m_rooms;
    std::vector<Connection> m_connections;
    std::map<std::uint32_t, std::unique_ptr<sdk::RateLimiter>> m_userLimiters;
    std::unique_ptr<sdk::RandomStream> m_random;
    std::uint64_t m_nextCommentId = 0;
    std::uint64_t m_acceptedCount = 0;
    sdk::Counter* m_posted;
    sdk::Counter* m_userLimited;
    sdk::Counter* m_roomLimited;
    sdk::Counter* m_shed;
    sdk::Counter* m_unavailable;
    sdk::Counter* m_blocked;
    sdk::Counter* m_accepted;
    sdk::Counter* m_delivered;
    sdk::Counter* m_dupSuppressed;
    sdk::Counter* m_shownTwice;
    sdk::Counter* m_lost;
    sdk::Counter* m_reconnects;
    sdk::Histogram* m_fanoutLatency;
    sdk::Gauge* m_connected;
    sdk::Gauge* m_acceptShare;
};

class Factory final : public sdk::EngineFactory {
public:
    sdk::EngineDescription describe() const override
    {
        using K = sdk::MetricKind;
        using R = sdk::MetricRole;
        sdk::EngineDescription d;
        d.name = "danmaku";
        d.title = "Live comments";
        d.description = "live comments fanned out to every viewer of a room over long connections, "
                         "with per-user and per-room limits and a moderation queue";
        d.metrics = {
            {"danmaku.posted", K::Counter, "1/s", "comments viewers posted", R::Throughput},
            {"danmaku.accepted", K::Counter, "1/s", "comments that passed limits and moderation", R::Throughput},
            {"danmaku.rejected.user_limit", K::Counter, "1/s", "refused by the per-user limit", R::Errors},
            {"danmaku.rejected.room_limit", K::Counter, "1/s", "refused by the per-room limit", R::Errors},
            {"danmaku.rejected.moderation_shed", K::Counter, "1/s", "shed: the moderation queue was over budget", R::Errors},
            {"danmaku.rejected.moderation_unavailable", K::Counter, "1/s",
             "refused: moderation down or failing, or its breaker open", R::Errors},
            {"danmaku.rejected.blocked", K::Counter, "1/s", "blocked by moderation", R::Errors},
            {"danmaku.delivered", K::Counter, "1/s", "comments shown on connections", R::Throughput},
            {"danmaku.duplicates_suppressed", K::Counter, "1/s", "repeated comments a connection dropped", R::State},
            {"danmaku.shown_twice", K::Counter, "1/s", "comments a connection showed a second time", R::Errors},
            {"danmaku.lost", K::Counter, "1/s", "accepted comments a connection skipped", R::Errors},
            {"danmaku.reconnects", K::Counter, "1/s", "connections that moved to another gateway", R::State},
            {"danmaku.fanout_latency", K::Histogram, "ms", "accepted to pushed by a gateway", R::Latency},
            {"danmaku.connections", K::Gauge, "1", "connections held by a gateway", R::State},
            {"danmaku.accept_share", K::Gauge, "ratio", "accepted over posted since the start", R::Ratio},
            {"danmaku.moderation.*", K::Gauge, "", "the moderation queue (requests, rejected, latency, queue, inflight)",
             R::Saturation},
            {"danmaku.gateway.*", K::Gauge, "", "the gateways' push queues", R::Saturation},
        };
        sdk::TileDescription delivered;
        delivered.id = "danmaku.delivered";
        delivered.title = "Comments shown";
        delivered.series = "danmaku.delivered";
        delivered.type = sdk::SeriesType::Rate;
        delivered.unit = "/s";
        sdk::TileDescription fanout;
        fanout.id = "danmaku.fanout_p99";
        fanout.title = "Fan-out p99";
        fanout.series = "danmaku.fanout_latency";
        fanout.type = sdk::SeriesType::P99;
        fanout.aggregate = sdk::Aggregate::Max;
        fanout.unit = "ms";
        fanout.higherIsBetter = false;
        fanout.good = 500;
        fanout.warn = 2000;
        fanout.targetText = "target 500 ms";
        sdk::TileDescription accept;
        accept.id = "danmaku.accept_share";
        accept.title = "Comments accepted";
        accept.series = "danmaku.accept_share";
        accept.type = sdk::SeriesType::Value;
        accept.aggregate = sdk::Aggregate::Mean;
        accept.unit = "%";
        accept.scale = 100.0;
        accept.good = 90.0; // in the tile's unit (value × scale)
        accept.warn = 70.0;
        accept.targetText = "target 90 %";
        accept.decimals = 1;
        sdk::TileDescription lost;
        lost.id = "danmaku.lost";
        lost.title = "Comments lost";
        lost.series = "danmaku.lost";
        lost.type = sdk::SeriesType::Total;
        lost.higherIsBetter = false;
        lost.targetText = "target 0";
        d.tiles = {delivered, fanout, accept, lost};
        d.charts = {{"throughput", {"danmaku.posted", "danmaku.accepted"}},
                    {"errors", {"danmaku.rejected.moderation_shed", "danmaku.rejected.moderation_unavailable", "danmaku.lost"}},
                    {"latency", {"danmaku.fanout_latency"}}};
        d.loadProfiles = {{"gala",
                           "viewers post at a rate per viewer, a share of the comments from a few heavy posters",
                           {{"post_rate", "comments per viewer per second", "1/s", 0.02, 0.0, 10.0},
                            {"heavy_share", "share of comments from the heavy posters (1 % of viewers)", "ratio", 0.3,
                             0.0, 1.0}}}};
        d.actions = {{"slow-mode", "sets the per-user limit (comments per second)", sdk::ActionTarget::None, "", true}};
        d.componentKinds = {
            {"danmaku-room", "a live room: its viewers, accepted comments and deliveries in flight",
             {"viewers", "accepted", "deliveries_in_flight", "lost"}, "danmaku.room"},
            {"danmaku-gateway", "a long-connection gateway", {"connections", "queued"}, ""},
            {"danmaku-moderation", "the moderation queue", {}, ""}};
        d.invariants = {{"danmaku.exactly-once", "no accepted comment lost or shown twice to a connection"}};
        return d;
    }

    std::shared_ptr<const sdk::Settings> parseSettings(const sdk::Node& node, sdk::ParseError& error) const override
    {
        const std::string what = "engines.danmaku";
        sdk::checkKeys(node,
                       {"rooms", "gala_viewers", "room_viewers", "gateways_per_region", "user_rate", "user_burst",
                        "room_rate", "room_burst", "moderation_workers", "moderation_budget", "moderation_ms",
                        "block_share", "fanout_us", "gateway_workers", "reconnect_ms", "resume", "dedupe"},
                       what, error);
        auto s = std::make_shared<Settings>();
        if (error.failed())
            return nullptr;
        s->rooms = static_cast<int>(sdk::readNumber(node, "rooms", s->rooms, 1, 64, what, error));
        s->galaViewers = static_cast<int>(sdk::readNumber(node, "gala_viewers", s->galaViewers, 1, 100000, what, error));
        s->roomViewers = static_cast<int>(sdk::readNumber(node, "room_viewers", s->roomViewers, 1, 100000, what, error));
        s->gatewaysPerRegion = static_cast<int>(sdk::readNumber(node, "gateways_per_region", s->gatewaysPerRegion, 1, 16, what, error));
        s->userRate = sdk::readNumber(node, "user_rate", s->userRate, 0.001, 100, what, error);
        s->userBurst = sdk::readNumber(node, "user_burst", s->userBurst, 1, 1000, what, error);
        s->roomRate = sdk::readNumber(node, "room_rate", s->roomRate, 0.1, 1e6, what, error);
        s->roomBurst = sdk::readNumber(node, "room_burst", s->roomBurst, 1, 1e7, what, error);
        s->moderationWorkers = sdk::readNumber(node, "moderation_workers", s->moderationWorkers, 1, 1e4, what, error);
        s->moderationBudget = sdk::readNumber(node, "moderation_budget", s->moderationBudget, 1, 1e7, what, error);
        s->moderationMs = sdk::readNumber(node, "moderation_ms", s->moderationMs, 0.01, 60000, what, error);
        s->blockShare = sdk::readNumber(node, "block_share", s->blockShare, 0, 1, what, error);
        s->fanoutUs = sdk::readNumber(node, "fanout_us", s->fanoutUs, 0, 1e6, what, error);
        s->gatewayWorkers = sdk::readNumber(node, "gateway_workers", s->gatewayWorkers, 1, 1e4, what, error);
        s->reconnectMs = sdk::readNumber(node, "reconnect_ms", s->reconnectMs, 1, 600000, what, error);
        s->resumeOffset = readFlag(node, "resume", "offset", "latest", s->resumeOffset, error);
        s->dedupe = readFlag(node, "dedupe", "on", "off", s->dedupe, error);
        if (error.failed())
            return nullptr;
        return s;
    }

    std::shared_ptr<const sdk::Settings> parseLoad(const std::string& profile, const sdk::Node& params,
                                                   sdk::ParseError& error) const override
    {
        const std::string what = "load." + profile + ".params";
        sdk::checkKeys(params, {"post_rate", "heavy_share"}, what, error);
        auto p = std::make_shared<LoadParams>();
        p->postRate = sdk::readNumber(params, "post_rate", p->postRate, 0.0, 10.0, what, error);
        p->heavyShare = sdk::readNumber(params, "heavy_share", p->heavyShare, 0.0, 1.0, what, error);
        if (error.failed())
            return nullptr;
        return p;
    }

    std::unique_ptr<sdk::Engine> build(sdk::Context& context, const sdk::Settings& settings,
                                       std::string& error) const override
    {
        const auto* s = dynamic_cast<const Settings*>(&settings);
        if (!s) {
            error = "settings of another engine";
            return nullptr;
        }
        auto engine = std::make_unique<Engine>(context, *s);
        if (!engine->build(context.infra, error))
            return nullptr;
        return engine;
    }
};

bool registerEngines(livedeck::sdk::Registrar* registrar, std::string* error)
{
    return registrar->addEngine(std::make_shared<Factory>(), *error);
}

} // namespace danmaku

LIVEDECK_ENGINE_PLUGIN_EXPORT const LivedeckEnginePlugin* livedeck_engine_plugin()
{
    static const LivedeckEnginePlugin entry{LIVEDECK_SDK_API_VERSION, LIVEDECK_BUILD_ID, "danmaku",
                                            DANMAKU_PLUGIN_VERSION, &danmaku::registerEngines};
    return &entry;
}
