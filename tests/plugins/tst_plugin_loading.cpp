// Engine-plugin loading (backend/plugins/plugin_host.h) against a folder of deliberately
// bad plugins: each shows its state and message; refused-by-metadata libraries are never
// mapped into the process; a crash while loading is remembered and disables the plugin
// at the next start; a plugin may not replace a built-in engine; the danmaku plugin
// loads with its id, version and file hash.
#include "app/common/builtin_engines.h"
#include "backend/plugins/plugin_host.h"
#include "backend/plugins/sha256.h"
#include "tests/common/multi_test.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <filesystem>

#include <fstream>

#include <unistd.h>
#include <iterator>

namespace {

using namespace livedeck;
using plugins::PluginRecord;
using plugins::PluginState;

std::string badDir(const char* name) { return std::string(LIVEDECK_TEST_BAD_PLUGINS) + "/" + name; }

plugins::PluginHostOptions onlyDir(const std::string& dir, const QTemporaryDir& state)
{
    plugins::PluginHostOptions o;
    o.pluginDirs = {dir};
    o.useEnvironment = false;
    o.useUserDir = false;
    o.useInstalledDirs = false;
    o.stateDir = state.path().toStdString();
    return o;
}

PluginRecord loadOnly(const std::string& dir, engine::EngineRegistry& registry, const QTemporaryDir& state)
{
    const auto records = plugins::loadEnginePlugins(onlyDir(dir, state), registry);
    if (records.size() == 1)
        return records.front();
    PluginRecord none;
    none.id = "<" + std::to_string(records.size()) + " records>";
    return none;
}

bool mapped(const std::string& libraryName)
{
    std::ifstream maps("/proc/self/maps");
    const std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
    return text.find(libraryName) != std::string::npos;
}

} // namespace

class TstPluginLoading : public QObject {
    Q_OBJECT

private slots:
    void sha256KnownAnswers()
    {
        QCOMPARE(plugins::sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(plugins::sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        // 56 bytes: the padding spills into a second block.
        QCOMPARE(plugins::sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        QCOMPARE(plugins::sha256Hex(std::string(1000, 'a')).substr(0, 16), std::string("41edece42d63e8d9"));
    }

    void plainPluginLoads()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        const PluginRecord r = loadOnly(badDir("plain"), registry, state);
        QCOMPARE(plugins::toString(r.state), "loaded");
        QVERIFY(registry.find("tstplug_plain"));
        const engine::EngineOrigin* origin = registry.origin("tstplug_plain");
        QVERIFY(origin);
        QCOMPARE(origin->pluginId, std::string("tstplug_plain"));
        QCOMPARE(origin->fileSha256, plugins::sha256File(r.libraryFile));
        QCOMPARE(origin->fileSha256.size(), std::size_t(64));
        QVERIFY(mapped("libtstplug_plain.so"));
        // The marker is gone once loading returned.
        QVERIFY(QDir(state.path()).entryList(QDir::Files).isEmpty());
    }

    void apiMismatchRefusedWithoutLoading()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        const PluginRecord r = loadOnly(badDir("api-mismatch"), registry, state);
        QCOMPARE(plugins::toString(r.state), "refused");
        QVERIFY2(r.error.find("built for plugin API 999") != std::string::npos, r.error.c_str());
        QVERIFY(!mapped("libtstplug_api_mismatch.so"));
    }

    void versionMismatchRefusedWithoutLoading()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        const PluginRecord r = loadOnly(badDir("version-mismatch"), registry, state);
        QCOMPARE(plugins::toString(r.state), "refused");
        QVERIFY2(r.error.find("was compiled for livedeck 0.0.1") != std::string::npos, r.error.c_str());
        QVERIFY(!mapped("libtstplug_version_mismatch.so"));
    }

