// The gala night's couplings (docs/GALA.md): what the gift, messaging and CDN engines of
// one run share through the run's SharedResources (backend/engine/shared.h) when their
// drill sections ask for it. Header-only; engines include it, generic layers do not.
//
// - "taishan": ONE Raft KV (five nodes: two in each Shanghai region, one in gz; node i is
//   "<region>/infra/taishan/<i>") holds the gift order locks and the messaging tier's
//   entries and sequence ceilings, so a Taishan leader loss hits both engines at once.
// - "redis/<data centre>": ONE Redis pair per data centre ("<region>/infra/redis"),
//   serving the gift catalogue's product keys and messaging's conversation lists and
//   idempotency claims.
// - "gala/notice-mq": the broker of the interaction notifications (sh-a, topic
//   "gift-notices"): a gift that settles publishes "X sent you a gift"; messaging's
//   consumer group delivers it into the receiver's inbox.
// - "gala/notices" (NoticeLedger): every settled gift and every delivery of its
//   notification, so the coupling invariants (exactly once; every settled gift's notice
//   delivered) are checked on the records themselves.
// - "gala/audience" (Audience): the one audience model. The gift engine's load profile
//   (viewers over time and the countdown) is the audience; it publishes a reading every
//   kAudiencePeriod and the CDN (the gala stream's live flash crowd) and messaging (its
//   rates, the countdown's greetings and campaign) follow it.
// Every shared object is made with the same configuration whichever engine asks first,
// so the drill's engine order changes nothing. The world's thread only; deterministic:
// listeners run in the order they subscribed (the engines' build order), the ledger is
// an ordered map.
#pragma once

#include "backend/engine/shared.h"
#include "backend/infra/kv_pair.h"
#include "backend/infra/mq_broker.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/strings.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::gala {

inline constexpr std::string_view kTaishan = "taishan";
inline constexpr std::string_view kNoticeBroker = "gala/notice-mq";
inline constexpr std::string_view kNoticeTopic = "gift-notices";
inline constexpr int kNoticePartitions = 8;
inline constexpr std::string_view kLedger = "gala/notices";
inline constexpr std::string_view kAudience = "gala/audience";
inline constexpr sim::Nanos kAudiencePeriod = 250 * sim::kMillisecond;

// The shared Taishan: the five-node layout of RaftClusterConfig::fiveNodes(), named
// "taishan" (the gift engine's own lock service has exactly this shape and name, so a
// gift run alone and a gift run sharing it build the same nodes).
inline absl::StatusOr<infra::RaftCluster*> sharedTaishan(engine::SharedResources& shared, sim::World& world,
                                                          telemetry::MetricsRegistry* metrics, std::string_view user)
{
    return shared.obtain<infra::RaftCluster>(kTaishan, user, [&] {
        infra::RaftClusterConfig c = infra::RaftClusterConfig::fiveNodes();
        c.name = std::string(kTaishan);
        return std::make_unique<infra::RaftCluster>(world, c, metrics);
    });
}

// The Redis pair of data centre `dataCentre` (a topology index): "<region>/infra/redis"
// (".../redis/<dc>" when the region has several data centres), default KvPairConfig.
inline absl::StatusOr<infra::KvPair*> sharedRedis(engine::SharedResources& shared, sim::World& world, int dataCentre,
                                                   telemetry::MetricsRegistry* metrics, std::string_view user)
{
    const sim::Topology& topo = world.topology();
    if (dataCentre < 0 || static_cast<std::size_t>(dataCentre) >= topo.dataCentres().size())
        return absl::InvalidArgumentError(sim::strCat("gala: no data centre #", dataCentre));
    const std::string& dcName = topo.dataCentres()[static_cast<std::size_t>(dataCentre)].name;
    std::string path;
    for (const sim::RegionSpec& r : topo.regions()) {
        for (int dc : r.dataCentres) {
            if (dc == dataCentre)
                path = r.dataCentres.size() == 1 ? sim::strCat(r.name, "/infra/redis")
                                                 : sim::strCat(r.name, "/infra/redis/", dcName);
        }
    }
    if (path.empty())
        return absl::InvalidArgumentError(sim::strCat("gala: data centre ", dcName, " is in no region"));
    return shared.obtain<infra::KvPair>(sim::strCat("redis/", dcName), user, [&] {
        return std::make_unique<infra::KvPair>(world, path, dcName, infra::KvPairConfig{}, metrics);
    });
}

