// Helpers for livedeckctl's tests: run the program as a process.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

#include <initializer_list>

namespace livedeck::test {

struct CtlRun {
    int exitCode = -1;
    bool crashed = false;
    QString out;
    QString err;
};

inline CtlRun runCtlProgram(const QStringList& args, int timeoutMs = 300'000)
{
    QProcess p;
    p.start(QStringLiteral(LIVEDECK_CTL_PATH), args);
    CtlRun r;
    if (!p.waitForStarted(10'000))
        return r;
    p.waitForFinished(timeoutMs);
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
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
