// livedeck — the console. Parses the command line, builds the data source (an
// embedded drill run — the built-in gala night by default —, a recording with
// --replay, or a remote cluster with --attach) and the main window, runs.
#include "backend/drills/builtin_drills.h"
#include "backend/host/synthetic_run.h"
#include "ui/dashboard_hub.h"
#include "ui/drill_source.h"
#include "ui/embedded_cluster.h"
#include "ui/logging.h"
#include "app/common/builtin_engines.h"
#include "app/common/program_allocator.h"
#include "app/common/token_file.h"
#include "ui/main_window.h"
#include "backend/plugins/plugin_host.h"
#include "plugins/console_host/console_plugins.h"

#ifdef LIVEDECK_REMOTE
#include "ui/remote/remote_cluster.h"
#endif

#include <QApplication>
#include <QCheckBox>
#include <QCommandLineParser>
#include <QMenu>
#include <QElapsedTimer>
#include <QFile>
#include <QMessageBox>
#include <QScreen>
#include <QTimer>
#include <QStyleFactory>
#include <QTextStream>

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>

namespace {

int fail(const QString& message, const QCommandLineParser& parser)
{
    QTextStream(stderr) << "livedeck: " << message << "\n\n" << parser.helpText();
    return 2;
}

#ifdef LIVEDECK_REMOTE
// A RemoteCluster for File → Attach… and --attach. The token file's first line is
// '<token>' or '<token> <role> [<name>]'. Commands that change the cluster are confirmed
// first, with "do not ask again" for the rest of this attachment.
std::unique_ptr<livedeck::ui::ClusterSource> makeRemote(QWidget* window, const QString& address,
                                                        const QString& tokenFile, QString* error)
{
    livedeck::ui::RemoteOptions options;
    options.address = address;
    if (!address.contains(QLatin1Char(':')) || address.section(QLatin1Char(':'), -1).toInt() <= 0) {
        if (error)
            *error = QStringLiteral("expected HOST:PORT (e.g. 127.0.0.1:7400), got '%1'").arg(address);
        return nullptr;
    }
    if (!tokenFile.isEmpty()) {
        auto token = livedeck::app::readClientToken(tokenFile.toStdString());
        if (!token.ok()) {
            if (error)
                *error = QString::fromStdString(std::string(token.status().message()));
            return nullptr;
        }
        options.token = QString::fromStdString(*token);
    }
    auto alwaysYes = std::make_shared<bool>(false);
    options.confirm = [window, address, alwaysYes](const livedeck::v1::Command& command) {
        if (*alwaysYes)
            return true;
        // Operator actions are confirmed by the action dialog itself (the engine's
        // descriptor says which change the world); asking twice would be noise.
        if (command.has_operator_action())
            return true;
        QMessageBox box(QMessageBox::Question, QObject::tr("Change the remote cluster?"),
                        QObject::tr("Send \"%1\" to the cluster at %2?\nEvery console attached to it will see the change.")
                            .arg(livedeck::ui::ClusterSource::commandName(command), address),
                        QMessageBox::Yes | QMessageBox::No, window);
        box.setDefaultButton(QMessageBox::No);
        auto* again = new QCheckBox(QObject::tr("Do not ask again while attached"));
        box.setCheckBox(again);
        const bool yes = box.exec() == QMessageBox::Yes;
        if (yes && again->isChecked())
            *alwaysYes = true;
        return yes;
    };
    return std::make_unique<livedeck::ui::RemoteCluster>(options);
}
#endif

// The console's command line. Built before any QApplication exists, so --help and
// --version answer without a display.

// The console's default run: the gala night (docs/GALA.md: every engine coupled in one
// world) when this build has it, else the ui's default drill.
QString consoleDefaultDrill()
{
    return livedeck::drills::defaultBuiltinDrill("gala-night") == "gala-night" ? QStringLiteral("gala-night")
                                                                              : livedeck::ui::defaultDrillName();
}

struct ConsoleOptions {
    QCommandLineOption replay{QStringList{QStringLiteral("replay")}, QStringLiteral("Replay a run recording."),
                              QStringLiteral("FILE")};
    QCommandLineOption drill{QStringList{QStringLiteral("drill")},
                             QStringLiteral("Run a drill file, or a built-in drill by name (default: %1).")
                                 .arg(consoleDefaultDrill().isEmpty() ? QStringLiteral("none built in")
                                                                      : consoleDefaultDrill()),
                             QStringLiteral("FILE")};
    QCommandLineOption seed{QStringList{QStringLiteral("seed")},
                            QStringLiteral("Master seed of the run (default: the drill file's seed)."), QStringLiteral("N")};
    QCommandLineOption synthetic{QStringList{QStringLiteral("synthetic")},
                                 QStringLiteral("Run the open-ended synthetic world instead of a drill.")};
    QCommandLineOption speed{QStringList{QStringLiteral("speed")},
                             QStringLiteral("Simulated seconds per wall second, or 'max' (default 1)."),
                             QStringLiteral("K|max"), QStringLiteral("1")};
    QCommandLineOption attach{QStringList{QStringLiteral("attach")},
                              QStringLiteral("Attach to a remote cluster (a livedeckd node) at HOST:PORT."),
                              QStringLiteral("HOST:PORT")};
    QCommandLineOption token{QStringList{QStringLiteral("token-file")},
                             QStringLiteral("Bearer token for --attach: the file's first line is "
                                            "'<token> [<role> <name>]'."),
                             QStringLiteral("FILE")};
    // Plugins (docs/PLUGINS.md).
    QCommandLineOption pluginDir{QStringList{QStringLiteral("plugin-dir")},
                                 QStringLiteral("Also load plugins from DIR (repeatable)."), QStringLiteral("DIR")};
    QCommandLineOption noPlugins{QStringList{QStringLiteral("no-plugins")}, QStringLiteral("Safe mode: load no plugin.")};
    QCommandLineOption listPlugins{QStringList{QStringLiteral("list-plugins")},
                                   QStringLiteral("List the plugins found (id, version, kind, state, error, file) and exit.")};