// The notification broker: "<first region>/infra/notice-mq" with the topic "gift-notices".
inline absl::StatusOr<infra::MqBroker*> noticeBroker(engine::SharedResources& shared, sim::World& world,
                                                     telemetry::MetricsRegistry* metrics, std::string_view user)
{
    return shared.obtain<infra::MqBroker>(kNoticeBroker, user, [&]() -> absl::StatusOr<std::unique_ptr<infra::MqBroker>> {
        const sim::Topology& topo = world.topology();
        if (topo.regions().empty() || topo.regions().front().dataCentres.empty())
            return absl::InvalidArgumentError("gala: the notification broker needs a region with a data centre");
        const sim::RegionSpec& r = topo.regions().front();
        const std::string& dc = topo.dataCentres()[static_cast<std::size_t>(r.dataCentres.front())].name;
        auto broker = std::make_unique<infra::MqBroker>(world, sim::strCat(r.name, "/infra/notice-mq"),
                                                        infra::MqBrokerConfig{}, metrics, dc);
        if (auto t = broker->createTopic(kNoticeTopic, kNoticePartitions); !t.ok())
            return t.status();
        return broker;
    });
}

// A notification's record on the topic: key = order id, value "<order>,<sender>,<room>".
inline std::string noticeValue(std::uint64_t order, std::uint64_t sender, std::uint64_t room)
{
    return sim::strCat(order, ",", sender, ",", room);
}
inline bool parseNotice(std::string_view v, std::uint64_t& order, std::uint64_t& sender, std::uint64_t& room)
{
    std::uint64_t f[3] = {};
    std::size_t at = 0;
    for (int i = 0; i < 3; ++i) {
        const std::size_t end = i == 2 ? v.size() : v.find(',', at);
        if (end == std::string_view::npos || end == at)
            return false;
        std::uint64_t x = 0;
        for (std::size_t k = at; k < end; ++k) {
            if (v[k] < '0' || v[k] > '9')
                return false;
            x = x * 10 + static_cast<std::uint64_t>(v[k] - '0');
        }
        f[i] = x;
        at = end + 1;
    }
    order = f[0];
    sender = f[1];
    room = f[2];
    return true;
}

// Every settled gift (from the gift engine's settlement) and every delivery of its
// notification (from messaging, after the inbox row is written).
class NoticeLedger {
public:
    struct Entry {
        std::uint64_t sender = 0;
        std::uint64_t room = 0;
        double weight = 1.0;
        sim::Nanos settledAt = 0;
        int delivered = 0;
        sim::Nanos deliveredAt = -1;
    };

    // A settlement the gift engine heard of; true the first time for `order`.
    bool settled(std::uint64_t order, std::uint64_t sender, std::uint64_t room, double weight, sim::Nanos at)
    {
        auto [it, fresh] = m_entries.try_emplace(order, Entry{sender, room, weight, at, 0, -1});
        if (fresh) {
            ++m_settled;
            m_settledWeight += weight;
        }
        return fresh;
    }
    // A notification written into its receiver's inbox; returns how many times now.
    int delivered(std::uint64_t order, sim::Nanos at)
    {
        ++m_deliveries;
        auto it = m_entries.find(order);
        if (it == m_entries.end()) {
            if (m_unknown++ == 0)
                m_firstUnknown = order;
            return 1;
        }
        Entry& e = it->second;
        if (++e.delivered == 1) {
            e.deliveredAt = at;
            ++m_deliveredOnce;
            m_deliveredWeight += e.weight;
            m_latencySumNs += static_cast<double>(at - e.settledAt);
        } else if (m_duplicates++ == 0) {
            m_firstDuplicate = order;
        }
        return e.delivered;
    }

