// Fault specs and fault commands for tests, in the one fault vocabulary (docs/API.md).
#pragma once

#include "backend/sim/time.h"
#include "livedeck/v1/cluster.pb.h"

#include <initializer_list>
#include <string>
#include <utility>

namespace livedeck::test {

// A fault of `kind` on `target` with numeric params, active over [start, end) (0 = now /
// until cleared).
inline v1::FaultSpec faultSpec(v1::FaultKind kind, const std::string& target,
                               std::initializer_list<std::pair<const char*, double>> params = {}, sim::Nanos start = 0,
                               sim::Nanos end = 0)
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(target);
    for (const auto& [name, value] : params) {
        v1::FaultParam* p = f.add_params();
        p->set_name(name);
        p->set_value(value);
    }
    f.set_start_ns(start);
    f.set_end_ns(end);
    return f;
}

inline v1::FaultSpec downSpec(const std::string& target, sim::Nanos start = 0, sim::Nanos end = 0)
{
    return faultSpec(v1::FAULT_DOWN, target, {}, start, end);
}

inline v1::FaultSpec latencySpec(const std::string& target, double addMs, sim::Nanos start = 0, sim::Nanos end = 0)
{
    return faultSpec(v1::FAULT_LATENCY, target, {{"add_ms", addMs}}, start, end);
}

// `a` cannot reach `b` (and, unless one way, `b` cannot reach `a`).
inline v1::FaultSpec partitionSpec(const std::string& a, const std::string& b, bool oneWay = false)
{
    v1::FaultSpec f = faultSpec(v1::FAULT_PARTITION, a, {{"one_way", oneWay ? 1.0 : 0.0}});
    v1::FaultParam* peer = f.add_params();
    peer->set_name("peer");
    peer->set_text(b);
    return f;
}

// The world command that injects `spec`.
inline v1::Command injectCommand(v1::FaultSpec spec, const std::string& issuer = {})
{
    v1::Command c;
    c.set_issuer(issuer);
    *c.mutable_inject_fault()->mutable_fault() = std::move(spec);
    return c;
}

} // namespace livedeck::test
