#include "backend/rpc/cluster_service.h"

#include "backend/rpc/status_mapping.h"
#include "backend/sim/faults.h"
#include "backend/sim/strings.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>

namespace livedeck::rpc {
namespace {

constexpr double kDefaultRateHz = 20.0; // service.proto: default 20
constexpr double kMinRateHz = 0.1;
constexpr double kMaxRateHz = 60.0;
constexpr std::size_t kMaxPrefixes = 64;
constexpr std::size_t kMaxTextField = 4096;

grpc::Status invalid(std::string message) { return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message)); }

std::string shortText(const google::protobuf::Message& m)
{
    std::string out;
    google::protobuf::TextFormat::Printer printer;
    printer.SetSingleLineMode(true);
    printer.PrintToString(m, &out);
    if (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

bool startsWithAny(const std::string& name, const google::protobuf::RepeatedPtrField<std::string>& prefixes)
{
    for (const std::string& p : prefixes) {
        if (name.compare(0, p.size(), p) == 0)
            return true;
    }
    return false;
}

// Keeps the series whose name starts with a wanted prefix; `allowed` remembers the
// verdict per series id across snapshots (a def arrives once, its samples every time).
void filterSeries(v1::Snapshot& snap, const google::protobuf::RepeatedPtrField<std::string>& prefixes,
                  std::vector<char>& allowed)
{
    if (prefixes.empty())
        return;
    google::protobuf::RepeatedPtrField<v1::SeriesDef> keptDefs;
    for (v1::SeriesDef& def : *snap.mutable_series_defs()) {
        if (def.id() >= allowed.size())
            allowed.resize(def.id() + 1, 0);
        const bool keep = startsWithAny(def.name(), prefixes);
        allowed[def.id()] = keep ? 1 : 0;
        if (keep)
            *keptDefs.Add() = std::move(def);
    }
    snap.mutable_series_defs()->Swap(&keptDefs);
    int out = 0;
    for (int i = 0; i < snap.sample_ids_size(); ++i) {
        const std::uint32_t id = snap.sample_ids(i);
        if (id < allowed.size() && allowed[id]) {
            snap.set_sample_ids(out, id);
            snap.set_sample_values(out, snap.sample_values(i));
            ++out;
        }
    }
    snap.mutable_sample_ids()->Truncate(out);
    snap.mutable_sample_values()->Truncate(out);
}

grpc::Status checkText(const std::string& value, const char* field, bool required)
{
    if (required && value.empty())
        return invalid(sim::strCat(field, " is required"));
    if (value.size() > kMaxTextField)
        return invalid(sim::strCat(field, " is longer than ", kMaxTextField, " bytes"));
    return grpc::Status::OK;
}

} // namespace

void ClusterServiceImpl::StreamWaker::wake()
{
    {
        std::lock_guard lock(mutex);
        pending = true;
    }
    cv.notify_all();
}

void ClusterServiceImpl::StreamWaker::wait(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex);
    cv.wait_for(lock, timeout, [this] { return pending; }); // wall-clock: gRPC stream pacing (backend/rpc)
    pending = false;
}

ClusterServiceImpl::ClusterServiceImpl(host::WorldHost& host, host::LeaseKeeper& leases, ServiceOptions options)
    : m_host(host), m_leases(leases), m_options(std::move(options))
{
}

ClusterServiceImpl::~ClusterServiceImpl() { shutdown(); }

void ClusterServiceImpl::shutdown()
{
    m_stopping.store(true);
    std::lock_guard lock(m_streamsMutex);
    for (StreamWaker* w : m_streamWakers)
        w->wake();
}

void ClusterServiceImpl::addWaker(StreamWaker* waker)
{
    std::lock_guard lock(m_streamsMutex);
    m_streamWakers.push_back(waker);
}

void ClusterServiceImpl::removeWaker(StreamWaker* waker)
{
    std::lock_guard lock(m_streamsMutex);
    std::erase(m_streamWakers, waker);
}

std::vector<AuditEntry> ClusterServiceImpl::audit() const
{
    std::lock_guard lock(m_auditMutex);
    return m_audit;
}

