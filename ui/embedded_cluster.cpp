#include "ui/embedded_cluster.h"

#include "ui/logging.h"
#include "app/common/steady_wall_clock.h"

#include <chrono>

namespace livedeck::ui {
namespace {

template <class T>
bool ready(const std::shared_ptr<std::future<T>>& f)
{
    return f->wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

QString statusText(const absl::Status& status)
{
    if (status.ok())
        return QStringLiteral("ok");
    const auto m = status.message();
    return QString::fromUtf8(m.data(), static_cast<qsizetype>(m.size()));
}

struct PendingRow {
    std::int64_t time;
    std::uint64_t seq;
    std::string kind;
    std::string component;
};

} // namespace

EmbeddedCluster::EmbeddedCluster(RunFactory factory, EmbeddedOptions options, host::WallClock* clock, QObject* parent)
    : ClusterSource(parent), m_factory(std::move(factory)), m_options(options), m_clock(clock)
{
    if (!m_clock) {
        m_ownClock = std::make_unique<app::SteadyWallClock>();
        m_clock = m_ownClock.get();
    }
    m_poll.setInterval(m_options.pollIntervalMs);
    connect(&m_poll, &QTimer::timeout, this, &EmbeddedCluster::pollPending);
    host::HostOptions hostOptions = m_options.host;
    hostOptions.initialSpeed = m_options.speed;
    m_host = std::make_unique<host::WorldHost>(m_factory(), *m_clock, hostOptions);
}

EmbeddedCluster::~EmbeddedCluster()
{
    m_subscription.close(); // no notify after this returns
    m_host->stop();
}

ClusterSource::Capabilities EmbeddedCluster::capabilities() const
{
    return Capabilities(Pacing | Faults | Load | OperatorActions | PendingEvents | EventKinds);
}

SourceInfo EmbeddedCluster::info() const
{
    SourceInfo i;
    i.kind = QStringLiteral("embedded");
    i.runId = m_runId;
    i.location = m_location;
    i.seed = m_options.seed;
    i.seedKnown = true;
    return i;
}

void EmbeddedCluster::start()
{
    if (m_started)
        return;
    m_started = true;
    setConnectionState(ConnectionState::Connecting, tr("starting the embedded world"));
    subscribe();
    requestTopology();
    m_host->start();
    if (!m_options.startPaused)
        resume();
    qCInfo(lcSource) << "embedded world started, speed" << m_options.speed << (m_options.startPaused ? "(paused)" : "");
}

void EmbeddedCluster::stop()
{
    if (!m_started)
        return;
    m_started = false;
    m_subscription.close();
    m_subscription = {};
    m_host->stop();
    setConnectionState(ConnectionState::Disconnected, tr("the embedded world is stopped"));
}

void EmbeddedCluster::subscribe()
{
    host::SubscribeOptions o;
    o.rateHz = m_options.snapshotRateHz;
    o.includeComponents = true;
    o.includeEvents = true;
    m_notifyPosted->store(false);
    // Host thread: post one queued drain at a time. close() guarantees no call after it
    // returns, and Qt drops calls posted to a destroyed object.
    m_subscription = m_host->subscribe(o, [this, posted = m_notifyPosted] {
        if (!posted->exchange(true))
            QMetaObject::invokeMethod(this, &EmbeddedCluster::drainMailbox, Qt::QueuedConnection);
    });
}

void EmbeddedCluster::drainMailbox()
{
    m_notifyPosted->store(false);
    if (!m_subscription.valid())
        return;
    SnapshotPtr snapshot = m_subscription.takeSnapshot();
    m_eventScratch.clear();
    m_subscription.takeEvents(m_eventScratch);
    if (snapshot) {
        const QString runId = QString::fromStdString(snapshot->run_id());
        const bool reset = m_lastSimTime >= 0 && (runId != m_runId || snapshot->sim_time_ns() < m_lastSimTime);
        m_runId = runId;
        if (reset) {
            qCInfo(lcSource) << "new run" << runId;
            forgetDrill();
            emit runReset(runId);
            requestTopology();
        }
        m_lastSimTime = snapshot->sim_time_ns();
    }
    if (!m_eventScratch.empty()) {
        auto batch = std::make_shared<std::vector<v1::Event>>();
        batch->swap(m_eventScratch);
        emit eventsReady(std::move(batch));
    }
    if (snapshot) {
        ++m_delivered;
        if (connectionState() != ConnectionState::Live)
            setConnectionState(ConnectionState::Live, tr("embedded world"));
        publishSnapshot(std::move(snapshot));
    }
}

void EmbeddedCluster::restart()
{
    qCInfo(lcSource) << "restarting the embedded run";
    m_host->replaceRun(m_factory());
    forgetDrill();
    m_lastSimTime = -1;
    emit runReset(m_runId);
    requestTopology();
}

void EmbeddedCluster::requestTopology()
{
    auto f = std::make_shared<std::future<v1::Topology>>(m_host->query([](host::HostedRun& run) {
        v1::Topology t;
        run.world().topologyToProto(t);
        return t;
    }));
    watch([this, f] {
        if (!ready(f))
            return true;
        try {
            auto topology = std::make_shared<v1::Topology>(f->get());
            emit topologyChanged(std::move(topology));
        } catch (const std::exception& e) {
            qCWarning(lcSource) << "topology query failed:" << e.what();
        }
        return false;
    });
}

std::uint64_t EmbeddedCluster::sendCommand(v1::Command command)
{
    const std::uint64_t token = nextToken();
    if (command.issuer().empty())
        command.set_issuer("console");
    const QString name = commandName(command);
    auto f = std::make_shared<std::future<absl::Status>>(m_host->submit(std::move(command)));
    watch([this, f, token, name] {
        if (!ready(f))
            return true;
        const absl::Status status = f->get();
        if (!status.ok())
            qCInfo(lcSource) << name << "refused:" << statusText(status);
        const QString message = name + QStringLiteral(": ") + statusText(status);
        emit commandFinished(token, status.ok(), message);
        return false;
    });
    return token;
}

void EmbeddedCluster::requestPendingEvents(int limit)
{
    const auto n = static_cast<std::size_t>(std::max(limit, 0));
    auto f = std::make_shared<std::future<std::vector<PendingRow>>>(m_host->query([n](host::HostedRun& run) {
        const sim::World& world = run.world();
        std::vector<PendingRow> rows;
        for (const sim::EventMeta& m : world.scheduler().upcoming(n)) {
            const std::string& kind = m.kind < world.kindNames().size() ? world.kindName(m.kind) : std::string();
            std::string component = m.component < world.components().size() ? world.components().get(m.component).path
                                                                              : std::string();
            rows.push_back(PendingRow{m.time, m.seq, kind, std::move(component)});
        }
        return rows;
    }));
    watch([this, f] {
        if (!ready(f))
            return true;
        QList<PendingEvent> list;
        try {
            for (const PendingRow& r : f->get())
                list.push_back(PendingEvent{r.time, r.seq, QString::fromStdString(r.kind), QString::fromStdString(r.component)});
        } catch (const std::exception& e) {
            qCWarning(lcSource) << "pending-event query failed:" << e.what();
            return false;
        }
        emit pendingEventsReady(list);
        return false;
    });
}

void EmbeddedCluster::requestEventKinds()
{
    auto f = std::make_shared<std::future<std::vector<std::string>>>(
        m_host->query([](host::HostedRun& run) { return run.world().kindNames(); }));
    watch([this, f] {
        if (!ready(f))
            return true;
        QStringList kinds;
        try {
            const std::vector<std::string> names = f->get();
            for (std::size_t i = 1; i < names.size(); ++i) // id 0 is "none"
                kinds.push_back(QString::fromStdString(names[i]));
        } catch (const std::exception& e) {
            qCWarning(lcSource) << "event-kind query failed:" << e.what();
            return false;
        }
        kinds.sort();
        emit eventKindsReady(kinds);
        return false;
    });
}

void EmbeddedCluster::watch(std::function<bool()> poll)
{
    m_pending.push_back(Pending{std::move(poll)});
    if (!m_poll.isActive())
        m_poll.start();
}

void EmbeddedCluster::pollPending()
{
    std::vector<Pending> current;
    current.swap(m_pending);
    std::vector<Pending> keep;
    for (Pending& p : current) {
        if (p.poll())
            keep.push_back(std::move(p));
    }
    // Polls may have queued new work while they ran (a slot sent a command).
    for (Pending& p : m_pending)
        keep.push_back(std::move(p));
    m_pending.swap(keep);
    if (m_pending.empty())
        m_poll.stop();
}

} // namespace livedeck::ui
