// RemoteCluster: a ClusterSource over gRPC — the console attached to a livedeckd node
// (`livedeck --attach HOST:PORT [--token-file F]`, File → Attach…). The dashboards
// cannot tell it from the embedded world: the same livedeck.v1 messages arrive through
// the same signals.
//
// Threads (docs/UI.md "Remote attach"): one connection thread runs the session — status,
// topology, then a snapshot stream and an event stream (a second thread) — and hands
// every message to the GUI thread with a queued call. Unary commands run on short-lived
// worker threads; the destructor waits for them. The GUI thread never blocks on the
// network.
//
// Connection state: Connecting until the first snapshot, then Live. Streams carry
// application heartbeats (the node sends one each second when idle), so when neither
// data nor heartbeat arrived for `staleAfterMs` (2 s) the state turns Stale with
// "stale since hh:mm:ss" while the dashboards keep their last values. A broken stream is
// retried with exponential backoff (250 ms doubling to 5 s, reset once connected); the
// event stream resumes after the last (run id, seq) it saw, and a new run id on the node
// means the world restarted: runReset, fresh topology.
//
// Access: the node says the caller's role. A viewer's console is read-only
// (capabilities() offers no commands; sendCommand finishes with ok = false). Faults this
// console injects hold a lease on the node; it renews them every `leaseRenewMs` (20 s;
// the node's lease is 60 s), so if the console disappears its faults clear themselves.
#pragma once

#include "ui/cluster_source.h"

#include <QTimer>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace livedeck::ui {

struct RemoteOptions {
    QString address;          // "host:port"
    QString token;            // bearer token; empty: none
    QString tlsRootPem;       // PEM roots for TLS; empty: plaintext
    // Stale after this much silence; checked every 250 ms, so the dashboards show a silent
    // node within staleAfterMs + 250 ms (under 2 s, docs/UI.md "Stale data").
    int staleAfterMs = 1500;
    int backoffInitialMs = 250;
    int backoffMaxMs = 5000;
    double snapshotRateHz = 20.0;
    int leaseRenewMs = 20'000;
    int callTimeoutMs = 10'000;
    // Asked on the GUI thread before a command that changes the remote cluster is sent
    // (the console asks for confirmation before changing a remote cluster);
    // false: the command is not sent and finishes with ok = false. Empty: no question.
    std::function<bool(const v1::Command& command)> confirm;
};

class RemoteCluster final : public ClusterSource {
    Q_OBJECT
public:
    explicit RemoteCluster(RemoteOptions options, QObject* parent = nullptr);
    ~RemoteCluster() override;

    Capabilities capabilities() const override;
    SourceInfo info() const override;
    qint64 silentForMs() const override;
    void start() override;
    void stop() override;
    std::uint64_t sendCommand(v1::Command command) override;

    bool isOperator() const { return m_operator.load(); }
    QString role() const;
    // Faults this console injected and still holds a lease on.
    QList<quint64> leasedFaults() const;
    int reconnects() const { return m_reconnects.load(); }

    struct Shared; // state shared with the connection threads

private:
    void checkStale();
    void renewLeases();
    void onStatus(const QString& runId, const QString& role);
    void onTopology(TopologyPtr topology);
    void onSnapshot(SnapshotPtr snapshot);
    void onEvents(EventBatch events);
    void onDisconnected(const QString& why, int retryInMs);
    void onCommandDone(quint64 token, bool ok, const QString& message, quint64 faultId);
    void runWorker(std::function<void()> work);

    const RemoteOptions m_options;
    std::shared_ptr<Shared> m_shared;
    std::thread m_connection;
    QTimer m_staleTimer;
    QTimer m_leaseTimer;
    std::atomic<bool> m_operator{false};
    std::atomic<int> m_reconnects{0};
    QString m_role;
    QString m_runId;
    bool m_sawSnapshot = false;
    qint64 m_staleSinceMs = 0;
    std::set<quint64> m_leased;
    // Worker threads for unary calls: counted so the destructor can wait for them.
    std::mutex m_workersMutex;
    std::condition_variable m_workersDone;
    int m_workers = 0;
};

} // namespace livedeck::ui
