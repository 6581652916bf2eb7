// ClusterSource: what the console's dashboards look at (docs/ARCHITECTURE.md, property 5). It
// delivers livedeck.v1 messages — topology, snapshots, events, drill state — through
// Qt signals and takes commands (faults, pacing, load, operator actions). The
// dashboards cannot tell the implementations apart: EmbeddedCluster (a world in
// process), ReplayCluster (a recording) and, later, RemoteCluster (gRPC).
//
// Contract (every implementation):
// - Thread: a ClusterSource lives on the GUI thread and emits its signals there; an
//   implementation that receives data on other threads hands it over with queued
//   calls first. Payloads are immutable values shared by pointer (SnapshotPtr, ...),
//   so a slot may keep them as long as it likes.
// - Order: topologyChanged before the first snapshot of a run; runReset whenever what
//   was delivered before no longer continues (a new run, a replay seek backwards):
//   receivers drop their history, their series catalogue and their events. After a
//   reset the next snapshot describes every series again (series_defs). Events of a
//   delivery are emitted before the snapshot of the same delivery.
// - Commands return a token at once; commandFinished(token, ok, message) follows on
//   the GUI thread (never from inside the call). A command the source cannot do
//   finishes with ok = false and a message saying why.
// - Optional capabilities (capabilities()): PendingEvents (the next scheduled events,
//   requestPendingEvents → pendingEventsReady), EventKinds (names for step-to-kind),
//   Seek (a time cursor: seek(), timeRange()).
// - Connection: connectionState() and connectionStateChanged; Stale means data stopped
//   arriving (a remote source shows staleness instead of freezing).
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QFlags>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace livedeck::ui {

using SnapshotPtr = std::shared_ptr<const v1::Snapshot>;
using TopologyPtr = std::shared_ptr<const v1::Topology>;
using EventBatch = std::shared_ptr<const std::vector<v1::Event>>;
using DrillStatePtr = std::shared_ptr<const v1::DrillState>;

enum class ConnectionState {
    Disconnected, // not started, or stopped
    Connecting,   // starting / attaching
    Live,         // data arriving
    Stale,        // no data for longer than expected (remote)
    Replay,       // serving a recording
    Failed,       // gave up; connectionDetail() says why
};
QString connectionStateName(ConnectionState state);

// One event waiting in the world's queue (developer panel).
struct PendingEvent {
    std::int64_t timeNs = 0;
    std::uint64_t seq = 0;
    QString kind;
    QString component;
};

// What the source knows about the run it serves ("copy seed + time").
struct SourceInfo {
    QString kind;        // "embedded", "replay", "remote"
    QString location;    // file path or address; empty for embedded
    QString runId;
    std::uint64_t seed = 0;
    bool seedKnown = false;
};

class ClusterSource : public QObject {
    Q_OBJECT
public:
    enum Capability {
        Pacing = 0x01,          // pause / resume / step / run-until / speed
        Faults = 0x02,          // inject / clear faults
        Load = 0x04,            // set load
        OperatorActions = 0x08, // shed load, drain region, restore
        PendingEvents = 0x10,   // requestPendingEvents()
        EventKinds = 0x20,      // requestEventKinds()
        Seek = 0x40,            // seek(), timeRange()
    };
    Q_DECLARE_FLAGS(Capabilities, Capability)

    explicit ClusterSource(QObject* parent = nullptr) : QObject(parent) {}
    ~ClusterSource() override = default;

    virtual Capabilities capabilities() const = 0;
    bool can(Capability c) const { return capabilities().testFlag(c); }
    virtual SourceInfo info() const = 0;

    // Starts delivering (idempotent). stop() ends deliveries; start() may follow again.
    virtual void start() = 0;
    virtual void stop() = 0;

    ConnectionState connectionState() const { return m_state; }
    QString connectionDetail() const { return m_stateDetail; }
    // Wall milliseconds since data (a snapshot or a heartbeat) last arrived; -1 when the
    // source does not know (it is local, or nothing arrived yet). The console's stale
    // banner says how long a Stale source has been silent.
    virtual qint64 silentForMs() const { return -1; }
    // A name for the source in messages: its location, else its kind.
    QString displayName() const;

    // The one command entry point; the helpers below build commands for it.
    virtual std::uint64_t sendCommand(v1::Command command) = 0;

    std::uint64_t injectFault(const v1::FaultSpec& fault);
    std::uint64_t clearFault(std::uint64_t faultId);
    std::uint64_t pause();
    std::uint64_t resume();
    std::uint64_t step(std::uint64_t events = 1);
    std::uint64_t stepToKind(const QString& kind, const QString& componentTarget = {}, std::uint64_t count = 1);
    std::uint64_t runUntil(std::int64_t simTimeNs);
    std::uint64_t setSpeed(double factor); // <= 0: as fast as possible
    std::uint64_t setLoad(const QString& engine, const QString& profile, double multiplier);
    std::uint64_t operatorAction(const QString& action, const QString& target, double value);

    // Optional capabilities; the defaults do nothing.
    virtual void requestPendingEvents(int limit);
    virtual void requestEventKinds();
    virtual void seek(std::int64_t simTimeNs);
    // [first, last] simulated time a Seek source covers; {0, 0} when unknown.
    virtual std::int64_t timeRangeStart() const { return 0; }
    virtual std::int64_t timeRangeEnd() const { return 0; }

    // Name of a command for messages: "inject fault", "step", ...
    static QString commandName(const v1::Command& command);

signals:
    void topologyChanged(livedeck::ui::TopologyPtr topology);
    void snapshotReady(livedeck::ui::SnapshotPtr snapshot);
    void eventsReady(livedeck::ui::EventBatch events);
    void drillStateChanged(livedeck::ui::DrillStatePtr drill);
    void runReset(const QString& runId);
    void connectionStateChanged(livedeck::ui::ConnectionState state, const QString& detail);
    void commandFinished(quint64 token, bool ok, const QString& message);
    void pendingEventsReady(const QList<livedeck::ui::PendingEvent>& events);
    void eventKindsReady(const QStringList& kinds);
    void timeRangeChanged(qint64 firstNs, qint64 lastNs);

protected:
    void setConnectionState(ConnectionState state, const QString& detail = {});
    // Emits snapshotReady, and drillStateChanged when the drill part changed.
    void publishSnapshot(SnapshotPtr snapshot);
    // Forgets the drill state last published (a new run).
    void forgetDrill() { m_lastDrill.reset(); }
    std::uint64_t nextToken() { return m_nextToken++; }
    // Emits commandFinished from the event loop (never from inside the caller).
    void finishLater(std::uint64_t token, bool ok, const QString& message);

private:
    ConnectionState m_state = ConnectionState::Disconnected;
    QString m_stateDetail;
    DrillStatePtr m_lastDrill;
    std::uint64_t m_nextToken = 1;
};

} // namespace livedeck::ui

Q_DECLARE_OPERATORS_FOR_FLAGS(livedeck::ui::ClusterSource::Capabilities)
namespace livedeck::ui {
// Registers the types the sources' signals carry (for QSignalSpy and queued
// connections made by name).
void registerSourceMetaTypes();
} // namespace livedeck::ui

Q_DECLARE_METATYPE(livedeck::ui::SnapshotPtr)
Q_DECLARE_METATYPE(livedeck::ui::TopologyPtr)
Q_DECLARE_METATYPE(livedeck::ui::EventBatch)
Q_DECLARE_METATYPE(livedeck::ui::DrillStatePtr)
Q_DECLARE_METATYPE(livedeck::ui::PendingEvent)
Q_DECLARE_METATYPE(livedeck::ui::ConnectionState)
