// `livedeckctl demo`: runs the synthetic world (host::SyntheticRun) headless in a
// WorldHost on the steady wall clock; progress about once per wall second on stderr,
// a readable summary on stdout (events, simulated and wall seconds, trace hash, state
// digest). Same seed ⇒ same trace hash and digest, at any speed.
// Defaults: seed 1, 60 s of simulated time, as fast as possible.
#pragma once

#include <QStringList>

namespace livedeck::ctl {

// `arguments[0]` is the program and command name ("livedeckctl demo").
int runDemoCommand(const QStringList& arguments);

} // namespace livedeck::ctl
