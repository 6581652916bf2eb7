#include "backend/drills/drill_sweep.h"

#include "backend/drills/json_writer.h"
#include "backend/sim/strings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
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
    const auto work = [&] {
        for (std::size_t i = next.fetch_add(1); i < seeds.size() && !stop.load(); i = next.fetch_add(1)) {
            DrillRunOptions ro;
            ro.seed = seeds[i];
            ro.stopAt = options.stopAt;
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
                s.passed = options.invariantsOnly ? s.report.invariantsPassed() : s.report.passed();
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
    return sim::strCat("seed ", seed.seed, "  faults ", faults, "  ", seed.report.verdictLine(invariantsOnly));
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
    part.shard = options.shard;
    for (const SweepSeed& s : result.seeds)
        part.seeds.push_back(SweepPartSeed{s.seed, s.passed, sweepLine(s, options.invariantsOnly)});
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
    text += sim::strCat("\nreproduce with: livedeckctl drill run ", whole.drill, " --seed ", failing.front(),
                        whole.until.empty() ? std::string() : " --until " + whole.until, "\n");
    return text;
}

} // namespace livedeck::drills