grpc::Status ClusterServiceImpl::authorize(grpc::ServerContext* ctx, bool mutating, Identity& out) const
{
    if (!m_options.tokens) {
        out = Identity{"local", Role::Operator};
        return grpc::Status::OK;
    }
    const auto& md = ctx->client_metadata();
    const auto it = md.find("authorization");
    const Identity* who = nullptr;
    if (it != md.end())
        who = m_options.tokens->fromAuthorization(std::string_view(it->second.data(), it->second.size()));
    if (who == nullptr)
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                            "this node requires a bearer token: send 'authorization: Bearer <token>' (livedeck --token-file)");
    if (mutating && who->role != Role::Operator)
        return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                            sim::strCat("'", who->name, "' has the viewer role; changing the world needs an operator token"));
    out = *who;
    return grpc::Status::OK;
}

std::chrono::system_clock::time_point ClusterServiceImpl::waitLimit(grpc::ServerContext* ctx) const
{
    const auto own = std::chrono::system_clock::now() + m_options.unaryTimeout; // wall-clock: call deadlines (backend/rpc)
    return std::min(own, ctx->deadline());
}

template <class T>
grpc::Status ClusterServiceImpl::waitFor(grpc::ServerContext* ctx, std::future<T>& future) const
{
    if (future.wait_until(waitLimit(ctx)) != std::future_status::ready)
        return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the world host did not answer in time; the request stays queued");
    return grpc::Status::OK;
}

void ClusterServiceImpl::record(grpc::ServerContext* ctx, const Identity& who, const char* method, const std::string& command,
                                const std::string& result)
{
    AuditEntry e;
    e.wallUnixMs = m_options.wallUnixMs ? m_options.wallUnixMs() : 0;
    e.identity = who.name;
    e.role = std::string(roleName(who.role));
    e.peer = ctx->peer();
    e.method = method;
    e.command = command;
    e.result = result;
    if (m_options.onAudit)
        m_options.onAudit(e);
    std::lock_guard lock(m_auditMutex);
    m_audit.push_back(std::move(e));
}

grpc::Status ClusterServiceImpl::runCommand(grpc::ServerContext* ctx, const Identity& who, const char* method,
                                            v1::Command command, std::shared_ptr<host::CommandOutcome> outcome,
                                            std::string& result)
{
    command.set_issuer(who.name);
    const std::string text = shortText(command);
    auto future = m_host.submit(std::move(command), std::move(outcome));
    grpc::Status waited = waitFor(ctx, future);
    if (!waited.ok()) {
        record(ctx, who, method, text, "queued (no answer in time)");
        return waited;
    }
    absl::Status status;
    try {
        status = future.get();
    } catch (const std::future_error&) {
        status = absl::UnavailableError("the world host stopped");
    }
    result = status.ok() ? std::string("ok") : std::string(status.message());
    record(ctx, who, method, text, result);
    return toGrpc(status);
}

grpc::Status ClusterServiceImpl::GetStatus(grpc::ServerContext* ctx, const v1::GetStatusRequest*, v1::GetStatusResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, false, who); !st.ok())
        return st;
    const host::HostStatus s = m_host.status();
    resp->set_run_id(s.runId);
    resp->set_build(m_options.build);
    v1::HostState* h = resp->mutable_host();
    h->set_paused(s.paused);
    h->set_speed(s.speed);
    h->set_sim_per_wall(s.simPerWall);
    h->set_events_per_sec(s.eventsPerSec);
    h->set_pending_events(s.pendingEvents);
    resp->set_sim_time_ns(s.simTime);
    resp->set_events_executed(s.eventsExecuted);
    resp->set_role(std::string(roleName(who.role)));
    auto drill = m_host.query([](host::HostedRun& run) {
        v1::DrillState d;
        run.fillDrillState(d);
        return d;
    });
    if (grpc::Status st = waitFor(ctx, drill); !st.ok())
        return st;
    try {
        *resp->mutable_drill() = drill.get();
    } catch (const std::exception&) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the world host stopped");
    }
    return grpc::Status::OK;
}

