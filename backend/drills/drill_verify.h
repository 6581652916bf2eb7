// Recording verification (`livedeckctl drill verify REC.sqlite`): re-simulates a run
// from the drill text and seed stored in its recording, to the same stop time (read
// from the recorded "drill.start" event), re-applying every command an operator or
// program applied during the run (recorded with the number of events before it) at
// the same point, and compares the final trace hash, event count, simulated end time
// and state digest with those the recording stored. Equal ⇒ the recording is exactly
// what this build does with that drill and seed (docs/ARCHITECTURE.md, property 1).
// Runs on the calling thread; reads the file read-only.
#pragma once

#include "backend/drills/drill_report.h"
#include "backend/sim/scheduler.h"

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace livedeck::drills {

struct VerifyResult {
    std::string drill;
    std::uint64_t seed = 0;
    std::string recordedBuild;
    std::uint64_t recordedHash = 0;
    std::uint64_t replayedHash = 0;
    std::uint64_t recordedEvents = 0;
    std::uint64_t replayedEvents = 0;
    sim::Nanos recordedEnd = 0;
    sim::Nanos replayedEnd = 0;
    std::uint64_t recordedDigest = 0;
    std::uint64_t replayedDigest = 0;
    std::uint64_t commandsReplayed = 0;
    bool match = false;
    DrillReport report; // of the re-simulation

    std::string summary() const; // readable, several lines
};

// Errors: the file cannot be read or is not a drill recording (NotFound, InvalidArgument
// naming the file), the recording was never finished (FailedPrecondition), or the stored
// drill text no longer loads (InvalidArgument "REC.sqlite (drill text):line:col: ...").
absl::StatusOr<VerifyResult> verifyRecording(const std::string& path);

class DrillRun;
} // namespace livedeck::drills

namespace livedeck::sim {
class World;
} // namespace livedeck::sim

namespace livedeck::drills {

// The re-simulation both verify and compare use: builds the recorded drill with its
// seed and stop time, and steps it, re-applying the recorded operator commands at
// their points, until it ends or `keepGoing` (asked after every event, given the
// event's meta) answers false. Same errors as verifyRecording(), except that an
// unfinished recording is accepted when `requireFinished` is false.
struct ReplayOptions {
    bool requireFinished = true;
    std::function<bool(const sim::World&, const sim::EventMeta&)> keepGoing; // empty: to the end
};
absl::StatusOr<std::unique_ptr<DrillRun>> replayRecording(const std::string& path, const ReplayOptions& options);

} // namespace livedeck::drills
