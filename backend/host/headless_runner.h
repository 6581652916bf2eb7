// HeadlessRunner: runs a HostedRun to its end in a WorldHost without a UI, reporting
// progress at a wall-clock rate and returning a summary — the engine of
// `livedeckctl demo` (and of headless drill runs later). Progress lines are built
// from the snapshots the host publishes (the same data path as the console); the
// summary's state digest is read after the host stopped.
//
// Contract: the run must end (HostedRun::endTime() or finished()); run() blocks the
// calling thread until then, waiting on a condition variable the host's subscriber
// callback signals (no clock is read here: wall time comes from the injected clock).
#pragma once

#include "backend/host/hosted_run.h"
#include "backend/host/wall_clock.h"
#include "backend/host/world_host.h"
#include "backend/sim/calendar.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace livedeck::host {

struct HeadlessOptions {
    double speed = 0.0;        // <= 0: as fast as possible; else simulated seconds per wall second
    double progressHz = 1.0;   // progress reports per wall second ("about once per wall second")
    HostOptions host;
};

struct HeadlessResult {
    std::string runId;
    std::uint64_t seed = 0;
    std::uint64_t events = 0;     // scheduler events executed
    sim::Nanos simTime = 0;
    sim::Nanos wallNs = 0;        // wall time from start to end, on the injected clock
    std::uint64_t traceHash = 0;
    std::uint64_t stateDigest = 0;
    std::uint64_t eventLogEvents = 0; // v1::Events raised (fault on/off, alerts, ...)
    std::uint64_t commands = 0;       // commands applied to the world (recorded)
    bool finished = false;
    sim::Calendar calendar;
};

class HeadlessRunner {
public:
    using ProgressSink = std::function<void(const std::string& line)>;

    HeadlessRunner(WallClock& clock, HeadlessOptions options) : m_clock(clock), m_options(options) {}

    HeadlessResult run(std::unique_ptr<HostedRun> run, const ProgressSink& progress = {});

    // "sim 12.000 s  2026-12-31 23:50:12.000  speed ×9.8 (asked max)  1.23 M ev/s  events 42  faults 3  trace 0x…"
    // (measured speed, or "paused").
    static std::string formatProgress(const v1::Snapshot& snapshot, const sim::Calendar& calendar);
    // Multi-line, readable summary of a finished run.
    static std::string formatSummary(const HeadlessResult& result);
    static std::string formatSpeed(double speed); // "max" or "×2.5"
    static std::string formatHash(std::uint64_t hash);  // "0x0123456789abcdef"

private:
    WallClock& m_clock;
    HeadlessOptions m_options;
};

} // namespace livedeck::host
