#include "backend/messaging/sequence_allocator.h"

#include <algorithm>

namespace livedeck::messaging {

SequenceAllocator::Next SequenceAllocator::next(std::uint64_t key)
{
    const auto it = m_keys.find(key);
    if (it == m_keys.end())
        return Next{Status::NeedsLoad, 0, 0};
    State& s = it->second;
    if (s.current >= s.ceiling) {
        ++m_reservations;
        return Next{Status::NeedsReservation, 0, s.ceiling + m_config.block};
    }
    return Next{Status::Ok, ++s.current, 0};
}

void SequenceAllocator::confirm(std::uint64_t key, std::uint64_t ceiling)
{
    const auto it = m_keys.find(key);
    if (it != m_keys.end())
        it->second.ceiling = std::max(it->second.ceiling, ceiling);
}

void SequenceAllocator::load(std::uint64_t key, std::uint64_t durableCeiling, std::uint64_t lastPersisted)
{
    ++m_loads;
    State s;
    s.ceiling = durableCeiling;
    s.current = m_config.reload == SeqReload::FromCeiling ? durableCeiling : std::min(lastPersisted, durableCeiling);
    // Two requests that both found the key missing both load it: the first load wins,
    // a later one must not move the counter back below what was handed out since.
    m_keys.try_emplace(key, s);
}

void SequenceAllocator::loseCache()
{
    m_keys.clear();
}

} // namespace livedeck::messaging
