#include "backend/drills/random_faults.h"

#include "backend/drills/yaml_reader.h"
#include "backend/sim/strings.h"

#include <algorithm>

namespace livedeck::drills {
namespace {

struct DefaultParam {
    v1::FaultKind kind;
    const char* name;
    double lo;
    double hi;
};
constexpr DefaultParam kDefaults[] = {
    {v1::FAULT_LATENCY, "add_ms", 10, 100},        {v1::FAULT_ERROR_RATE, "rate", 0.1, 0.5},
    {v1::FAULT_SLOW_DISK, "multiply", 2, 10},      {v1::FAULT_REPLICA_LAG, "add_ms", 100, 2000},
    {v1::FAULT_MQ_DUPLICATE, "rate", 0.05, 0.3},   {v1::FAULT_MQ_DELAY, "add_ms", 100, 2000},
    {v1::FAULT_MQ_LOSS, "rate", 0.01, 0.1},        {v1::FAULT_CLOCK_SKEW, "add_ms", -500, 500},
    {v1::FAULT_HOT_KEY, "share", 0.2, 0.8},        {v1::FAULT_LOAD_SPIKE, "multiply", 1.5, 4},
};

bool isTextParam(std::string_view name)
{
    return name == "peer" || name == "key";
}

} // namespace

std::vector<std::string> expandTargets(const RandomFaultSet& set, const sim::ComponentRegistry& components)
{
    std::vector<std::string> out;
    const auto add = [&](const std::string& path) {
        if (std::find(out.begin(), out.end(), path) == out.end())
            out.push_back(path);
    };
    for (const std::string& t : set.targets) {
        if (t.find('*') == std::string::npos) {
            add(t);
            continue;
        }
        std::vector<sim::ComponentId> ids = components.matching(t);
        std::sort(ids.begin(), ids.end());
        for (const sim::ComponentId id : ids) {
            if (id != sim::kNoComponent)
                add(components.get(id).path);
        }
    }
    return out;
}

std::vector<DrawnFault> drawRandomFaults(const RandomFaultSet& set, const sim::World& world)
{
    std::vector<DrawnFault> out;
    const std::vector<std::string> targets = expandTargets(set, world.components());
    if (targets.empty() || set.kinds.empty() || !(set.ratePerMinute > 0.0))
        return out;
    sim::RandomStream rng = world.stream(sim::strCat("drill/random-faults/", set.name));
    const double meanGap = 60e9 / set.ratePerMinute;
    double t = static_cast<double>(set.from);
    int drawn = 0;
    std::vector<std::pair<sim::Nanos, sim::Nanos>> kept; // start, end
    for (;;) {
        t += rng.exponential(meanGap);
        if (!(t < static_cast<double>(set.until)))
            break;
        const auto start = static_cast<sim::Nanos>(t);
        const v1::FaultKind kind = set.kinds[rng.uniformInt(set.kinds.size())];
        const std::size_t targetIndex = rng.uniformInt(targets.size());
        const sim::Nanos length = set.maxLength > set.minLength ? rng.uniformRange(set.minLength, set.maxLength) : set.minLength;

        v1::FaultSpec spec;
        spec.set_kind(kind);
        spec.set_target(targets[targetIndex]);
        spec.set_start_ns(start);
        spec.set_end_ns(start + length);
        spec.set_origin(sim::strCat("random:", set.name));
        const RandomParamSet* explicitParams = nullptr;
        for (const RandomParamSet& ps : set.params) {
            if (ps.kind == kind)
                explicitParams = &ps;
        }
        bool usable = true;
        bool hasPeer = false;
        if (explicitParams) {
            for (const RandomParam& rp : explicitParams->params) {
                auto* p = spec.add_params();
                p->set_name(rp.name);
                if (!rp.choices.empty()) {
                    const std::string& choice = rp.choices[rng.uniformInt(rp.choices.size())];
                    if (isTextParam(rp.name)) {
                        p->set_text(choice);
                    } else {
                        double v = 0.0;
                        parseNumber(choice, v);
                        p->set_value(v);
                    }
                } else {
                    p->set_value(rp.hi > rp.lo ? rng.uniform(rp.lo, rp.hi) : rp.lo);
                }
                hasPeer = hasPeer || rp.name == "peer";
            }
        } else {
            for (const DefaultParam& d : kDefaults) {
                if (d.kind != kind)
                    continue;
                auto* p = spec.add_params();
                p->set_name(d.name);
                p->set_value(rng.uniform(d.lo, d.hi));
            }
        }
        if (kind == v1::FAULT_PARTITION && !hasPeer) {
            // Another target of the set is the other side.
            if (targets.size() < 2) {
                usable = false;
            } else {
                std::size_t peer = rng.uniformInt(targets.size() - 1);
                if (peer >= targetIndex)
                    ++peer;
                auto* p = spec.add_params();
                p->set_name("peer");
                p->set_text(targets[peer]);
            }
        }
        ++drawn;
        int active = 0;
        for (const auto& [s, e] : kept)
            active += (s <= start && start < e) ? 1 : 0;
        if (!usable || (set.maxActive > 0 && active >= set.maxActive))
            continue;
        kept.emplace_back(start, start + length);
        out.push_back(DrawnFault{sim::strCat(set.name, "#", drawn), std::move(spec)});
    }
    return out;
}

} // namespace livedeck::drills
