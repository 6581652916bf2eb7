// livedeckctl's remote commands: talk to a livedeckd node over gRPC
// (`livedeckctl --server HOST:PORT [--token-file F] <command>`): status, topology,
// faults list, fault inject, fault clear, drill run. docs/API.md describes the API.
#pragma once

#include <QStringList>

namespace livedeck::ctl {

// True when the arguments start with a remote option (--server ...).
bool isRemoteInvocation(const QStringList& arguments);
// arguments[0] is the program; the rest are global options then the command.
int runRemoteCommand(const QStringList& arguments);

} // namespace livedeck::ctl