    void addTo(QCommandLineParser& parser) const
    {
        parser.setApplicationDescription(QStringLiteral(
            "Control console for the live-streaming backend emulator. With no argument it runs the\n"
            "built-in gala night (gifts, messaging and CDN coupled) in an embedded world at real time ×1."));
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOptions({drill, replay, seed, speed, synthetic, attach, token, pluginDir, noPlugins, listPlugins});
    }
};

void setIdentity()
{
    QCoreApplication::setApplicationName(QStringLiteral("livedeck"));
    QCoreApplication::setOrganizationName(QStringLiteral("livedeck"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LIVEDECK_BUILD_ID));
}

// True when the command line asks only for text (help or version): no window, no display.
bool wantsTextOnly(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--")
            break;
        if (arg == "-h" || arg == "--help" || arg == "-?" || arg == "--help-all" || arg == "-v" || arg == "--version")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    if (wantsTextOnly(argc, argv)) {
        QCoreApplication core(argc, argv);
        setIdentity();
        const ConsoleOptions options;
        QCommandLineParser parser;
        options.addTo(parser);
        parser.process(core); // prints help or version and exits; errors exit 1 with a message
        return 0;
    }
    QElapsedTimer sinceStart; // for the "dashboards live after … ms" line (within 1.5 s)
    sinceStart.start();
    QApplication app(argc, argv);
    setIdentity();
    livedeck::app::installBuiltinEngines();
    // The desktop entry and AppStream id (packaging/desktop/): lets the desktop match the
    // window to its launcher and icon.
    QGuiApplication::setDesktopFileName(QStringLiteral("org.livedeck.Livedeck"));
    if (QStyleFactory::keys().contains(QStringLiteral("Fusion")))
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));

    const ConsoleOptions options;
    const QCommandLineOption& replayOption = options.replay;
    const QCommandLineOption& drillOption = options.drill;
    const QCommandLineOption& seedOption = options.seed;
    const QCommandLineOption& syntheticOption = options.synthetic;
    const QCommandLineOption& speedOption = options.speed;
    const QCommandLineOption& attachOption = options.attach;
    const QCommandLineOption& tokenOption = options.token;
    QCommandLineParser parser;
    options.addTo(parser);
    parser.process(app);
    // Engine plugins join the built-in engines before any drill is loaded.
    livedeck::plugins::PluginHostOptions pluginOptions;
    for (const QString& dir : parser.values(options.pluginDir))
        pluginOptions.pluginDirs.push_back(dir.toStdString());
    pluginOptions.safeMode = parser.isSet(options.noPlugins);
    livedeck::plugins::installPlugins(pluginOptions);
    if (parser.isSet(options.listPlugins)) {
        livedeck::ui::DashboardHub hub;
        livedeck::consoleplugins::ConsolePlugins consolePlugins(hub);
        std::vector<livedeck::plugins::PluginRecord> all = livedeck::plugins::processPlugins();
        for (const auto& r : consolePlugins.load(pluginOptions))
            all.push_back(r);
        QTextStream(stdout) << QString::fromStdString(livedeck::plugins::formatPluginList(all));
        return 0;
    }

    bool ok = true;
    std::optional<std::uint64_t> seed;
    if (parser.isSet(seedOption)) {
        seed = parser.value(seedOption).toULongLong(&ok);
        if (!ok)
            return fail(QStringLiteral("--seed wants a non-negative integer, got '%1'").arg(parser.value(seedOption)), parser);
    }
    if (parser.isSet(replayOption) && (parser.isSet(drillOption) || parser.isSet(syntheticOption)))
        return fail(QStringLiteral("--replay shows a recording; it cannot be combined with --drill or --synthetic"), parser);
    if (parser.isSet(attachOption)
        && (parser.isSet(replayOption) || parser.isSet(drillOption) || parser.isSet(syntheticOption)))
        return fail(QStringLiteral("--attach shows a remote cluster; it cannot be combined with --replay, --drill or "
                                   "--synthetic"),
                    parser);
    if (parser.isSet(tokenOption) && !parser.isSet(attachOption))
        return fail(QStringLiteral("--token-file goes with --attach"), parser);
    double speed = 0.0;
    if (parser.value(speedOption) != QLatin1String("max")) {
        speed = parser.value(speedOption).toDouble(&ok);
        if (!ok || !(speed > 0.0) || !std::isfinite(speed))
            return fail(QStringLiteral("--speed wants a factor > 0 (e.g. 10 for ×10) or 'max', got '%1'").arg(parser.value(speedOption)),
                        parser);
    }

    livedeck::ui::MainWindowOptions windowOptions;
    windowOptions.startSourceAfterFirstFrame = true;
    livedeck::ui::MainWindow window(windowOptions);
    // Console plugins: their dashboards and inspector views dock beside the built-in
    // panels; Help → Plugins lists every plugin found with its state.
    livedeck::consoleplugins::ConsolePlugins consolePlugins(*window.hub());
    consolePlugins.load(pluginOptions);
    consolePlugins.dock(window);
    livedeck::consoleplugins::installPluginsView(window, [&consolePlugins] {
        std::vector<livedeck::plugins::PluginRecord> all = livedeck::plugins::processPlugins();
        for (const auto& r : consolePlugins.records())
            all.push_back(r);
        return all;
    });
    const std::uint64_t syntheticSeed = seed.value_or(1);
    const auto syntheticFactory = [syntheticSeed, speed] {
        livedeck::ui::EmbeddedOptions options;
        options.seed = syntheticSeed;
        options.speed = speed;
        options.host.afterRunDestroyed = livedeck::app::releaseFreedMemory;
        const auto runFactory = [syntheticSeed] {
            livedeck::host::SyntheticRunConfig config;
            config.seed = syntheticSeed;
            return std::unique_ptr<livedeck::host::HostedRun>(std::make_unique<livedeck::host::SyntheticRun>(config));
        };
        return std::unique_ptr<livedeck::ui::ClusterSource>(std::make_unique<livedeck::ui::EmbeddedCluster>(runFactory, options));
    };
    const auto drillFactory = [seed, speed](const QString& fileOrName, QString* error) {
        livedeck::ui::EmbeddedOptions options;
        options.speed = speed;
        options.host.afterRunDestroyed = livedeck::app::releaseFreedMemory;
        return std::unique_ptr<livedeck::ui::ClusterSource>(livedeck::ui::makeDrillCluster(fileOrName, seed, options, error));
    };
    const QString drill = parser.isSet(drillOption) ? parser.value(drillOption) : consoleDefaultDrill();
    window.setDrillFactory(drillFactory, livedeck::ui::builtinDrillNames(), drill);
