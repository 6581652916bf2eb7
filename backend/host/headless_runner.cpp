#include "backend/host/headless_runner.h"

#include "backend/host/snapshot_waiter.h"

#include "backend/sim/strings.h"

#include <condition_variable>
#include <mutex>

namespace livedeck::host {
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

std::string HeadlessRunner::formatSpeed(double speed)
{
    if (speed <= 0.0)
        return "max";
    return sim::strFormat("×%g", speed);
}

std::string HeadlessRunner::formatHash(std::uint64_t hash)
{
    return sim::strFormat("0x%016llx", static_cast<unsigned long long>(hash));
}

std::string HeadlessRunner::formatProgress(const v1::Snapshot& snapshot, const sim::Calendar& calendar)
{
    int faults = 0;
    for (const v1::FaultSpec& f : snapshot.faults())
        faults += f.active() ? 1 : 0;
    const v1::HostState& h = snapshot.host();
    const std::string pace = h.paused() ? std::string("paused") : sim::strFormat("×%.3g", h.sim_per_wall());
    return sim::strFormat("sim %10.3f s  %s  speed %s (asked %s)  %s ev/s  events %llu  faults %d  trace %s",
                          sim::toSeconds(snapshot.sim_time_ns()), calendar.format(snapshot.sim_time_ns()).c_str(),
                          pace.c_str(), formatSpeed(h.speed()).c_str(), rateText(h.events_per_sec()).c_str(),
                          static_cast<unsigned long long>(snapshot.events_executed()), faults,
                          formatHash(snapshot.trace_hash()).c_str());
}

std::string HeadlessRunner::formatSummary(const HeadlessResult& r)
{
    const double wallS = sim::toSeconds(r.wallNs);
    const double simS = sim::toSeconds(r.simTime);
    std::string s;
    s += sim::strFormat("run          %s (seed %llu)%s\n", r.runId.c_str(), static_cast<unsigned long long>(r.seed),
                        r.finished ? "" : "  [did not finish]");
    s += sim::strFormat("simulated    %.3f s  (%s → %s)\n", simS, r.calendar.format(0).c_str(),
                        r.calendar.format(r.simTime).c_str());
    s += sim::strFormat("wall         %.3f s  (×%.3g real time)\n", wallS, wallS > 0 ? simS / wallS : 0.0);
    s += sim::strFormat("events       %llu  (%s events/s of wall time)\n", static_cast<unsigned long long>(r.events),
                        rateText(wallS > 0 ? static_cast<double>(r.events) / wallS : 0.0).c_str());
    s += sim::strFormat("log events   %llu   world commands %llu\n", static_cast<unsigned long long>(r.eventLogEvents),
                        static_cast<unsigned long long>(r.commands));
    s += sim::strFormat("trace hash   %s\n", formatHash(r.traceHash).c_str());
    s += sim::strFormat("state digest %s\n", formatHash(r.stateDigest).c_str());
    return s;
}

HeadlessResult HeadlessRunner::run(std::unique_ptr<HostedRun> hosted, const ProgressSink& progress)
{
    HeadlessResult result;
    result.calendar = hosted->world().calendar();
    result.seed = hosted->world().seed();

    WorldHost host(std::move(hosted), m_clock, m_options.host);
    const sim::Nanos wallStart = m_clock.now();
    SnapshotWaiter(host, m_options.progressHz).followToEnd(m_options.speed, [&](const v1::Snapshot& snapshot) {
        if (progress)
            progress(formatProgress(snapshot, result.calendar));
    });
    result.wallNs = m_clock.now() - wallStart;

    const sim::World& world = host.run().world();
    result.runId = world.runId();
    result.events = world.scheduler().executed();
    result.simTime = world.now();
    result.traceHash = world.traceHash();
    result.stateDigest = world.stateDigest();
    result.eventLogEvents = world.events().lastSeq();
    result.commands = world.commandLog().size();
    result.finished = host.status().finished;
    return result;
}

} // namespace livedeck::host
