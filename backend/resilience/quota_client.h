// QuotaClient: one service instance's side of the distributed rate limiter (docs/GIFTS.md:
// "distributed rate limiting through a quota server"). It leases batches of tokens for
// one resource from a QuotaServer over the world's network, spends them locally on the
// hot path, and falls back to a configured policy when the server cannot be reached.
//
// Behaviour:
// - start() asks at once for the current period; then, every period, at `prefetchAt`
//   of the period it asks for the next one, with its want = max(demand of the last
//   whole period, demand so far this period scaled to a whole period) * (1 + headroom)
//   (before any demand was seen: initialWantPerSec * period during the first period
//   after start(), then 0 — an idle standby must not hold capacity that the busy
//   clients need; its first demand is denied and asks for a top-up). Demand is the weight of
//   every tryAcquire, admitted or not.
// - When the lease of the current period is spent, it asks for a top-up of the current
//   period (at most every `topUpInterval`); the server grants more only up to the
//   client's fair share.
// - Early top-up (topUpEarly, off by default): after each spend the client checks the
//   lease's runway — the tokens left against the demand rate of this period so far
//   times the time left in it. When the lease would run dry before the period ends it
//   asks at once (at most every `topUpInterval`) for the period's demand at that rate
//   plus the headroom, so a step in demand is met before a request is refused rather
//   than after.
// - Fallback when dry (fallbackWhenDry, off by default): a lease the server granted in
//   full (it was the client's own estimate, not the server's cap) that runs dry while the
//   server cannot be reached (the last request failed and nothing has answered since)
//   admits the overflow by the fallback policy, as if the lease had ended: the server
//   never refused, and it cannot be asked. A lease the server capped stays authoritative.
// - Messages go through world.network().send(...) (latency, partitions, endpoints down,
//   loss); a request reaching a server whose component is down (world.faults()) is
//   lost. A request without an answer after `requestTimeout` fails; the client retries
//   every `retryInterval`. At most one request is in flight; a late reply still
//   counts (its tokens were granted and accounted by the server).
// - Leased while it holds a lease for the current period (even a lease of 0 tokens:
//   that is the server's answer, the quota is exhausted). A lease ends with its period;
//   when the server has been unreachable for longer than the lease lasted (no renewal
//   arrived by the period's end), the client is in Fallback and applies its policy:
//   LocalRate (a local TokenBucket of localRatePerSec / localBurst), FailOpen (admit
//   all) or FailClosed (admit none), until a lease for the current period arrives.
//   Entering / leaving fallback raises "quota.fallback" / "quota.leased" events.
//   Before its first lease a client also applies the fallback policy (silently).
// - Weighted (docs/ARCHITECTURE.md, property 3): tryAcquire(weight) spends `weight` tokens.
// - Single-threaded (the world's thread); the server and world outlive the client.
//   tryAcquire does not allocate (sending a request schedules events with inline
//   callbacks; the pending-message list is reserved up front).
//
// Compared with the public counterparts: Sentinel's token client asks the token
// server for every call (requestTimeout 20 ms by default; ours is 100 ms because our
// clients may sit a region away) and, with fallbackToLocalWhenFail (default true),
// falls back to the local flow rule;
// ours asks once per period for a batch (Doorman's model: lease + refresh), so the
// server is off the hot path, and offers the three policies Envoy's failure_mode_deny
// (fail closed) / default (fail open) and Sentinel's local fallback name.
#pragma once

#include "backend/resilience/quota_server.h"
#include "backend/resilience/token_bucket.h"

#include "backend/sim/components.h"
#include "backend/sim/scheduler.h"
#include "backend/sim/time.h"

#include <absl/status/status.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::sim {
class World;
}
namespace livedeck::telemetry {
class Counter;
class Gauge;
class MetricsRegistry;
}

namespace livedeck::resilience {

enum class QuotaFallback : std::uint8_t { LocalRate, FailOpen, FailClosed };
const char* quotaFallbackName(QuotaFallback policy); // "local-rate", "fail-open", "fail-closed"

enum class QuotaClientMode : std::uint8_t { Leased, Fallback };

struct QuotaClientConfig {
    std::string resource;                      // the server's resource name
    QuotaFallback fallback = QuotaFallback::LocalRate;
    double localRatePerSec = 0.0;              // LocalRate: the fallback rate (> 0 for LocalRate)
    double localBurst = 0.0;                   // LocalRate: burst; 0 = a tenth of a second's worth
    double initialWantPerSec = 0.0;            // want before any demand; 0 = localRatePerSec
    double headroom = 0.1;                     // ours: ask 10 % above the estimated demand
    double prefetchAt = 0.8;                   // ours: ask for the next period at 80 % of this one
    // Ours: 100 ms, above the ~66 ms sh <-> gz round trip of the default topology
    // (Sentinel's token client defaults to 20 ms, for a server in the same data centre).
    sim::Nanos requestTimeout = 100 * sim::kMillisecond;
    sim::Nanos retryInterval = 100 * sim::kMillisecond; // ours
    sim::Nanos topUpInterval = 100 * sim::kMillisecond; // ours
    bool topUpEarly = false;                   // ask for a top-up when the lease will not last the period (header)
    bool fallbackWhenDry = false;              // a full lease run dry with the server unreachable: fallback (header)
    absl::Status validate() const;
};

struct QuotaClientStats {
    std::uint64_t requestsSent = 0;
    std::uint64_t requestsFailed = 0;   // no answer within requestTimeout
    std::uint64_t lateReplies = 0;      // answered after the timeout (tokens still used)
    double granted = 0.0;               // tokens leased, all periods
    double expiredUnused = 0.0;         // leased tokens whose period ended unused
    double used = 0.0;                  // tokens spent from leases
    double deniedQuota = 0.0;           // weight denied while leased (quota exhausted)
    double allowedFallback = 0.0;       // weight admitted under the fallback policy
    double deniedFallback = 0.0;        // weight denied under the fallback policy
    double allowedDry = 0.0;            // of allowedFallback: admitted past a dry lease (fallbackWhenDry)
    std::uint64_t earlyTopUps = 0;      // top-ups asked before the lease ran dry (topUpEarly)
    std::uint64_t fallbackEntries = 0;  // Leased → Fallback transitions
    sim::Nanos fallbackNs = 0;          // time spent in fallback after the first lease (closed spells)
};

class QuotaClient final : public sim::Inspectable {
public:
    // Registers `path` (e.g. "sh-a/gifts/gateway/0/quota") with the world as a
    // "quota-client". Aborts on an invalid config or an unknown resource (wiring bugs).
    QuotaClient(sim::World& world, std::string path, QuotaServer& server, QuotaClientConfig config,
                std::string_view dataCentre = {});
    ~QuotaClient() override;
    QuotaClient(const QuotaClient&) = delete;
    QuotaClient& operator=(const QuotaClient&) = delete;

