#include "backend/resilience/quota_client.h"

#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace livedeck::resilience {

namespace {

[[noreturn]] void wiringBug(const std::string& path, const std::string& what)
{
    std::fprintf(stderr, "livedeck: quota client '%s': %s\n", path.c_str(), what.c_str());
    std::abort();
}

} // namespace

const char* quotaFallbackName(QuotaFallback policy)
{
    switch (policy) {
    case QuotaFallback::LocalRate:
        return "local-rate";
    case QuotaFallback::FailOpen:
        return "fail-open";
    case QuotaFallback::FailClosed:
        return "fail-closed";
    }
    return "?";
}

absl::Status QuotaClientConfig::validate() const
{
    if (resource.empty())
        return absl::InvalidArgumentError("quota client needs a resource name");
    if (fallback == QuotaFallback::LocalRate && !(localRatePerSec > 0.0))
        return absl::InvalidArgumentError(sim::strCat("quota client for '", resource,
                                                      "': the local-rate fallback needs localRatePerSec > 0"));
    if (localBurst < 0.0 || initialWantPerSec < 0.0 || headroom < 0.0)
        return absl::InvalidArgumentError("quota client: localBurst, initialWantPerSec and headroom must not be negative");
    if (!(prefetchAt > 0.0 && prefetchAt < 1.0))
        return absl::InvalidArgumentError(sim::strFormat("quota client: prefetchAt %g must be in (0, 1)", prefetchAt));
    if (requestTimeout <= 0 || retryInterval <= 0 || topUpInterval < 0)
        return absl::InvalidArgumentError("quota client: requestTimeout and retryInterval must be > 0, topUpInterval >= 0");
    return absl::OkStatus();
}

QuotaClient::QuotaClient(sim::World& world, std::string path, QuotaServer& server, QuotaClientConfig config,
                         std::string_view dataCentre)
    : m_world(world), m_path(std::move(path)), m_id(world.components().mustAdd(m_path, "quota-client", dataCentre, this)),
      m_server(server), m_config(std::move(config))
{
    if (auto st = m_config.validate(); !st.ok())
        wiringBug(m_path, std::string(st.message()));
    m_resource = m_server.findResource(m_config.resource);
    if (m_resource < 0)
        wiringBug(m_path, sim::strCat("resource '", m_config.resource, "' is unknown to ", m_server.path()));
    m_period = m_server.resourceConfig(m_resource).period;
    const double initialRate = m_config.initialWantPerSec > 0 ? m_config.initialWantPerSec : m_config.localRatePerSec;
    m_initialWant = initialRate * sim::toSeconds(m_period);
    if (m_config.fallback == QuotaFallback::LocalRate) {
        const double burst = m_config.localBurst > 0 ? m_config.localBurst : std::max(1.0, m_config.localRatePerSec / 10.0);
        m_localBucket.emplace(m_config.localRatePerSec, burst, world.clock());
    }
    m_kindRequest = world.kind("quota.request");
    m_kindReply = world.kind("quota.reply");
    m_kindTimer = world.kind("quota.timer");
    m_pending.reserve(8);
}

QuotaClient::~QuotaClient()
{
    stop();
}

std::int64_t QuotaClient::currentPeriod() const
{
    return m_world.now() / m_period;
}

void QuotaClient::start()
{
    if (m_running)
        return;
    m_running = true;
    m_startedAt = m_world.now();
    const std::int64_t p = currentPeriod();
    m_mode = hasLease(p) ? QuotaClientMode::Leased : QuotaClientMode::Fallback;
    if (!hasLease(p))
        sendRequest(p, wantFor(p));
    scheduleTick();
    scheduleBoundary();
}

void QuotaClient::stop()
{
    m_running = false;
    sim::Scheduler& s = m_world.scheduler();
    for (sim::EventHandle* h : {&m_timeout, &m_tick, &m_boundary, &m_retry}) {
        if (h->valid())
            s.cancel(*h);
        *h = sim::EventHandle{};
    }
    for (const sim::EventHandle& h : m_pending)
        s.cancel(h);
    m_pending.clear();
    m_inFlight = false;
}

QuotaClient::Lease* QuotaClient::lease(std::int64_t period)
{
    Lease& l = m_leases[static_cast<std::size_t>(period & 1)];
    return l.period == period ? &l : nullptr;
}

double QuotaClient::leaseTokens(std::int64_t period) const
{
    const Lease& l = m_leases[static_cast<std::size_t>(period & 1)];
    return l.period == period ? l.granted : 0.0;
}