grpc::Status ClusterServiceImpl::GetTopology(grpc::ServerContext* ctx, const v1::GetTopologyRequest*, v1::Topology* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, false, who); !st.ok())
        return st;
    auto topo = m_host.query([](host::HostedRun& run) {
        v1::Topology t;
        run.world().topologyToProto(t);
        return t;
    });
    if (grpc::Status st = waitFor(ctx, topo); !st.ok())
        return st;
    try {
        *resp = topo.get();
    } catch (const std::exception&) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the world host stopped");
    }
    return grpc::Status::OK;
}

grpc::Status ClusterServiceImpl::StreamSnapshots(grpc::ServerContext* ctx, const v1::StreamSnapshotsRequest* req,
                                                 grpc::ServerWriter<v1::SnapshotBatch>* writer)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, false, who); !st.ok())
        return st;
    double rate = req->rate_hz();
    if (rate == 0.0)
        rate = kDefaultRateHz;
    if (!std::isfinite(rate) || rate < kMinRateHz || rate > kMaxRateHz)
        return invalid(sim::strFormat("rate_hz must be within [%.1f, %.0f] (0 = the default %.0f), got %g", kMinRateHz,
                                      kMaxRateHz, kDefaultRateHz, rate));
    if (static_cast<std::size_t>(req->series_prefix_size()) > kMaxPrefixes)
        return invalid(sim::strCat("at most ", kMaxPrefixes, " series_prefix entries"));
    for (const std::string& p : req->series_prefix()) {
        if (grpc::Status st = checkText(p, "series_prefix", true); !st.ok())
            return st;
    }
    StreamWaker waker;
    addWaker(&waker);
    host::SubscribeOptions options;
    options.rateHz = rate;
    options.includeComponents = true;
    host::Subscription sub = m_host.subscribe(options, [&waker] { waker.wake(); });
    std::vector<char> allowed;
    const auto interval = std::min(m_options.heartbeatInterval,
                                   std::chrono::milliseconds(static_cast<std::int64_t>(1000.0 / rate) + 1));
    auto lastSent = std::chrono::steady_clock::now(); // wall-clock: heartbeat pacing (backend/rpc)
    grpc::Status result = grpc::Status::OK;
    while (!m_stopping.load() && !ctx->IsCancelled()) {
        waker.wait(interval);
        if (m_stopping.load() || ctx->IsCancelled())
            break;
        v1::SnapshotBatch batch;
        if (auto snap = sub.takeSnapshot()) {
            v1::Snapshot* out = batch.add_snapshots();
            *out = *snap;
            filterSeries(*out, req->series_prefix(), allowed);
        } else if (std::chrono::steady_clock::now() - lastSent >= m_options.heartbeatInterval) { // wall-clock: heartbeat
            batch.set_heartbeat(true);
        } else {
            continue;
        }
        if (!writer->Write(batch))
            break; // the client went away
        lastSent = std::chrono::steady_clock::now(); // wall-clock: heartbeat pacing
    }
    sub.close();
    removeWaker(&waker);
    if (m_stopping.load())
        result = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is shutting down");
    return result;
}