    void start();
    void stop(); // cancels timers and in-flight messages; the client keeps its leases

    // Hot path: admit `weight` real requests or not.
    bool tryAcquire(double weight = 1.0);

    QuotaClientMode mode() const { return hasLease(currentPeriod()) ? QuotaClientMode::Leased : QuotaClientMode::Fallback; }
    std::int64_t currentPeriod() const;
    // Tokens leased for / spent in a period (the current and next periods only; 0 otherwise).
    double leaseTokens(std::int64_t period) const;
    double leaseUsed(std::int64_t period) const;
    double tokensLeft() const;
    // The want sent with the last request.
    double lastWant() const { return m_lastWant; }
    const QuotaClientStats& stats() const { return m_stats; }
    const QuotaClientConfig& config() const { return m_config; }
    sim::ComponentId id() const { return m_id; }
    const std::string& path() const { return m_path; }

    void attachMetrics(telemetry::MetricsRegistry& metrics);
    void inspect(sim::StateWriter& out) const override;

private:
    struct Lease {
        std::int64_t period = -1;
        double granted = 0.0;
        double used = 0.0;
        bool capped = false; // the server granted less than asked
    };
    struct Demand {
        std::int64_t period = -1;
        double weight = 0.0;
    };

    bool hasLease(std::int64_t period) const { return m_leases[static_cast<std::size_t>(period & 1)].period == period; }
    Lease* lease(std::int64_t period);
    Demand& demandSlot(std::int64_t period);
    double wantFor(std::int64_t period) const;
    void sendRequest(std::int64_t period, double want);
    void onArrival(std::uint64_t seq, std::int64_t period, double want);
    void onReply(std::uint64_t seq, std::int64_t period, double want, double tokens, LeaseGrant::Status status);
    void topUpEarly(Lease& l, std::int64_t period, sim::Nanos now);
    void onTimeout(std::uint64_t seq);
    void onTick();
    void onBoundary();
    void onRetry();
    void followUp();
    void scheduleTick();
    void scheduleBoundary();
    void scheduleRetry();
    void updateMode();
    bool admitFallback(double weight);
    void trackPending(sim::EventHandle handle);
    void retireLease(Lease& l);

    sim::World& m_world;
    std::string m_path;
    sim::ComponentId m_id;
    QuotaServer& m_server;
    QuotaClientConfig m_config;
    int m_resource = -1;
    sim::Nanos m_period = 0;
    double m_initialWant = 0.0;

    sim::EventKindId m_kindRequest = 0;
    sim::EventKindId m_kindReply = 0;
    sim::EventKindId m_kindTimer = 0;

    bool m_running = false;
    std::array<Lease, 2> m_leases{};
    std::array<Demand, 2> m_demand{};
    bool m_demandSeen = false;
    sim::Nanos m_startedAt = 0;
    std::optional<TokenBucket> m_localBucket;

    // The one request in flight.
    bool m_inFlight = false;
    bool m_unreachable = false; // the last request failed and no reply has come since
    std::uint64_t m_seq = 0;
    sim::EventHandle m_timeout;
    std::vector<sim::EventHandle> m_pending; // arrivals and replies on the wire
    sim::EventHandle m_tick;
    sim::EventHandle m_boundary;
    sim::EventHandle m_retry;
    sim::Nanos m_lastTopUp = -sim::kHour;
    double m_lastWant = 0.0;
    const char* m_lastFailure = "none";       // why the last failed request failed
    const char* m_inFlightFailure = "timeout"; // what went wrong with the request in flight

    // Mode tracking (for events and fallback time).
    bool m_everLeased = false;
    QuotaClientMode m_mode = QuotaClientMode::Fallback;
    sim::Nanos m_fallbackSince = 0;

    QuotaClientStats m_stats;
    telemetry::Counter* m_allowedCounter = nullptr;
    telemetry::Counter* m_deniedCounter = nullptr;
    telemetry::Gauge* m_fallbackGauge = nullptr;
};

} // namespace livedeck::resilience
