#include "backend/host/world_host.h"

#include "backend/sim/strings.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <stdexcept>

#include <pthread.h>

namespace livedeck::host {
namespace {

bool isPacing(v1::Command::ActionCase a)
{
    switch (a) {
    case v1::Command::kPause:
    case v1::Command::kResume:
    case v1::Command::kStep:
    case v1::Command::kRunUntil:
    case v1::Command::kSetSpeed:
        return true;
    default:
        return false;
    }
}

std::string secondsText(sim::Nanos t)
{
    return sim::strFormat("%.9g s", sim::toSeconds(t));
}

sim::Nanos addSaturated(sim::Nanos a, sim::Nanos b)
{
    if (b > 0 && a > sim::kNever - b)
        return sim::kNever;
    return a + b;
}

} // namespace

WorldHost::WorldHost(std::unique_ptr<HostedRun> run, WallClock& clock, HostOptions options)
    : m_clock(clock), m_options(options), m_run(std::move(run))
{
    assert(m_run);
    assert(m_options.sliceMaxEvents > 0 && m_options.eventsPerClockRead > 0);
    m_driver = std::make_unique<sim::PacedDriver>(m_run->world().scheduler());
    m_driver->setSpeed(clampSpeed(m_options.initialSpeed), m_clock.now());
    m_finished = m_run->finished() || m_run->world().now() >= endTime();
    updateStatus(m_clock.now());
}

WorldHost::~WorldHost()
{
    stop();
    m_driver.reset();
    m_run.reset();
    if (m_options.afterRunDestroyed)
        m_options.afterRunDestroyed();
}

double WorldHost::clampSpeed(double factor)
{
    if (!(factor > 0.0)) // also NaN
        return 0.0;
    return std::clamp(factor, kMinSpeed, kMaxSpeed);
}

void WorldHost::start()
{
    if (m_thread.joinable())
        return;
    m_stopRequested.store(false, std::memory_order_release);
    m_threadRunning.store(true, std::memory_order_release);
    m_thread = std::thread([this] { threadMain(); });
}

void WorldHost::stop()
{
    if (m_thread.joinable()) {
        m_stopRequested.store(true, std::memory_order_release);
        m_signal.notify();
        m_thread.join();
    }
    m_threadRunning.store(false, std::memory_order_release);
    // No host thread now: finish what is left, on this thread.
    finishTarget(absl::CancelledError("the world host stopped"));
    std::deque<QueueItem> left;
    {
        std::lock_guard lock(m_queueMutex);
        left.swap(m_queue);
    }
    for (QueueItem& item : left) {
        if (auto* c = std::get_if<CommandItem>(&item))
            c->done->set_value(absl::CancelledError("the world host stopped before applying the command"));
        else if (auto* r = std::get_if<ReplaceItem>(&item))
            r->done->set_exception(std::make_exception_ptr(std::runtime_error("the world host stopped before replacing the run")));
    }
    updateStatus(m_clock.now());
}

HostedRun& WorldHost::run()
{
    assert(!isRunning() && "WorldHost::run(): the host thread owns the world; use query()");
    return *m_run;
}

void WorldHost::enqueue(QueueItem item)
{
    {
        std::lock_guard lock(m_queueMutex);
        m_queue.push_back(std::move(item));
    }
    m_signal.notify();
}

std::future<absl::Status> WorldHost::submit(v1::Command command, std::shared_ptr<CommandOutcome> outcome)
{
    auto done = std::make_shared<std::promise<absl::Status>>();
    auto future = done->get_future();
    enqueue(CommandItem{std::move(command), std::move(done), std::move(outcome)});
    return future;
}

std::future<absl::Status> WorldHost::pause()
{
    v1::Command c;
    c.mutable_pause();
    return submit(std::move(c));
}

std::future<absl::Status> WorldHost::resume()
{
    v1::Command c;
    c.mutable_resume();
    return submit(std::move(c));
}

std::future<absl::Status> WorldHost::setSpeed(double factor)
{
    v1::Command c;
    c.mutable_set_speed()->set_factor(factor);
    return submit(std::move(c));
}

std::future<absl::Status> WorldHost::step(std::uint64_t events)
{
    v1::Command c;
    c.mutable_step()->set_events(events);
    return submit(std::move(c));
}

std::future<absl::Status> WorldHost::stepToKind(std::string kind, std::string componentTarget, std::uint64_t count)
{
    v1::Command c;
    auto* s = c.mutable_step();
    s->set_events(count);
    s->set_until_kind(std::move(kind));
    s->set_until_component(std::move(componentTarget));
    return submit(std::move(c));
}

std::future<absl::Status> WorldHost::runUntil(sim::Nanos simTime)
{
    v1::Command c;
    c.mutable_run_until()->set_sim_time_ns(simTime);
    return submit(std::move(c));
}

std::future<void> WorldHost::replaceRun(std::unique_ptr<HostedRun> run)
{
    assert(run);
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    enqueue(ReplaceItem{std::move(run), std::move(done)});
    return future;
}

Subscription WorldHost::subscribe(SubscribeOptions options, Notify notify)
{
    options.rateHz = std::isfinite(options.rateHz) ? std::clamp(options.rateHz, 0.1, 60.0) : 20.0;
    options.eventCapacity = std::max<std::size_t>(options.eventCapacity, 1);
    auto box = std::make_shared<detail::Mailbox>(std::move(options), std::move(notify));
    {
        std::lock_guard lock(m_queueMutex);
        m_newSubscribers.push_back(box);
    }
    m_signal.notify();
    return Subscription(std::move(box));
}

HostStatus WorldHost::status() const
{
    std::lock_guard lock(m_statusMutex);
    return m_status;
}

sim::Nanos WorldHost::endTime() const
{
    return m_run->endTime();
}

// ---------------------------------------------------------------- host thread

void WorldHost::threadMain()
{
    pthread_setname_np(pthread_self(), "ld-world"); // as top -H and gdb show it
    m_forcePublish = true;
    // Pacing restarts from here: the wall time spent before start() is not owed.
    if (!m_driver->paused())
        m_driver->resume(m_clock.now());
    for (;;) {
        m_signal.consume();
        if (m_stopRequested.load(std::memory_order_acquire))
            break;
        ++m_iterations;
        adoptSubscribers(m_clock.now());
        m_moreQueued = drainQueue();
        const bool busy = runSlice();
        checkStops();
        const sim::Nanos wall = m_clock.now();
        updateStatus(wall);
        publish(wall);
        if (busy || m_moreQueued)
            continue;
        m_clock.waitUntil(nextWake(wall), m_signal);
    }
    m_threadRunning.store(false, std::memory_order_release);
}

bool WorldHost::drainQueue()
{
    for (;;) {
        QueueItem item;
        {
            std::lock_guard lock(m_queueMutex);
            if (m_queue.empty())
                return false;
            item = std::move(m_queue.front());
            m_queue.pop_front();
        }
        if (auto* c = std::get_if<CommandItem>(&item)) {
            if (applyCommand(*c)) {
                std::lock_guard lock(m_queueMutex);
                return !m_queue.empty();
            }
        } else if (auto* t = std::get_if<TaskItem>(&item)) {
            t->task(*m_run); // read-only by contract: no new snapshot for it
        } else {
            applyReplace(std::get<ReplaceItem>(item));
        }
    }
}

bool WorldHost::applyCommand(CommandItem& item)
{
    v1::Command& command = item.command;
    if (command.id() == 0)
        command.set_id(m_nextCommandId);
    m_nextCommandId = std::max(m_nextCommandId, command.id() + 1);
    ++m_commandsApplied;
    touch();
    if (item.outcome)
        item.outcome->commandId = command.id();
    if (isPacing(command.action_case())) {
        bool stopDraining = false;
        absl::Status status = applyPacing(command, stopDraining);
        if (status.ok() && m_target.mode != TargetMode::None && m_target.done == nullptr) {
            // A step / run_until installed just now: it resolves when reached or superseded.
            m_target.done = std::move(item.done);
            return stopDraining;
        }
        item.done->set_value(std::move(status));
        return false;
    }
    sim::World& world = m_run->world();
    const std::size_t logged = world.commandLog().size();
    absl::Status status = world.apply(command);
    if (world.commandLog().size() > logged)
        m_run->onCommandApplied(world.commandLog().back());
    if (item.outcome && status.ok() && command.action_case() == v1::Command::kInjectFault && !world.faults().all().empty())
        item.outcome->faultId = world.faults().all().back().id; // inject appends, ids ascend
    item.done->set_value(std::move(status));
    return false;
}

absl::Status WorldHost::applyPacing(const v1::Command& command, bool& stopDraining)
{
    sim::World& world = m_run->world();
    const sim::Nanos wall = m_clock.now();
    switch (command.action_case()) {
    case v1::Command::kPause:
        finishTarget(absl::CancelledError("superseded by pause"));
        pauseDriver();
        m_forcePublish = true;
        return absl::OkStatus();
    case v1::Command::kResume:
        if (m_finished)
            return absl::FailedPreconditionError(
                sim::strCat("the run has finished (at ", secondsText(world.now()), "); load a new run to continue"));
        finishTarget(absl::CancelledError("superseded by resume"));
        if (m_driver->paused()) {
            m_driver->resume(wall);
            m_meter.reset();
        }
        return absl::OkStatus();
    case v1::Command::kSetSpeed: {
        const double factor = command.set_speed().factor();
        if (std::isnan(factor))
            return absl::InvalidArgumentError("speed factor is not a number; give k > 0 (× real time) or <= 0 (as fast as possible)");
        m_driver->setSpeed(clampSpeed(factor), wall);
        m_meter.reset();
        return absl::OkStatus();
    }
    case v1::Command::kStep: {
        if (m_finished)
            return absl::FailedPreconditionError(
                sim::strCat("the run has finished (at ", secondsText(world.now()), "); nothing more to step"));
        const v1::Step& s = command.step();
        Target t;
        t.remaining = std::max<std::uint64_t>(s.events(), 1);
        if (s.until_kind().empty()) {
            if (!s.until_component().empty())
                return absl::InvalidArgumentError("step: until_component needs until_kind");
            t.mode = TargetMode::Events;
        } else {
            t.mode = TargetMode::Kind;
            const auto& names = world.kindNames();
            const auto it = std::find(names.begin() + 1, names.end(), s.until_kind());
            if (it == names.end()) {
                std::string known;
                for (std::size_t i = 1; i < names.size(); ++i)
                    known += sim::strCat(i > 1 ? ", " : "", names[i]);
                return absl::NotFoundError(
                    sim::strCat("step: no event kind '", s.until_kind(), "' in this world; known kinds: ", known));
            }
            t.kind = static_cast<sim::EventKindId>(it - names.begin());
            t.kindName = s.until_kind();
            t.componentTarget = s.until_component();
            if (!t.componentTarget.empty()) {
                t.components = world.components().matching(t.componentTarget);
                std::sort(t.components.begin(), t.components.end());
                t.componentsSeen = world.components().size();
                if (t.components.empty())
                    return absl::NotFoundError(
                        sim::strCat("step: no component matches '", t.componentTarget, "' (a path prefix by segment, '*' = one segment)"));
            }
        }
        finishTarget(absl::CancelledError("superseded by a new step"));
        pauseDriver();
        m_target = std::move(t);
        stopDraining = true;
        return absl::OkStatus();
    }
    case v1::Command::kRunUntil: {
        const sim::Nanos t = command.run_until().sim_time_ns();
        if (m_finished)
            return absl::FailedPreconditionError(
                sim::strCat("the run has finished (at ", secondsText(world.now()), ")"));
        if (t < world.now())
            return absl::InvalidArgumentError(sim::strCat("run until ", secondsText(t), ": the world is already at ",
                                                          secondsText(world.now())));
        finishTarget(absl::CancelledError("superseded by run until"));
        if (t == world.now()) {
            pauseDriver();
            m_forcePublish = true;
            return absl::OkStatus();
        }
        Target target;
        target.mode = TargetMode::Time;
        target.time = t;
        m_target = std::move(target);
        if (m_driver->paused()) {
            m_driver->resume(wall);
            m_meter.reset();
        }
        return absl::OkStatus();
    }
    default:
        break;
    }
    return absl::InternalError("not a pacing command");
}

void WorldHost::applyReplace(ReplaceItem& item)
{
    finishTarget(absl::CancelledError("the run was replaced"));
    const double speed = m_driver->speed();
    std::unique_ptr<HostedRun> old = std::move(m_run);
    m_driver.reset();
    m_run = std::move(item.run);
    m_driver = std::make_unique<sim::PacedDriver>(m_run->world().scheduler());
    m_driver->setSpeed(speed, m_clock.now()); // paused, as a new PacedDriver starts
    m_finished = m_run->finished() || m_run->world().now() >= endTime();
    m_meter.reset();
    ++m_runGeneration;
    m_defsPublished = 0;
    m_cacheWith.reset();
    m_cacheWithout.reset();
    m_cacheStateSeq = 0;
    m_forcePublish = true;
    touch();
    old.reset(); // the old world dies on the thread that ran it
    if (m_options.afterRunDestroyed)
        m_options.afterRunDestroyed();
    item.done->set_value();
}

void WorldHost::finishTarget(absl::Status status)
{
    if (m_target.mode == TargetMode::None)
        return;
    if (m_target.done)
        m_target.done->set_value(std::move(status));
    m_target = Target{};
    m_forcePublish = true;
}

void WorldHost::pauseDriver()
{
    if (!m_driver->paused()) {
        m_driver->pause();
        touch();
    }
    m_meter.reset();
}

bool WorldHost::runSlice()
{
    if (m_finished)
        return false;
    const sim::Nanos sliceStart = m_clock.now();
    if (m_target.mode == TargetMode::Events || m_target.mode == TargetMode::Kind)
        return runStepSlice(sliceStart);
    if (m_driver->paused())
        return false;
    return runPacedSlice(sliceStart, sliceStart);
}

bool WorldHost::matchesTarget(const sim::EventMeta& meta)
{
    if (m_target.mode == TargetMode::Events)
        return true;
    if (meta.kind != m_target.kind)
        return false;
    if (m_target.componentTarget.empty())
        return true;
    const sim::ComponentRegistry& components = m_run->world().components();
    if (components.size() != m_target.componentsSeen) {
        m_target.components = components.matching(m_target.componentTarget);
        std::sort(m_target.components.begin(), m_target.components.end());
        m_target.componentsSeen = components.size();
    }
    return std::binary_search(m_target.components.begin(), m_target.components.end(), meta.component);
}

bool WorldHost::runStepSlice(sim::Nanos sliceStart)
{
    sim::Scheduler& scheduler = m_run->world().scheduler();
    const sim::Nanos end = endTime();
    std::uint64_t ran = 0;
    sim::EventMeta meta;
    for (;;) {
        if (!scheduler.peek(meta)) {
            finishTarget(m_target.mode == TargetMode::Kind
                             ? absl::NotFoundError(sim::strCat("step: the world ran out of events before one of kind '",
                                                               m_target.kindName, "'"))
                             : absl::FailedPreconditionError("step: the world has no pending events"));
            break;
        }
        if (meta.time > end) {
            finishTarget(absl::FailedPreconditionError(
                sim::strCat("step: the run ends at ", secondsText(end), " before the next matching event")));
            scheduler.runUntil(end); // moves the clock to the end: the run is finished
            break;
        }
        const bool match = matchesTarget(meta);
        scheduler.step();
        ++ran;
        if (match && --m_target.remaining == 0) {
            finishTarget(absl::OkStatus());
            break;
        }
        if (ran >= m_options.sliceMaxEvents)
            break;
        if (ran % m_options.eventsPerClockRead == 0 && m_clock.now() - sliceStart >= m_options.sliceWall)
            break;
    }
    if (ran > 0) {
        ++m_slicesWithWork;
        touch();
    }
    return m_target.mode != TargetMode::None;
}

bool WorldHost::runPacedSlice(sim::Nanos sliceStart, sim::Nanos wall)
{
    sim::Scheduler& scheduler = m_run->world().scheduler();
    sim::PacedDriver& driver = *m_driver;
    sim::Nanos cap = endTime();
    if (m_target.mode == TargetMode::Time)
        cap = std::min(cap, m_target.time);
    sim::Nanos until = cap;
    if (!driver.isMax()) {
        if (m_options.maxCatchUpWall > 0) {
            const double owed = static_cast<double>(driver.lag(wall)) / driver.speed();
            if (owed > static_cast<double>(m_options.maxCatchUpWall))
                driver.setSpeed(driver.speed(), wall - m_options.maxCatchUpWall); // re-anchor: owe exactly the limit
        }
        until = std::min(cap, driver.target(wall));
    }
    const sim::Nanos before = scheduler.now();
    const std::uint64_t executedBefore = scheduler.executed();
    bool caughtUp = false;
    std::uint64_t ran = 0;
    for (;;) {
        const std::uint64_t batch = std::min(m_options.eventsPerClockRead, m_options.sliceMaxEvents - ran);
        const std::uint64_t n = scheduler.runUntilBounded(until, batch);
        ran += n;
        if (n < batch) {
            if (until != sim::kNever && until > scheduler.now())
                scheduler.runUntil(until); // nothing left before `until`: move the clock there
            caughtUp = true;
            break;
        }
        if (ran >= m_options.sliceMaxEvents || m_clock.now() - sliceStart >= m_options.sliceWall)
            break;
    }
    if (scheduler.now() != before || scheduler.executed() != executedBefore) {
        ++m_slicesWithWork;
        touch();
    }
    return !caughtUp;
}

void WorldHost::checkStops()
{
    sim::World& world = m_run->world();
    if (m_target.mode == TargetMode::Time && world.now() >= m_target.time) {
        finishTarget(absl::OkStatus());
        pauseDriver();
        m_forcePublish = true;
    }
    if (!m_finished && (m_run->finished() || world.now() >= endTime())) {
        m_finished = true;
        finishTarget(absl::FailedPreconditionError(
            sim::strCat("the run finished at ", secondsText(world.now()), " before the target was reached")));
        pauseDriver();
        touch();
        m_forcePublish = true;
    }
}

void WorldHost::adoptSubscribers(sim::Nanos wall)
{
    std::vector<std::shared_ptr<detail::Mailbox>> fresh;
    {
        std::lock_guard lock(m_queueMutex);
        fresh.swap(m_newSubscribers);
    }
    for (auto& box : fresh) {
        box->nextDueWall = wall;
        box->defsDelivered = 0;
        box->lastStateSeq = 0;
        box->runGeneration = m_runGeneration;
        box->lastEventSeq = box->options.eventsAfterSeq.value_or(m_run->world().events().lastSeq());
        m_subscribers.push_back(std::move(box));
    }
    std::erase_if(m_subscribers, [](const auto& box) { return box->closed(); });
}

void WorldHost::fillHostState(v1::HostState& out) const
{
    const bool advancing = !m_finished && (m_target.mode == TargetMode::Events || m_target.mode == TargetMode::Kind ||
                                           !m_driver->paused());
    out.set_paused(!advancing);
    out.set_speed(m_driver->speed());
    out.set_sim_per_wall(advancing ? m_meter.simPerWall() : 0.0);
    out.set_events_per_sec(advancing ? m_meter.eventsPerSec() : 0.0);
    out.set_pending_events(m_run->world().scheduler().pendingCount());
}

std::shared_ptr<const v1::Snapshot> WorldHost::snapshotVariant(bool withComponents)
{
    if (m_cacheStateSeq != m_stateSeq) {
        m_cacheWith.reset();
        m_cacheWithout.reset();
        m_cacheStateSeq = m_stateSeq;
        m_cacheDefsFrom = m_defsPublished;
        m_cacheDefsTo = m_run->telemetry().metrics().seriesCount();
        m_defsPublished = m_cacheDefsTo;
        ++m_snapshotSeq;
    }
    auto& slot = withComponents ? m_cacheWith : m_cacheWithout;
    if (slot)
        return slot;
    std::size_t& arenaHint = withComponents ? m_arenaWith : m_arenaWithout;
    auto snapshot = telemetry::newArenaSnapshot(arenaHint);
    telemetry::SnapshotOptions options;
    options.includeComponents = withComponents;
    options.includeSeriesDefs = true;
    options.seriesDefsFrom = m_cacheDefsFrom;
    m_run->telemetry().buildSnapshot(*snapshot, options);
    // Defs registered after the cache was opened belong to the next snapshot.
    while (snapshot->series_defs_size() > 0 &&
           snapshot->series_defs(snapshot->series_defs_size() - 1).id() >= m_cacheDefsTo)
        snapshot->mutable_series_defs()->RemoveLast();
    snapshot->set_seq(m_snapshotSeq);
    fillHostState(*snapshot->mutable_host());
    if (!m_run->fillDrillState(*snapshot->mutable_drill()))
        snapshot->clear_drill();
    arenaHint = telemetry::arenaBytes(*snapshot);
    ++m_snapshotsBuilt;
    slot = std::move(snapshot);
    return slot;
}

void WorldHost::publish(sim::Nanos wall)
{
    const bool force = m_forcePublish;
    m_forcePublish = false;
    if (m_subscribers.empty())
        return;
    const telemetry::MetricsRegistry& metrics = m_run->telemetry().metrics();
    const sim::EventLog& events = m_run->world().events();
    for (const auto& box : m_subscribers) {
        const sim::Nanos period = static_cast<sim::Nanos>(1e9 / box->options.rateHz);
        const bool fresh = box->lastStateSeq == 0;
        if (!fresh && !force && wall < box->nextDueWall)
            continue;
        if (box->lastStateSeq == m_stateSeq) {
            if (wall >= box->nextDueWall)
                box->nextDueWall = wall + period; // nothing new this tick
            continue;
        }
        const bool newRun = box->runGeneration != m_runGeneration;
        if (newRun) {
            box->runGeneration = m_runGeneration;
            box->defsDelivered = 0;
            box->lastEventSeq = 0;
        }
        auto snapshot = snapshotVariant(box->options.includeComponents);
        std::vector<v1::SeriesDef> gap;
        if (box->defsDelivered < m_cacheDefsFrom) {
            metrics.seriesDefs(box->defsDelivered, gap);
            std::erase_if(gap, [&](const v1::SeriesDef& d) { return d.id() >= m_cacheDefsFrom; });
        }
        box->defsDelivered = m_cacheDefsTo;
        std::uint64_t lost = 0;
        m_eventScratch.clear();
        if (box->options.includeEvents) {
            events.eventsAfter(box->lastEventSeq, m_eventScratch);
            const std::uint64_t first = m_eventScratch.empty() ? events.lastSeq() + 1 : m_eventScratch.front().seq();
            if (first > box->lastEventSeq + 1)
                lost = first - box->lastEventSeq - 1;
            box->lastEventSeq = std::max(box->lastEventSeq, events.lastSeq());
        }
        box->lastStateSeq = m_stateSeq;
        box->nextDueWall = wall + period;
        box->deliver(std::move(snapshot), std::move(gap), m_eventScratch, lost, newRun);
    }
}

void WorldHost::updateStatus(sim::Nanos wall)
{
    const sim::World& world = m_run->world();
    const bool stepping = m_target.mode == TargetMode::Events || m_target.mode == TargetMode::Kind;
    const bool advancing = !m_finished && (stepping || !m_driver->paused());
    if (advancing)
        m_meter.record(wall, world.now(), world.scheduler().executed());
    std::lock_guard lock(m_statusMutex);
    HostStatus& s = m_status;
    s.runId = world.runId();
    s.threadRunning = m_threadRunning.load(std::memory_order_acquire);
    s.paused = !advancing;
    s.stepping = stepping;
    s.finished = m_finished;
    s.speed = m_driver->speed();
    s.simPerWall = advancing ? m_meter.simPerWall() : 0.0;
    s.eventsPerSec = advancing ? m_meter.eventsPerSec() : 0.0;
    s.simTime = world.now();
    s.runUntil = m_target.mode == TargetMode::Time ? m_target.time : sim::kNever;
    s.eventsExecuted = world.scheduler().executed();
    s.pendingEvents = world.scheduler().pendingCount();
    s.iterations = m_iterations;
    s.slicesWithWork = m_slicesWithWork;
    s.snapshotsBuilt = m_snapshotsBuilt;
    s.lastSnapshotSeq = m_snapshotSeq;
    s.commandsApplied = m_commandsApplied;
    s.runGeneration = m_runGeneration;
}

sim::Nanos WorldHost::nextWake(sim::Nanos wall)
{
    sim::Nanos deadline = sim::kNever;
    const bool running = !m_finished && !m_driver->paused();
    if (running && !m_driver->isMax()) {
        // When the next event (or the run-until / end bound) comes due on the wall clock.
        sim::Scheduler& scheduler = m_run->world().scheduler();
        sim::Nanos next = std::min(scheduler.nextTime(), endTime());
        if (m_target.mode == TargetMode::Time)
            next = std::min(next, m_target.time);
        if (next != sim::kNever) {
            const double wallAhead = static_cast<double>(next - m_driver->target(wall)) / m_driver->speed();
            const sim::Nanos due = wallAhead <= 0 ? wall : addSaturated(wall, static_cast<sim::Nanos>(std::ceil(std::min(wallAhead, 9e18))));
            deadline = std::min(deadline, due);
        }
        deadline = std::min(deadline, addSaturated(wall, m_options.idleWakeWall));
    }
    for (const auto& box : m_subscribers) {
        if (box->lastStateSeq != m_stateSeq || running)
            deadline = std::min(deadline, box->nextDueWall);
    }
    return deadline;
}

} // namespace livedeck::host