double QuotaClient::leaseUsed(std::int64_t period) const
{
    const Lease& l = m_leases[static_cast<std::size_t>(period & 1)];
    return l.period == period ? l.used : 0.0;
}

double QuotaClient::tokensLeft() const
{
    const std::int64_t p = currentPeriod();
    return std::max(0.0, leaseTokens(p) - leaseUsed(p));
}

QuotaClient::Demand& QuotaClient::demandSlot(std::int64_t period)
{
    Demand& d = m_demand[static_cast<std::size_t>(period & 1)];
    if (d.period != period)
        d = Demand{period, 0.0};
    return d;
}

double QuotaClient::wantFor(std::int64_t period) const
{
    const sim::Nanos now = m_world.now();
    if (!m_demandSeen) {
        // The initial want holds for the first period after start() only: a client that
        // has seen no demand for a whole period (an idle standby) asks for nothing, so
        // the server does not keep capacity for it that the busy clients need.
        return now - m_startedAt < m_period ? m_initialWant * (1.0 + m_config.headroom) : 0.0;
    }
    const std::int64_t current = now / m_period;
    // The period before `current`, complete, and `current` so far, scaled to a whole period.
    const Demand& last = m_demand[static_cast<std::size_t>((current - 1) & 1)];
    const Demand& cur = m_demand[static_cast<std::size_t>(current & 1)];
    const double lastFull = last.period == current - 1 ? last.weight : 0.0;
    double sofar = 0.0;
    if (cur.period == current) {
        const double elapsed = static_cast<double>(now - current * m_period) / static_cast<double>(m_period);
        sofar = cur.weight / std::max(elapsed, 0.1);
    }
    (void)period; // the estimate is the same for the current and the next period
    return std::max(lastFull, sofar) * (1.0 + m_config.headroom);
}

bool QuotaClient::tryAcquire(double weight)
{
    const sim::Nanos now = m_world.now();
    const std::int64_t p = now / m_period;
    demandSlot(p).weight += weight;
    m_demandSeen = true;
    if (Lease* l = lease(p)) {
        if (m_mode != QuotaClientMode::Leased)
            updateMode();
        if (l->granted - l->used >= weight) {
            l->used += weight;
            m_stats.used += weight;
            if (m_allowedCounter)
                m_allowedCounter->add(weight);
            if (m_config.topUpEarly)
                topUpEarly(*l, p, now);
            return true;
        }
        if (m_running && !m_inFlight && now - m_lastTopUp >= m_config.topUpInterval) {
            m_lastTopUp = now;
            sendRequest(p, std::max(wantFor(p), l->granted + weight));
        }
        if (m_config.fallbackWhenDry && m_unreachable && !l->capped) {
            const bool ok = admitFallback(weight);
            if (ok)
                m_stats.allowedDry += weight;
            return ok;
        }
        m_stats.deniedQuota += weight;
        if (m_deniedCounter)
            m_deniedCounter->add(weight);
        return false;
    }
    if (m_mode != QuotaClientMode::Fallback)
        updateMode();
    return admitFallback(weight);
}

void QuotaClient::topUpEarly(Lease& l, std::int64_t period, sim::Nanos now)
{
    if (!m_running || m_inFlight || now - m_lastTopUp < m_config.topUpInterval)
        return;
    const sim::Nanos periodStart = period * m_period;
    const sim::Nanos left = periodStart + m_period - now;
    // This period's demand rate so far (over at least a tenth of the period, as wantFor).
    const double elapsed = std::max(static_cast<double>(now - periodStart), 0.1 * static_cast<double>(m_period));
    const double ratePerNs = demandSlot(period).weight / elapsed;
    const double need = ratePerNs * static_cast<double>(left);
    if (l.granted - l.used >= need)
        return; // the lease lasts the period at this rate
    m_lastTopUp = now;
    ++m_stats.earlyTopUps;
    sendRequest(period, std::max(wantFor(period), l.used + need * (1.0 + m_config.headroom)));
}

bool QuotaClient::admitFallback(double weight)
{
    bool ok = false;
    switch (m_config.fallback) {
    case QuotaFallback::LocalRate:
        ok = m_localBucket->tryAcquire(weight);
        break;
    case QuotaFallback::FailOpen:
        ok = true;
        break;
    case QuotaFallback::FailClosed:
        ok = false;
        break;
    }
    if (ok) {
        m_stats.allowedFallback += weight;
        if (m_allowedCounter)
            m_allowedCounter->add(weight);
    } else {
        m_stats.deniedFallback += weight;
        if (m_deniedCounter)
            m_deniedCounter->add(weight);
    }
    return ok;
}

