#include "app/livedeckctl/demo_command.h"

#include "app/livedeckctl/steady_wall_clock.h"
#include "backend/host/headless_runner.h"
#include "backend/host/synthetic_run.h"

#include <QCommandLineParser>
#include <QTextStream>

#include <cmath>
#include <cstdio>

namespace livedeck::ctl {
namespace {

constexpr double kDefaultDurationS = 60.0;

// QCommandLineParser names the executable's path in its usage line; name the command.
QString helpText(const QCommandLineParser& parser)
{
    QString text = parser.helpText();
    const qsizetype eol = text.indexOf(QLatin1Char('\n'));
    return QStringLiteral("Usage: livedeckctl demo [options]") + text.mid(eol);
}

int fail(const QString& message, const QCommandLineParser& parser)
{
    QTextStream err(stderr);
    err << "livedeckctl demo: " << message << "\n\n" << helpText(parser);
    return 2;
}

} // namespace

int runDemoCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs the synthetic demo world headless: services in every region exchange messages\n"
        "while random faults come and go. Prints progress about once per wall second on\n"
        "stderr and a summary on stdout. The same seed gives the same trace hash at any speed."));
    const QCommandLineOption helpOption(QStringList{QStringLiteral("h"), QStringLiteral("help")},
                                        QStringLiteral("Show this help."));
    const QCommandLineOption seedOption(QStringList{QStringLiteral("s"), QStringLiteral("seed")},
                                        QStringLiteral("Master seed of the world (default 1)."), QStringLiteral("N"),
                                        QStringLiteral("1"));
    const QCommandLineOption durationOption(
        QStringList{QStringLiteral("d"), QStringLiteral("duration")},
        QStringLiteral("Simulated seconds to run (default %1).").arg(kDefaultDurationS), QStringLiteral("SECONDS"),
        QString::number(kDefaultDurationS));
    const QCommandLineOption speedOption(
        QStringList{QStringLiteral("speed")},
        QStringLiteral("Simulated seconds per wall second, or 'max' for as fast as possible (default max)."),
        QStringLiteral("K|max"), QStringLiteral("max"));
    const QCommandLineOption quietOption(QStringList{QStringLiteral("q"), QStringLiteral("quiet")},
                                         QStringLiteral("No progress lines, only the summary."));
    parser.addOptions({helpOption, seedOption, durationOption, speedOption, quietOption});

    if (!parser.parse(arguments))
        return fail(parser.errorText(), parser);
    if (parser.isSet(helpOption)) {
        QTextStream(stdout) << helpText(parser);
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().constFirst()), parser);

    bool ok = false;
    const qulonglong seed = parser.value(seedOption).toULongLong(&ok);
    if (!ok)
        return fail(QStringLiteral("--seed wants a non-negative integer, got '%1'").arg(parser.value(seedOption)), parser);
    const double duration = parser.value(durationOption).toDouble(&ok);
    if (!ok || !(duration > 0.0) || !std::isfinite(duration) || duration > 1e6)
        return fail(QStringLiteral("--duration wants simulated seconds in (0, 1e6], got '%1'").arg(parser.value(durationOption)),
                    parser);
    double speed = 0.0;
    const QString speedText = parser.value(speedOption);
    if (speedText != QLatin1String("max")) {
        speed = speedText.toDouble(&ok);
        if (!ok || !(speed > 0.0) || !std::isfinite(speed))
            return fail(QStringLiteral("--speed wants a factor > 0 (e.g. 10 for ×10) or 'max', got '%1'").arg(speedText),
                        parser);
    }

    host::SyntheticRunConfig config;
    config.seed = seed;
    config.duration = sim::fromSeconds(duration);
    config.runId = sim::strCat("demo-", static_cast<std::uint64_t>(seed));
    auto run = std::make_unique<host::SyntheticRun>(config);

    SteadyWallClock clock;
    host::HeadlessOptions options;
    options.speed = speed;
    options.progressHz = 1.0;
    host::HeadlessRunner runner(clock, options);

    QTextStream err(stderr);
    err << "demo: seed " << seed << ", " << duration << " s simulated, speed "
        << QString::fromStdString(host::HeadlessRunner::formatSpeed(speed)) << Qt::endl;
    host::HeadlessRunner::ProgressSink progress;
    if (!parser.isSet(quietOption)) {
        progress = [&err](const std::string& line) { err << QString::fromStdString(line) << Qt::endl; };
    }
    const host::HeadlessResult result = runner.run(std::move(run), progress);
    QTextStream(stdout) << QString::fromStdString(host::HeadlessRunner::formatSummary(result));
    return result.finished ? 0 : 1;
}

} // namespace livedeck::ctl