    std::uint64_t settledCount() const { return m_settled; }
    std::uint64_t deliveredCount() const { return m_deliveredOnce; }
    std::uint64_t deliveries() const { return m_deliveries; }
    std::uint64_t duplicates() const { return m_duplicates; }
    std::uint64_t unknown() const { return m_unknown; }
    double settledWeight() const { return m_settledWeight; }
    double deliveredWeight() const { return m_deliveredWeight; }
    double meanLatencyMs() const { return m_deliveredOnce ? m_latencySumNs / 1e6 / static_cast<double>(m_deliveredOnce) : 0.0; }
    std::uint64_t pending() const { return m_settled - m_deliveredOnce; }
    std::uint64_t firstDuplicate() const { return m_firstDuplicate; }
    std::uint64_t firstUnknown() const { return m_firstUnknown; }
    // The oldest settled gift whose notification is not delivered (0 when none).
    std::uint64_t firstPending(sim::Nanos* settledAt = nullptr) const
    {
        for (const auto& [order, e] : m_entries) {
            if (e.delivered == 0) {
                if (settledAt)
                    *settledAt = e.settledAt;
                return order;
            }
        }
        return 0;
    }
    const std::map<std::uint64_t, Entry>& entries() const { return m_entries; }

private:
    std::map<std::uint64_t, Entry> m_entries; // by order id
    std::uint64_t m_settled = 0, m_deliveredOnce = 0, m_deliveries = 0, m_duplicates = 0, m_unknown = 0;
    std::uint64_t m_firstDuplicate = 0, m_firstUnknown = 0;
    double m_settledWeight = 0.0, m_deliveredWeight = 0.0, m_latencySumNs = 0.0;
};

inline absl::StatusOr<NoticeLedger*> noticeLedger(engine::SharedResources& shared, std::string_view user)
{
    return shared.obtain<NoticeLedger>(kLedger, user, [] { return std::make_unique<NoticeLedger>(); });
}

// The one audience: the publisher (the gift engine's load profile) says how many people
// watch the gala now and when the countdown is; the followers adapt their load.
class Audience {
public:
    struct Reading {
        sim::Nanos at = 0;
        double viewers = 0.0;           // concurrent viewers of the gala now (real)
        double referenceViewers = 0.0;  // the publisher's viewers at the start (followers' ×1)
        sim::Nanos countdownAt = -1;    // simulated time of 00:00 (-1: no countdown)
        sim::Nanos countdownLead = 0;   // the countdown burst's window around it
        sim::Nanos countdownTail = 0;
        bool inCountdown() const
        {
            return countdownAt >= 0 && at >= countdownAt - countdownLead && at < countdownAt + countdownTail;
        }
        double ratio() const { return referenceViewers > 0.0 ? viewers / referenceViewers : 1.0; }
    };
    using Listener = std::function<void(const Reading&)>;

    void listen(std::string who, Listener listener) { m_listeners.push_back({std::move(who), std::move(listener)}); }
    void publish(const Reading& r)
    {
        m_last = r;
        ++m_published;
        for (auto& l : m_listeners)
            l.fn(r);
    }
    const Reading& last() const { return m_last; }
    std::uint64_t published() const { return m_published; }
    std::size_t listeners() const { return m_listeners.size(); }

private:
    struct Entry {
        std::string who;
        Listener fn;
    };
    std::vector<Entry> m_listeners;
    Reading m_last;
    std::uint64_t m_published = 0;
};

inline absl::StatusOr<Audience*> audience(engine::SharedResources& shared, std::string_view user)
{
    return shared.obtain<Audience>(kAudience, user, [] { return std::make_unique<Audience>(); });
}

} // namespace livedeck::gala