void QuotaClient::updateMode()
{
    const sim::Nanos now = m_world.now();
    const QuotaClientMode mode = hasLease(now / m_period) ? QuotaClientMode::Leased : QuotaClientMode::Fallback;
    if (mode == m_mode)
        return;
    m_mode = mode;
    if (m_fallbackGauge)
        m_fallbackGauge->set(mode == QuotaClientMode::Fallback ? 1.0 : 0.0);
    if (mode == QuotaClientMode::Fallback) {
        m_fallbackSince = now;
        if (m_everLeased) {
            ++m_stats.fallbackEntries;
            const char* reason = m_inFlight ? "renewal still in flight" : m_lastFailure;
            m_world.events().raise("quota.fallback", m_id, v1::SEVERITY_WARNING,
                                   sim::strCat(m_path, ": lease for '", m_config.resource, "' ended without renewal (",
                                               reason, "); ", quotaFallbackName(m_config.fallback)),
                                   {{"resource", m_config.resource},
                                    {"policy", quotaFallbackName(m_config.fallback)},
                                    {"reason", reason}});
        }
    } else {
        if (m_everLeased) {
            m_stats.fallbackNs += now - m_fallbackSince;
            m_world.events().raise("quota.leased", m_id, v1::SEVERITY_INFO,
                                   sim::strCat(m_path, ": leased '", m_config.resource, "' again after ",
                                               sim::strFormat("%.3f", sim::toSeconds(now - m_fallbackSince)), " s"),
                                   {{"resource", m_config.resource}});
        }
        m_everLeased = true;
    }
}

void QuotaClient::trackPending(sim::EventHandle handle)
{
    const sim::Scheduler& s = m_world.scheduler();
    std::erase_if(m_pending, [&](const sim::EventHandle& h) { return !s.isPending(h); });
    m_pending.push_back(handle);
}

void QuotaClient::sendRequest(std::int64_t period, double want)
{
    if (m_inFlight || !m_running)
        return;
    m_inFlight = true;
    const std::uint64_t seq = ++m_seq;
    m_lastWant = want;
    ++m_stats.requestsSent;
    m_inFlightFailure = "timeout";
    m_timeout = m_world.after(m_config.requestTimeout, m_kindTimer, m_id, [this, seq] { onTimeout(seq); });
    const sim::Delivery d = m_world.network().send(m_id, m_server.id());
    if (!d.delivered()) {
        m_inFlightFailure = d.reason();
        return; // seen as a timeout
    }
    trackPending(m_world.after(d.latency, m_kindRequest, m_server.id(),
                               [this, seq, period, want] { onArrival(seq, period, want); }));
}

void QuotaClient::onArrival(std::uint64_t seq, std::int64_t period, double want)
{
    if (m_server.down()) {
        if (seq == m_seq)
            m_inFlightFailure = "server down";
        return;
    }
    const LeaseGrant g = m_server.handle(LeaseRequest{m_resource, m_id, period, want});
    const sim::Delivery d = m_world.network().send(m_server.id(), m_id);
    if (!d.delivered()) {
        if (seq == m_seq)
            m_inFlightFailure = d.reason(); // granted and accounted by the server, lost on the way back
        return;
    }
    const double tokens = g.tokens;
    const LeaseGrant::Status status = g.status;
    trackPending(m_world.after(d.latency, m_kindReply, m_id, [this, seq, period, want, tokens, status] {
        onReply(seq, period, want, tokens, status);
    }));
}

void QuotaClient::onReply(std::uint64_t seq, std::int64_t period, double want, double tokens,
                          LeaseGrant::Status status)
{
    m_unreachable = false;
    if (m_inFlight && seq == m_seq) {
        m_inFlight = false;
        if (m_timeout.valid())
            m_world.scheduler().cancel(m_timeout);
        m_timeout = sim::EventHandle{};
    } else {
        ++m_stats.lateReplies;
    }
    if (status != LeaseGrant::Status::Granted) {
        m_lastFailure = leaseStatusName(status);
    } else {
        m_stats.granted += tokens;
        if (period < currentPeriod()) {
            m_stats.expiredUnused += tokens;
        } else {
            Lease& l = m_leases[static_cast<std::size_t>(period & 1)];
            if (l.period != period) {
                retireLease(l);
                l = Lease{period, 0.0, 0.0};
            }
            l.granted += tokens;
            // Capped: the server gave less than asked (its fair share), not our estimate.
            l.capped = l.granted < want * (1.0 - 1e-9);
            updateMode();
        }
    }
    followUp();
}

