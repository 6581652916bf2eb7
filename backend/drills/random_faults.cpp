#include "backend/drills/random_faults.h"

#include "backend/drills/json_writer.h"
#include "backend/drills/yaml_reader.h"
#include "backend/sim/strings.h"

#include <algorithm>
#include <cmath>

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

// ------------------------------------------------------------------ swarm testing

std::vector<std::pair<v1::FaultKind, std::string>> SwarmVocabulary::pairs() const
{
    std::vector<std::pair<v1::FaultKind, std::string>> out;
    for (const SwarmTarget& t : targets) {
        for (const v1::FaultKind k : t.kinds) {
            std::pair<v1::FaultKind, std::string> p{k, t.path};
            if (std::find(out.begin(), out.end(), p) == out.end())
                out.push_back(std::move(p));
        }
    }
    return out;
}

namespace {

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

// One side of a partition lies in the other (or they are one): not a partition.
bool overlapping(std::string_view a, std::string_view b)
{
    return sim::pathMatches(a, b) || sim::pathMatches(b, a);
}

std::string peerOf(const v1::FaultSpec& f)
{
    for (const v1::FaultParam& p : f.params()) {
        if (p.name() == "peer")
            return p.text();
    }
    return {};
}

// The largest group of `up` members that reach each other both ways.
int largestGroup(const std::vector<bool>& up, const std::vector<std::vector<bool>>& blocked)
{
    const std::size_t n = up.size();
    if (n > 16) {
        // Rules are small (a shard's replicas, a Raft cluster); beyond that count the
        // members that are up and blocked from no one.
        int count = 0;
        for (std::size_t i = 0; i < n; ++i) {
            bool free = up[i];
            for (std::size_t j = 0; j < n && free; ++j)
                free = !blocked[i][j];
            count += free ? 1 : 0;
        }
        return count;
    }
    int best = 0;
    for (std::uint32_t mask = 1; mask < (1u << n); ++mask) {
        bool ok = true;
        int size = 0;
        for (std::size_t i = 0; i < n && ok; ++i) {
            if (!(mask & (1u << i)))
                continue;
            ok = up[i];
            ++size;
            for (std::size_t j = i + 1; j < n && ok; ++j)
                ok = !(mask & (1u << j)) || !blocked[i][j];
        }
        if (ok)
            best = std::max(best, size);
    }
    return best;
}

bool ruleHolds(const FaultBudgetRule& rule, const std::vector<const v1::FaultSpec*>& active)
{
    const std::size_t n = rule.members.size();
    std::vector<bool> up(n, true);
    std::vector<std::vector<bool>> blocked(n, std::vector<bool>(n, false));
    for (const v1::FaultSpec* f : active) {
        if (f->kind() == v1::FAULT_DOWN) {
            for (std::size_t i = 0; i < n; ++i)
                up[i] = up[i] && !sim::pathMatches(f->target(), rule.members[i]);
        } else if (f->kind() == v1::FAULT_PARTITION) {
            const std::string peer = peerOf(*f);
            for (std::size_t i = 0; i < n; ++i) {
                for (std::size_t j = 0; j < n; ++j) {
                    if (sim::pathMatches(f->target(), rule.members[i]) && sim::pathMatches(peer, rule.members[j])) {
                        blocked[i][j] = true;
                        blocked[j][i] = true;
                    }
                }
            }
        }
    }
    return largestGroup(up, blocked) >= rule.need;
}

} // namespace

bool withinFaultBudget(const std::vector<v1::FaultSpec>& faults, const SwarmVocabulary& vocabulary, std::string* broken)
{
    if (vocabulary.budget.empty())
        return true;
    // The faults in force change only when one starts: check each start instant.
    for (const v1::FaultSpec& at : faults) {
        const sim::Nanos t = at.start_ns();
        std::vector<const v1::FaultSpec*> active;
        for (const v1::FaultSpec& f : faults) {
            if (f.start_ns() <= t && t < f.end_ns())
                active.push_back(&f);
        }
        for (const SwarmBudgetRule& r : vocabulary.budget) {
            if (!ruleHolds(r.rule, active)) {
                if (broken)
                    *broken = sim::strCat(r.engine, ": ", r.rule.name, " at ", numberText(sim::toSeconds(t), 6), " s");
                return false;
            }
        }
    }
    return true;
}

