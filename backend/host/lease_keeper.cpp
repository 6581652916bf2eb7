#include "backend/host/lease_keeper.h"

#include "backend/host/world_host.h"
#include "backend/sim/strings.h"

#include <algorithm>

#include <pthread.h>

namespace livedeck::host {

LeaseKeeper::LeaseKeeper(WorldHost& host, WallClock& clock) : m_host(host), m_clock(clock) {}

LeaseKeeper::~LeaseKeeper() { stop(); }

void LeaseKeeper::start()
{
    if (m_thread.joinable())
        return;
    m_stop.store(false);
    m_thread = std::thread([this] { threadMain(); });
}

void LeaseKeeper::stop()
{
    if (!m_thread.joinable())
        return;
    m_stop.store(true);
    m_signal.notify();
    m_thread.join();
}

void LeaseKeeper::hold(std::uint64_t faultId, sim::Nanos lease, std::string holder)
{
    {
        std::lock_guard lock(m_mutex);
        m_leases[faultId] = FaultLease{faultId, m_clock.now() + std::max<sim::Nanos>(lease, 0), std::move(holder)};
    }
    m_signal.notify();
}

std::vector<std::uint64_t> LeaseKeeper::renew(const std::vector<std::uint64_t>& faultIds, sim::Nanos lease)
{
    std::vector<std::uint64_t> renewed;
    {
        std::lock_guard lock(m_mutex);
        const sim::Nanos until = m_clock.now() + std::max<sim::Nanos>(lease, 0);
        for (std::uint64_t id : faultIds) {
            auto it = m_leases.find(id);
            if (it == m_leases.end())
                continue;
            it->second.expiresWall = std::max(it->second.expiresWall, until);
            renewed.push_back(id);
        }
    }
    m_signal.notify();
    return renewed;
}

bool LeaseKeeper::release(std::uint64_t faultId)
{
    std::lock_guard lock(m_mutex);
    return m_leases.erase(faultId) > 0;
}

std::vector<FaultLease> LeaseKeeper::leases() const
{
    std::lock_guard lock(m_mutex);
    std::vector<FaultLease> out;
    out.reserve(m_leases.size());
    for (const auto& [id, lease] : m_leases)
        out.push_back(lease);
    return out;
}

std::optional<sim::Nanos> LeaseKeeper::remaining(std::uint64_t faultId) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_leases.find(faultId);
    if (it == m_leases.end())
        return std::nullopt;
    return std::max<sim::Nanos>(it->second.expiresWall - m_clock.now(), 0);
}

void LeaseKeeper::threadMain()
{
    pthread_setname_np(pthread_self(), "ld-lease");
    while (!m_stop.load()) {
        m_signal.consume();
        std::vector<FaultLease> due;
        sim::Nanos next = sim::kNever;
        {
            std::lock_guard lock(m_mutex);
            const sim::Nanos now = m_clock.now();
            for (auto it = m_leases.begin(); it != m_leases.end();) {
                if (it->second.expiresWall <= now) {
                    due.push_back(std::move(it->second));
                    it = m_leases.erase(it);
                } else {
                    next = std::min(next, it->second.expiresWall);
                    ++it;
                }
            }
        }
        for (const FaultLease& lease : due) {
            v1::Command clear;
            clear.set_issuer(sim::strCat("lease-expiry:", lease.holder));
            clear.mutable_clear_fault()->set_fault_id(lease.faultId);
            // Fire and forget: the fault may have been cleared meanwhile (NOT_FOUND);
            // either way the world records the command.
            (void)m_host.submit(std::move(clear));
            m_expired.fetch_add(1, std::memory_order_relaxed);
        }
        if (due.empty())
            m_clock.waitUntil(next, m_signal);
    }
}

} // namespace livedeck::host
