#include "backend/drills/headless_drill.h"

#include "backend/host/snapshot_waiter.h"

#include "backend/sim/strings.h"

#include <condition_variable>
#include <mutex>

namespace livedeck::drills {
namespace {

std::string rateText(double perSec)
{
    if (perSec >= 1e6)
        return sim::strFormat("%.2f M", perSec / 1e6);
    if (perSec >= 1e3)
        return sim::strFormat("%.1f k", perSec / 1e3);
    return sim::strFormat("%.0f", perSec);
}

} // namespace

std::string formatDrillProgress(const v1::Snapshot& snapshot)
{
    int faults = 0;
    for (const v1::FaultSpec& f : snapshot.faults())
        faults += f.active() ? 1 : 0;
    const v1::HostState& h = snapshot.host();
    const v1::DrillState& d = snapshot.drill();
    int ok = 0;
    for (const v1::ExpectationStatus& e : d.expectations())
        ok += e.passed() ? 1 : 0;
    int broken = 0;
    for (const v1::InvariantStatus& i : d.invariants())
        broken += i.passed() ? 0 : 1;
    return sim::strFormat("sim %9.3f s / %.0f s  speed ×%.3g  %s ev/s  events %llu  faults %d  expectations %d/%d ok  %s",
                          sim::toSeconds(snapshot.sim_time_ns()), sim::toSeconds(d.duration_ns()), h.sim_per_wall(),
                          rateText(h.events_per_sec()).c_str(), static_cast<unsigned long long>(snapshot.events_executed()),
                          faults, ok, d.expectations_size(),
                          broken == 0 ? "invariants ok" : sim::strFormat("%d invariants BROKEN", broken).c_str());
}

HeadlessDrillResult runDrillHeadless(std::unique_ptr<DrillRun> run, host::WallClock& clock,
                                     const HeadlessDrillOptions& options, const DrillProgressSink& progress)
{
    host::WorldHost host(std::move(run), clock, options.host);
    const sim::Nanos wallStart = clock.now();
    host::SnapshotWaiter(host, options.progressHz).followToEnd(options.speed, [&](const v1::Snapshot& snapshot) {
        if (progress)
            progress(formatDrillProgress(snapshot));
    });
    auto& drill = static_cast<DrillRun&>(host.run());
    // The host stops once the clock reaches the stop time; events left at that very
    // instant (the end event last) run here, exactly as they would have there.
    drill.runToEnd();
    HeadlessDrillResult result;
    result.report = drill.report();
    result.report.wallNs = clock.now() - wallStart;
    result.recording = drill.recordingStatus();
    return result;
}

} // namespace livedeck::drills
