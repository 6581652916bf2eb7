#include "backend/resilience/quota_server.h"

#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace livedeck::resilience {

namespace {

// Float slack for the capacity invariant: sums of granted doubles may exceed the exact
// capacity by rounding only.
double slack(double capacity)
{
    return capacity * 1e-12 + 1e-9;
}

[[noreturn]] void invariantBroken(const std::string& what)
{
    std::fprintf(stderr, "livedeck: quota server invariant broken: %s\n", what.c_str());
    std::abort();
}

} // namespace

const char* leaseStatusName(LeaseGrant::Status status)
{
    switch (status) {
    case LeaseGrant::Status::Granted:
        return "granted";
    case LeaseGrant::Status::UnknownResource:
        return "unknown resource";
    case LeaseGrant::Status::PeriodClosed:
        return "period closed";
    case LeaseGrant::Status::PeriodTooFar:
        return "period too far ahead";
    }
    return "?";
}

absl::Status QuotaResourceConfig::validate() const
{
    if (name.empty())
        return absl::InvalidArgumentError("quota resource needs a name");
    if (!(limitPerSec > 0.0) || !std::isfinite(limitPerSec))
        return absl::InvalidArgumentError(sim::strFormat("quota resource '%s': limitPerSec %g must be a positive number",
                                                         name.c_str(), limitPerSec));
    if (period <= 0)
        return absl::InvalidArgumentError(sim::strCat("quota resource '", name, "': period must be > 0"));
    if (clientExpiry < 0)
        return absl::InvalidArgumentError(sim::strCat("quota resource '", name, "': clientExpiry must not be negative"));
    return absl::OkStatus();
}

QuotaServer::QuotaServer(sim::World& world, std::string path, std::string_view dataCentre)
    : m_world(world), m_path(std::move(path)), m_id(world.components().mustAdd(m_path, "quota-server", dataCentre, this))
{
}

absl::StatusOr<int> QuotaServer::addResource(QuotaResourceConfig config)
{
    if (auto st = config.validate(); !st.ok())
        return st;
    if (m_byName.contains(config.name))
        return absl::AlreadyExistsError(sim::strCat("quota resource '", config.name, "' already exists on ", m_path));
    if (config.clientExpiry == 0)
        config.clientExpiry = 2 * config.period;
    Resource r;
    r.capacity = config.limitPerSec * sim::toSeconds(config.period);
    r.config = std::move(config);
    r.history.assign(kHistory, PeriodTotal{});
    const int index = static_cast<int>(m_resources.size());
    m_byName.emplace(r.config.name, index);
    m_resources.push_back(std::move(r));
    if (m_metrics)
        attachResourceMetrics(m_resources.back());
    return index;
}

int QuotaServer::findResource(std::string_view name) const
{
    const auto it = m_byName.find(name);
    return it == m_byName.end() ? -1 : it->second;
}

bool QuotaServer::down() const
{
    return m_world.faults().isDown(m_path);
}

QuotaServer::PeriodTotal& QuotaServer::openPeriod(Resource& r, std::int64_t period)
{
    PeriodTotal& t = r.open[static_cast<std::size_t>(period & 1)];
    if (t.period != period) {
        if (t.period >= 0) { // close the period this slot held
            r.history[r.historyNext] = t;
            r.historyNext = (r.historyNext + 1) % r.history.size();
            ++r.stats.periodsClosed;
        }
        t = PeriodTotal{period, 0.0};
    }
    return t;
}

QuotaServer::ClientEntry& QuotaServer::entryFor(Resource& r, sim::ComponentId client)
{
    const auto it = r.index.find(client);
    if (it != r.index.end())
        return r.clients[it->second];
    r.index.emplace(client, r.clients.size());
    ClientEntry e;
    e.client = client;
    r.clients.push_back(e);
    return r.clients.back();
}

