#include "ui/remote/remote_cluster.h"

#include "livedeck/v1/service.grpc.pb.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <QDateTime>
#include <QLoggingCategory>
#include <QMetaObject>

#include <chrono>
#include <functional>

Q_LOGGING_CATEGORY(lcRemote, "livedeck.ui.remote")

namespace livedeck::ui {
namespace {

using SteadyClock = std::chrono::steady_clock;

qint64 steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch()).count();
}

QString fromStd(const std::string& s) { return QString::fromStdString(s); }

} // namespace

struct RemoteCluster::Shared {
    std::mutex mutex;
    std::condition_variable cv;
    bool stopping = false;
    grpc::ClientContext* snapshotCtx = nullptr; // the open streams, for TryCancel on stop
    grpc::ClientContext* eventCtx = nullptr;
    std::shared_ptr<grpc::Channel> channel;
    std::atomic<qint64> lastDataMs{0};
    std::string eventsRunId; // resume point of the event stream
    std::uint64_t eventsAfterSeq = 0;

    // Sleeps up to `ms` unless stopping; true when stopping.
    bool sleepFor(int ms)
    {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
    }
    bool isStopping()
    {
        std::lock_guard lock(mutex);
        return stopping;
    }
};

RemoteCluster::RemoteCluster(RemoteOptions options, QObject* parent)
    : ClusterSource(parent), m_options(std::move(options)), m_shared(std::make_shared<Shared>())
{
    m_staleTimer.setInterval(250);
    connect(&m_staleTimer, &QTimer::timeout, this, &RemoteCluster::checkStale);
    m_leaseTimer.setInterval(m_options.leaseRenewMs);
    connect(&m_leaseTimer, &QTimer::timeout, this, &RemoteCluster::renewLeases);
}

RemoteCluster::~RemoteCluster()
{
    stop();
    std::unique_lock lock(m_workersMutex);
    m_workersDone.wait(lock, [this] { return m_workers == 0; });
}

ClusterSource::Capabilities RemoteCluster::capabilities() const
{
    if (!m_operator.load())
        return {};
    return Capabilities(Pacing) | Faults | Load | OperatorActions;
}

SourceInfo RemoteCluster::info() const
{
    SourceInfo i;
    i.kind = QStringLiteral("remote");
    i.location = m_options.address;
    i.runId = m_runId;
    return i;
}

QString RemoteCluster::role() const { return m_role; }

QList<quint64> RemoteCluster::leasedFaults() const
{
    QList<quint64> out;
    for (quint64 id : m_leased)
        out.push_back(id);
    return out;
}

