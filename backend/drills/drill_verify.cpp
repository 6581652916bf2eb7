#include "backend/drills/drill_verify.h"

#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/sim/strings.h"
#include "backend/telemetry/recording_reader.h"

#include <charconv>

namespace livedeck::drills {
namespace {

std::string field(const v1::Event& e, std::string_view key)
{
    for (const v1::KeyValue& kv : e.fields()) {
        if (kv.key() == key)
            return kv.value();
    }
    return {};
}

struct Replay {
    std::unique_ptr<DrillRun> run;
    telemetry::RecordingMetadata meta;
    std::uint64_t commandsReplayed = 0;
};

absl::StatusOr<Replay> replay(const std::string& path, const ReplayOptions& options)
{
    auto reader = telemetry::RecordingReader::open(path);
    if (!reader.ok())
        return reader.status();
    auto meta = (*reader)->metadata();
    if (!meta.ok())
        return meta.status();
    if (meta->drillText.empty())
        return absl::InvalidArgumentError(sim::strCat(path, ": not a drill recording (it stores no drill text)"));
    if (options.requireFinished && !meta->finished)
        return absl::FailedPreconditionError(
            sim::strCat(path, ": the recording was never finished (the run was interrupted): nothing to compare with"));

    auto starts = (*reader)->events(0, sim::kNever, DrillRun::kStartEvent);
    if (!starts.ok())
        return starts.status();
    if (starts->empty())
        return absl::InvalidArgumentError(sim::strCat(path, ": no drill.start event: not a drill recording"));
    sim::Nanos stopAt = sim::kNever;
    {
        const std::string stop = field(starts->front(), "stop_ns");
        std::int64_t v = 0;
        const auto [ptr, ec] = std::from_chars(stop.data(), stop.data() + stop.size(), v);
        if (ec != std::errc() || ptr != stop.data() + stop.size() || v <= 0)
            return absl::InvalidArgumentError(sim::strCat(path, ": the drill.start event has no valid stop_ns"));
        stopAt = v;
    }

    auto spec = loadDrill(meta->drillText, sim::strCat(path, " (drill text)"));
    if (!spec.ok())
        return spec.status();
    DrillRunOptions runOptions;
    runOptions.seed = meta->seed;
    runOptions.stopAt = stopAt;
    runOptions.runId = meta->runId;
    auto run = DrillRun::create(*spec, runOptions);
    if (!run.ok())
        return run.status();

    auto commands = (*reader)->commands();
    if (!commands.ok())
        return commands.status();
    std::vector<v1::AppliedCommand> extra;
    for (v1::AppliedCommand& c : *commands) {
        if (c.command().issuer() != "drill")
            extra.push_back(std::move(c));
    }

    Replay r;
    r.meta = std::move(*meta);
    DrillRun& drill = **run;
    sim::World& world = drill.world();
    bool stop = false;
    if (options.keepGoing) {
        world.setAfterEventHook([&](const sim::EventMeta& m) {
            if (!stop && !options.keepGoing(world, m))
                stop = true;
        });
    }
    std::size_t next = 0;
    for (;;) {
        while (next < extra.size() && extra[next].after_event() <= world.scheduler().executed()) {
            // A host applies commands between events; the world records the same point.
            world.apply(extra[next].command()).IgnoreError();
            ++next;
            ++r.commandsReplayed;
        }
        if (stop || drill.done() || !world.scheduler().step())
            break;
    }
    world.setAfterEventHook({});
    if (!stop)
        drill.runToEnd();
    r.run = std::move(*run);
    return r;
}

} // namespace

absl::StatusOr<std::unique_ptr<DrillRun>> replayRecording(const std::string& path, const ReplayOptions& options)
{
    auto r = replay(path, options);
    if (!r.ok())
        return r.status();
    return std::move(r->run);
}

absl::StatusOr<VerifyResult> verifyRecording(const std::string& path)
{
    auto replayed = replay(path, ReplayOptions{});
    if (!replayed.ok())
        return replayed.status();
    const telemetry::RecordingMetadata& meta = replayed->meta;
    DrillRun& drill = *replayed->run;

    VerifyResult r;
    r.commandsReplayed = replayed->commandsReplayed;
    r.report = drill.report();
    r.drill = meta.drillName;
    r.seed = meta.seed;
    r.recordedBuild = meta.buildId;
    r.recordedHash = meta.finalTraceHash;
    r.recordedEvents = meta.eventsExecuted;
    r.recordedEnd = meta.finishedNs;
    r.recordedDigest = meta.stateDigest;
    r.replayedHash = r.report.traceHash;
    r.replayedEvents = r.report.events;
    r.replayedEnd = r.report.simNs;
    r.replayedDigest = r.report.stateDigest;
    r.match = drill.done() && r.recordedHash == r.replayedHash && r.recordedEvents == r.replayedEvents
        && r.recordedEnd == r.replayedEnd && r.recordedDigest == r.replayedDigest;
    return r;
}

std::string VerifyResult::summary() const
{
    const auto row = [](std::string_view what, const std::string& a, const std::string& b) {
        return sim::strCat(what, a, "  ", b, a == b ? "" : "  DIFFERS", "\n");
    };
    std::string s;
    s += sim::strCat("drill        ", drill, " (seed ", seed, "), recorded by ", recordedBuild, "\n");
    s += "             recorded            re-simulated\n";
    s += row("trace hash   ", hashText(recordedHash), hashText(replayedHash));
    s += row("events       ", sim::strFormat("%-18llu", static_cast<unsigned long long>(recordedEvents)),
             sim::strFormat("%-18llu", static_cast<unsigned long long>(replayedEvents)));
    s += row("end (s)      ", sim::strFormat("%-18.9f", sim::toSeconds(recordedEnd)),
             sim::strFormat("%-18.9f", sim::toSeconds(replayedEnd)));
    s += row("state digest ", hashText(recordedDigest), hashText(replayedDigest));
    s += sim::strCat("commands     ", commandsReplayed, " operator command(s) re-applied\n");
    s += sim::strCat("verdict      ", match ? "MATCH" : "MISMATCH", "\n");
    return s;
}

} // namespace livedeck::drills
