#include "backend/drills/drill_sweep.h"

#include "backend/drills/drill_loader.h"
#include "backend/drills/duration.h"
#include "backend/drills/json_writer.h"
#include "backend/sim/strings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <charconv>
#include <mutex>
#include <optional>
#include <thread>

namespace livedeck::drills {
namespace {

// As many shards as a sweep may have seeds (parseSeedRange).
constexpr std::uint64_t kMaxShards = 1'000'000;

bool parseU64(std::string_view text, std::uint64_t& out)
{
    if (text.empty())
        return false;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

} // namespace

absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> parseSeedRange(std::string_view text)
{
    const auto bad = [&] {
        return absl::InvalidArgumentError(
            sim::strCat("--seeds: expected a seed range such as 1..200 (inclusive) or one seed, got '", text, "'"));
    };
    const std::size_t dots = text.find("..");
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    if (dots == std::string_view::npos) {
        if (!parseU64(text, a))
            return bad();
        return std::make_pair(a, a);
    }
    if (!parseU64(text.substr(0, dots), a) || !parseU64(text.substr(dots + 2), b))
        return bad();
    if (b < a)
        return absl::InvalidArgumentError(sim::strCat("--seeds: the range ", text, " runs backwards (low..high)"));
    if (b - a >= 1'000'000)
        return absl::InvalidArgumentError(sim::strCat("--seeds: at most 1000000 seeds per sweep, got ", text));
    return std::make_pair(a, b);
}

absl::StatusOr<SweepResult> sweepDrill(const DrillSpec& spec, const SweepOptions& options,
                                       const std::function<void(const SweepSeed&)>& onSeed)
{
    if (options.lastSeed < options.firstSeed)
        return absl::InvalidArgumentError("sweep: the seed range is empty");
    if (options.shard.count == 0 || options.shard.index >= options.shard.count)
        return absl::InvalidArgumentError("sweep: the shard index must be below the shard count");
    if (options.jobs < 1)
        return absl::InvalidArgumentError(sim::strCat("sweep: jobs must be at least 1, got ", options.jobs));
    std::vector<std::uint64_t> seeds;
    for (std::uint64_t seed = options.firstSeed;; ++seed) {
        if (options.shard.holds(options.firstSeed, seed))
            seeds.push_back(seed);
        if (seed == options.lastSeed)
            break;
    }

    // Each seed is its own world; threads take seeds in order, and results are reported
    // (onSeed) and kept in seed order whatever finishes first, so the output does not
    // depend on `jobs`.
    std::vector<std::optional<absl::StatusOr<SweepSeed>>> done(seeds.size());
    std::mutex mutex;
    std::size_t reported = 0;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    SwarmVocabulary vocabulary;
    const auto work = [&] {
        for (std::size_t i = next.fetch_add(1); i < seeds.size() && !stop.load(); i = next.fetch_add(1)) {
            DrillRunOptions ro;
            ro.seed = seeds[i];
            ro.stopAt = options.stopAt;
            ro.swarm = options.swarm;
            absl::StatusOr<SweepSeed> outcome;
            auto run = DrillRun::create(spec, ro);
            if (!run.ok()) {
                outcome = run.status();
                stop.store(true);
            } else {
                (*run)->runToEnd();
                SweepSeed s;
                s.seed = seeds[i];
                s.report = (*run)->report();
                s.passed = options.invariantsOnly || options.swarm ? s.report.invariantsPassed() : s.report.passed();
                s.swarmFaults = (*run)->swarmFaults();
                if (i == 0 && options.swarm) {
                    const std::lock_guard lock(mutex);
                    vocabulary = (*run)->swarmVocabulary();
                }
                outcome = std::move(s);
            }
            const std::lock_guard lock(mutex);
            done[i] = std::move(outcome);
            for (; reported < done.size() && done[reported].has_value() && done[reported]->ok(); ++reported) {
                if (onSeed)
                    onSeed(**done[reported]);
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(options.jobs), seeds.size());
    if (threads <= 1) {
        work();
    } else {
        std::vector<std::thread> pool;
        for (std::size_t t = 0; t < threads; ++t)
            pool.emplace_back(work);
        for (std::thread& t : pool)
            t.join();
    }

    SweepResult result;
    result.vocabulary = std::move(vocabulary);
    for (std::optional<absl::StatusOr<SweepSeed>>& d : done) {
        if (!d.has_value())
            continue; // not run: an earlier error stopped the sweep
        if (!d->ok())
            return d->status();
        if (!(*d)->passed)
            result.failingSeeds.push_back((*d)->seed);
        result.seeds.push_back(std::move(**d));
    }
    return result;
}

std::string sweepLine(const SweepSeed& seed, bool invariantsOnly)
{
    int faults = 0;
    for (const FaultRecord& f : seed.report.faults)
        faults += f.startedAt >= 0 ? 1 : 0;
    std::string line = sim::strCat("seed ", seed.seed, "  faults ", faults, "  ", seed.report.verdictLine(invariantsOnly));
    if (!seed.swarmFaults.empty()) {
        line += "  drew:";
        for (const DrawnFault& f : seed.swarmFaults)
            line += sim::strCat(" ", sim::FaultRegistry::kindName(f.spec.kind()), "@", f.spec.target());
    }
    return line;
}

absl::StatusOr<SweepShard> parseShard(std::string_view text)
{
    const std::size_t slash = text.find('/');
    SweepShard shard;
    if (slash == std::string_view::npos || !parseU64(text.substr(0, slash), shard.index) ||
        !parseU64(text.substr(slash + 1), shard.count) || shard.count == 0)
        return absl::InvalidArgumentError(
            sim::strCat("--shard: expected I/N (slice I of N, 0 <= I < N), got '", text, "'"));
    if (shard.index >= shard.count)
        return absl::InvalidArgumentError(
            sim::strCat("--shard: the slice index must be below the count (0..", shard.count - 1, "), got '", text, "'"));
    if (shard.count > kMaxShards)
        return absl::InvalidArgumentError(sim::strCat("--shard: at most ", kMaxShards, " shards, got '", text, "'"));
    return shard;
}

// ------------------------------------------------------------------ parts

namespace {

constexpr std::string_view kPartFormat = "livedeck-sweep-part/1";

std::string rangeText(std::uint64_t first, std::uint64_t last)
{
    return sim::strCat(first, "..", last);
}

} // namespace

SweepPart makeSweepPart(const DrillSpec& spec, const std::string& drill, const std::string& drillSha256,
                        const std::string& until, const SweepOptions& options, const SweepResult& result)
{
    SweepPart part;
    part.drill = drill;
    part.drillName = spec.name;
    part.drillSha256 = drillSha256;
    part.firstSeed = options.firstSeed;
    part.lastSeed = options.lastSeed;
    part.until = until;
    part.stopAt = options.stopAt;
    part.invariantsOnly = options.invariantsOnly;
    part.swarm = options.swarm;
    part.shard = options.shard;
    for (const SweepSeed& s : result.seeds)
        part.seeds.push_back(SweepPartSeed{s.seed, s.passed, sweepLine(s, options.invariantsOnly || options.swarm)});
    return part;
}

std::string sweepPartJson(const SweepPart& part)
{
    JsonWriter w;
    w.beginObject();
    w.key("format").value(kPartFormat);
    w.key("drill").value(part.drill);
    w.key("drill_name").value(part.drillName);
    w.key("drill_sha256").value(part.drillSha256);
    w.key("seeds").beginObject();
    w.key("first").value(part.firstSeed);
    w.key("last").value(part.lastSeed);
    w.endObject();
    w.key("until").value(part.until);
    if (part.stopAt == sim::kNever)
        w.key("stop_at_ns").null();
    else
        w.key("stop_at_ns").value(static_cast<std::int64_t>(part.stopAt));
    w.key("invariants_only").value(part.invariantsOnly);
    w.key("swarm").value(part.swarm);
    w.key("shard").beginObject();
    w.key("index").value(part.shard.index);
    w.key("count").value(part.shard.count);
    w.key("split").value("seed index modulo count");
    w.endObject();
    std::size_t failed = 0;
    for (const SweepPartSeed& s : part.seeds)
        failed += s.passed ? 0 : 1;
    w.key("seed_count").value(static_cast<std::uint64_t>(part.seeds.size()));
    w.key("failed_count").value(static_cast<std::uint64_t>(failed));
    w.key("results").beginArray();
    for (const SweepPartSeed& s : part.seeds) {
        w.beginObject();
        w.key("seed").value(s.seed);
        w.key("passed").value(s.passed);
        w.key("line").value(s.line);
        w.endObject();
    }
    w.endArray();
    w.endObject();
    return w.text() + "\n";
}

absl::StatusOr<SweepPart> parseSweepPart(std::string_view text, const std::string& fileName)
{
    const auto bad = [&](std::string_view why) {
        return absl::InvalidArgumentError(sim::strCat(fileName, ": not a sweep part (", why, ")"));
    };
    try {
        const YAML::Node doc = YAML::Load(std::string(text));
        if (!doc.IsMap())
            return bad("expected a JSON object");
        if (!doc["format"] || doc["format"].as<std::string>() != kPartFormat)
            return bad(sim::strCat("format is not ", kPartFormat));
        SweepPart part;
        part.drill = doc["drill"].as<std::string>();
        part.drillName = doc["drill_name"].as<std::string>();
        part.drillSha256 = doc["drill_sha256"].as<std::string>();
        part.firstSeed = doc["seeds"]["first"].as<std::uint64_t>();
        part.lastSeed = doc["seeds"]["last"].as<std::uint64_t>();
        part.until = doc["until"].as<std::string>();
        const YAML::Node stop = doc["stop_at_ns"];
        if (!stop)
            return bad("no stop_at_ns");
        part.stopAt = stop.IsNull() ? sim::kNever : stop.as<std::int64_t>();
        part.invariantsOnly = doc["invariants_only"].as<bool>();
        part.swarm = doc["swarm"] && doc["swarm"].as<bool>();
        part.shard.index = doc["shard"]["index"].as<std::uint64_t>();
        part.shard.count = doc["shard"]["count"].as<std::uint64_t>();
        if (part.shard.count == 0 || part.shard.count > kMaxShards || part.shard.index >= part.shard.count)
            return bad(sim::strCat("shard ", part.shard.index, "/", part.shard.count));
        if (part.lastSeed < part.firstSeed)
            return bad("the seed range runs backwards");
        const YAML::Node results = doc["results"];
        if (!results || !results.IsSequence())
            return bad("no results array");
        for (const YAML::Node& r : results)
            part.seeds.push_back(SweepPartSeed{r["seed"].as<std::uint64_t>(), r["passed"].as<bool>(),
                                               r["line"].as<std::string>()});
        return part;
    } catch (const YAML::Exception& e) {
        return bad(e.what());
    }
}

absl::StatusOr<SweepPart> mergeSweepParts(const std::vector<SweepPart>& parts, const std::vector<std::string>& fileNames)
{
    if (parts.empty())
        return absl::InvalidArgumentError("sweep-merge: no parts given");
    const SweepPart& first = parts.front();
    const std::string& firstName = fileNames.front();
    const auto differ = [&](std::size_t i, std::string_view what, const std::string& mine, const std::string& theirs) {
        return absl::InvalidArgumentError(sim::strCat(fileNames[i], ": not a part of the same sweep as ", firstName, ": ",
                                                      what, " ", mine, " (", firstName, ": ", theirs, ")"));
    };
    std::vector<std::size_t> byShard(first.shard.count, parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const SweepPart& p = parts[i];
        if (p.drillSha256 != first.drillSha256)
            return differ(i, "drill text sha256", p.drillSha256 + " of " + p.drill, first.drillSha256 + " of " + first.drill);
        if (p.firstSeed != first.firstSeed || p.lastSeed != first.lastSeed)
            return differ(i, "seed range", rangeText(p.firstSeed, p.lastSeed), rangeText(first.firstSeed, first.lastSeed));
        if (p.stopAt != first.stopAt)
            return differ(i, "stop time (--until)", p.until.empty() ? "the drill's duration" : p.until,
                          first.until.empty() ? "the drill's duration" : first.until);
        if (p.invariantsOnly != first.invariantsOnly)
            return differ(i, "verdicts", p.invariantsOnly ? "--invariants-only" : "expectations and invariants",
                          first.invariantsOnly ? "--invariants-only" : "expectations and invariants");
        if (p.swarm != first.swarm)
            return differ(i, "faults", p.swarm ? "--swarm" : "the drill's", first.swarm ? "--swarm" : "the drill's");
        if (p.shard.count != first.shard.count)
            return differ(i, "shard count", sim::strCat(p.shard.count), sim::strCat(first.shard.count));
        if (byShard[p.shard.index] != parts.size())
            return absl::InvalidArgumentError(sim::strCat(fileNames[i], ": shard ", p.shard.index, "/", p.shard.count,
                                                          " given twice (also ", fileNames[byShard[p.shard.index]], ")"));
        byShard[p.shard.index] = i;
        // The part must hold exactly its slice of the range, in order.
        std::size_t k = 0;
        for (std::uint64_t seed = p.firstSeed + p.shard.index;; seed += p.shard.count) {
            if (seed > p.lastSeed || seed < p.firstSeed)
                break;
            if (k >= p.seeds.size() || p.seeds[k].seed != seed)
                return absl::InvalidArgumentError(sim::strCat(fileNames[i], ": shard ", p.shard.index, "/", p.shard.count,
                                                              " lacks seed ", seed, " of its slice"));
            ++k;
            if (p.lastSeed - seed < p.shard.count)
                break;
        }
        if (k != p.seeds.size())
            return absl::InvalidArgumentError(sim::strCat(fileNames[i], ": shard ", p.shard.index, "/", p.shard.count,
                                                          " holds seed ", p.seeds[k].seed, ", which is not in its slice"));
    }
    std::string missing;
    for (std::uint64_t s = 0; s < first.shard.count; ++s) {
        if (byShard[s] == parts.size())
            missing += sim::strCat(missing.empty() ? "" : ", ", s, "/", first.shard.count);
    }
    if (!missing.empty())
        return absl::InvalidArgumentError(sim::strCat("sweep-merge: shard(s) ", missing, " missing (a sweep of ",
                                                      first.shard.count, " shards needs each exactly once)"));
    SweepPart whole = parts[byShard[0]];
    whole.shard = SweepShard{};
    whole.seeds.clear();
    for (std::uint64_t seed = first.firstSeed;; ++seed) {
        const std::uint64_t index = seed - first.firstSeed;
        const SweepPart& p = parts[byShard[index % first.shard.count]];
        whole.seeds.push_back(p.seeds[index / first.shard.count]);
        if (seed == first.lastSeed)
            break;
    }
    return whole;
}

bool sweepPassed(const SweepPart& whole)
{
    for (const SweepPartSeed& s : whole.seeds) {
        if (!s.passed)
            return false;
    }
    return true;
}

std::string sweepTail(const SweepPart& whole)
{
    std::vector<std::uint64_t> failing;
    for (const SweepPartSeed& s : whole.seeds) {
        if (!s.passed)
            failing.push_back(s.seed);
    }
    const std::size_t n = whole.seeds.size();
    if (failing.empty())
        return sim::strCat("sweep: ", n, " seed(s), none failed\n");
    std::string text = sim::strCat("sweep: ", n, " seed(s), ", failing.size(), " failed:");
    for (const std::uint64_t s : failing)
        text += sim::strCat(" ", s);
    if (whole.swarm)
        text += sim::strCat("\nreproduce with: livedeckctl drill sweep ", whole.drill, " --swarm --seeds ", failing.front(),
                            whole.until.empty() ? std::string() : " --until " + whole.until, "\n");
    else
        text += sim::strCat("\nreproduce with: livedeckctl drill run ", whole.drill, " --seed ", failing.front(),
                            whole.until.empty() ? std::string() : " --until " + whole.until, "\n");
    return text;
}

// ------------------------------------------------------------------ swarm coverage and shrinking

std::size_t SwarmCoverage::uncovered() const
{
    return static_cast<std::size_t>(std::count(drawn.begin(), drawn.end(), std::uint64_t{0}));
}

SwarmCoverage swarmCoverage(const SweepResult& result)
{
    SwarmCoverage c;
    c.pairs = result.vocabulary.pairs();
    c.drawn.assign(c.pairs.size(), 0);
    c.silentEngines = result.vocabulary.silentEngines;
    for (const SweepSeed& s : result.seeds) {
        for (const DrawnFault& f : s.swarmFaults) {
            for (std::size_t i = 0; i < c.pairs.size(); ++i) {
                if (c.pairs[i].first == f.spec.kind() && c.pairs[i].second == f.spec.target())
                    ++c.drawn[i];
            }
        }
    }
    return c;
}

std::string swarmCoverageText(const SwarmCoverage& c)
{
    std::string text = sim::strCat("coverage: ", c.pairs.size() - c.uncovered(), " of ", c.pairs.size(),
                                   " (kind, target) pairs drawn\n");
    for (std::size_t i = 0; i < c.pairs.size(); ++i)
        text += sim::strCat("  ", c.drawn[i], "  ", sim::FaultRegistry::kindName(c.pairs[i].first), "  ",
                            c.pairs[i].second, "\n");
    std::string uncovered;
    for (std::size_t i = 0; i < c.pairs.size(); ++i) {
        if (c.drawn[i] == 0)
            uncovered += sim::strCat(uncovered.empty() ? "" : ", ", sim::FaultRegistry::kindName(c.pairs[i].first), " ",
                                     c.pairs[i].second);
    }
    text += sim::strCat("uncovered: ", uncovered.empty() ? std::string("none") : uncovered, "\n");
    for (const std::string& e : c.silentEngines)
        text += sim::strCat("engine ", e, " offers no fault surface: the swarm put no faults on it\n");
    return text;
}

namespace {

// The shortest text that reads back as the same double.
std::string shortestText(double v)
{
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : numberText(v, 17);
}

bool invariantFailed(const DrillReport& report, std::string_view name)
{
    for (const InvariantResult& i : report.invariants) {
        if (i.name == name)
            return !i.passed;
    }
    return false;
}

} // namespace

absl::StatusOr<ShrinkResult> shrinkSwarmSeed(const DrillSpec& spec, const SweepSeed& failing, sim::Nanos stopAt)
{
    ShrinkResult out;
    out.seed = failing.seed;
    out.drawn = failing.swarmFaults;
    for (const InvariantResult& i : failing.report.invariants) {
        if (!i.passed && i.name != kNoViolationsInvariant) {
            out.invariant = i.name;
            break;
        }
    }
    if (out.invariant.empty() && invariantFailed(failing.report, kNoViolationsInvariant))
        out.invariant = std::string(kNoViolationsInvariant);
    if (out.invariant.empty())
        return absl::FailedPreconditionError(sim::strCat("seed ", failing.seed, " broke no invariant: nothing to shrink"));

    // Subsets are index lists into the drawn faults, kept in drawn (start) order.
    std::map<std::vector<std::size_t>, bool> cache;
    absl::Status error = absl::OkStatus();
    const auto fails = [&](const std::vector<std::size_t>& subset) {
        if (const auto it = cache.find(subset); it != cache.end())
            return it->second;
        std::vector<DrawnFault> faults;
        for (const std::size_t i : subset)
            faults.push_back(out.drawn[i]);
        DrillRunOptions ro;
        ro.seed = failing.seed;
        ro.stopAt = stopAt;
        ro.swarmFaults = std::move(faults);
        auto run = DrillRun::create(spec, ro);
        bool failed = false;
        if (!run.ok()) {
            error = run.status();
        } else {
            (*run)->runToEnd();
            ++out.runs;
            failed = invariantFailed((*run)->report(), out.invariant);
        }
        cache[subset] = failed;
        return failed;
    };

    std::vector<std::size_t> current(out.drawn.size());
    for (std::size_t i = 0; i < current.size(); ++i)
        current[i] = i;
    cache[current] = true;
    if (fails({})) {
        current.clear(); // it breaks without any fault
    } else {
        std::size_t n = 2;
        while (current.size() >= 2 && error.ok()) {
            const std::size_t size = current.size();
            n = std::min(n, size);
            std::vector<std::vector<std::size_t>> chunks(n);
            for (std::size_t i = 0; i < size; ++i)
                chunks[i * n / size].push_back(current[i]);
            bool reduced = false;
            for (const auto& chunk : chunks) {
                if (chunk.size() < size && fails(chunk)) {
                    current = chunk;
                    n = 2;
                    reduced = true;
                    break;
                }
            }
            if (!reduced && n > 2) {
                for (std::size_t c = 0; c < n && !reduced; ++c) {
                    std::vector<std::size_t> complement;
                    for (std::size_t k = 0; k < n; ++k) {
                        if (k != c)
                            complement.insert(complement.end(), chunks[k].begin(), chunks[k].end());
                    }
                    std::sort(complement.begin(), complement.end());
                    if (fails(complement)) {
                        current = std::move(complement);
                        n = std::max<std::size_t>(n - 1, 2);
                        reduced = true;
                    }
                }
            }
            if (!reduced) {
                if (n >= size)
                    break;
                n = std::min(2 * n, size);
            }
        }
    }
    if (!error.ok())
        return error;
    // The report of the shrunk set (re-run when the last failing run was another set).
    std::vector<DrawnFault> faults;
    for (const std::size_t i : current)
        faults.push_back(out.drawn[i]);
    DrillRunOptions ro;
    ro.seed = failing.seed;
    ro.stopAt = stopAt;
    ro.swarmFaults = faults;
    auto run = DrillRun::create(spec, ro);
    if (!run.ok())
        return run.status();
    (*run)->runToEnd();
    out.report = (*run)->report();
    out.faults = std::move(faults);
    return out;
}

std::string swarmReproducer(const DrillSpec& spec, const ShrinkResult& shrunk, const std::string& source,
                            const std::string& until)
{
    YAML::Node root = YAML::Load(spec.text);
    for (const char* key : {"faults", "random_faults", "swarm", "expectations", "invariants"})
        root.remove(key);
    root["name"] = sim::strCat(spec.name, "-swarm-", shrunk.seed);
    std::string kinds;
    for (const DrawnFault& f : shrunk.faults)
        kinds += sim::strCat(kinds.empty() ? "" : ", ", sim::FaultRegistry::kindName(f.spec.kind()), " ", f.spec.target());
    root["description"] = sim::strCat("Shrunk from drill sweep ", source, " --swarm, seed ", shrunk.seed, ": ",
                                      kinds.empty() ? std::string("no fault") : kinds, " break ", shrunk.invariant, ".\n");
    root["seed"] = shrunk.seed;
    YAML::Node faults(YAML::NodeType::Sequence);
    for (const DrawnFault& f : shrunk.faults) {
        YAML::Node n;
        n["name"] = sim::strCat("swarm-", f.name.substr(f.name.find('#') + 1));
        n["at"] = formatDuration(f.spec.start_ns());
        n["until"] = formatDuration(f.spec.end_ns());
        n["kind"] = std::string(sim::FaultRegistry::kindName(f.spec.kind()));
        n["target"] = f.spec.target();
        if (f.spec.params_size() > 0) {
            YAML::Node params;
            for (const v1::FaultParam& p : f.spec.params()) {
                if (!p.text().empty())
                    params[p.name()] = p.text();
                else
                    params[p.name()] = shortestText(p.value());
            }
            n["params"] = params;
        }
        faults.push_back(n);
    }
    root["faults"] = faults;
    YAML::Emitter emitter;
    emitter << root;
    return sim::strCat("# Shrunk by: livedeckctl drill sweep ", source, " --swarm --seeds ", shrunk.seed,
                       until.empty() ? std::string() : " --until " + until, "\n# Breaks ", shrunk.invariant, " with ",
                       shrunk.faults.size(), " of the seed's ", shrunk.drawn.size(), " faults (", shrunk.runs,
                       " runs of delta debugging).\n# Reproduce: livedeckctl drill run THIS_FILE",
                       until.empty() ? std::string() : " --until " + until, "\n", emitter.c_str(), "\n");
}

} // namespace livedeck::drills
