#include "backend/host/subscription.h"

#include <algorithm>

namespace livedeck::host::detail {

Mailbox::SnapshotPtr Mailbox::takeSnapshot()
{
    SnapshotPtr snapshot;
    std::vector<v1::SeriesDef> carried;
    {
        std::lock_guard lock(m_mutex);
        if (!m_untaken)
            return nullptr;
        m_untaken = false;
        snapshot = m_latest;
        carried.swap(m_carriedDefs);
    }
    if (carried.empty())
        return snapshot;
    // Merge on the taker's thread: the carried defs have lower ids than the snapshot's own.
    auto merged = std::make_shared<v1::Snapshot>(*snapshot);
    merged->clear_series_defs();
    merged->mutable_series_defs()->Reserve(static_cast<int>(carried.size()) + snapshot->series_defs_size());
    for (v1::SeriesDef& d : carried)
        *merged->add_series_defs() = std::move(d);
    for (const v1::SeriesDef& d : snapshot->series_defs())
        *merged->add_series_defs() = d;
    return merged;
}

Mailbox::SnapshotPtr Mailbox::latestSnapshot() const
{
    std::lock_guard lock(m_mutex);
    return m_latest;
}

std::size_t Mailbox::takeEvents(std::vector<v1::Event>& out)
{
    std::lock_guard lock(m_mutex);
    const std::size_t n = m_events.size();
    out.reserve(out.size() + n);
    for (v1::Event& e : m_events)
        out.push_back(std::move(e));
    m_events.clear();
    return n;
}

std::uint64_t Mailbox::droppedSnapshots() const
{
    std::lock_guard lock(m_mutex);
    return m_droppedSnapshots;
}

std::uint64_t Mailbox::droppedEvents() const
{
    std::lock_guard lock(m_mutex);
    return m_droppedEvents;
}

std::uint64_t Mailbox::deliveredSnapshots() const
{
    std::lock_guard lock(m_mutex);
    return m_delivered;
}

std::size_t Mailbox::carriedSeriesDefs() const
{
    std::lock_guard lock(m_mutex);
    return m_carriedDefs.size();
}

bool Mailbox::hasUntakenSnapshot() const
{
    std::lock_guard lock(m_mutex);
    return m_untaken;
}

void Mailbox::close()
{
    std::lock_guard lock(m_notifyMutex);
    m_closed = true;
    m_notify = nullptr;
}

bool Mailbox::closed() const
{
    std::lock_guard lock(m_notifyMutex);
    return m_closed;
}

void Mailbox::deliver(SnapshotPtr snapshot, std::vector<v1::SeriesDef> gapDefs, const std::vector<v1::Event>& events,
                      std::uint64_t eventsLost, bool newRun)
{
    {
        std::lock_guard lock(m_mutex);
        if (snapshot) {
            if (newRun)
                m_carriedDefs.clear();
            if (m_untaken) {
                // Replace the untaken one; keep what it described (ids stay ascending:
                // carried < its own < the gap < the new snapshot's own).
                ++m_droppedSnapshots;
                if (!newRun) {
                    for (const v1::SeriesDef& d : m_latest->series_defs())
                        m_carriedDefs.push_back(d);
                }
            }
            for (v1::SeriesDef& d : gapDefs)
                m_carriedDefs.push_back(std::move(d));
            m_latest = std::move(snapshot);
            m_untaken = true;
            ++m_delivered;
        }
        m_droppedEvents += eventsLost;
        for (const v1::Event& e : events) {
            if (m_events.size() >= std::max<std::size_t>(options.eventCapacity, 1)) {
                m_events.pop_front();
                ++m_droppedEvents;
            }
            m_events.push_back(e);
        }
    }
    std::lock_guard lock(m_notifyMutex);
    if (!m_closed && m_notify)
        m_notify();
}

} // namespace livedeck::host::detail
