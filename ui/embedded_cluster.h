// EmbeddedCluster: a ClusterSource running a world in process — a host::WorldHost (the
// world on its own thread, paced on the console's steady wall clock) built from a
// factory of HostedRun, so any run plugs in: the synthetic workload now, the gift drill
// later. restart() builds a fresh run from the factory and replaces the old one.
//
// Bridging (docs/UI.md): the host calls the subscription's notify callback on its own
// thread after each delivery; the callback only posts one queued call to this object
// (coalesced by an atomic flag). On the GUI thread that call takes the mailbox — events
// first, then the snapshot — and emits them. Command futures and query() results
// (topology, pending events, event kinds) are polled on the GUI thread by a short timer
// that runs only while something is outstanding, so no thread ever blocks on another.
//
// Defaults: snapshots at 20 Hz (docs/ARCHITECTURE.md "Host and threads") and after every step (the host
// forces one); real time ×1 (issue: "with no argument starts ... at real time ×1").
// Thread: GUI thread. Destroying it stops the host thread (joins it).
#pragma once

#include "backend/host/hosted_run.h"
#include "backend/host/subscription.h"
#include "backend/host/world_host.h"
#include "ui/cluster_source.h"

#include <QTimer>

#include <atomic>
#include <functional>
#include <future>
#include <memory>

namespace livedeck::ui {

struct EmbeddedOptions {
    double speed = 1.0;          // initial speed factor; <= 0: as fast as possible
    bool startPaused = false;    // start() leaves the world paused
    double snapshotRateHz = 20.0; // 20 Hz: docs/ARCHITECTURE.md "Host and threads"
    std::uint64_t seed = 0;      // the run's seed, for "copy seed + time" (informational)
    host::HostOptions host;      // slice sizes, catch-up limit
    int pollIntervalMs = 5;      // how often outstanding futures are checked
};

class EmbeddedCluster final : public ClusterSource {
    Q_OBJECT
public:
    using RunFactory = std::function<std::unique_ptr<host::HostedRun>()>;

    // `clock`: the wall clock the host paces on; nullptr = an own SteadyWallClock.
    // The clock must outlive this object.
    EmbeddedCluster(RunFactory factory, EmbeddedOptions options = {}, host::WallClock* clock = nullptr,
                    QObject* parent = nullptr);
    ~EmbeddedCluster() override;

    Capabilities capabilities() const override;
    SourceInfo info() const override;
    void start() override;
    void stop() override;
    std::uint64_t sendCommand(v1::Command command) override;
    void requestPendingEvents(int limit) override;
    void requestEventKinds() override;

    // Builds a new run from the factory and replaces the current one (paused, same speed).
    void restart();
    // Replaces the factory (a drill loaded later); restart() uses it.
    void setFactory(RunFactory factory) { m_factory = std::move(factory); }
    // What info().location reports (the drill file or built-in drill name).
    void setLocation(const QString& location) { m_location = location; }

    host::WorldHost& host() { return *m_host; }
    host::HostStatus hostStatus() const { return m_host->status(); }
    // Snapshots delivered to the GUI thread so far, and ones the mailbox replaced
    // before the GUI took them (the GUI was busy).
    std::uint64_t snapshotsDelivered() const { return m_delivered; }
    std::uint64_t snapshotsDropped() const { return m_subscription.valid() ? m_subscription.droppedSnapshots() : 0; }

private:
    struct Pending {
        std::function<bool()> poll; // false once done (and handled); true: poll again
    };
    void subscribe();
    void drainMailbox();
    void requestTopology();
    void watch(std::function<bool()> poll);
    void pollPending();

    RunFactory m_factory;
    EmbeddedOptions m_options;
    std::unique_ptr<host::WallClock> m_ownClock;
    host::WallClock* m_clock;
    std::unique_ptr<host::WorldHost> m_host;
    host::Subscription m_subscription;
    std::shared_ptr<std::atomic<bool>> m_notifyPosted = std::make_shared<std::atomic<bool>>(false);
    QTimer m_poll;
    std::vector<Pending> m_pending;
    QString m_runId;
    QString m_location;
    std::int64_t m_lastSimTime = -1;
    std::uint64_t m_delivered = 0;
    bool m_started = false;
    std::vector<v1::Event> m_eventScratch;
};

} // namespace livedeck::ui
