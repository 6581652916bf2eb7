// ClusterServiceImpl: livedeck.v1.ClusterService over a WorldHost (docs/API.md).
//
// Contract:
// - Access: with tokens configured, every call needs `authorization: Bearer <token>`
//   (UNAUTHENTICATED otherwise); calls that change the world need the operator role
//   (PERMISSION_DENIED for a viewer). Without tokens every caller is the operator "local"
//   (NodeServer allows that only on loopback).
// - Every handler validates its request first: INVALID_ARGUMENT with a message saying
//   what was expected. Nothing a request says can stop the world.
// - Unary calls wait for the host at most `unaryTimeout` (or the call's own deadline,
//   whichever is sooner): DEADLINE_EXCEEDED, the command still applies when it comes up.
// - Streams: snapshots at the client's rate (0.1–60 Hz, default 20) from a host
//   subscription whose one-slot mailbox replaces what the client has not taken, so a
//   slow client costs the world nothing and memory stays bounded; events resumable from
//   (run id, seq). Both send an application heartbeat when nothing new was produced for
//   `heartbeatInterval`, so a client detects a stale stream without transport keepalives.
// - Audit: every command is sent with issuer "<client name>" and is therefore in the
//   world's command log and its recording; the node also keeps `audit()` (wall time,
//   identity, peer, command, result), also passed to `onAudit` if set.
// - Leases: a remotely injected fault holds a lease (LeaseKeeper; default 60 s of wall
//   time, request `fault.lease_ms` up to `maxLease`) unless keep_after_disconnect.
// Thread: gRPC's threads; the world is touched only through the host.
#pragma once

#include "backend/host/lease_keeper.h"
#include "backend/host/world_host.h"
#include "backend/rpc/auth.h"
#include "livedeck/v1/service.grpc.pb.h"

#include <absl/status/statusor.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::rpc {

struct AuditEntry {
    std::int64_t wallUnixMs = 0; // from the injected wall-time source; 0 when none
    std::string identity;
    std::string role;
    std::string peer;
    std::string method;
    std::string command; // text form of the request
    std::string result;  // "ok" or the error
};

// Builds a run for LoadDrill: (drill YAML, file name for messages, seed or 0) → a run
// ready to host, or INVALID_ARGUMENT naming file:line:col. Supplied by the program.
using DrillRunFactory =
    std::function<absl::StatusOr<std::unique_ptr<host::HostedRun>>(const std::string& yaml, const std::string& fileName,
                                                                     std::uint64_t seed)>;

struct ServiceOptions {
    std::optional<TokenStore> tokens;                       // none: everyone is the operator "local"
    std::chrono::milliseconds heartbeatInterval{1000};      // streams' application heartbeat
    std::chrono::milliseconds unaryTimeout{10'000};         // longest a unary call waits for the host
    std::chrono::milliseconds defaultLease{60'000};         // issue 8: 60 s of wall time
    std::chrono::milliseconds maxLease{600'000};
    std::string build;                                      // build id for GetStatus
    DrillRunFactory drillFactory;                           // null: LoadDrill is FAILED_PRECONDITION
    std::function<std::int64_t()> wallUnixMs;               // audit timestamps (the program's clock)
    std::function<void(const AuditEntry&)> onAudit;
};

class ClusterServiceImpl final : public v1::ClusterService::Service {
public:
    ClusterServiceImpl(host::WorldHost& host, host::LeaseKeeper& leases, ServiceOptions options);
    ~ClusterServiceImpl() override;

    // Ends every open stream promptly (before the server shuts down).
    void shutdown();
    std::vector<AuditEntry> audit() const;

    grpc::Status GetStatus(grpc::ServerContext* ctx, const v1::GetStatusRequest* req, v1::GetStatusResponse* resp) override;
    grpc::Status GetTopology(grpc::ServerContext* ctx, const v1::GetTopologyRequest* req, v1::Topology* resp) override;
    grpc::Status StreamSnapshots(grpc::ServerContext* ctx, const v1::StreamSnapshotsRequest* req,
                                 grpc::ServerWriter<v1::SnapshotBatch>* writer) override;
    grpc::Status StreamEvents(grpc::ServerContext* ctx, const v1::StreamEventsRequest* req,
                              grpc::ServerWriter<v1::EventBatch>* writer) override;
    grpc::Status InjectFault(grpc::ServerContext* ctx, const v1::InjectFaultRequest* req, v1::InjectFaultResponse* resp) override;
    grpc::Status ClearFault(grpc::ServerContext* ctx, const v1::ClearFaultRequest* req, v1::ClearFaultResponse* resp) override;
    grpc::Status ListFaults(grpc::ServerContext* ctx, const v1::ListFaultsRequest* req, v1::ListFaultsResponse* resp) override;
    grpc::Status RenewLeases(grpc::ServerContext* ctx, const v1::RenewLeasesRequest* req, v1::RenewLeasesResponse* resp) override;
    grpc::Status SetLoad(grpc::ServerContext* ctx, const v1::SetLoadRequest* req, v1::CommandResponse* resp) override;
    grpc::Status ApplyOperatorAction(grpc::ServerContext* ctx, const v1::OperatorActionRequest* req,
                                     v1::CommandResponse* resp) override;
    grpc::Status Control(grpc::ServerContext* ctx, const v1::ControlRequest* req, v1::CommandResponse* resp) override;
    grpc::Status LoadDrill(grpc::ServerContext* ctx, const v1::LoadDrillRequest* req, v1::LoadDrillResponse* resp) override;
    grpc::Status GetDrillReport(grpc::ServerContext* ctx, const v1::GetDrillReportRequest* req,
                                v1::GetDrillReportResponse* resp) override;

private:
    // The caller's identity, or an error status (UNAUTHENTICATED / PERMISSION_DENIED).
    grpc::Status authorize(grpc::ServerContext* ctx, bool mutating, Identity& out) const;
    std::chrono::system_clock::time_point waitLimit(grpc::ServerContext* ctx) const;
    template <class T>
    grpc::Status waitFor(grpc::ServerContext* ctx, std::future<T>& future) const;
    // Submits a world or pacing command for `who`, waits, audits.
    grpc::Status runCommand(grpc::ServerContext* ctx, const Identity& who, const char* method, v1::Command command,
                            std::shared_ptr<host::CommandOutcome> outcome, std::string& result);
    void record(grpc::ServerContext* ctx, const Identity& who, const char* method, const std::string& command,
                const std::string& result);
    // One open stream: the host's notify and shutdown() wake it.
    struct StreamWaker {
        std::mutex mutex;
        std::condition_variable cv;
        bool pending = false;
        void wake();
        // Waits until woken or `timeout` passed; clears the flag.
        void wait(std::chrono::milliseconds timeout);
    };
    void addWaker(StreamWaker* waker);
    void removeWaker(StreamWaker* waker);

    host::WorldHost& m_host;
    host::LeaseKeeper& m_leases;
    const ServiceOptions m_options;
    std::atomic<bool> m_stopping{false};
    mutable std::mutex m_streamsMutex;
    std::vector<StreamWaker*> m_streamWakers;
    mutable std::mutex m_auditMutex;
    std::vector<AuditEntry> m_audit;
};

} // namespace livedeck::rpc
