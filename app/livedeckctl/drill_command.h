// `livedeckctl drill <subcommand>`: list, validate, run, sweep and verify drills
// (docs/DRILLS.md). Parsing and printing only: the work is done by backend/drills
// (DrillRun, runDrillHeadless, sweepDrill, verifyRecording).
// Exit codes: 0 all expectations and invariants hold (verify: hashes match); 1 a drill
// failed (a sweep had a failing seed, verify found a mismatch); 2 bad input — usage,
// a drill file that does not load ("file:line:col: message" on stderr), a file that
// cannot be read or written.
#pragma once

#include <QStringList>

namespace livedeck::ctl {

// `arguments[0]` is the program and command name ("livedeckctl drill").
int runDrillCommand(const QStringList& arguments);

} // namespace livedeck::ctl
