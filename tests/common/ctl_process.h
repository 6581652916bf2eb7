// Running livedeckctl as a process in tests (the program at LIVEDECK_CTL_PATH, which the
// test's CMake defines): exit code, crash, and what it printed.
#pragma once

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

} // namespace livedeck::test
