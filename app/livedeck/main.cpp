// livedeck — the console. Parses the command line, builds the data source (an
// embedded world, or a recording with --replay) and the main window, runs.
#include "backend/host/synthetic_run.h"
#include "ui/embedded_cluster.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QStyleFactory>
#include <QTextStream>

#include <cmath>

namespace {

int fail(const QString& message, const QCommandLineParser& parser)
{
    QTextStream(stderr) << "livedeck: " << message << "\n\n" << parser.helpText();
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("livedeck"));
    QApplication::setOrganizationName(QStringLiteral("livedeck"));
    QApplication::setApplicationVersion(QStringLiteral(LIVEDECK_BUILD_ID));
    if (QStyleFactory::keys().contains(QStringLiteral("Fusion")))
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Control console for the live-streaming backend emulator. With no argument it starts an\n"
        "embedded world (the synthetic workload) at real time ×1."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption replayOption(QStringList{QStringLiteral("replay")}, QStringLiteral("Replay a run recording."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption seedOption(QStringList{QStringLiteral("seed")},
                                        QStringLiteral("Master seed of the embedded world (default 1)."), QStringLiteral("N"),
                                        QStringLiteral("1"));
    const QCommandLineOption speedOption(QStringList{QStringLiteral("speed")},
                                         QStringLiteral("Simulated seconds per wall second, or 'max' (default 1)."),
                                         QStringLiteral("K|max"), QStringLiteral("1"));
    parser.addOptions({replayOption, seedOption, speedOption});
    parser.process(app);

    bool ok = false;
    const qulonglong seed = parser.value(seedOption).toULongLong(&ok);
    if (!ok)
        return fail(QStringLiteral("--seed wants a non-negative integer, got '%1'").arg(parser.value(seedOption)), parser);
    double speed = 0.0;
    if (parser.value(speedOption) != QLatin1String("max")) {
        speed = parser.value(speedOption).toDouble(&ok);
        if (!ok || !(speed > 0.0) || !std::isfinite(speed))
            return fail(QStringLiteral("--speed wants a factor > 0 (e.g. 10 for ×10) or 'max', got '%1'").arg(parser.value(speedOption)),
                        parser);
    }

    livedeck::ui::MainWindow window;
    const auto liveFactory = [seed, speed] {
        livedeck::ui::EmbeddedOptions options;
        options.seed = seed;
        options.speed = speed;
        const auto runFactory = [seed] {
            livedeck::host::SyntheticRunConfig config;
            config.seed = seed;
            return std::unique_ptr<livedeck::host::HostedRun>(std::make_unique<livedeck::host::SyntheticRun>(config));
        };
        return std::unique_ptr<livedeck::ui::ClusterSource>(std::make_unique<livedeck::ui::EmbeddedCluster>(runFactory, options));
    };
    window.setLiveFactory(liveFactory);
    if (parser.isSet(replayOption)) {
        QString error;
        if (!window.openRecording(parser.value(replayOption), &error))
            return fail(QStringLiteral("cannot replay '%1': %2").arg(parser.value(replayOption), error), parser);
    } else {
        window.startLive();
    }
    window.show();
    return app.exec();
}