void QuotaServer::pruneClients(Resource& r, sim::Nanos now)
{
    // Forget clients silent for ten expiries (they hold no open-period grants by then).
    const sim::Nanos horizon = 10 * r.config.clientExpiry;
    const auto before = r.clients.size();
    std::erase_if(r.clients, [&](const ClientEntry& e) { return now - e.lastSeen > horizon; });
    if (r.clients.size() != before) {
        r.index.clear();
        for (std::size_t i = 0; i < r.clients.size(); ++i)
            r.index.emplace(r.clients[i].client, i);
    }
}

double QuotaServer::waterLevel(double capacity, const std::vector<double>& floors, const std::vector<double>& wants,
                               std::vector<std::pair<double, int>>& scratch)
{
    double sumFloor = 0.0;
    double sumCap = 0.0;
    scratch.clear();
    for (std::size_t i = 0; i < floors.size(); ++i) {
        const double f = floors[i];
        const double c = std::max(f, wants[i]);
        sumFloor += f;
        sumCap += c;
        if (c > f) {
            scratch.emplace_back(f, +1);
            scratch.emplace_back(c, -1);
        }
    }
    if (sumCap <= capacity)
        return std::numeric_limits<double>::infinity();
    if (sumFloor >= capacity)
        return 0.0;
    std::sort(scratch.begin(), scratch.end());
    // f(L) = sum clamp(L, floor, cap) is piecewise linear; its slope is the number of
    // clients with floor < L < cap. Sweep the breakpoints until it reaches capacity.
    double level = 0.0;
    double value = sumFloor;
    int slope = 0;
    for (const auto& [x, delta] : scratch) {
        if (slope > 0) {
            const double next = value + slope * (x - level);
            if (next >= capacity)
                return level + (capacity - value) / slope;
            value = next;
        }
        level = x;
        slope += delta;
    }
    return level; // unreachable: sumCap > capacity means the sweep crosses it
}

double QuotaServer::targetFor(double level, double floor, double want)
{
    const double cap = std::max(floor, want);
    return std::clamp(level, floor, cap);
}

LeaseGrant QuotaServer::handle(const LeaseRequest& request)
{
    LeaseGrant g;
    g.period = request.period;
    if (request.resource < 0 || static_cast<std::size_t>(request.resource) >= m_resources.size()) {
        g.status = LeaseGrant::Status::UnknownResource;
        return g;
    }
    Resource& r = m_resources[static_cast<std::size_t>(request.resource)];
    const sim::Nanos now = m_world.now();
    const sim::Nanos period = r.config.period;
    const std::int64_t current = now / period;
    ++r.stats.requests;
    if (r.requestCounter)
        r.requestCounter->add(1.0);
    g.leaseStart = std::max(now, request.period * period);
    g.leaseEnd = (request.period + 1) * period;
    if (request.period < current) {
        g.status = LeaseGrant::Status::PeriodClosed;
        ++r.stats.rejectedRequests;
        return g;
    }
    if (request.period > current + 1) {
        g.status = LeaseGrant::Status::PeriodTooFar;
        ++r.stats.rejectedRequests;
        return g;
    }
    if (current != r.prunedPeriod) { // once per period
        r.prunedPeriod = current;
        pruneClients(r, now);
    }
    PeriodTotal& total = openPeriod(r, request.period);

    ClientEntry& asker = entryFor(r, request.client);
    asker.lastSeen = now;
    asker.lastWant = std::max(0.0, request.want);
    PeriodUse& use = asker.use[static_cast<std::size_t>(request.period & 1)];
    if (use.period != request.period)
        use = PeriodUse{request.period, 0.0, 0.0};
    use.want = asker.lastWant;

    // Fair share over the active clients; grants held by clients no longer active
    // stay taken out of the capacity.
    m_floors.clear();
    m_wants.clear();
    double activeGranted = 0.0;
    for (const ClientEntry& e : r.clients) {
        if (now - e.lastSeen > r.config.clientExpiry)
            continue;
        const PeriodUse& u = e.use[static_cast<std::size_t>(request.period & 1)];
        const bool reported = u.period == request.period;
        const double floor = reported ? u.granted : 0.0;
        m_floors.push_back(floor);
        m_wants.push_back(reported ? u.want : e.lastWant);
        activeGranted += floor;
    }
    const double inactiveGranted = std::max(0.0, total.granted - activeGranted);
    const double available = std::max(0.0, r.capacity - inactiveGranted);
    const double level = waterLevel(available, m_floors, m_wants, m_events);
    const double target = targetFor(level, use.granted, use.want);
    double tokens = std::min(target - use.granted, r.capacity - total.granted);
    if (!(tokens > 1e-9))
        tokens = 0.0;

    use.granted += tokens;
    total.granted += tokens;
    asker.totalGranted += tokens;
    if (total.granted > r.capacity + slack(r.capacity))
        invariantBroken(sim::strFormat("resource '%s' period %lld: granted %.17g > capacity %.17g",
                                       r.config.name.c_str(), static_cast<long long>(request.period), total.granted,
                                       r.capacity));
    r.stats.granted += tokens;
    r.stats.maxPeriodGranted = std::max(r.stats.maxPeriodGranted, total.granted);
    if (r.grantedCounter)
        r.grantedCounter->add(tokens);
    if (r.clientsGauge)
        r.clientsGauge->set(static_cast<double>(m_floors.size()));

    g.status = LeaseGrant::Status::Granted;
    g.tokens = tokens;
    g.target = target;
    return g;
}