grpc::Status ClusterServiceImpl::StreamEvents(grpc::ServerContext* ctx, const v1::StreamEventsRequest* req,
                                              grpc::ServerWriter<v1::EventBatch>* writer)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, false, who); !st.ok())
        return st;
    if (grpc::Status st = checkText(req->run_id(), "run_id", false); !st.ok())
        return st;
    if (req->run_id().empty() && req->after_seq() != 0)
        return invalid("after_seq needs the run_id it refers to");
    StreamWaker waker;
    addWaker(&waker);
    host::SubscribeOptions options;
    options.rateHz = kMaxRateHz; // events go out at the host's fastest delivery rate (~17 ms)
    options.includeComponents = false;
    options.includeEvents = true;
    const std::string currentRun = m_host.status().runId;
    if (!req->run_id().empty())
        options.eventsAfterSeq = req->run_id() == currentRun ? req->after_seq() : 0; // a new run: from its start
    host::Subscription sub = m_host.subscribe(options, [&waker] { waker.wake(); });
    auto lastSent = std::chrono::steady_clock::now(); // wall-clock: heartbeat pacing (backend/rpc)
    std::vector<v1::Event> events;
    std::string runId;
    while (!m_stopping.load() && !ctx->IsCancelled()) {
        waker.wait(m_options.heartbeatInterval);
        if (m_stopping.load() || ctx->IsCancelled())
            break;
        auto snap = sub.takeSnapshot(); // carries the run id the events belong to
        if (snap)
            runId = snap->run_id();
        events.clear();
        sub.takeEvents(events);
        v1::EventBatch batch;
        batch.set_run_id(runId.empty() ? m_host.status().runId : runId);
        if (!events.empty()) {
            for (v1::Event& e : events)
                *batch.add_events() = std::move(e);
        } else if (std::chrono::steady_clock::now() - lastSent >= m_options.heartbeatInterval) { // wall-clock: heartbeat
            batch.set_heartbeat(true);
        } else {
            continue;
        }
        if (!writer->Write(batch))
            break;
        lastSent = std::chrono::steady_clock::now(); // wall-clock: heartbeat pacing
    }
    sub.close();
    removeWaker(&waker);
    if (m_stopping.load())
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is shutting down");
    return grpc::Status::OK;
}

grpc::Status ClusterServiceImpl::InjectFault(grpc::ServerContext* ctx, const v1::InjectFaultRequest* req,
                                             v1::InjectFaultResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, true, who); !st.ok())
        return st;
    if (!req->has_fault())
        return invalid("fault is required");
    v1::FaultSpec spec = req->fault();
    if (spec.id() != 0)
        return invalid("fault.id is assigned by the world; send 0");
    if (spec.kind() == v1::FAULT_KIND_UNSPECIFIED || !v1::FaultKind_IsValid(spec.kind()))
        return invalid(sim::strCat("fault.kind is required: one of ", sim::FaultRegistry::vocabulary()));
    if (grpc::Status st = checkText(spec.target(), "fault.target", true); !st.ok())
        return st;
    if (spec.lease_ms() < 0)
        return invalid("fault.lease_ms must be >= 0");
    if (auto params = sim::FaultRegistry::validateParams(spec); !params.ok())
        return invalid(std::string(params.status().message()));
    std::chrono::milliseconds lease{0};
    if (!req->keep_after_disconnect()) {
        lease = spec.lease_ms() > 0 ? std::chrono::milliseconds(spec.lease_ms()) : m_options.defaultLease;
        if (lease > m_options.maxLease)
            return invalid(sim::strCat("fault.lease_ms is at most ", m_options.maxLease.count(), " (or keep_after_disconnect)"));
        spec.set_lease_ms(lease.count());
    }
    spec.set_origin(sim::strCat("remote:", who.name));
    v1::Command command;
    *command.mutable_inject_fault()->mutable_fault() = spec;
    auto outcome = std::make_shared<host::CommandOutcome>();
    std::string result;
    grpc::Status st = runCommand(ctx, who, "InjectFault", std::move(command), outcome, result);
    if (!st.ok())
        return st;
    resp->set_fault_id(outcome->faultId);
    if (lease.count() > 0 && outcome->faultId != 0)
        m_leases.hold(outcome->faultId, lease.count() * sim::kMillisecond, who.name);
    return grpc::Status::OK;
}

grpc::Status ClusterServiceImpl::ClearFault(grpc::ServerContext* ctx, const v1::ClearFaultRequest* req, v1::ClearFaultResponse*)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, true, who); !st.ok())
        return st;
    if (req->fault_id() == 0)
        return invalid("fault_id is required (see ListFaults)");
    v1::Command command;
    command.mutable_clear_fault()->set_fault_id(req->fault_id());
    std::string result;
    grpc::Status st = runCommand(ctx, who, "ClearFault", std::move(command), nullptr, result);
    if (st.ok())
        m_leases.release(req->fault_id());
    return st;
}

