// Engine-plugin loading for the three programs (no Qt: livedeckd and livedeckctl load
// engine plugins too). A plugin is a shared library plus a sidecar metadata file
// "<name>.livedeck-plugin.json" next to it:
//   {"id": "danmaku", "name": "...", "version": "0.1.0", "api": 1, "livedeck": "0.1.0",
//    "kind": "engine", "library": "libdanmaku.so", "requires": ["gifts"]}
// The metadata is read and checked before anything is loaded: a wrong kind, API version
// or livedeck version is refused without dlopen (as Qt Creator and Wireshark refuse
// plugins built for another version). Then the library is loaded with RTLD_NOW (a
// missing symbol is refused at load, not a crash at first use), its one C entry point
// (livedeck_sdk/engine.h) is checked against the metadata (ABI, id, version), and its
// engines are registered into the registry through the SDK adapter (sdk_adapter.h); a
// plugin may not replace an engine that exists (EngineRegistry::add refuses).
//
// A crash while loading cannot be caught, so it is remembered: before loading, a marker
// naming the plugin, its file hash and the loading process is written to the state
// directory; it is removed once loading returned. A marker found at the next start disables that plugin (state
// Disabled, the reason told) until the marker is removed or the library changes.
//
// Search order (searchPath()): --plugin-dir directories in the order given,
// LIVEDECK_PLUGIN_PATH (colon-separated), the user's data dir ($XDG_DATA_HOME/livedeck/
// plugins, programs run by a user only), the installed plugin dir relative to the
// executable, and the build tree's. Each directory is scanned for metadata files in it
// and in its subdirectories one level down. The first plugin with an id wins; later
// ones with the same id are listed as Shadowed.
#pragma once

#include "backend/engine/engine.h"

#include <string>
#include <vector>

namespace livedeck::plugins {

struct PluginMetadata {
    std::string id;
    std::string name;
    std::string version;
    int api = 0;
    std::string livedeck;   // the livedeck version it was built for
    std::string kind;       // "engine" (console plugins carry compiled-in metadata)
    std::string library;    // file name, relative to the metadata file
    std::vector<std::string> requiredEngines; // engines that must be registered first
};

// Reads a sidecar file; false with `error` set on bad JSON or missing fields.
bool readMetadata(const std::string& path, PluginMetadata& out, std::string& error);

enum class PluginState {
    Loaded,      // its engines are registered
    Refused,     // metadata, version, entry point or registration refused it
    Failed,      // the library did not load (not a library, a missing symbol)
    Disabled,    // it crashed while loading at an earlier start
    Shadowed,    // an earlier directory holds a plugin with the same id
    Skipped,     // safe mode, or not an engine plugin
};
const char* toString(PluginState state);

struct PluginRecord {
    std::string id;
    std::string version;
    std::string kind;
    PluginState state = PluginState::Refused;
    std::string error;
    std::string metadataFile;
    std::string libraryFile;
    std::string sha256;
    std::string buildId;               // what its entry point says it was built against
    std::vector<std::string> engines;  // registered engine names
};

struct PluginHostOptions {
    std::vector<std::string> pluginDirs; // --plugin-dir, in order
    bool useEnvironment = true;          // LIVEDECK_PLUGIN_PATH
    bool useUserDir = true;              // $XDG_DATA_HOME/livedeck/plugins (console, CLI)
    bool useInstalledDirs = true;        // relative to the executable, and the build tree
    bool safeMode = false;               // --no-plugins: list, load nothing
    // Where crash markers go; empty: $LIVEDECK_PLUGIN_STATE_DIR, else
    // $XDG_STATE_HOME/livedeck/plugins, else ~/.local/state/livedeck/plugins.
    std::string stateDir;
    std::string hostVersion;             // empty: this build's livedeck version
};

// The directories searched, in order, for these options.
std::vector<std::string> searchPath(const PluginHostOptions& options);
std::string stateDirectory(const PluginHostOptions& options);

// Discovers and loads engine plugins into `registry`. Never throws; every plugin seen
// gets a record. Problems also go to the log (stderr, "livedeck.plugins: ...").
std::vector<PluginRecord> loadEnginePlugins(const PluginHostOptions& options, engine::EngineRegistry& registry);

// The programs' plugin options, taken out of a command line (args[0] is the program;
// everything after "--" is left alone): --plugin-dir DIR / --plugin-dir=DIR
// (repeatable), --no-plugins (safe mode), --list-plugins (sets `list`). False with
// `error` set on a --plugin-dir without a directory.
bool takePluginArguments(std::vector<std::string>& args, PluginHostOptions& options, bool& list, std::string& error);
// The help lines of those options, for the programs' --help.
const char* pluginOptionsHelp();

// The process's plugins, loaded once into engine::processEngines() by installPlugins().
const std::vector<PluginRecord>& processPlugins();
void installPlugins(const PluginHostOptions& options);

// Crash markers (the engine and the console loader share them): a marker
// "loading-<id>.<pid>" names the plugin's library and its SHA-256; crashMarked() is true
// when one for `id` exists with the same hash from a process that is no longer running
// (a replaced library is tried again; a program loading the plugin right now is not a
// crash).
bool crashMarked(const std::string& stateDir, const std::string& id, const std::string& sha256,
                 std::string* markerPath = nullptr);
void writeCrashMarker(const std::string& stateDir, const std::string& id, const std::string& libraryFile,
                      const std::string& sha256);
void clearCrashMarker(const std::string& stateDir, const std::string& id);

// A table of records for --list-plugins: id, version, kind, state, error, file.
std::string formatPluginList(const std::vector<PluginRecord>& records);

// The build's livedeck version ("0.1.0") and build id ("0.1.0+abcdef123456").
const char* livedeckVersion();
const char* livedeckBuildId();

} // namespace livedeck::plugins