std::vector<DrawnFault> drawSwarmFaults(const SwarmSpec& swarm, sim::Nanos faultsUntil, const SwarmVocabulary& vocabulary,
                                        const sim::World& world)
{
    std::vector<DrawnFault> out;
    // Kinds on offer, in kind order.
    std::vector<v1::FaultKind> offered;
    for (const SwarmTarget& t : vocabulary.targets) {
        for (const v1::FaultKind k : t.kinds) {
            if (std::find(offered.begin(), offered.end(), k) == offered.end())
                offered.push_back(k);
        }
    }
    std::sort(offered.begin(), offered.end());
    if (offered.empty())
        return out;
    sim::RandomStream rng = world.stream("drill/swarm");
    std::vector<v1::FaultKind> kinds;
    for (const v1::FaultKind k : offered) {
        if (rng.bernoulli(0.5))
            kinds.push_back(k);
    }
    if (kinds.empty())
        kinds.push_back(offered[rng.uniformInt(offered.size())]);
    const auto count = static_cast<int>(rng.uniformRange(swarm.minFaults, swarm.maxFaults));
    const std::int64_t untilMs = faultsUntil / sim::kMillisecond;
    const std::int64_t minMs = std::max<std::int64_t>(1, swarm.minLength / sim::kMillisecond);
    const std::int64_t maxMs = std::max(minMs, swarm.maxLength / sim::kMillisecond);

    std::vector<v1::FaultSpec> kept;
    std::vector<v1::FaultSpec> specs;
    for (int i = 0; i < count; ++i) {
        const v1::FaultKind kind = kinds[rng.uniformInt(kinds.size())];
        std::vector<std::size_t> candidates;
        for (std::size_t t = 0; t < vocabulary.targets.size(); ++t) {
            const auto& tk = vocabulary.targets[t].kinds;
            if (std::find(tk.begin(), tk.end(), kind) != tk.end())
                candidates.push_back(t);
        }
        const SwarmTarget& target = vocabulary.targets[candidates[rng.uniformInt(candidates.size())]];
        const std::int64_t startMs = rng.uniformRange(0, std::max<std::int64_t>(0, untilMs - minMs));
        const std::int64_t lengthMs = std::min(rng.uniformRange(minMs, maxMs), untilMs - startMs);

        v1::FaultSpec spec;
        spec.set_kind(kind);
        spec.set_target(target.path);
        spec.set_start_ns(startMs * sim::kMillisecond);
        spec.set_end_ns((startMs + std::max<std::int64_t>(1, lengthMs)) * sim::kMillisecond);
        spec.set_origin("swarm");
        for (const DefaultParam& d : kDefaults) {
            if (d.kind != kind)
                continue;
            auto* p = spec.add_params();
            p->set_name(d.name);
            p->set_value(round3(rng.uniform(d.lo, d.hi)));
        }
        bool usable = true;
        if (kind == v1::FAULT_PARTITION) {
            std::vector<const SwarmTarget*> peers;
            for (const SwarmTarget& t : vocabulary.targets) {
                if (!overlapping(t.path, target.path) &&
                    std::find(t.kinds.begin(), t.kinds.end(), v1::FAULT_PARTITION) != t.kinds.end())
                    peers.push_back(&t);
            }
            if (peers.empty()) {
                usable = false;
            } else {
                auto* p = spec.add_params();
                p->set_name("peer");
                p->set_text(peers[rng.uniformInt(peers.size())]->path);
            }
        }
        if (!usable)
            continue;
        specs.push_back(spec);
        if (!withinFaultBudget(specs, vocabulary)) {
            specs.pop_back();
            continue;
        }
        kept.push_back(std::move(spec));
    }
    std::stable_sort(kept.begin(), kept.end(),
                     [](const v1::FaultSpec& a, const v1::FaultSpec& b) { return a.start_ns() < b.start_ns(); });
    for (std::size_t i = 0; i < kept.size(); ++i)
        out.push_back(DrawnFault{sim::strCat("swarm#", i + 1), std::move(kept[i])});
    return out;
}

} // namespace livedeck::drills