void RemoteCluster::start()
{
    if (m_connection.joinable())
        return;
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->stopping = false;
    }
    setConnectionState(ConnectionState::Connecting, QStringLiteral("connecting to %1").arg(m_options.address));
    m_staleTimer.start();
    m_leaseTimer.start();

    const RemoteOptions options = m_options;
    std::shared_ptr<Shared> shared = m_shared;
    RemoteCluster* self = this;
    m_connection = std::thread([self, options, shared] {
        const auto post = [self](std::function<void()> fn) {
            QMetaObject::invokeMethod(self, std::move(fn), Qt::QueuedConnection);
        };
        const auto prepare = [&options](grpc::ClientContext& ctx, int timeoutMs) {
            if (timeoutMs > 0)
                ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeoutMs));
            if (!options.token.isEmpty())
                ctx.AddMetadata("authorization", "Bearer " + options.token.toStdString());
        };
        int backoff = options.backoffInitialMs;
        bool first = true;
        while (!shared->isStopping()) {
            if (!first) {
                self->m_reconnects.fetch_add(1);
                if (shared->sleepFor(backoff))
                    break;
                backoff = std::min(backoff * 2, options.backoffMaxMs);
            }
            first = false;
            std::shared_ptr<grpc::ChannelCredentials> creds;
            if (options.tlsRootPem.isEmpty()) {
                creds = grpc::InsecureChannelCredentials();
            } else {
                grpc::SslCredentialsOptions ssl;
                ssl.pem_root_certs = options.tlsRootPem.toStdString();
                creds = grpc::SslCredentials(ssl);
            }
            grpc::ChannelArguments args;
            args.SetMaxReceiveMessageSize(64 << 20); // the first snapshot describes every series
            auto channel = grpc::CreateCustomChannel(options.address.toStdString(), creds, args);
            {
                std::lock_guard lock(shared->mutex);
                shared->channel = channel;
            }
            auto stub = v1::ClusterService::NewStub(channel);

            v1::GetStatusResponse status;
            {
                grpc::ClientContext ctx;
                prepare(ctx, std::min(options.callTimeoutMs, 2000));
                const grpc::Status st = stub->GetStatus(&ctx, {}, &status);
                if (!st.ok()) {
                    const QString why = fromStd(st.error_message());
                    const int retry = std::min(backoff * 2, options.backoffMaxMs);
                    post([self, why, retry] { self->onDisconnected(why, retry); });
                    if (st.error_code() == grpc::StatusCode::UNAUTHENTICATED)
                        backoff = options.backoffMaxMs; // a wrong token does not fix itself quickly
                    continue;
                }
            }
            const QString runId = fromStd(status.run_id());
            const QString role = fromStd(status.role());
            post([self, runId, role] { self->onStatus(runId, role); });
            const auto fetchTopology = [&]() -> bool {
                auto topo = std::make_shared<v1::Topology>();
                grpc::ClientContext ctx;
                prepare(ctx, options.callTimeoutMs);
                if (!stub->GetTopology(&ctx, {}, topo.get()).ok())
                    return false;
                TopologyPtr t = std::move(topo);
                post([self, t] { self->onTopology(t); });
                return true;
            };
            if (!fetchTopology())
                continue;

            // Events on their own thread, resuming where the last session stopped.
            std::thread events([&] {
                grpc::ClientContext ctx;
                prepare(ctx, 0);
                v1::StreamEventsRequest req;
                {
                    std::lock_guard lock(shared->mutex);
                    if (shared->stopping)
                        return;
                    shared->eventCtx = &ctx;
                    req.set_run_id(shared->eventsRunId);
                    req.set_after_seq(shared->eventsRunId.empty() ? 0 : shared->eventsAfterSeq);
                }
                auto reader = stub->StreamEvents(&ctx, req);
                v1::EventBatch batch;
                while (reader->Read(&batch)) {
                    shared->lastDataMs.store(steadyMs());
                    if (batch.events_size() == 0)
                        continue;
                    auto list = std::make_shared<std::vector<v1::Event>>(batch.events().begin(), batch.events().end());
                    {
                        std::lock_guard lock(shared->mutex);
                        shared->eventsRunId = batch.run_id();
                        shared->eventsAfterSeq = list->back().seq();
                    }
                    EventBatch e = std::move(list);
                    post([self, e] { self->onEvents(e); });
                }
                reader->Finish();
                std::lock_guard lock(shared->mutex);
                shared->eventCtx = nullptr;
            });

            grpc::ClientContext ctx;
            prepare(ctx, 0);
            {
                std::lock_guard lock(shared->mutex);
                shared->snapshotCtx = shared->stopping ? nullptr : &ctx;
            }
            v1::StreamSnapshotsRequest req;
            req.set_rate_hz(options.snapshotRateHz);
            auto reader = stub->StreamSnapshots(&ctx, req);
            v1::SnapshotBatch batch;
            std::string knownRun = status.run_id();
            while (!shared->isStopping() && reader->Read(&batch)) {
                shared->lastDataMs.store(steadyMs());
                backoff = options.backoffInitialMs; // connected: start over after the next break
                for (v1::Snapshot& s : *batch.mutable_snapshots()) {
                    if (s.run_id() != knownRun) { // the node started another world
                        knownRun = s.run_id();
                        fetchTopology();
                    }
                    SnapshotPtr snap = std::make_shared<const v1::Snapshot>(std::move(s));
                    post([self, snap] { self->onSnapshot(snap); });
                }
            }
            const grpc::Status end = reader->Finish();
            {
                std::lock_guard lock(shared->mutex);
                shared->snapshotCtx = nullptr;
                if (shared->eventCtx)
                    shared->eventCtx->TryCancel();
            }
            events.join();
            if (shared->isStopping())
                break;
            const QString why = end.ok() ? QStringLiteral("the node ended the stream") : fromStd(end.error_message());
            const int retry = backoff;
            post([self, why, retry] { self->onDisconnected(why, retry); });
        }
    });
}

