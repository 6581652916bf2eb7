// Helpers for livedeckctl's tests: run the program as a process.
#pragma once

#include "tests/common/ctl_process.h"

#include <QProcess>
#include <QString>
#include <QStringList>

#include <initializer_list>

namespace livedeck::test {

using CtlRun = CtlResult;

inline CtlRun runCtlProgram(const QStringList& args, int timeoutMs = 300'000)
{
    return runCtl(args, timeoutMs);
}

inline QStringList words(std::initializer_list<const char*> list)
{
    QStringList out;
    for (const char* w : list)
        out << QString::fromUtf8(w);
    return out;
}

inline CtlRun runCtlProgram(std::initializer_list<const char*> args, int timeoutMs = 300'000)
{
    return runCtlProgram(words(args), timeoutMs);
}

inline QString ctlDrill(const char* name)
{
    return QStringLiteral(LIVEDECK_CTL_DRILLS_DIR) + QLatin1Char('/') + QLatin1String(name);
}

} // namespace livedeck::test
