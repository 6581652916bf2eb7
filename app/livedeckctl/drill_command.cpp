#include "app/livedeckctl/drill_command.h"

#include "app/livedeckctl/steady_wall_clock.h"
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/drill_sweep.h"
#include "backend/drills/drill_verify.h"
#include "backend/drills/duration.h"
#include "backend/drills/headless_drill.h"

#include <QCommandLineParser>
#include <QFile>
#include <QTextStream>

#include <cmath>
#include <cstdio>

namespace livedeck::ctl {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

QString drillUsage()
{
    return QStringLiteral(
        "Usage: livedeckctl drill <subcommand> [options]\n"
        "\n"
        "Failure drills: a drill file (YAML, docs/DRILLS.md) describes load, faults on a\n"
        "timeline and what must hold; a drill runs headless, is scored, recorded and replayed.\n"
        "FILE is a path to a drill file or the name of a built-in drill (see 'drill list').\n"
        "\n"
        "Subcommands:\n"
        "  list                 The built-in drills with one-line descriptions\n"
        "  validate FILE        Check a drill file (syntax, fault vocabulary, targets)\n"
        "  run FILE             Run a drill: progress on stderr, a summary on stdout\n"
        "      [--seed N] [--speed max|K] [--until T] [--record OUT.sqlite] [--report OUT.json]\n"
        "  sweep FILE --seeds A..B [--until T] [--invariants-only]\n"
        "                       Run one seed after another; a verdict line per seed\n"
        "  verify REC.sqlite    Re-simulate a recording and compare trace hashes\n"
        "\n"
        "Exit codes: 0 everything held, 1 an expectation or invariant failed (sweep: a seed\n"
        "failed; verify: a mismatch), 2 bad input (usage, a drill file with an error).\n");
}

QString qs(std::string_view s)
{
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

QString statusText(const absl::Status& st)
{
    return qs(std::string(st.message()));
}

int usageError(const QString& sub, const QString& message)
{
    QTextStream(stderr) << "livedeckctl drill" << (sub.isEmpty() ? QString() : QLatin1Char(' ') + sub) << ": " << message
                        << "\n\n"
                        << drillUsage();
    return kExitBadInput;
}

int inputError(const absl::Status& st)
{
    QTextStream(stderr) << statusText(st) << '\n';
    return kExitBadInput;
}

struct Parsed {
    QCommandLineParser parser;
    QStringList positional;
};

// Common options; returns false (with the exit code in `exitCode`) on a usage error or --help.
bool parse(QCommandLineParser& parser, const QStringList& args, const QString& sub, int wantPositional, int& exitCode)
{
    const QCommandLineOption help(QStringList{QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(args)) {
        exitCode = usageError(sub, parser.errorText());
        return false;
    }
    if (parser.isSet(help)) {
        QTextStream(stdout) << drillUsage();
        exitCode = 0;
        return false;
    }
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != wantPositional) {
        exitCode = usageError(sub, pos.size() < wantPositional ? QStringLiteral("missing argument")
                                                               : QStringLiteral("unexpected argument '%1'").arg(pos.last()));
        return false;
    }
    return true;
}

// --until: a duration ("30s", "2m") or plain seconds.
bool parseUntil(const QString& text, sim::Nanos& out, QString& error)
{
    const std::string s = text.toStdString();
    auto d = drills::parseDuration(s);
    if (d.ok() && *d > 0) {
        out = *d;
        return true;
    }
    bool ok = false;
    const double seconds = text.toDouble(&ok);
    if (ok && seconds > 0 && std::isfinite(seconds) && seconds < 3.6e6) {
        out = sim::fromSeconds(seconds);
        return true;
    }
    error = QStringLiteral("--until wants a simulated time such as 30s, 2m or 90 (seconds), got '%1'").arg(text);
    return false;
}

bool writeFile(const QString& path, const std::string& bytes, QString& error)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        error = QStringLiteral("%1: cannot be written: %2").arg(path, f.errorString());
        return false;
    }
    if (f.write(bytes.data(), static_cast<qint64>(bytes.size())) != static_cast<qint64>(bytes.size())) {
        error = QStringLiteral("%1: write error: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

int listCommand(const QStringList& args)
{
    QCommandLineParser parser;
    int code = 0;
    if (!parse(parser, args, QStringLiteral("list"), 0, code))
        return code;
    QTextStream out(stdout);
    int width = 4;
    for (const drills::BuiltinDrill& d : drills::builtinDrills())
        width = std::max(width, static_cast<int>(d.name.size()));
    for (const drills::BuiltinDrill& d : drills::builtinDrills()) {
        QString line = qs(d.name).leftJustified(width + 2);
        if (!d.error.empty())
            line += QStringLiteral("(does not load: %1)").arg(qs(d.error));
        else
            line += qs(d.description);
        if (!d.sabotageOf.empty())
            line += QStringLiteral("  [sabotage twin of %1: must fail]").arg(qs(d.sabotageOf));
        out << line << '\n';
    }
    return 0;
}

int validateCommand(const QStringList& args)
{
    QCommandLineParser parser;
    int code = 0;
    if (!parse(parser, args, QStringLiteral("validate"), 1, code))
        return code;
    const QString file = parser.positionalArguments().constFirst();
    auto spec = drills::resolveDrill(file.toStdString());
    if (!spec.ok())
        return inputError(spec.status());
    // Build the world too: fault targets and component filters are checked there.
    auto run = drills::DrillRun::create(*spec);
    if (!run.ok())
        return inputError(run.status());
    int namedFaults = 0;
    for (const auto& f : spec->faults)
        namedFaults += f.name.empty() ? 0 : 1;
    QTextStream(stdout) << QStringLiteral("%1: ok: drill %2, %3 s, %4 engine(s), %5 load phase(s), %6 fault(s), %7 random fault "
                                          "set(s), %8 halt condition(s), %9 expectation(s)")
                               .arg(qs(spec->fileName), qs(spec->name))
                               .arg(sim::toSeconds(spec->duration))
                               .arg(spec->engines.size())
                               .arg(spec->load.size())
                               .arg(spec->faults.size())
                               .arg(spec->randomFaults.size())
                               .arg(spec->halts.size())
                               .arg(spec->expectations.size())
                        << '\n';
    return 0;
}

int runCommand(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption seedOpt(QStringList{QStringLiteral("s"), QStringLiteral("seed")},
                                     QStringLiteral("Master seed (default: the file's seed)."), QStringLiteral("N"));
    const QCommandLineOption speedOpt(QStringList{QStringLiteral("speed")},
                                      QStringLiteral("Simulated seconds per wall second, or max (default max)."),
                                      QStringLiteral("max|K"), QStringLiteral("max"));
    const QCommandLineOption untilOpt(QStringList{QStringLiteral("until")},
                                      QStringLiteral("Stop at this simulated time (30s, 2m; default: the drill's duration)."),
                                      QStringLiteral("T"));
    const QCommandLineOption recordOpt(QStringList{QStringLiteral("record")},
                                       QStringLiteral("Record the run (with the drill text and seed) to a SQLite file."),
                                       QStringLiteral("OUT.sqlite"));
    const QCommandLineOption overwriteOpt(QStringList{QStringLiteral("overwrite")},
                                          QStringLiteral("Replace an existing recording file."));
    const QCommandLineOption reportOpt(QStringList{QStringLiteral("report")},
                                       QStringLiteral("Write the JSON report to this file."), QStringLiteral("OUT.json"));
    const QCommandLineOption quietOpt(QStringList{QStringLiteral("q"), QStringLiteral("quiet")},
                                      QStringLiteral("No progress lines."));
    parser.addOptions({seedOpt, speedOpt, untilOpt, recordOpt, overwriteOpt, reportOpt, quietOpt});
    int code = 0;
    if (!parse(parser, args, QStringLiteral("run"), 1, code))
        return code;

    drills::DrillRunOptions options;
    if (parser.isSet(seedOpt)) {
        bool ok = false;
        const qulonglong seed = parser.value(seedOpt).toULongLong(&ok);
        if (!ok)
            return usageError(QStringLiteral("run"),
                              QStringLiteral("--seed wants a non-negative integer, got '%1'").arg(parser.value(seedOpt)));
        options.seed = seed;
    }
    double speed = 0.0;
    if (const QString s = parser.value(speedOpt); s != QLatin1String("max")) {
        bool ok = false;
        speed = s.toDouble(&ok);
        if (!ok || !(speed > 0.0) || !std::isfinite(speed))
            return usageError(QStringLiteral("run"), QStringLiteral("--speed wants a factor > 0 or max, got '%1'").arg(s));
    }
    if (parser.isSet(untilOpt)) {
        QString error;
        if (!parseUntil(parser.value(untilOpt), options.stopAt, error))
            return usageError(QStringLiteral("run"), error);
    }

    const QString file = parser.positionalArguments().constFirst();
    auto spec = drills::resolveDrill(file.toStdString());
    if (!spec.ok())
        return inputError(spec.status());
    auto run = drills::DrillRun::create(*spec, options);
    if (!run.ok())
        return inputError(run.status());
    if (parser.isSet(recordOpt)) {
        if (absl::Status st = (*run)->startRecording(parser.value(recordOpt).toStdString(), parser.isSet(overwriteOpt));
            !st.ok())
            return inputError(st);
    }

    QTextStream err(stderr);
    err << "drill " << qs(spec->name) << ": seed " << (*run)->seed() << ", " << sim::toSeconds((*run)->stopTime())
        << " s simulated, speed " << (speed > 0 ? QString::number(speed) : QStringLiteral("max")) << Qt::endl;
    drills::DrillProgressSink progress;
    if (!parser.isSet(quietOpt))
        progress = [&err](const std::string& line) { err << qs(line) << Qt::endl; };
    SteadyWallClock clock;
    drills::HeadlessDrillOptions ho;
    ho.speed = speed;
    const drills::HeadlessDrillResult result = drills::runDrillHeadless(std::move(*run), clock, ho, progress);

    QTextStream(stdout) << qs(result.report.summary());
    if (!result.recording.ok())
        return inputError(result.recording);
    if (parser.isSet(recordOpt))
        err << "recorded to " << parser.value(recordOpt) << Qt::endl;
    if (parser.isSet(reportOpt)) {
        QString error;
        if (!writeFile(parser.value(reportOpt), result.report.toJson(true) + "\n", error)) {
            err << error << Qt::endl;
            return kExitBadInput;
        }
    }
    return result.report.passed() ? 0 : kExitFailed;
}

int sweepCommand(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption seedsOpt(QStringList{QStringLiteral("seeds")},
                                      QStringLiteral("Seed range, inclusive (e.g. 1..200)."), QStringLiteral("A..B"));
    const QCommandLineOption untilOpt(QStringList{QStringLiteral("until")},
                                      QStringLiteral("Stop each run at this simulated time."), QStringLiteral("T"));
    const QCommandLineOption invOpt(QStringList{QStringLiteral("invariants-only")},
                                    QStringLiteral("A seed fails only when an invariant breaks (not an expectation)."));
    parser.addOptions({seedsOpt, untilOpt, invOpt});
    int code = 0;
    if (!parse(parser, args, QStringLiteral("sweep"), 1, code))
        return code;
    if (!parser.isSet(seedsOpt))
        return usageError(QStringLiteral("sweep"), QStringLiteral("--seeds A..B is required"));
    auto range = drills::parseSeedRange(parser.value(seedsOpt).toStdString());
    if (!range.ok())
        return usageError(QStringLiteral("sweep"), statusText(range.status()));
    drills::SweepOptions options;
    options.firstSeed = range->first;
    options.lastSeed = range->second;
    options.invariantsOnly = parser.isSet(invOpt);
    if (parser.isSet(untilOpt)) {
        QString error;
        if (!parseUntil(parser.value(untilOpt), options.stopAt, error))
            return usageError(QStringLiteral("sweep"), error);
    }
    const QString file = parser.positionalArguments().constFirst();
    auto spec = drills::resolveDrill(file.toStdString());
    if (!spec.ok())
        return inputError(spec.status());
    QTextStream out(stdout);
    auto result = drills::sweepDrill(*spec, options, [&](const drills::SweepSeed& s) {
        out << qs(drills::sweepLine(s, options.invariantsOnly)) << Qt::endl;
    });
    if (!result.ok())
        return inputError(result.status());
    const std::size_t n = result->seeds.size();
    if (result->failingSeeds.empty()) {
        out << "sweep: " << n << " seed(s), none failed" << Qt::endl;
        return 0;
    }
    out << "sweep: " << n << " seed(s), " << result->failingSeeds.size() << " failed:";
    for (const std::uint64_t s : result->failingSeeds)
        out << ' ' << s;
    out << '\n';
    out << "reproduce with: livedeckctl drill run " << file << " --seed " << result->failingSeeds.front()
        << (parser.isSet(untilOpt) ? QStringLiteral(" --until ") + parser.value(untilOpt) : QString()) << Qt::endl;
    return kExitFailed;
}

int verifyCommand(const QStringList& args)
{
    QCommandLineParser parser;
    int code = 0;
    if (!parse(parser, args, QStringLiteral("verify"), 1, code))
        return code;
    auto result = drills::verifyRecording(parser.positionalArguments().constFirst().toStdString());
    if (!result.ok())
        return inputError(result.status());
    QTextStream(stdout) << qs(result->summary());
    return result->match ? 0 : kExitFailed;
}

} // namespace

int runDrillCommand(const QStringList& arguments)
{
    if (arguments.size() < 2)
        return usageError({}, QStringLiteral("missing subcommand"));
    const QString sub = arguments.at(1);
    if (sub == QLatin1String("-h") || sub == QLatin1String("--help") || sub == QLatin1String("help")) {
        QTextStream(stdout) << drillUsage();
        return 0;
    }
    QStringList rest = arguments.mid(2);
    rest.prepend(arguments.at(0) + QLatin1Char(' ') + sub);
    if (sub == QLatin1String("list"))
        return listCommand(rest);
    if (sub == QLatin1String("validate"))
        return validateCommand(rest);
    if (sub == QLatin1String("run"))
        return runCommand(rest);
    if (sub == QLatin1String("sweep"))
        return sweepCommand(rest);
    if (sub == QLatin1String("verify"))
        return verifyCommand(rest);
    return usageError({}, QStringLiteral("unknown subcommand '%1'").arg(sub));
}

} // namespace livedeck::ctl
