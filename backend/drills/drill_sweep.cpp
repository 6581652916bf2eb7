#include "backend/drills/drill_sweep.h"

#include "backend/sim/strings.h"

#include <charconv>

namespace livedeck::drills {
namespace {

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
    SweepResult result;
    for (std::uint64_t seed = options.firstSeed;; ++seed) {
        DrillRunOptions ro;
        ro.seed = seed;
        ro.stopAt = options.stopAt;
        auto run = DrillRun::create(spec, ro);
        if (!run.ok())
            return run.status();
        (*run)->runToEnd();
        SweepSeed s;
        s.seed = seed;
        s.report = (*run)->report();
        s.passed = options.invariantsOnly ? s.report.invariantsPassed() : s.report.passed();
        if (!s.passed)
            result.failingSeeds.push_back(seed);
        if (onSeed)
            onSeed(s);
        result.seeds.push_back(std::move(s));
        if (seed == options.lastSeed)
            break;
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

} // namespace livedeck::drills
