#include "backend/plugins/plugin_host.h"

#include "backend/plugins/sdk_adapter.h"
#include "backend/plugins/sha256.h"
#include "backend/sim/strings.h"
#include "livedeck_sdk/engine.h"

#include <yaml-cpp/yaml.h>

#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#ifndef LIVEDECK_VERSION_STRING
#define LIVEDECK_VERSION_STRING "0.0.0"
#endif
#ifndef LIVEDECK_BUILD_ID_STRING
#define LIVEDECK_BUILD_ID_STRING "unknown"
#endif
#ifndef LIVEDECK_PLUGIN_INSTALL_REL
#define LIVEDECK_PLUGIN_INSTALL_REL "../lib/livedeck/plugins"
#endif

namespace fs = std::filesystem;

namespace livedeck::plugins {
namespace {

constexpr std::string_view kMetadataSuffix = ".livedeck-plugin.json";

void logLine(const std::string& text) { std::cerr << "livedeck.plugins: " << text << '\n'; }

std::string envOr(const char* name)
{
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

std::string executableDir()
{
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

std::vector<std::string> metadataFiles(const std::string& dir)
{
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return out;
    auto scan = [&out](const fs::path& d) {
        std::error_code e;
        for (const fs::directory_entry& entry : fs::directory_iterator(d, e)) {
            const std::string name = entry.path().filename().string();
            if (entry.is_regular_file(e) && name.size() > kMetadataSuffix.size()
                && name.ends_with(kMetadataSuffix))
                out.push_back(entry.path().string());
        }
    };
    scan(dir);
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
        std::error_code e;
        if (entry.is_directory(e))
            scan(entry.path());
    }
    std::sort(out.begin(), out.end()); // directory order is not stable
    return out;
}

// One marker per loading process: "loading-<id>.<pid>". A marker of a process that is
// still running is a load in progress (two programs may start at once), not a crash.
std::string markerPrefix(const std::string& id) { return "loading-" + id + "."; }
std::string markerPath(const std::string& stateDir, const std::string& id)
{
    return stateDir + "/" + markerPrefix(id) + std::to_string(::getpid());
}

bool processAlive(long pid)
{
    if (pid <= 0)
        return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// The marker's library hash, when a marker for `id` exists.
bool readMarker(const std::string& path, std::string& sha)
{
    std::ifstream in(path);
    if (!in)
        return false;
    std::string file;
    std::getline(in, file);
    std::getline(in, sha);
    return true;
}

class Registrar final : public sdk::Registrar {
public:
    Registrar(engine::EngineRegistry& registry, engine::EngineOrigin origin)
        : m_registry(registry), m_origin(std::move(origin))
    {
    }
    bool addEngine(std::shared_ptr<const sdk::EngineFactory> factory, std::string& error) override
    {
        if (!factory) {
            error = "no factory";
            return false;
        }
        auto adapted = adaptEngineFactory(std::move(factory), m_origin);
        const std::string name(adapted->name());
        absl::Status st = m_registry.add(std::move(adapted), m_origin);
        if (!st.ok()) {
            error = std::string(st.message());
            return false;
        }
        engines.push_back(name);
        return true;
    }
    std::vector<std::string> engines;

private:
    engine::EngineRegistry& m_registry;
    engine::EngineOrigin m_origin;
};

// Loads one plugin whose metadata passed; fills state and error.
void loadOne(PluginRecord& r, const PluginMetadata& meta, const std::string& stateDir,
             engine::EngineRegistry& registry)
{
    std::string marker;
    if (crashMarked(stateDir, meta.id, r.sha256, &marker)) {
        r.state = PluginState::Disabled;
        r.error = sim::strCat("it crashed while loading at an earlier start (marker ", marker,
                              "); remove the marker or replace the library to try again");
        return;
    }
    writeCrashMarker(stateDir, meta.id, r.libraryFile, r.sha256);
    auto done = [&] { clearCrashMarker(stateDir, meta.id); };

    ::dlerror();
    void* handle = ::dlopen(r.libraryFile.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = ::dlerror();
        r.state = PluginState::Failed;
        r.error = sim::strCat("cannot load the library: ", why ? why : "unknown error");
        done();
        return;
    }
    auto entry = reinterpret_cast<LivedeckEnginePluginEntryFn>(::dlsym(handle, LIVEDECK_ENGINE_PLUGIN_ENTRY));
    if (!entry) {
        r.state = PluginState::Refused;
        r.error = sim::strCat("the library exports no ", LIVEDECK_ENGINE_PLUGIN_ENTRY, "() entry point");
        ::dlclose(handle);
        done();
        return;
    }
    const LivedeckEnginePlugin* info = entry();
    if (!info) {
        r.state = PluginState::Refused;
        r.error = "the entry point returned nothing";
        ::dlclose(handle);
        done();
        return;
    }
    r.buildId = info->buildId ? info->buildId : "";
    if (info->abi != sdk::kApiVersion) {
        r.state = PluginState::Refused;
        r.error = sim::strCat("the library was built for plugin ABI ", info->abi, ", this livedeck has ",
                              sdk::kApiVersion, " (the metadata said ", meta.api, ")");
        ::dlclose(handle);
        done();
        return;
    }
    if (!info->pluginId || meta.id != info->pluginId || !info->version || meta.version != info->version) {
        r.state = PluginState::Refused;
        r.error = sim::strCat("the library says it is ", info->pluginId ? info->pluginId : "?", " ",
                              info->version ? info->version : "?", ", its metadata ", meta.id, " ", meta.version);
        ::dlclose(handle);
        done();
        return;
    }
    engine::EngineOrigin origin{meta.id, meta.version, r.sha256};
    Registrar registrar(registry, origin);
    std::string error;
    bool ok = false;
    try {
        ok = info->registerEngines && info->registerEngines(&registrar, &error);
    } catch (const std::exception& e) {
        error = sim::strCat("registering threw: ", e.what());
    } catch (...) {
        error = "registering threw";
    }
    done();
    r.engines = registrar.engines;
    if (!ok) {
        // Engines it registered before failing stay registered (the registry cannot
        // remove them), and so does the library; they are listed with the error.
        if (r.engines.empty())
            ::dlclose(handle);
        r.state = PluginState::Refused;
        r.error = sim::strCat("registering its engines failed: ", error.empty() ? "no reason given" : error);
        return;
    }
    // The library stays loaded for the life of the process (its factories live in the registry).
    r.state = PluginState::Loaded;
}

} // namespace

bool crashMarked(const std::string& stateDir, const std::string& id, const std::string& sha256, std::string* path)
{
    std::error_code ec;
    std::vector<std::string> markers;
    for (const fs::directory_entry& e : fs::directory_iterator(stateDir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(markerPrefix(id), 0) == 0)
            markers.push_back(e.path().string());
    }
    std::sort(markers.begin(), markers.end());
    for (const std::string& marker : markers) {
        const std::string pidText = marker.substr(marker.rfind('.') + 1);
        char* end = nullptr;
        const long pid = std::strtol(pidText.c_str(), &end, 10);
        if (!end || *end != '\0' || pid == static_cast<long>(::getpid()) || processAlive(pid))
            continue;
        std::string markedSha;
        if (!readMarker(marker, markedSha) || markedSha != sha256)
            continue;
        if (path)
            *path = marker;
        return true;
    }
    return false;
}

void writeCrashMarker(const std::string& stateDir, const std::string& id, const std::string& libraryFile,
                      const std::string& sha256)
{
    const std::string marker = markerPath(stateDir, id);
    std::error_code ec;
    fs::create_directories(stateDir, ec);
    std::ofstream out(marker, std::ios::trunc);
    out << libraryFile << '\n' << sha256 << '\n';
    out.flush();
    if (!out)
        logLine(sim::strCat("cannot write the crash marker ", marker, ": a crash while loading ", id,
                            " would not be remembered"));
}

void clearCrashMarker(const std::string& stateDir, const std::string& id)
{
    std::error_code ec;
    fs::remove(markerPath(stateDir, id), ec);
}

const char* livedeckVersion() { return LIVEDECK_VERSION_STRING; }
const char* livedeckBuildId() { return LIVEDECK_BUILD_ID_STRING; }

const char* toString(PluginState state)
{
    switch (state) {
    case PluginState::Loaded:
        return "loaded";
    case PluginState::Refused:
        return "refused";
    case PluginState::Failed:
        return "failed";
    case PluginState::Disabled:
        return "disabled";
    case PluginState::Shadowed:
        return "shadowed";
    case PluginState::Skipped:
        return "skipped";
    }
    return "?";
}

bool readMetadata(const std::string& path, PluginMetadata& out, std::string& error)
{
    YAML::Node root;
    try {
        root = YAML::LoadFile(path); // JSON is read as YAML's flow syntax
    } catch (const YAML::Exception& e) {
        error = sim::strCat("bad metadata: ", e.what());
        return false;
    }
    if (!root.IsMap()) {
        error = "bad metadata: expected a JSON object";
        return false;
    }
    auto text = [&](const char* key, std::string& into) {
        const YAML::Node v = root[key];
        if (!v || !v.IsScalar() || v.Scalar().empty()) {
            if (error.empty())
                error = sim::strCat("bad metadata: '", key, "' is missing or not a string");
            return;
        }
        into = v.Scalar();
    };
    error.clear();
    text("id", out.id);
    text("name", out.name);
    text("version", out.version);
    text("livedeck", out.livedeck);
    text("kind", out.kind);
    std::string api;
    text("api", api);
    if (out.kind == "engine")
        text("library", out.library);
    if (!error.empty())
        return false;
    char* end = nullptr;
    const long a = std::strtol(api.c_str(), &end, 10);
    if (!end || *end != '\0' || a <= 0) {
        error = sim::strCat("bad metadata: 'api' must be a positive integer, got '", api, "'");
        return false;
    }
    out.api = static_cast<int>(a);
    if (const YAML::Node req = root["requires"]) {
        if (!req.IsSequence()) {
            error = "bad metadata: 'requires' must be a list of engine names";
            return false;
        }
        for (const YAML::Node& n : req)
            out.requiredEngines.push_back(n.Scalar());
    }
    return true;
}

std::string stateDirectory(const PluginHostOptions& options)
{
    if (!options.stateDir.empty())
        return options.stateDir;
    if (std::string v = envOr("LIVEDECK_PLUGIN_STATE_DIR"); !v.empty())
        return v;
    if (std::string v = envOr("XDG_STATE_HOME"); !v.empty())
        return v + "/livedeck/plugins";
    if (std::string v = envOr("HOME"); !v.empty())
        return v + "/.local/state/livedeck/plugins";
    return "/tmp/livedeck-plugins-state";
}

std::vector<std::string> searchPath(const PluginHostOptions& options)
{
    std::vector<std::string> dirs = options.pluginDirs;
    if (options.useEnvironment) {
        std::stringstream env(envOr("LIVEDECK_PLUGIN_PATH"));
        std::string part;
        while (std::getline(env, part, ':')) {
            if (!part.empty())
                dirs.push_back(part);
        }
    }
    if (options.useUserDir) {
        if (std::string v = envOr("XDG_DATA_HOME"); !v.empty())
            dirs.push_back(v + "/livedeck/plugins");
        else if (std::string h = envOr("HOME"); !h.empty())
            dirs.push_back(h + "/.local/share/livedeck/plugins");
    }
    if (options.useInstalledDirs) {
        const std::string exe = executableDir();
        if (!exe.empty()) {
            dirs.push_back((fs::path(exe) / LIVEDECK_PLUGIN_INSTALL_REL).lexically_normal().string());
            // The build tree: programs sit in <build>/app/<program>/, tests in
            // <build>/tests/<folder>/; plugins are built into <build>/lib/livedeck/plugins.
            dirs.push_back((fs::path(exe) / "../../lib/livedeck/plugins").lexically_normal().string());
        }
    }
    // One directory named twice (relative and absolute, through a link) is searched once.
    std::vector<std::string> unique;
    std::vector<std::string> seen;
    for (std::string& d : dirs) {
        std::error_code ec;
        std::string key = fs::weakly_canonical(fs::path(d), ec).string();
        if (ec)
            key = d;
        if (std::find(seen.begin(), seen.end(), key) == seen.end()) {
            seen.push_back(std::move(key));
            unique.push_back(std::move(d));
        }
    }
    return unique;
}

std::vector<PluginRecord> loadEnginePlugins(const PluginHostOptions& options, engine::EngineRegistry& registry)
{
    const std::string hostVersion = options.hostVersion.empty() ? livedeckVersion() : options.hostVersion;
    const std::string stateDir = stateDirectory(options);
    std::vector<PluginRecord> records;
    std::vector<PluginMetadata> metas; // parallel to records
    std::vector<std::size_t> pending;
    std::vector<std::string> seenFiles; // a directory and its parent both searched: one record per file
    for (const std::string& dir : searchPath(options)) {
        for (const std::string& file : metadataFiles(dir)) {
            std::error_code ec;
            std::string canonical = fs::weakly_canonical(fs::path(file), ec).string();
            if (ec)
                canonical = file;
            if (std::find(seenFiles.begin(), seenFiles.end(), canonical) != seenFiles.end())
                continue;
            seenFiles.push_back(std::move(canonical));
            PluginRecord r;
            r.metadataFile = file;
            PluginMetadata meta;
            std::string error;
            if (!readMetadata(file, meta, error)) {
                r.state = PluginState::Refused;
                r.error = error;
                r.id = fs::path(file).filename().string();
                r.id.resize(r.id.size() - kMetadataSuffix.size());
            } else {
                r.id = meta.id;
                r.version = meta.version;
                r.kind = meta.kind;
                if (!meta.library.empty()) {
                    r.libraryFile = (fs::path(file).parent_path() / meta.library).string();
                    r.sha256 = sha256File(r.libraryFile);
                }
                bool shadowed = false;
                for (const PluginRecord& earlier : records)
                    shadowed = shadowed || (earlier.id == r.id && earlier.state != PluginState::Shadowed);
                if (shadowed) {
                    r.state = PluginState::Shadowed;
                    r.error = "a plugin with this id was found earlier in the search path";
                } else if (meta.kind != "engine") {
                    r.state = PluginState::Skipped;
                    r.error = sim::strCat("a ", meta.kind, " plugin: not loaded by the engine-plugin loader");
                } else if (meta.api != static_cast<int>(sdk::kApiVersion)) {
                    r.state = PluginState::Refused;
                    r.error = sim::strCat("built for plugin API ", meta.api, ", this livedeck has API ",
                                          sdk::kApiVersion);
                } else if (meta.livedeck != hostVersion) {
                    r.state = PluginState::Refused;
                    r.error = sim::strCat("was compiled for livedeck ", meta.livedeck, ", this is livedeck ",
                                          hostVersion);
                } else if (r.sha256.empty()) {
                    r.state = PluginState::Failed;
                    r.error = sim::strCat("cannot read the library ", r.libraryFile);
                } else if (options.safeMode) {
                    r.state = PluginState::Skipped;
                    r.error = "safe mode (--no-plugins)";
                } else {
                    pending.push_back(records.size());
                }
            }
            records.push_back(std::move(r));
            metas.push_back(std::move(meta));
        }
    }
    // Load in search order; a plugin whose required engines are not registered yet waits
    // for the others, and is refused when no progress is left.
    bool progress = true;
    while (!pending.empty() && progress) {
        progress = false;
        std::vector<std::size_t> waiting;
        for (std::size_t i : pending) {
            bool ready = true;
            for (const std::string& e : metas[i].requiredEngines)
                ready = ready && registry.find(e) != nullptr;
            if (!ready) {
                waiting.push_back(i);
                continue;
            }
            loadOne(records[i], metas[i], stateDir, registry);
            progress = true;
        }
        pending = std::move(waiting);
    }
    for (std::size_t i : pending) {
        std::string missing;
        for (const std::string& e : metas[i].requiredEngines) {
            if (!registry.find(e))
                missing += (missing.empty() ? "'" : ", '") + e + "'";
        }
        records[i].state = PluginState::Refused;
        records[i].error = sim::strCat("requires engine ", missing, ", which no built-in engine or plugin provides");
    }
    for (const PluginRecord& r : records) {
        if (r.state != PluginState::Loaded && r.state != PluginState::Skipped)
            logLine(sim::strCat(r.id, " ", r.version, " (", r.metadataFile, "): ", toString(r.state), ": ", r.error));
    }
    return records;
}

namespace {
std::vector<PluginRecord>& processRecords()
{
    static std::vector<PluginRecord> records;
    return records;
}
} // namespace

const std::vector<PluginRecord>& processPlugins() { return processRecords(); }

void installPlugins(const PluginHostOptions& options)
{
    static bool installed = false;
    if (installed)
        return;
    installed = true;
    processRecords() = loadEnginePlugins(options, engine::processEngines());
}

bool takePluginArguments(std::vector<std::string>& args, PluginHostOptions& options, bool& list, std::string& error)
{
    std::vector<std::string> rest;
    bool ended = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (i == 0 || ended) {
            rest.push_back(a);
            continue;
        }
        if (a == "--") {
            ended = true;
            rest.push_back(a);
        } else if (a == "--no-plugins") {
            options.safeMode = true;
        } else if (a == "--list-plugins") {
            list = true;
        } else if (a == "--plugin-dir") {
            if (i + 1 >= args.size() || args[i + 1].empty()) {
                error = "--plugin-dir needs a directory";
                return false;
            }
            options.pluginDirs.push_back(args[++i]);
        } else if (a.rfind("--plugin-dir=", 0) == 0) {
            const std::string dir = a.substr(13);
            if (dir.empty()) {
                error = "--plugin-dir needs a directory";
                return false;
            }
            options.pluginDirs.push_back(dir);
        } else {
            rest.push_back(a);
        }
    }
    args = std::move(rest);
    return true;
}

const char* pluginOptionsHelp()
{
    return "  --plugin-dir DIR   also load plugins from DIR (repeatable; searched before LIVEDECK_PLUGIN_PATH,\n"
           "                     the user's and the installed plugin directories)\n"
           "  --no-plugins       safe mode: load no plugin\n"
           "  --list-plugins     list the plugins found (id, version, kind, state, error, file) and exit\n";
}

std::string formatPluginList(const std::vector<PluginRecord>& records)
{
    std::string out = "id\tversion\tkind\tstate\terror\tfile\n";
    for (const PluginRecord& r : records) {
        out += sim::strCat(r.id, "\t", r.version.empty() ? "-" : r.version, "\t", r.kind.empty() ? "-" : r.kind, "\t",
                           toString(r.state), "\t", r.error.empty() ? "-" : r.error, "\t",
                           r.libraryFile.empty() ? r.metadataFile : r.libraryFile, "\n");
    }
    return out;
}

} // namespace livedeck::plugins
