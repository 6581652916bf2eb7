#include "backend/sim/faults.h"

#include "backend/sim/strings.h"
#include "backend/sim/components.h"
#include "backend/sim/event_log.h"


#include <algorithm>
#include <cmath>

namespace livedeck::sim {
namespace {

struct KindName {
    v1::FaultKind kind;
    std::string_view name;
};
constexpr KindName kKindNames[] = {
    {v1::FAULT_LATENCY, "latency"},         {v1::FAULT_ERROR_RATE, "error-rate"},
    {v1::FAULT_DOWN, "down"},               {v1::FAULT_PARTITION, "partition"},
    {v1::FAULT_SLOW_DISK, "slow-disk"},     {v1::FAULT_REPLICA_LAG, "replica-lag"},
    {v1::FAULT_MQ_DUPLICATE, "mq-duplicate"}, {v1::FAULT_MQ_DELAY, "mq-delay"},
    {v1::FAULT_MQ_LOSS, "mq-loss"},         {v1::FAULT_CLOCK_SKEW, "clock-skew"},
    {v1::FAULT_HOT_KEY, "hot-key"},         {v1::FAULT_LOAD_SPIKE, "load-spike"},
};

std::string describe(const Fault& f)
{
    std::string s = strCat(FaultRegistry::kindName(f.kind), " on ", f.target);
    const FaultParams& p = f.params;
    switch (f.kind) {
    case v1::FAULT_LATENCY:
        if (p.addMs != 0)
            s += strCat(strFormat(" +%.1fms", p.addMs));
        if (p.multiply != 1)
            s += strCat(strFormat(" x%.2f", p.multiply));
        if (!p.peer.empty())
            s += strCat(" <-> ", p.peer);
        break;
    case v1::FAULT_ERROR_RATE:
    case v1::FAULT_MQ_DUPLICATE:
    case v1::FAULT_MQ_LOSS:
        s += strCat(strFormat(" rate=%.3f", p.rate));
        break;
    case v1::FAULT_PARTITION:
        s += strCat(p.oneWay ? " -> " : " <-> ", p.peer);
        break;
    case v1::FAULT_SLOW_DISK:
    case v1::FAULT_LOAD_SPIKE:
        s += strCat(strFormat(" x%.2f", p.multiply));
        break;
    case v1::FAULT_REPLICA_LAG:
    case v1::FAULT_MQ_DELAY:
    case v1::FAULT_CLOCK_SKEW:
        s += strCat(strFormat(" %+.1fms", p.addMs));
        break;
    case v1::FAULT_HOT_KEY:
        s += strCat(strFormat(" share=%.2f", p.share));
        if (!p.key.empty())
            s += strCat(" key=", p.key);
        break;
    default:
        break;
    }
    return s;
}

} // namespace

std::string_view FaultRegistry::kindName(v1::FaultKind kind)
{
    for (const auto& k : kKindNames) {
        if (k.kind == kind)
            return k.name;
    }
    return "unknown";
}

absl::StatusOr<v1::FaultKind> FaultRegistry::parseKind(std::string_view name)
{
    for (const auto& k : kKindNames) {
        if (k.name == name)
            return k.kind;
    }
    return absl::InvalidArgumentError(strCat("unknown fault kind '", name, "': expected one of ", vocabulary()));
}

std::string FaultRegistry::vocabulary()
{
    std::string s;
    for (const auto& k : kKindNames)
        s += strCat(s.empty() ? "" : ", ", k.name);
    return s;
}

absl::StatusOr<FaultParams> FaultRegistry::validateParams(const v1::FaultSpec& spec)
{
    FaultParams p;
    bool haveAdd = false;
    bool haveMultiply = false;
    bool haveRate = false;
    bool haveShare = false;
    const std::string_view kind = kindName(spec.kind());
    if (kind == "unknown")
        return absl::InvalidArgumentError(strCat("fault kind is missing or unknown: expected one of ", vocabulary()));
    for (const v1::FaultParam& param : spec.params()) {
        const std::string& n = param.name();
        if (!std::isfinite(param.value()))
            return absl::InvalidArgumentError(strCat("fault parameter '", n, "' is not a finite number"));
        if (n == "add_ms") {
            p.addMs = param.value();
            haveAdd = true;
        } else if (n == "multiply") {
            p.multiply = param.value();
            haveMultiply = true;
        } else if (n == "rate") {
            p.rate = param.value();
            haveRate = true;
        } else if (n == "share") {
            p.share = param.value();
            haveShare = true;
        } else if (n == "one_way") {
            p.oneWay = param.value() != 0.0;
        } else if (n == "peer") {
            p.peer = param.text();
        } else if (n == "key") {
            p.key = param.text();
        } else {
            return absl::InvalidArgumentError(strCat("unknown parameter '", n, "' for fault kind ", kind,
                                                           ": expected add_ms, multiply, rate, share, one_way, peer or key"));
        }
    }
    const auto need = [&](bool ok, std::string_view what) -> absl::Status {
        return ok ? absl::OkStatus() : absl::InvalidArgumentError(strCat("fault kind ", kind, " needs ", what));
    };
    absl::Status st;
    switch (spec.kind()) {
    case v1::FAULT_LATENCY:
        st = need((haveAdd || haveMultiply) && p.addMs >= 0 && p.multiply >= 1.0,
                  "add_ms >= 0 and/or multiply >= 1");
        break;
    case v1::FAULT_ERROR_RATE:
    case v1::FAULT_MQ_DUPLICATE:
    case v1::FAULT_MQ_LOSS:
        st = need(haveRate && p.rate > 0.0 && p.rate <= 1.0, "rate in (0, 1]");
        break;
    case v1::FAULT_DOWN:
        break;
    case v1::FAULT_PARTITION:
        st = need(!p.peer.empty(), "a peer (the other side of the partition)");
        break;
    case v1::FAULT_SLOW_DISK:
        st = need(haveMultiply && p.multiply >= 1.0, "multiply >= 1");
        break;
    case v1::FAULT_REPLICA_LAG:
    case v1::FAULT_MQ_DELAY:
        st = need(haveAdd && p.addMs > 0.0, "add_ms > 0");
        break;
    case v1::FAULT_CLOCK_SKEW:
        st = need(haveAdd, "add_ms (the skew, either sign)");
        break;
    case v1::FAULT_HOT_KEY:
        st = need(haveShare && p.share > 0.0 && p.share <= 1.0, "share in (0, 1]");
        break;
    case v1::FAULT_LOAD_SPIKE:
        st = need(haveMultiply && p.multiply > 0.0, "multiply > 0");
        break;
    default:
        st = absl::InvalidArgumentError("unknown fault kind");
    }
    if (!st.ok())
        return st;
    return p;
}

FaultRegistry::FaultRegistry(Scheduler& scheduler, const ComponentRegistry& components, EventLog& events,
                             EventKindId onKind, EventKindId offKind)
    : m_scheduler(scheduler), m_components(components), m_events(events), m_onKind(onKind), m_offKind(offKind)
{
}

absl::Status FaultRegistry::checkTarget(std::string_view target, std::string_view what) const
{
    if (target.empty())
        return absl::InvalidArgumentError(strCat("fault ", what, " is empty: expected a component path such as sh-a/orders/db/3"));
    for (const ComponentInfo& c : m_components.all()) {
        if (c.id != kNoComponent && pathMatches(target, c.path))
            return absl::OkStatus();
    }
    return absl::NotFoundError(strCat("fault ", what, " '", target, "' matches no component"));
}

absl::StatusOr<std::uint64_t> FaultRegistry::inject(const v1::FaultSpec& spec)
{
    auto params = validateParams(spec);
    if (!params.ok())
        return params.status();
    if (auto st = checkTarget(spec.target(), "target"); !st.ok())
        return st;
    if (!params->peer.empty()) {
        if (auto st = checkTarget(params->peer, "peer"); !st.ok())
            return st;
    }
    const Nanos now = m_scheduler.now();
    const Nanos start = std::max(spec.start_ns(), now);
    const Nanos end = spec.end_ns() > 0 ? spec.end_ns() : kNever;
    if (end <= start)
        return absl::InvalidArgumentError(strFormat("fault ends (%.3fs) before it starts (%.3fs)", toSeconds(end), toSeconds(start)));

    Fault f;
    f.id = m_nextId++;
    f.kind = spec.kind();
    f.target = spec.target();
    f.params = std::move(*params);
    f.start = start;
    f.end = end;
    f.origin = spec.origin();
    const std::uint64_t id = f.id;
    f.startEvent = m_scheduler.scheduleAt(start, m_onKind, kNoComponent, [this, id] { activate(id); });
    if (end != kNever)
        f.endEvent = m_scheduler.scheduleAt(end, m_offKind, kNoComponent, [this, id] { expire(id, "expired"); });
    m_faults.push_back(std::move(f));
    return id;
}

Fault* FaultRegistry::find(std::uint64_t id)
{
    auto it = std::lower_bound(m_faults.begin(), m_faults.end(), id, [](const Fault& f, std::uint64_t v) { return f.id < v; });
    return it != m_faults.end() && it->id == id ? &*it : nullptr;
}

const Fault* FaultRegistry::get(std::uint64_t id) const
{
    return const_cast<FaultRegistry*>(this)->find(id);
}

void FaultRegistry::activate(std::uint64_t id)
{
    Fault* f = find(id);
    if (!f || f->active)
        return;
    f->active = true;
    f->startEvent = {};
    ++m_activeCount[f->kind];
    ++m_generation;
    std::vector<EventLog::Field> fields{{"fault_id", strCat(id)},
                                        {"kind", std::string(kindName(f->kind))},
                                        {"target", f->target}};
    if (!f->origin.empty())
        fields.emplace_back("origin", f->origin);
    m_events.raise("fault.on", kNoComponent, v1::SEVERITY_WARNING, describe(*f), std::move(fields));
    notify(*f, true);
}

void FaultRegistry::expire(std::uint64_t id, std::string_view why)
{
    Fault* f = find(id);
    if (!f)
        return;
    m_scheduler.cancel(f->startEvent);
    m_scheduler.cancel(f->endEvent);
    const bool wasActive = f->active;
    Fault copy = *f;
    m_faults.erase(m_faults.begin() + (f - m_faults.data()));
    if (wasActive) {
        --m_activeCount[copy.kind];
        ++m_generation;
        m_events.raise("fault.off", kNoComponent, v1::SEVERITY_INFO, strCat(describe(copy), " (", why, ")"),
                       {{"fault_id", strCat(id)}, {"kind", std::string(kindName(copy.kind))}, {"target", copy.target}});
        copy.active = false;
        notify(copy, false);
    }
}

absl::Status FaultRegistry::clear(std::uint64_t id)
{
    if (!find(id))
        return absl::NotFoundError(strCat("no fault with id ", id));
    expire(id, "cleared");
    return absl::OkStatus();
}

absl::Status FaultRegistry::setEnd(std::uint64_t id, Nanos end)
{
    Fault* f = find(id);
    if (!f)
        return absl::NotFoundError(strCat("no fault with id ", id));
    m_scheduler.cancel(f->endEvent);
    f->endEvent = {};
    f->end = end;
    if (end != kNever)
        f->endEvent = m_scheduler.scheduleAt(end, m_offKind, kNoComponent, [this, id] { expire(id, "expired"); });
    return absl::OkStatus();
}

void FaultRegistry::notify(const Fault& fault, bool active)
{
    for (const Listener& l : m_listeners)
        l(fault, active);
}

void FaultRegistry::toProto(std::uint64_t id, v1::FaultSpec& out) const
{
    const Fault* f = get(id);
    if (!f)
        return;
    out.set_id(f->id);
    out.set_kind(f->kind);
    out.set_target(f->target);
    out.set_start_ns(f->start);
    out.set_end_ns(f->end == kNever ? 0 : f->end);
    out.set_origin(f->origin);
    out.set_active(f->active);
    const FaultParams& p = f->params;
    const auto num = [&](const char* name, double v) {
        auto* fp = out.add_params();
        fp->set_name(name);
        fp->set_value(v);
    };
    const auto text = [&](const char* name, const std::string& v) {
        auto* fp = out.add_params();
        fp->set_name(name);
        fp->set_text(v);
    };
    switch (f->kind) {
    case v1::FAULT_LATENCY:
        num("add_ms", p.addMs);
        num("multiply", p.multiply);
        if (!p.peer.empty())
            text("peer", p.peer);
        break;
    case v1::FAULT_ERROR_RATE:
    case v1::FAULT_MQ_DUPLICATE:
    case v1::FAULT_MQ_LOSS:
        num("rate", p.rate);
        break;
    case v1::FAULT_PARTITION:
        text("peer", p.peer);
        num("one_way", p.oneWay ? 1 : 0);
        break;
    case v1::FAULT_SLOW_DISK:
    case v1::FAULT_LOAD_SPIKE:
        num("multiply", p.multiply);
        break;
    case v1::FAULT_REPLICA_LAG:
    case v1::FAULT_MQ_DELAY:
    case v1::FAULT_CLOCK_SKEW:
        num("add_ms", p.addMs);
        break;
    case v1::FAULT_HOT_KEY:
        num("share", p.share);
        if (!p.key.empty())
            text("key", p.key);
        break;
    default:
        break;
    }
}

FaultEffect FaultRegistry::effect(v1::FaultKind kind, std::string_view path) const
{
    FaultEffect e;
    if (m_activeCount[kind] == 0)
        return e;
    double keep = 1.0;
    for (const Fault& f : m_faults) {
        if (!f.active || f.kind != kind)
            continue;
        if (kind == v1::FAULT_LATENCY && !f.params.peer.empty())
            continue; // link faults are not component faults
        if (!pathMatches(f.target, path))
            continue;
        if (!e.present)
            e.key = f.params.key;
        e.present = true;
        e.addMs += f.params.addMs;
        e.multiply *= f.params.multiply;
        keep *= (1.0 - f.params.rate);
        e.share = std::max(e.share, f.params.share);
    }
    e.rate = 1.0 - keep;
    return e;
}

bool FaultRegistry::isDown(std::string_view path) const
{
    if (m_activeCount[v1::FAULT_DOWN] == 0)
        return false;
    for (const Fault& f : m_faults) {
        if (f.active && f.kind == v1::FAULT_DOWN && pathMatches(f.target, path))
            return true;
    }
    return false;
}

bool FaultRegistry::partitioned(std::string_view fromPath, std::string_view toPath) const
{
    if (m_activeCount[v1::FAULT_PARTITION] == 0)
        return false;
    for (const Fault& f : m_faults) {
        if (!f.active || f.kind != v1::FAULT_PARTITION)
            continue;
        if (pathMatches(f.target, fromPath) && pathMatches(f.params.peer, toPath))
            return true;
        if (!f.params.oneWay && pathMatches(f.params.peer, fromPath) && pathMatches(f.target, toPath))
            return true;
    }
    return false;
}

double FaultRegistry::linkLatencyAddMs(std::string_view fromPath, std::string_view toPath) const
{
    if (m_activeCount[v1::FAULT_LATENCY] == 0)
        return 0.0;
    double add = 0.0;
    for (const Fault& f : m_faults) {
        if (!f.active || f.kind != v1::FAULT_LATENCY || f.params.peer.empty())
            continue;
        if ((pathMatches(f.target, fromPath) && pathMatches(f.params.peer, toPath))
            || (pathMatches(f.params.peer, fromPath) && pathMatches(f.target, toPath)))
            add += f.params.addMs;
    }
    return add;
}

} // namespace livedeck::sim