grpc::Status ClusterServiceImpl::ListFaults(grpc::ServerContext* ctx, const v1::ListFaultsRequest*, v1::ListFaultsResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, false, who); !st.ok())
        return st;
    auto faults = m_host.query([](host::HostedRun& run) {
        std::vector<v1::FaultSpec> out;
        const sim::FaultRegistry& reg = run.world().faults();
        for (const sim::Fault& f : reg.all()) {
            v1::FaultSpec spec;
            reg.toProto(f.id, spec);
            out.push_back(std::move(spec));
        }
        return out;
    });
    if (grpc::Status st = waitFor(ctx, faults); !st.ok())
        return st;
    try {
        for (v1::FaultSpec& f : faults.get()) {
            if (auto left = m_leases.remaining(f.id()))
                f.set_lease_ms(std::max<std::int64_t>(*left / sim::kMillisecond, 1)); // wall ms left on its lease
            *resp->add_faults() = std::move(f);
        }
    } catch (const std::exception&) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the world host stopped");
    }
    return grpc::Status::OK;
}

grpc::Status ClusterServiceImpl::RenewLeases(grpc::ServerContext* ctx, const v1::RenewLeasesRequest* req,
                                             v1::RenewLeasesResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, true, who); !st.ok())
        return st;
    if (req->fault_ids_size() == 0)
        return invalid("fault_ids is empty");
    if (req->fault_ids_size() > 10'000)
        return invalid("at most 10000 fault_ids per call");
    std::vector<std::uint64_t> ids(req->fault_ids().begin(), req->fault_ids().end());
    if (std::find(ids.begin(), ids.end(), 0u) != ids.end())
        return invalid("fault id 0 does not exist");
    for (std::uint64_t id : m_leases.renew(ids, m_options.defaultLease.count() * sim::kMillisecond))
        resp->add_renewed(id);
    return grpc::Status::OK;
}

grpc::Status ClusterServiceImpl::SetLoad(grpc::ServerContext* ctx, const v1::SetLoadRequest* req, v1::CommandResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, true, who); !st.ok())
        return st;
    if (!req->has_load())
        return invalid("load is required");
    if (grpc::Status st = checkText(req->load().engine(), "load.engine", true); !st.ok())
        return st;
    if (grpc::Status st = checkText(req->load().profile(), "load.profile", false); !st.ok())
        return st;
    const double m = req->load().multiplier();
    if (!std::isfinite(m) || m < 0.0 || m > 1000.0)
        return invalid("load.multiplier must be within [0, 1000] (0 = unchanged)");
    if (req->load().profile().empty() && m == 0.0)
        return invalid("load changes nothing: give a profile or a multiplier");
    v1::Command command;
    *command.mutable_set_load() = req->load();
    std::string result;
    grpc::Status st = runCommand(ctx, who, "SetLoad", std::move(command), nullptr, result);
    resp->set_result(result);
    return st;
}

grpc::Status ClusterServiceImpl::ApplyOperatorAction(grpc::ServerContext* ctx, const v1::OperatorActionRequest* req,
                                                     v1::CommandResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, true, who); !st.ok())
        return st;
    if (!req->has_action())
        return invalid("action is required");
    // Which actions exist is the engines' business: the world routes the action to the
    // engines whose descriptors declare it and refuses it (InvalidArgument, naming the
    // declared ones) when none does.
    if (grpc::Status st = checkText(req->action().action(), "action.action", true); !st.ok())
        return st;
    if (grpc::Status st = checkText(req->action().target(), "action.target", true); !st.ok())
        return st;
    if (!std::isfinite(req->action().value()))
        return invalid("action.value must be finite");
    v1::Command command;
    *command.mutable_operator_action() = req->action();
    std::string result;
    grpc::Status st = runCommand(ctx, who, "ApplyOperatorAction", std::move(command), nullptr, result);
    resp->set_result(result);
    return st;
}

