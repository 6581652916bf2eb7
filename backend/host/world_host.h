// WorldHost: runs one world (a HostedRun) on its own thread; the one host that
// livedeckctl, the console's embedded mode and livedeckd all use (docs/ARCHITECTURE.md "Host and threads").
//
// Pacing (sim::PacedDriver on the injected WallClock): paused (the initial state),
// real time × k (k simulated seconds per wall second; clamped to [0.001, 1e6]),
// as fast as possible (k <= 0), step n events, step to the next event of a kind,
// run until a simulated time. Work is done in slices of at most `sliceWall` of wall
// time (2 ms) or `sliceMaxEvents` events; between slices the host applies queued
// commands, so a command waits at most about one slice.
//
// Commands (submit(), any thread) are applied on the host thread in submission order.
// World commands (inject/clear fault, set_load, operator_action, renew_lease) go to
// sim::World::apply() between events, which records the virtual time and event count;
// HostedRun::onCommandApplied() sees each one. A command with id 0 gets the next host
// sequence number as its id. Pacing commands never reach the world.
// The returned future resolves:
//   pause / resume / set_speed / world commands — when applied (the world's status);
//   step / run_until — when the target is reached (OK), superseded by a later pause,
//     resume, step or run_until (CANCELLED), or cannot be reached (the queue ran dry:
//     NOT_FOUND / FAILED_PRECONDITION; the run ended first: FAILED_PRECONDITION).
// Step semantics: a step pauses the world, then runs events at full speed (ignoring
// the pace). Step{events: n} runs exactly n events. Step{until_kind: K} runs events up
// to AND INCLUDING the n-th next event of kind K (n = events, default 1), so the
// published snapshot shows that event's effects and the next step always progresses;
// until_component restricts it to events of components matching a fault-style target
// (prefix by path segment, '*' = one segment). A step of at most `sliceMaxEvents`
// events completes before the next queued command is applied; longer steps and
// run_until proceed in slices with later commands applied between them.
// RunUntil{t}: runs at the current pace (resuming if paused) until simulated time t
// exactly, then pauses. Nothing ever runs past HostedRun::endTime(); when the run is
// finished the host pauses and refuses resume/step/run_until.
//
// Snapshots: subscribe() with a wall-clock rate; at each subscriber's tick, if the
// world changed since its last delivery, the host builds (once per state and variant,
// shared by all subscribers) a v1::Snapshot — Telemetry::buildSnapshot plus HostState
// (paused, speed, measured sim_per_wall and events_per_sec over a sliding second,
// pending events) and the run's drill state — stamped with simulated time, run id and
// a host sequence number, and drops it into the subscriber's mailbox
// (host/subscription.h). A step, a pause, reaching run_until or the end, and a new
// subscriber get a snapshot at once. The world thread never blocks on a subscriber.
//
// Thread safety: the world is touched only on the host thread. query() runs a
// function there (between events) and returns its result as a future: use it for
// read-only looks (topology, scheduler().upcoming(n)); anything it changes in the
// world is not recorded for replays and not published until the world next changes.
// run() gives direct access only while the host
// thread is not running (before start(), after stop()).
#pragma once

#include "backend/host/hosted_run.h"
#include "backend/host/rate_meter.h"
#include "backend/host/subscription.h"
#include "backend/host/wall_clock.h"
#include "backend/host/wake_signal.h"
#include "backend/sim/paced_driver.h"

#include <absl/status/status.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

