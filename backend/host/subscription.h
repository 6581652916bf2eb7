// Subscription: one subscriber's view of a WorldHost's snapshots and events.
//
// The host publishes shared immutable snapshots (one build per publish tick, shared
// by every subscriber that wants that variant) into each subscriber's one-slot
// mailbox. A snapshot not taken before the next one arrives is replaced — the world
// never waits for a subscriber — and droppedSnapshots() counts it; the series
// definitions it carried are kept and merged into the next snapshot handed out, so a
// slow subscriber still learns every series. The first snapshot a subscriber takes
// describes every series defined so far. Events (v1::Event) raised since the last
// delivery are appended to a bounded buffer; when it is full the oldest are dropped
// and counted (as are events the world's own ring no longer held).
//
// Thread contract: take*() and the counters may be called from any thread; the host's
// thread fills the mailbox and then calls the subscriber's notify callback (cheap and
// non-blocking: post a queued call, signal a condition variable). close() (also run
// by the destructor) stops deliveries: after it returns, notify is not called again.
// Do not call close() (or destroy the handle) from inside notify.
#pragma once

#include "backend/sim/time.h"
#include "livedeck/v1/cluster.pb.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace livedeck::host {

class WorldHost;

struct SubscribeOptions {
    double rateHz = 20.0;               // wall-clock publish rate, clamped to [0.1, 60] (20 Hz: docs/ARCHITECTURE.md "Host and threads"; 0.1..60: service.proto)
    bool includeComponents = true;      // inspector state of every component
    bool includeEvents = false;         // collect v1::Events raised since the last delivery
    std::size_t eventCapacity = 10'000; // events kept until taken (at least 1); the oldest are dropped beyond
    // First events wanted: those with seq > eventsAfterSeq (resume after a reconnect).
    // nullopt = only events raised after subscribing.
    std::optional<std::uint64_t> eventsAfterSeq;
};

namespace detail {

// The state shared by a Subscription handle and the host.
class Mailbox {
public:
    using Notify = std::function<void()>;
    using SnapshotPtr = std::shared_ptr<const v1::Snapshot>;

    Mailbox(SubscribeOptions options, Notify notify) : options(std::move(options)), m_notify(std::move(notify)) {}

    SnapshotPtr takeSnapshot();
    SnapshotPtr latestSnapshot() const;
    std::size_t takeEvents(std::vector<v1::Event>& out);
    std::uint64_t droppedSnapshots() const;
    std::uint64_t droppedEvents() const;
    std::uint64_t deliveredSnapshots() const;
    std::size_t carriedSeriesDefs() const;
    bool hasUntakenSnapshot() const;
    void close();
    bool closed() const;

    // Host thread: stores a snapshot (replacing an untaken one: its defs are carried),
    // the series defs the subscriber was not given yet (`gapDefs`, ids below the
    // snapshot's own), events (plus `eventsLost` that never reached this mailbox),
    // then notifies. `newRun`: the snapshot belongs to a replaced run, so defs carried
    // from the old run are dropped instead of merged.
    void deliver(SnapshotPtr snapshot, std::vector<v1::SeriesDef> gapDefs, const std::vector<v1::Event>& events,
                 std::uint64_t eventsLost, bool newRun);

    const SubscribeOptions options;

    // Host thread only.
    sim::Nanos nextDueWall = 0;
    std::uint32_t defsDelivered = 0; // series ids [0, defsDelivered) handed to the mailbox
    std::uint64_t lastEventSeq = 0;
    std::uint64_t lastStateSeq = 0;  // host state version of the last delivery
    std::uint64_t runGeneration = 0; // run the fields above refer to

private:
    mutable std::mutex m_mutex; // the mailbox
    SnapshotPtr m_latest;
    bool m_untaken = false;
    std::vector<v1::SeriesDef> m_carriedDefs;
    std::deque<v1::Event> m_events;
    std::uint64_t m_droppedSnapshots = 0;
    std::uint64_t m_droppedEvents = 0;
    std::uint64_t m_delivered = 0;

    mutable std::mutex m_notifyMutex; // held while notify runs, so close() waits for it
    Notify m_notify;
    bool m_closed = false; // guarded by m_notifyMutex
};

} // namespace detail

// The subscriber's handle (movable). Destroying it closes the subscription.
class Subscription {
public:
    using SnapshotPtr = detail::Mailbox::SnapshotPtr;

    Subscription() = default;
    explicit Subscription(std::shared_ptr<detail::Mailbox> box) : m_box(std::move(box)) {}
    ~Subscription() { close(); }
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&& other) noexcept
    {
        if (this != &other) {
            close();
            m_box = std::move(other.m_box);
        }
        return *this;
    }

    bool valid() const { return m_box != nullptr; }
    // The latest snapshot not yet taken (nullptr when none arrived since the last take),
    // with the series defs of every dropped one merged in front of its own.
    SnapshotPtr takeSnapshot() { return m_box->takeSnapshot(); }
    // The latest snapshot delivered, taken or not, without its carried defs.
    SnapshotPtr latestSnapshot() const { return m_box->latestSnapshot(); }
    // Moves the buffered events into `out` (appended, oldest first); returns how many.
    std::size_t takeEvents(std::vector<v1::Event>& out) { return m_box->takeEvents(out); }
    std::uint64_t droppedSnapshots() const { return m_box->droppedSnapshots(); }
    std::uint64_t droppedEvents() const { return m_box->droppedEvents(); }
    std::uint64_t deliveredSnapshots() const { return m_box->deliveredSnapshots(); }
    std::size_t carriedSeriesDefs() const { return m_box->carriedSeriesDefs(); }
    bool hasUntakenSnapshot() const { return m_box->hasUntakenSnapshot(); }
    void close()
    {
        if (m_box)
            m_box->close();
    }

private:
    std::shared_ptr<detail::Mailbox> m_box;
};

} // namespace livedeck::host