grpc::Status ClusterServiceImpl::Control(grpc::ServerContext* ctx, const v1::ControlRequest* req, v1::CommandResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, true, who); !st.ok())
        return st;
    if (!req->has_command())
        return invalid("command is required");
    const v1::Command& c = req->command();
    switch (c.action_case()) {
    case v1::Command::kPause:
    case v1::Command::kResume:
        break;
    case v1::Command::kStep:
        if (c.step().events() > 1'000'000'000ULL)
            return invalid("step.events is at most 1e9");
        if (grpc::Status st = checkText(c.step().until_kind(), "step.until_kind", false); !st.ok())
            return st;
        if (grpc::Status st = checkText(c.step().until_component(), "step.until_component", false); !st.ok())
            return st;
        if (!c.step().until_component().empty() && c.step().until_kind().empty())
            return invalid("step.until_component needs step.until_kind");
        break;
    case v1::Command::kRunUntil:
        if (c.run_until().sim_time_ns() <= 0)
            return invalid("run_until.sim_time_ns must be > 0");
        break;
    case v1::Command::kSetSpeed:
        if (!std::isfinite(c.set_speed().factor()))
            return invalid("set_speed.factor must be finite (<= 0 = as fast as possible)");
        break;
    default:
        return invalid("command must be pause, resume, step, run_until or set_speed (faults and load have their own calls)");
    }
    v1::Command command;
    command.CopyFrom(c);
    command.set_id(0);
    std::string result;
    grpc::Status st = runCommand(ctx, who, "Control", std::move(command), nullptr, result);
    resp->set_result(result);
    return st;
}

grpc::Status ClusterServiceImpl::LoadDrill(grpc::ServerContext* ctx, const v1::LoadDrillRequest* req, v1::LoadDrillResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, true, who); !st.ok())
        return st;
    if (req->drill_yaml().empty())
        return invalid("drill_yaml is required");
    if (req->drill_yaml().size() > (1u << 20))
        return invalid("drill_yaml is larger than 1 MiB");
    if (grpc::Status st = checkText(req->file_name(), "file_name", false); !st.ok())
        return st;
    if (!m_options.drillFactory)
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this node cannot load drills");
    const std::string fileName = req->file_name().empty() ? std::string("<remote>") : req->file_name();
    auto run = m_options.drillFactory(req->drill_yaml(), fileName, req->seed());
    if (!run.ok()) {
        record(ctx, who, "LoadDrill", fileName, std::string(run.status().message()));
        return toGrpc(run.status());
    }
    auto replaced = m_host.replaceRun(std::move(*run));
    if (grpc::Status st = waitFor(ctx, replaced); !st.ok())
        return st;
    record(ctx, who, "LoadDrill", sim::strCat(fileName, " seed=", req->seed()), "ok");
    if (req->start()) {
        std::string result;
        v1::Command resume;
        resume.mutable_resume();
        if (grpc::Status st = runCommand(ctx, who, "LoadDrill", std::move(resume), nullptr, result); !st.ok())
            return st;
    }
    v1::GetDrillReportResponse report;
    grpc::Status st = GetDrillReport(ctx, nullptr, &report);
    *resp->mutable_drill() = report.drill();
    return st.error_code() == grpc::StatusCode::NOT_FOUND ? grpc::Status::OK : st;
}

grpc::Status ClusterServiceImpl::GetDrillReport(grpc::ServerContext* ctx, const v1::GetDrillReportRequest*,
                                                v1::GetDrillReportResponse* resp)
{
    Identity who;
    if (grpc::Status st = authorize(ctx, false, who); !st.ok())
        return st;
    auto drill = m_host.query([](host::HostedRun& run) {
        v1::DrillState d;
        const bool has = run.fillDrillState(d);
        return std::make_pair(has, d);
    });
    if (grpc::Status st = waitFor(ctx, drill); !st.ok())
        return st;
    try {
        auto [has, d] = drill.get();
        if (!has)
            return grpc::Status(grpc::StatusCode::NOT_FOUND, "no drill is loaded on this node");
        *resp->mutable_drill() = std::move(d);
    } catch (const std::exception&) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the world host stopped");
    }
    return grpc::Status::OK;
}

} // namespace livedeck::rpc