void RemoteCluster::stop()
{
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->stopping = true;
        if (m_shared->snapshotCtx)
            m_shared->snapshotCtx->TryCancel();
        if (m_shared->eventCtx)
            m_shared->eventCtx->TryCancel();
    }
    m_shared->cv.notify_all();
    if (m_connection.joinable())
        m_connection.join();
    m_staleTimer.stop();
    m_leaseTimer.stop();
    if (connectionState() != ConnectionState::Disconnected)
        setConnectionState(ConnectionState::Disconnected, QStringLiteral("detached from %1").arg(m_options.address));
}

void RemoteCluster::onStatus(const QString& runId, const QString& role)
{
    const bool wasOperator = m_operator.load();
    m_role = role;
    m_operator.store(role == QLatin1String("operator"));
    if (wasOperator != m_operator.load())
        qCInfo(lcRemote) << "attached to" << m_options.address << "as" << role;
    Q_UNUSED(runId);
}

void RemoteCluster::onTopology(TopologyPtr topology)
{
    const QString runId = fromStd(topology->run_id());
    if (!m_runId.isEmpty() && runId != m_runId) {
        forgetDrill();
        m_sawSnapshot = false;
        emit runReset(runId);
    }
    m_runId = runId;
    emit topologyChanged(std::move(topology));
}

void RemoteCluster::onSnapshot(SnapshotPtr snapshot)
{
    if (connectionState() != ConnectionState::Live)
        setConnectionState(ConnectionState::Live,
                           QStringLiteral("%1 as %2").arg(m_options.address, m_role.isEmpty() ? QStringLiteral("?") : m_role));
    m_sawSnapshot = true;
    m_staleSinceMs = 0;
    publishSnapshot(std::move(snapshot));
}

void RemoteCluster::onEvents(EventBatch events) { emit eventsReady(std::move(events)); }

void RemoteCluster::onDisconnected(const QString& why, int retryInMs)
{
    const QString detail = QStringLiteral("%1: %2 — retrying in %3 s")
                               .arg(m_options.address, why, QString::number(retryInMs / 1000.0, 'f', 1));
    if (m_sawSnapshot && connectionState() != ConnectionState::Stale) {
        checkStale(); // keeps "stale since" once data stopped long enough
        if (connectionState() != ConnectionState::Stale)
            setConnectionState(ConnectionState::Connecting, detail);
    } else if (!m_sawSnapshot) {
        setConnectionState(ConnectionState::Connecting, detail);
    }
}

qint64 RemoteCluster::silentForMs() const
{
    const qint64 last = m_shared->lastDataMs.load();
    return last == 0 ? -1 : steadyMs() - last;
}

void RemoteCluster::checkStale()
{
    const qint64 last = m_shared->lastDataMs.load();
    if (!m_sawSnapshot || last == 0)
        return;
    const qint64 silent = steadyMs() - last;
    if (silent > m_options.staleAfterMs) {
        if (connectionState() != ConnectionState::Stale) {
            const QDateTime since = QDateTime::currentDateTime().addMSecs(-silent);
            m_staleSinceMs = last;
            setConnectionState(ConnectionState::Stale, QStringLiteral("stale since %1 — reconnecting to %2")
                                                           .arg(since.toString(QStringLiteral("HH:mm:ss")), m_options.address));
        }
    } else if (connectionState() == ConnectionState::Stale) {
        setConnectionState(ConnectionState::Live, QStringLiteral("%1 as %2").arg(m_options.address, m_role));
    }
}

void RemoteCluster::runWorker(std::function<void()> work)
{
    {
        std::lock_guard lock(m_workersMutex);
        ++m_workers;
    }
    std::thread([this, work = std::move(work)] {
        work();
        std::lock_guard lock(m_workersMutex);
        --m_workers;
        m_workersDone.notify_all();
    }).detach();
}