    void wrongKindSkippedWithoutLoading()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        const PluginRecord r = loadOnly(badDir("wrong-kind"), registry, state);
        QCOMPARE(plugins::toString(r.state), "skipped");
        QVERIFY2(r.error.find("a console plugin") != std::string::npos, r.error.c_str());
        QVERIFY(!mapped("libtstplug_wrong_kind.so"));
    }

    void missingSymbolRefusedAtLoad()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        const PluginRecord r = loadOnly(badDir("missing-symbol"), registry, state);
        QCOMPARE(plugins::toString(r.state), "failed");
        QVERIFY2(r.error.find("undefined symbol: livedeck_test_symbol_nobody_defines") != std::string::npos,
                 r.error.c_str());
        QVERIFY(!registry.find("tstplug_missing_symbol"));
    }

    void initFailureIsAnErrorState()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        const PluginRecord r = loadOnly(badDir("init-fails"), registry, state);
        QCOMPARE(plugins::toString(r.state), "refused");
        QVERIFY2(r.error.find("the test plugin fails on purpose") != std::string::npos, r.error.c_str());
        QVERIFY(registry.empty());
        QVERIFY(!mapped("libtstplug_init_fails.so")); // closed again: nothing of it is in use
    }

    void notElfIsAClearError()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        const PluginRecord r = loadOnly(badDir("not-elf"), registry, state);
        QCOMPARE(plugins::toString(r.state), "failed");
        QVERIFY2(r.error.find("cannot load the library") != std::string::npos, r.error.c_str());
        QVERIFY2(r.error.find("ELF") != std::string::npos || r.error.find("too short") != std::string::npos,
                 r.error.c_str());
    }

    void mayNotReplaceABuiltinEngine()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        app::registerBuiltinEngines(registry);
        const engine::EngineFactory* before = registry.find("synthetic");
        QVERIFY(before);
        const PluginRecord r = loadOnly(badDir("replace-builtin"), registry, state);
        QCOMPARE(plugins::toString(r.state), "refused");
        QVERIFY2(r.error.find("synthetic") != std::string::npos, r.error.c_str());
        QCOMPARE(registry.find("synthetic"), before);
        QVERIFY(registry.origin("synthetic")->pluginId.empty());
    }

    void crashWhileLoadingDisablesAtNextStart()
    {
        QTemporaryDir state;
        const QStringList args = {QString::fromStdString(badDir("crash")), state.path()};
        QProcess first;
        first.start(QStringLiteral(LIVEDECK_TEST_PLUGIN_PROBE), args);
        QVERIFY(first.waitForFinished(30000));
        QCOMPARE(first.exitStatus(), QProcess::CrashExit);
        const QStringList markers =
            QDir(state.path()).entryList({QStringLiteral("loading-tstplug_crash.*")}, QDir::Files);
        QCOMPARE(markers.size(), 1); // "loading-<id>.<pid of the crashed process>"

        QProcess second;
        second.start(QStringLiteral(LIVEDECK_TEST_PLUGIN_PROBE), args);
        QVERIFY(second.waitForFinished(30000));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
        const QString out = QString::fromUtf8(second.readAllStandardOutput());
        QVERIFY2(out.contains(QStringLiteral("tstplug_crash\t1.0\tengine\tdisabled\tit crashed while loading")),
                 qPrintable(out));

        // In this process too, without mapping the library.
        engine::EngineRegistry registry;
        const PluginRecord r = loadOnly(badDir("crash"), registry, state);
        QCOMPARE(plugins::toString(r.state), "disabled");
        QVERIFY(!mapped("libtstplug_crash.so"));
    }

    void aMarkerOfARunningProcessIsNoCrash()
    {
        // Another program loading the plugin right now (this process's parent stands in
        // for it) leaves a marker that must not disable the plugin.
        QTemporaryDir state;
        const std::string library = badDir("plain") + "/libtstplug_plain.so";
        const std::string sha = plugins::sha256File(library);
        std::ofstream(state.path().toStdString() + "/loading-tstplug_plain." + std::to_string(::getppid()))
            << library << '\n' << sha << '\n';
        QVERIFY(!plugins::crashMarked(state.path().toStdString(), "tstplug_plain", sha));
        engine::EngineRegistry registry;
        QCOMPARE(plugins::toString(loadOnly(badDir("plain"), registry, state).state), "loaded");
        // The same marker from a process that is gone is a crash.
        std::ofstream(state.path().toStdString() + "/loading-tstplug_plain.999999999") << library << '\n' << sha << '\n';
        QVERIFY(plugins::crashMarked(state.path().toStdString(), "tstplug_plain", sha));
    }

    void safeModeListsWithoutLoading()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        // The crashing plugin, with no marker: loading it would take this process down.
        auto options = onlyDir(badDir("crash"), state);
        options.safeMode = true;
        const auto records = plugins::loadEnginePlugins(options, registry);
        QCOMPARE(records.size(), std::size_t(1));
        QCOMPARE(plugins::toString(records[0].state), "skipped");
        QCOMPARE(records[0].error, std::string("safe mode (--no-plugins)"));
        QVERIFY(!mapped("libtstplug_crash.so"));
    }

    void searchOrderAndShadowing()
    {
        QTemporaryDir state;
        qputenv("LIVEDECK_PLUGIN_PATH", QByteArray(LIVEDECK_TEST_BAD_PLUGINS) + "/plain:/nonexistent");
        plugins::PluginHostOptions o = onlyDir(badDir("plain"), state);
        o.useEnvironment = true;
        const auto dirs = plugins::searchPath(o);
        qunsetenv("LIVEDECK_PLUGIN_PATH");
        QCOMPARE(dirs.size(), std::size_t(2)); // the duplicate is dropped, order kept
        QCOMPARE(dirs[0], badDir("plain"));
        QCOMPARE(dirs[1], std::string("/nonexistent"));

        // The same id in two directories: the first wins, the second is listed as shadowed.
        QTemporaryDir copy;
        QVERIFY(QFile::copy(QString::fromStdString(badDir("plain") + "/tstplug_plain.livedeck-plugin.json"),
                            copy.path() + QStringLiteral("/tstplug_plain.livedeck-plugin.json")));
        QVERIFY(QFile::copy(QString::fromStdString(badDir("plain") + "/libtstplug_plain.so"),
                            copy.path() + QStringLiteral("/libtstplug_plain.so")));
        engine::EngineRegistry registry;
        o.useEnvironment = false;
        o.pluginDirs = {copy.path().toStdString(), badDir("plain")};
        const auto records = plugins::loadEnginePlugins(o, registry);
        QCOMPARE(records.size(), std::size_t(2));
        QCOMPARE(plugins::toString(records[0].state), "loaded");
        QCOMPARE(plugins::toString(records[1].state), "shadowed");
        const std::string list = plugins::formatPluginList(records);
        QVERIFY2(list.find("tstplug_plain\t1.0\tengine\tshadowed\t") != std::string::npos, list.c_str());
    }

    void searchOrderOfAllSources()
    {
        // --plugin-dir (in order), LIVEDECK_PLUGIN_PATH, the user's XDG data dir, then the
        // installed dir relative to the executable and the build tree's.
        qputenv("LIVEDECK_PLUGIN_PATH", QByteArray("/env/a:/env/b"));
        qputenv("XDG_DATA_HOME", QByteArray("/xdg-data"));
        plugins::PluginHostOptions o;
        o.pluginDirs = {"/cli/one", badDir("plain"), badDir("plain") + "/.", "/cli/two"};
        auto dirs = plugins::searchPath(o);
        const std::string exe = QCoreApplication::applicationDirPath().toStdString();
        QCOMPARE(dirs.size(), std::size_t(8)); // "<plain>/." is <plain> again: dropped
        QCOMPARE(dirs[0], std::string("/cli/one"));
        QCOMPARE(dirs[1], badDir("plain"));
        QCOMPARE(dirs[2], std::string("/cli/two"));
        QCOMPARE(dirs[3], std::string("/env/a"));
        QCOMPARE(dirs[4], std::string("/env/b"));
        QCOMPARE(dirs[5], std::string("/xdg-data/livedeck/plugins"));
        QVERIFY2(dirs[6].find("lib/livedeck/plugins") != std::string::npos, dirs[6].c_str());
        // The build tree: this test program sits in <build>/tests/plugins/.
        QCOMPARE(QDir(QString::fromStdString(dirs[7])).canonicalPath(),
                 QDir(QString::fromStdString(std::string(LIVEDECK_TEST_PLUGIN_BUILD_DIR))).canonicalPath());
        QVERIFY2(dirs[7].rfind(std::filesystem::path(exe).parent_path().parent_path().string(), 0) == 0, dirs[7].c_str());
        // The node searches no user directory.
        o.useUserDir = false;
        dirs = plugins::searchPath(o);
        qunsetenv("LIVEDECK_PLUGIN_PATH");
        qunsetenv("XDG_DATA_HOME");
        QCOMPARE(dirs.size(), std::size_t(7));
        QVERIFY(std::find(dirs.begin(), dirs.end(), std::string("/xdg-data/livedeck/plugins")) == dirs.end());
    }

    void danmakuLoadsWithItsOrigin()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry;
        app::registerBuiltinEngines(registry);
        const PluginRecord r =
            loadOnly(std::string(LIVEDECK_TEST_PLUGIN_BUILD_DIR) + "/danmaku", registry, state);
        QCOMPARE(plugins::toString(r.state), "loaded");
        QCOMPARE(r.engines, std::vector<std::string>{"danmaku"});
        const engine::EngineFactory* f = registry.find("danmaku");
        QVERIFY(f);
        const v1::EngineDescriptor d = f->describe();
        QCOMPARE(d.plugin_id(), std::string("danmaku"));
        QVERIFY(d.tiles_size() >= 3);
        QCOMPARE(d.invariants_size(), 1);
        QVERIFY(f->offersMetric("danmaku.moderation.queue"));
        QCOMPARE(registry.origin("danmaku")->fileSha256, plugins::sha256File(r.libraryFile));
    }

    void danmakuNeedsTheGiftEngine()
    {
        QTemporaryDir state;
        engine::EngineRegistry registry; // no built-in engines: "gifts" is missing
        const PluginRecord r =
            loadOnly(std::string(LIVEDECK_TEST_PLUGIN_BUILD_DIR) + "/danmaku", registry, state);
        QCOMPARE(plugins::toString(r.state), "refused");
        QVERIFY2(r.error.find("requires engine 'gifts'") != std::string::npos, r.error.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstPluginLoading)
#include "tst_plugin_loading.moc"
