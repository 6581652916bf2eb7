// livedeckctl's command line: dispatches `livedeckctl <command> [options]` to the
// commands (demo, drill, version; node commands come later). Parsing only: the
// work is done by backend/host and backend/drills.
// Exit codes: 0 success, 1 the command failed, 2 bad usage (unknown command/option).
#pragma once

#include <QStringList>

namespace livedeck::ctl {

// `arguments` as QCoreApplication::arguments() gives them (program name first).
int runCli(const QStringList& arguments);

} // namespace livedeck::ctl