std::uint64_t RemoteCluster::sendCommand(v1::Command command)
{
    const std::uint64_t token = nextToken();
    if (!m_operator.load()) {
        finishLater(token, false,
                    m_role.isEmpty() ? QStringLiteral("not attached yet")
                                     : QStringLiteral("read-only: this console's token has the %1 role").arg(m_role));
        return token;
    }
    std::shared_ptr<grpc::Channel> channel;
    {
        std::lock_guard lock(m_shared->mutex);
        channel = m_shared->channel;
    }
    if (!channel) {
        finishLater(token, false, QStringLiteral("not connected to %1").arg(m_options.address));
        return token;
    }
    if (m_options.confirm && !m_options.confirm(command)) {
        finishLater(token, false, QStringLiteral("%1 not sent: not confirmed").arg(commandName(command)));
        return token;
    }
    const RemoteOptions options = m_options;
    runWorker([this, token, channel, options, command = std::move(command)] {
        auto stub = v1::ClusterService::NewStub(channel);
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(options.callTimeoutMs));
        if (!options.token.isEmpty())
            ctx.AddMetadata("authorization", "Bearer " + options.token.toStdString());
        grpc::Status st;
        quint64 faultId = 0;
        QString message;
        switch (command.action_case()) {
        case v1::Command::kInjectFault: {
            v1::InjectFaultRequest req;
            *req.mutable_fault() = command.inject_fault().fault();
            v1::InjectFaultResponse resp;
            st = stub->InjectFault(&ctx, req, &resp);
            faultId = resp.fault_id();
            message = QStringLiteral("fault %1").arg(faultId);
            break;
        }
        case v1::Command::kClearFault: {
            v1::ClearFaultRequest req;
            req.set_fault_id(command.clear_fault().fault_id());
            v1::ClearFaultResponse resp;
            st = stub->ClearFault(&ctx, req, &resp);
            break;
        }
        case v1::Command::kSetLoad: {
            v1::SetLoadRequest req;
            *req.mutable_load() = command.set_load();
            v1::CommandResponse resp;
            st = stub->SetLoad(&ctx, req, &resp);
            message = fromStd(resp.result());
            break;
        }
        case v1::Command::kOperatorAction: {
            v1::OperatorActionRequest req;
            *req.mutable_action() = command.operator_action();
            v1::CommandResponse resp;
            st = stub->ApplyOperatorAction(&ctx, req, &resp);
            message = fromStd(resp.result());
            break;
        }
        case v1::Command::kRenewLease: {
            v1::RenewLeasesRequest req;
            *req.mutable_fault_ids() = command.renew_lease().fault_ids();
            v1::RenewLeasesResponse resp;
            st = stub->RenewLeases(&ctx, req, &resp);
            break;
        }
        default: {
            v1::ControlRequest req;
            *req.mutable_command() = command;
            v1::CommandResponse resp;
            st = stub->Control(&ctx, req, &resp);
            message = fromStd(resp.result());
            break;
        }
        }
        const bool ok = st.ok();
        if (!ok)
            message = fromStd(st.error_message());
        const bool clear = command.action_case() == v1::Command::kClearFault;
        const quint64 clearedId = clear ? command.clear_fault().fault_id() : 0;
        QMetaObject::invokeMethod(
            this,
            [this, token, ok, message, faultId, clearedId] {
                if (ok && clearedId != 0)
                    m_leased.erase(clearedId);
                onCommandDone(token, ok, message, faultId);
            },
            Qt::QueuedConnection);
    });
    return token;
}

void RemoteCluster::onCommandDone(quint64 token, bool ok, const QString& message, quint64 faultId)
{
    if (ok && faultId != 0)
        m_leased.insert(faultId);
    emit commandFinished(token, ok, message);
}

void RemoteCluster::renewLeases()
{
    if (m_leased.empty() || !m_operator.load())
        return;
    std::shared_ptr<grpc::Channel> channel;
    {
        std::lock_guard lock(m_shared->mutex);
        channel = m_shared->channel;
    }
    if (!channel)
        return;
    const std::vector<quint64> ids(m_leased.begin(), m_leased.end());
    const RemoteOptions options = m_options;
    runWorker([this, channel, options, ids] {
        auto stub = v1::ClusterService::NewStub(channel);
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(options.callTimeoutMs));
        if (!options.token.isEmpty())
            ctx.AddMetadata("authorization", "Bearer " + options.token.toStdString());
        v1::RenewLeasesRequest req;
        for (quint64 id : ids)
            req.add_fault_ids(id);
        v1::RenewLeasesResponse resp;
        if (!stub->RenewLeases(&ctx, req, &resp).ok())
            return; // unreachable now: try again at the next tick (the lease is 3 ticks long)
        std::set<quint64> renewed(resp.renewed().begin(), resp.renewed().end());
        QMetaObject::invokeMethod(
            this,
            [this, ids, renewed] {
                for (quint64 id : ids) {
                    if (!renewed.count(id))
                        m_leased.erase(id); // expired or cleared on the node
                }
            },
            Qt::QueuedConnection);
    });
}

} // namespace livedeck::ui