#ifdef LIVEDECK_REMOTE
    window.setAttachFactory([&window](const QString& address, const QString& tokenFile, QString* error) {
        return makeRemote(&window, address, tokenFile, error);
    });
#endif
    if (parser.isSet(attachOption)) {
        window.setLiveFactory([drillFactory, drill] { return drillFactory(drill, nullptr); });
        QString error;
        if (!window.attach(parser.value(attachOption), parser.value(tokenOption), &error))
            return fail(QStringLiteral("cannot attach to '%1': %2").arg(parser.value(attachOption), error), parser);
    } else if (parser.isSet(replayOption)) {
        window.setLiveFactory(syntheticFactory);
        QString error;
        if (!window.openRecording(parser.value(replayOption), &error))
            return fail(QStringLiteral("cannot replay '%1': %2").arg(parser.value(replayOption), error), parser);
    } else if (parser.isSet(syntheticOption) || drill.isEmpty()) {
        window.setLiveFactory(syntheticFactory);
        window.startLive();
    } else {
        QString error;
        if (!window.openDrill(drill, &error))
            return fail(QStringLiteral("cannot run drill '%1': %2").arg(drill, error), parser);
        // File → Live world restarts the same drill.
        window.setLiveFactory([drillFactory, drill] { return drillFactory(drill, nullptr); });
    }
    window.show();
    // Start-up time, once: the first UI tick that shows a snapshot.
    auto liveLogged = std::make_shared<QMetaObject::Connection>();
    *liveLogged = QObject::connect(window.hub(), &livedeck::ui::DashboardHub::ticked, &window, [&window, sinceStart, liveLogged] {
        if (window.hub()->snapshotsApplied() == 0)
            return;
        QObject::disconnect(*liveLogged);
        qCInfo(lcWindow).nospace() << "dashboards live after " << sinceStart.elapsed() << " ms";
    });
    // The dock layout may grow the window past a small screen while it settles: keep it
    // on the screen (the docks shrink to their minimum sizes).
    QTimer::singleShot(0, &window, [&window] {
        if (const QScreen* screen = window.screen()) {
            const QSize fit = window.size().boundedTo(screen->availableGeometry().size());
            if (fit != window.size())
                window.resize(fit);
        }
    });
    return app.exec();
}