double QuotaServer::grantedInPeriod(int resource, std::int64_t period) const
{
    const Resource& r = m_resources[static_cast<std::size_t>(resource)];
    for (const PeriodTotal& t : r.open) {
        if (t.period == period)
            return t.granted;
    }
    for (const PeriodTotal& t : r.history) {
        if (t.period == period)
            return t.granted;
    }
    return 0.0;
}

double QuotaServer::grantedTo(int resource, sim::ComponentId client, std::int64_t period) const
{
    const Resource& r = m_resources[static_cast<std::size_t>(resource)];
    const auto it = r.index.find(client);
    if (it == r.index.end())
        return 0.0;
    const PeriodUse& u = r.clients[it->second].use[static_cast<std::size_t>(period & 1)];
    return u.period == period ? u.granted : 0.0;
}

std::size_t QuotaServer::activeClients(int resource) const
{
    const Resource& r = m_resources[static_cast<std::size_t>(resource)];
    const sim::Nanos now = m_world.now();
    std::size_t n = 0;
    for (const ClientEntry& e : r.clients) {
        if (now - e.lastSeen <= r.config.clientExpiry)
            ++n;
    }
    return n;
}

void QuotaServer::attachResourceMetrics(Resource& r)
{
    const std::string labels = sim::strCat("resource=", r.config.name);
    r.grantedCounter = &m_metrics->counter("resilience.quota.granted", m_path, labels);
    r.requestCounter = &m_metrics->counter("resilience.quota.requests", m_path, labels);
    r.clientsGauge = &m_metrics->gauge("resilience.quota.clients", m_path, labels);
}

void QuotaServer::attachMetrics(telemetry::MetricsRegistry& metrics)
{
    m_metrics = &metrics;
    for (Resource& r : m_resources)
        attachResourceMetrics(r);
}

void QuotaServer::inspect(sim::StateWriter& out) const
{
    out.add("down", down());
    out.add("resources", static_cast<std::uint64_t>(m_resources.size()));
    const sim::Nanos now = m_world.now();
    for (std::size_t i = 0; i < m_resources.size(); ++i) {
        const Resource& r = m_resources[i];
        const std::string p = sim::strCat(r.config.name, ".");
        const std::int64_t current = now / r.config.period;
        out.add(p + "limit_per_sec", r.config.limitPerSec);
        out.add(p + "period_ms", sim::toMillis(r.config.period));
        out.add(p + "capacity_per_period", r.capacity);
        out.add(p + "active_clients", static_cast<std::uint64_t>(activeClients(static_cast<int>(i))));
        out.add(p + "granted_this_period", grantedInPeriod(static_cast<int>(i), current));
        out.add(p + "granted_next_period", grantedInPeriod(static_cast<int>(i), current + 1));
        out.add(p + "max_period_granted", r.stats.maxPeriodGranted);
        out.add(p + "requests", r.stats.requests);
    }
}

} // namespace livedeck::resilience