namespace livedeck::host {

struct HostOptions {
    sim::Nanos sliceWall = 2 * sim::kMillisecond; // wall time of work between looks at the queue
    std::uint64_t sliceMaxEvents = 16'384;        // bounds a slice when the wall clock stands still (tests)
    std::uint64_t eventsPerClockRead = 256;       // events between wall-clock reads inside a slice
    // At × k the world never owes more than this much wall time: a world that fell
    // behind (too slow for k) re-anchors instead of sprinting later. 0 = no limit.
    sim::Nanos maxCatchUpWall = sim::kSecond;
    // While running at × k with nothing else to wake for, the host still wakes this
    // often to move the clock and refresh status() (50 ms: 20 Hz, like snapshots).
    sim::Nanos idleWakeWall = 50 * sim::kMillisecond;
    double initialSpeed = 1.0;                    // real time
    // Called after a run is destroyed (replaced, or with the host), on the thread that
    // destroyed it: the programs hand the freed heap back to the system there
    // (app/common/program_allocator.h). Empty: nothing.
    std::function<void()> afterRunDestroyed;
};

// What status() reports; a copy taken at the end of the host's last iteration.
struct HostStatus {
    std::string runId;
    bool threadRunning = false;
    bool paused = true;        // not advancing (also false while a step is in progress)
    bool stepping = false;     // a step or step-to-kind is in progress
    bool finished = false;
    double speed = 1.0;        // requested; 0 = as fast as possible
    double simPerWall = 0.0;   // measured over the last wall second
    double eventsPerSec = 0.0; // measured over the last wall second
    sim::Nanos simTime = 0;
    sim::Nanos runUntil = sim::kNever; // active run_until target, kNever = none
    std::uint64_t eventsExecuted = 0;
    std::uint64_t pendingEvents = 0;
    std::uint64_t iterations = 0;      // host loop iterations
    std::uint64_t slicesWithWork = 0;  // iterations that ran events or moved the clock
    std::uint64_t snapshotsBuilt = 0;
    std::uint64_t lastSnapshotSeq = 0;
    std::uint64_t commandsApplied = 0;
    std::uint64_t runGeneration = 0;   // bumped by replaceRun()
};

// What a world command did, beyond its status: filled on the host thread before the
// submit() future resolves (so reading it after get() needs no lock).
struct CommandOutcome {
    std::uint64_t commandId = 0; // the id the host gave the command
    std::uint64_t faultId = 0;   // inject_fault: the id the world assigned, 0 otherwise
};

class WorldHost {
public:
    using Notify = std::function<void()>;

    WorldHost(std::unique_ptr<HostedRun> run, WallClock& clock, HostOptions options = {});
    ~WorldHost();
    WorldHost(const WorldHost&) = delete;
    WorldHost& operator=(const WorldHost&) = delete;

    // Starts / stops the host thread. stop() resolves queued commands and an active
    // step/run_until with CANCELLED and drops queued queries (their futures throw
    // broken_promise). The host can be started again.
    void start();
    void stop();
    bool isRunning() const { return m_threadRunning.load(std::memory_order_acquire); }

    // Any thread. Commands queued before start() are applied when it starts.
    std::future<absl::Status> submit(v1::Command command, std::shared_ptr<CommandOutcome> outcome = nullptr);
    std::future<absl::Status> pause();
    std::future<absl::Status> resume();
    std::future<absl::Status> setSpeed(double factor); // <= 0: as fast as possible
    std::future<absl::Status> step(std::uint64_t events = 1);
    std::future<absl::Status> stepToKind(std::string kind, std::string componentTarget = {}, std::uint64_t count = 1);
    std::future<absl::Status> runUntil(sim::Nanos simTime);

    // Runs `fn(HostedRun&)` on the host thread between events; its result via the future
    // (an exception it throws comes out of future::get()).
    template <class F>
    auto query(F&& fn) -> std::future<std::invoke_result_t<std::decay_t<F>&, HostedRun&>>;
    std::future<void> post(std::function<void(HostedRun&)> fn) { return query(std::move(fn)); }

    // Replaces the hosted run (a new drill): applied in order with commands; the host
    // pauses, cancels any step/run_until, destroys the old run on its thread, and gives
    // every subscriber a snapshot of the new one (all series defs again).
    std::future<void> replaceRun(std::unique_ptr<HostedRun> run);

    // Any thread; `notify` is called on the host thread after each delivery.
    Subscription subscribe(SubscribeOptions options, Notify notify = {});

    HostStatus status() const;
    const HostOptions& options() const { return m_options; }

    // Direct access while the host thread is not running (asserts otherwise).
    HostedRun& run();

    // The speed the host uses for a requested factor: <= 0 → 0 (max), else clamped.
    static double clampSpeed(double factor);
    static constexpr double kMinSpeed = 0.001;
    static constexpr double kMaxSpeed = 1e6;

private:
    struct CommandItem {
        v1::Command command;
        std::shared_ptr<std::promise<absl::Status>> done;
        std::shared_ptr<CommandOutcome> outcome;
    };
    struct TaskItem {
        std::function<void(HostedRun&)> task;
    };
    struct ReplaceItem {
        std::unique_ptr<HostedRun> run;
        std::shared_ptr<std::promise<void>> done;
    };
    using QueueItem = std::variant<CommandItem, TaskItem, ReplaceItem>;

