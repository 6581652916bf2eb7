// QuotaServer: the distributed rate limiter's server (docs/GIFTS.md: gift-feeding surges are
// limited "through a quota server"). It owns resources with a global limit (weighted
// tokens per second) and hands out leased batches of tokens to many QuotaClients,
// sharing each period's capacity max-min fairly among the clients that asked recently.
//
// Model:
// - Time is cut into periods of `period` (aligned at multiples of it from time 0; the
//   world's clock is shared, so clients and server agree). capacity = limitPerSec *
//   period. A lease is a batch of tokens usable only inside one period; it ends with
//   the period. Clients may ask for the current period or the next one (prefetch).
// - Each request carries the client's `want` (tokens it expects to need in that
//   period). The server keeps, per client, the latest want and what it already granted
//   per period. On each request it solves the max-min fair allocation of the period's
//   capacity over the active clients (asked within `clientExpiry`), where a client that
//   has not yet asked for this period counts with its latest want (capacity stays held
//   for it) and grants already made are floors (they cannot be taken back):
//     find level L with  sum_i clamp(L, granted_i, max(granted_i, want_i)) = capacity,
//     target_i = clamp(L, granted_i, max(granted_i, want_i)),
//   and grants the asker target - granted (never more than what is left).
// - Invariant, checked on every grant and fatal if broken (it must never break): the
//   tokens granted for any period never exceed capacity (small float slack only).
//   Consequences the tests check: the total granted per period <= the global limit
//   whatever the demand and arrival order; a client whose positive want is on record
//   gets a positive share of every period it asks for (the water level is > 0 as long
//   as the floors do not fill the capacity, and every earlier grant was computed with
//   this client's want held back), so no client starves after its first request.
// - Single-threaded (the world's thread). Messages reach it through QuotaClient, which
//   models the network hop (world.network()) and server downtime
//   (world.faults().isDown(path())); handle() itself is the server's logic.
//
// Compared with the public counterparts (looked up in their documentation):
// - Doorman (YouTube): clients ask for capacity (wants) and get a rate with a lease
//   (typically 5 min) and a refresh interval (typically 5 s); algorithms
//   PROPORTIONAL_SHARE and FAIR_SHARE; "algorithms guarantee that they will not have
//   more outstanding leases than there is available capacity", converging "after one
//   refresh cycle". Ours is Doorman's FAIR_SHARE (max-min, rounds fill the smallest
//   wants first) with two differences: we lease token batches per aligned period
//   instead of rates (so the "never more than the limit in any period" invariant is
//   exact accounting, not a sum of rates over overlapping leases), and floors make the
//   sharing fair within a period even while wants change, not only after a refresh.
// - Envoy's global rate limit service: one gRPC call per request (descriptor, limit per
//   unit), counters in Redis, failure_mode_deny decides fail-open/closed. Ours keeps
//   the hot path local (batches), like Doorman; the failure policy lives in the client.
// - Sentinel's cluster token server: one token request per call (requestTimeout 20 ms
//   by default), thresholdType global or per-instance average, fallbackToLocalWhenFail
//   (default true). Ours grants batches instead of single tokens, and shares by
//   max-min fairness instead of first-come-first-served within the global threshold.
#pragma once

#include "backend/sim/components.h"
#include "backend/sim/scheduler.h"
#include "backend/sim/strings.h"
#include "backend/sim/time.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>

#include <array>
#include <cstdint>
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

struct QuotaResourceConfig {
    std::string name;          // "gifts.feed"
    double limitPerSec = 0.0;  // global limit, weighted tokens per second (> 0)
    sim::Nanos period = sim::kSecond; // lease / accounting period (ours: 1 s, Sentinel's window)
    sim::Nanos clientExpiry = 0;      // a client is active while it asked within this; 0 = 2 periods
    absl::Status validate() const;
};

struct LeaseRequest {
    int resource = -1;
    sim::ComponentId client = sim::kNoComponent;
    std::int64_t period = 0; // index: time / period
    double want = 0.0;       // tokens the client expects to need in that period
};

struct LeaseGrant {
    enum class Status : std::uint8_t { Granted, UnknownResource, PeriodClosed, PeriodTooFar };
    Status status = Status::Granted;
    std::int64_t period = 0;
    double tokens = 0.0;      // newly granted by this request
    double target = 0.0;      // the client's fair share of the period at this moment
    sim::Nanos leaseStart = 0;
    sim::Nanos leaseEnd = 0;  // the period's end: tokens expire then
};
const char* leaseStatusName(LeaseGrant::Status status);

struct QuotaResourceStats {
    std::uint64_t requests = 0;
    std::uint64_t rejectedRequests = 0; // closed / too-far periods
    double granted = 0.0;               // all periods
    double maxPeriodGranted = 0.0;      // the largest per-period total ever (<= capacity)
    std::uint64_t periodsClosed = 0;
};