void QuotaClient::followUp()
{
    // A request skipped while another was in flight is sent now.
    if (!m_running || m_inFlight || m_retry.valid())
        return;
    const sim::Nanos now = m_world.now();
    const std::int64_t p = now / m_period;
    const sim::Nanos prefetch = p * m_period + static_cast<sim::Nanos>(m_config.prefetchAt * static_cast<double>(m_period));
    if (!hasLease(p))
        sendRequest(p, wantFor(p));
    else if (now >= prefetch && !hasLease(p + 1))
        sendRequest(p + 1, wantFor(p + 1));
}

void QuotaClient::retireLease(Lease& l)
{
    if (l.period >= 0)
        m_stats.expiredUnused += std::max(0.0, l.granted - l.used);
}

void QuotaClient::onTimeout(std::uint64_t seq)
{
    m_timeout = sim::EventHandle{};
    if (!m_inFlight || seq != m_seq)
        return;
    m_inFlight = false;
    m_unreachable = true;
    ++m_stats.requestsFailed;
    m_lastFailure = m_inFlightFailure;
    scheduleRetry();
}

void QuotaClient::scheduleRetry()
{
    if (!m_running || m_retry.valid())
        return;
    m_retry = m_world.after(m_config.retryInterval, m_kindTimer, m_id, [this] { onRetry(); });
}

void QuotaClient::onRetry()
{
    m_retry = sim::EventHandle{};
    followUp();
}

void QuotaClient::scheduleTick()
{
    const sim::Nanos now = m_world.now();
    const auto offset = static_cast<sim::Nanos>(m_config.prefetchAt * static_cast<double>(m_period));
    sim::Nanos at = (now / m_period) * m_period + offset;
    if (at <= now)
        at += m_period;
    m_tick = m_world.at(at, m_kindTimer, m_id, [this] { onTick(); });
}

void QuotaClient::onTick()
{
    m_tick = sim::EventHandle{};
    const std::int64_t p = currentPeriod();
    if (!hasLease(p + 1))
        sendRequest(p + 1, wantFor(p + 1));
    scheduleTick();
}

void QuotaClient::scheduleBoundary()
{
    const sim::Nanos now = m_world.now();
    m_boundary = m_world.at((now / m_period + 1) * m_period, m_kindTimer, m_id, [this] { onBoundary(); });
}

void QuotaClient::onBoundary()
{
    m_boundary = sim::EventHandle{};
    const std::int64_t p = currentPeriod();
    // Leases of periods before p are over.
    for (Lease& l : m_leases) {
        if (l.period >= 0 && l.period < p) {
            retireLease(l);
            l = Lease{};
        }
    }
    updateMode();
    if (!hasLease(p) && !m_retry.valid())
        sendRequest(p, wantFor(p));
    scheduleBoundary();
}

void QuotaClient::attachMetrics(telemetry::MetricsRegistry& metrics)
{
    const std::string labels = sim::strCat("resource=", m_config.resource);
    m_allowedCounter = &metrics.counter("resilience.quota_client.allowed", m_path, labels);
    m_deniedCounter = &metrics.counter("resilience.quota_client.denied", m_path, labels);
    m_fallbackGauge = &metrics.gauge("resilience.quota_client.fallback", m_path, labels);
    m_fallbackGauge->set(m_mode == QuotaClientMode::Fallback ? 1.0 : 0.0);
}

void QuotaClient::inspect(sim::StateWriter& out) const
{
    const std::int64_t p = currentPeriod();
    out.add("resource", m_config.resource);
    out.add("mode", mode() == QuotaClientMode::Leased ? "leased" : "fallback");
    out.add("policy", quotaFallbackName(m_config.fallback));
    out.add("lease_tokens", leaseTokens(p));
    out.add("lease_used", leaseUsed(p));
    out.add("next_lease_tokens", leaseTokens(p + 1));
    out.add("last_want", m_lastWant);
    out.add("granted", m_stats.granted);
    out.add("used", m_stats.used);
    out.add("denied_quota", m_stats.deniedQuota);
    out.add("allowed_fallback", m_stats.allowedFallback);
    out.add("denied_fallback", m_stats.deniedFallback);
    out.add("allowed_dry", m_stats.allowedDry);
    out.add("early_top_ups", m_stats.earlyTopUps);
    out.add("server_unreachable", m_unreachable);
    out.add("fallback_entries", m_stats.fallbackEntries);
    out.add("requests", m_stats.requestsSent);
    out.add("failed_requests", m_stats.requestsFailed);
    out.add("last_failure", m_lastFailure);
}

} // namespace livedeck::resilience