    enum class TargetMode { None, Events, Kind, Time };
    struct Target {
        TargetMode mode = TargetMode::None;
        std::uint64_t remaining = 0;
        sim::EventKindId kind = 0;
        std::string kindName;
        std::string componentTarget;
        std::vector<sim::ComponentId> components; // sorted; empty = any component
        std::size_t componentsSeen = 0;            // registry size when `components` was computed
        sim::Nanos time = sim::kNever;
        std::shared_ptr<std::promise<absl::Status>> done;
    };

    void enqueue(QueueItem item);
    void threadMain();
    // Host thread.
    bool drainQueue();
    bool applyCommand(CommandItem& item); // true: stop draining (a step was installed)
    absl::Status applyPacing(const v1::Command& command, bool& stopDraining);
    void applyReplace(ReplaceItem& item);
    void finishTarget(absl::Status status);
    bool runSlice();
    bool runStepSlice(sim::Nanos sliceStart);
    bool runPacedSlice(sim::Nanos sliceStart, sim::Nanos wall);
    bool matchesTarget(const sim::EventMeta& meta);
    void checkStops();
    void pauseDriver();
    void adoptSubscribers(sim::Nanos wall);
    void publish(sim::Nanos wall);
    std::shared_ptr<const v1::Snapshot> snapshotVariant(bool withComponents);
    void fillHostState(v1::HostState& out) const;
    void updateStatus(sim::Nanos wall);
    sim::Nanos nextWake(sim::Nanos wall);
    sim::Nanos endTime() const;
    void touch() { ++m_stateSeq; }

    WallClock& m_clock;
    const HostOptions m_options;
    WakeSignal m_signal;

    // Shared with other threads.
    mutable std::mutex m_queueMutex;
    std::deque<QueueItem> m_queue;
    std::vector<std::shared_ptr<detail::Mailbox>> m_newSubscribers;
    std::atomic<bool> m_stopRequested{false};
    std::atomic<bool> m_threadRunning{false};
    mutable std::mutex m_statusMutex;
    HostStatus m_status;
    std::thread m_thread;

    // Host thread only (or any thread while the host thread is not running).
    std::unique_ptr<HostedRun> m_run;
    std::unique_ptr<sim::PacedDriver> m_driver;
    Target m_target;
    RateMeter m_meter;
    bool m_finished = false;
    bool m_moreQueued = false;
    bool m_forcePublish = false;
    std::uint64_t m_nextCommandId = 1;
    std::uint64_t m_commandsApplied = 0;
    std::uint64_t m_iterations = 0;
    std::uint64_t m_slicesWithWork = 0;
    std::uint64_t m_runGeneration = 0;
    std::uint64_t m_stateSeq = 1;     // bumped whenever what a snapshot shows may have changed
    std::vector<std::shared_ptr<detail::Mailbox>> m_subscribers;
    // Snapshot cache: built for m_cacheStateSeq, per variant.
    std::uint64_t m_cacheStateSeq = 0;
    std::shared_ptr<const v1::Snapshot> m_cacheWith;
    std::shared_ptr<const v1::Snapshot> m_cacheWithout;
    // The last snapshots' arena sizes: the next one's first block.
    std::size_t m_arenaWith = 0;
    std::size_t m_arenaWithout = 0;
    std::uint32_t m_cacheDefsFrom = 0;
    std::uint32_t m_cacheDefsTo = 0;
    std::uint32_t m_defsPublished = 0; // series ids [0, m_defsPublished) went out in built snapshots
    std::uint64_t m_snapshotSeq = 0;
    std::uint64_t m_snapshotsBuilt = 0;
    std::vector<v1::Event> m_eventScratch;
};

template <class F>
auto WorldHost::query(F&& fn) -> std::future<std::invoke_result_t<std::decay_t<F>&, HostedRun&>>
{
    using R = std::invoke_result_t<std::decay_t<F>&, HostedRun&>;
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    auto callable = std::make_shared<std::decay_t<F>>(std::forward<F>(fn));
    enqueue(TaskItem{[promise, callable](HostedRun& run) {
        try {
            if constexpr (std::is_void_v<R>) {
                (*callable)(run);
                promise->set_value();
            } else {
                promise->set_value((*callable)(run));
            }
        } catch (...) {
            promise->set_exception(std::current_exception());
        }
    }});
    return future;
}

} // namespace livedeck::host