class QuotaServer final : public sim::Inspectable {
public:
    // Registers `path` (e.g. "sh-a/infra/quota-server") with the world as a "quota-server".
    QuotaServer(sim::World& world, std::string path, std::string_view dataCentre = {});
    QuotaServer(const QuotaServer&) = delete;
    QuotaServer& operator=(const QuotaServer&) = delete;

    // Returns the resource's index (for LeaseRequest::resource).
    absl::StatusOr<int> addResource(QuotaResourceConfig config);
    int findResource(std::string_view name) const; // -1 when unknown
    const QuotaResourceConfig& resourceConfig(int resource) const { return m_resources[static_cast<std::size_t>(resource)].config; }
    std::size_t resourceCount() const { return m_resources.size(); }

    // The server's logic for one request that reached it.
    LeaseGrant handle(const LeaseRequest& request);

    // Accounting.
    double capacityPerPeriod(int resource) const { return m_resources[static_cast<std::size_t>(resource)].capacity; }
    std::int64_t periodAt(int resource, sim::Nanos t) const { return t / m_resources[static_cast<std::size_t>(resource)].config.period; }
    // Tokens granted for `period` (the two open periods and the last kHistory closed ones; 0 otherwise).
    double grantedInPeriod(int resource, std::int64_t period) const;
    // Tokens granted to one client for `period` (open periods only).
    double grantedTo(int resource, sim::ComponentId client, std::int64_t period) const;
    std::size_t activeClients(int resource) const;
    const QuotaResourceStats& stats(int resource) const { return m_resources[static_cast<std::size_t>(resource)].stats; }

    sim::ComponentId id() const { return m_id; }
    const std::string& path() const { return m_path; }
    sim::World& world() { return m_world; }
    // True when the server component is down (a "down" fault on its path).
    bool down() const;

    // Optional telemetry: resilience.quota.granted / .requests counters and a
    // resilience.quota.clients gauge per resource (label resource=<name>).
    void attachMetrics(telemetry::MetricsRegistry& metrics);
    void inspect(sim::StateWriter& out) const override;

    // Max-min fair water level with floors: the L with sum_i clamp(L, floor_i, cap_i) =
    // capacity, where cap_i = max(floor_i, want_i). Returns +inf when every want fits,
    // 0 when the floors alone fill the capacity. `scratch` is reused (no allocation
    // once warm). Exposed for tests.
    static double waterLevel(double capacity, const std::vector<double>& floors, const std::vector<double>& wants,
                             std::vector<std::pair<double, int>>& scratch);
    static double targetFor(double level, double floor, double want);

    static constexpr std::size_t kHistory = 64;

private:
    struct PeriodUse {
        std::int64_t period = -1;
        double want = 0.0;
        double granted = 0.0;
    };
    struct ClientEntry {
        sim::ComponentId client = sim::kNoComponent;
        sim::Nanos lastSeen = 0;
        double lastWant = 0.0;
        std::array<PeriodUse, 2> use{}; // by period parity
        double totalGranted = 0.0;
    };
    struct PeriodTotal {
        std::int64_t period = -1;
        double granted = 0.0;
    };
    struct Resource {
        QuotaResourceConfig config;
        double capacity = 0.0;
        std::vector<ClientEntry> clients; // registration order (deterministic)
        absl::flat_hash_map<sim::ComponentId, std::size_t> index;
        std::array<PeriodTotal, 2> open{}; // by period parity
        std::vector<PeriodTotal> history;  // ring of closed periods
        std::size_t historyNext = 0;
        std::int64_t prunedPeriod = -1;
        QuotaResourceStats stats;
        telemetry::Counter* grantedCounter = nullptr;
        telemetry::Counter* requestCounter = nullptr;
        telemetry::Gauge* clientsGauge = nullptr;
    };

    PeriodTotal& openPeriod(Resource& r, std::int64_t period);
    ClientEntry& entryFor(Resource& r, sim::ComponentId client);
    void pruneClients(Resource& r, sim::Nanos now);
    void attachResourceMetrics(Resource& r);

    sim::World& m_world;
    std::string m_path;
    sim::ComponentId m_id;
    std::vector<Resource> m_resources;
    absl::flat_hash_map<std::string, int, sim::StringHash, sim::StringEq> m_byName;
    telemetry::MetricsRegistry* m_metrics = nullptr;
    // Scratch for the fair-share solve (no allocation per request once warm).
    std::vector<double> m_floors;
    std::vector<double> m_wants;
    std::vector<std::pair<double, int>> m_events;
};

} // namespace livedeck::resilience
