// Helpers for the end-to-end drill tests: run livedeckctl as a process and collect
// its exit code and output.
#pragma once

#include "backend/drills/builtin_drills.h"
#include "tests/common/ctl_process.h"

#include <QProcess>
#include <QString>
#include <QStringList>

namespace livedeck::test {


// Engines the build leaves out on purpose (LIVEDECK_SKIP_MODULES, passed in by
// tests/integration/CMakeLists.txt).
inline bool leftOutOfBuild(const std::string& engine)
{
#ifdef LIVEDECK_LEFT_OUT_MODULES
    const QStringList modules = QString::fromUtf8(LIVEDECK_LEFT_OUT_MODULES).split(QLatin1Char(','), Qt::SkipEmptyParts);
    return modules.contains(QString::fromStdString(engine));
#else
    (void)engine;
    return false;
#endif
}

// A built-in drill this build must run: every drill, except one that names an engine
// the build leaves out on purpose. A drill that does not load for any other reason
// stays in, and its run fails (exit 2): losing an engine turns the suite red.
inline bool runnable(const drills::BuiltinDrill& d)
{
    if (d.error.empty())
        return true;
    bool excused = false;
    for (const std::string& e : d.engines)
        excused = excused || (leftOutOfBuild(e) && d.error.find("unknown engine '" + e + "'") != std::string::npos);
    return !excused;
}

} // namespace livedeck::test
