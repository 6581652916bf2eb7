// Helpers for the end-to-end drill tests: run livedeckctl as a process and collect
// its exit code and output.
#pragma once

#include "backend/drills/builtin_drills.h"

#include <QProcess>
#include <QString>
#include <QStringList>

namespace livedeck::test {

struct CtlResult {
    int exitCode = -1;
    bool crashed = false;
    QString out;
    QString err;
};

inline CtlResult runCtl(const QStringList& args, int timeoutMs = 300'000)
{
    QProcess p;
    p.start(QStringLiteral(LIVEDECK_CTL_PATH), args);
    CtlResult r;
    if (!p.waitForStarted(10'000))
        return r;
    p.waitForFinished(timeoutMs);
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// A built-in drill this build can run (its engine is compiled in).
inline bool runnable(const drills::BuiltinDrill& d)
{
    return d.error.empty();
}

} // namespace livedeck::test
