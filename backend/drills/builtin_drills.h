// The built-in drills: resources/drills/*.yaml compiled into the library (the bytes of
// each file become a constant array at configure time, see CMakeLists.txt), so every
// program lists and runs them without resource files. `livedeckctl drill list` shows
// them; `drill run NAME` runs one. A sabotage twin (sabotage_of: X) switches off the
// mechanism drill X exercises and must fail its expectations.
//
// resolveDrill() is how programs read a drill argument: an existing file path first,
// else the name of a built-in drill. Thread-safe (immutable data).
#pragma once

#include "backend/drills/drill_spec.h"

#include <absl/status/statusor.h>

#include <string>
#include <string_view>
#include <vector>

namespace livedeck::drills {

namespace detail {
struct BuiltinDrillFile {
    std::string_view name;     // the file's stem ("gala")
    std::string_view fileName; // "resources/drills/gala.yaml"
    std::string_view text;
};
const std::vector<BuiltinDrillFile>& builtinDrillFiles(); // generated
} // namespace detail

struct BuiltinDrill {
    std::string name;        // the file's stem, which is also the drill's name
    std::string fileName;    // "resources/drills/gala.yaml"
    std::string_view text;
    std::string description; // first line of the drill's description
    std::string sabotageOf;  // empty unless a sabotage twin
    std::string error;       // the loader's message when the file does not load (a build defect)
    // The engines the file names (the keys of its `engines:` section, in file order),
    // read without the engine registry: a drill whose engine this build lacks still
    // says which one it needs.
    std::vector<std::string> engines;
};

// By name, each sabotage twin right after the drill it sabotages. Loaded once, on the
// first call, against processEngines(): call it after the program registered its
// engines (app/common/builtin_engines.h), or every drill reads "unknown engine".
const std::vector<BuiltinDrill>& builtinDrills();
// The built-in drills that do not load (each with its file:line:col error), in the
// order of builtinDrills(); empty in a sound build.
std::vector<const BuiltinDrill*> brokenBuiltinDrills();
const BuiltinDrill* findBuiltinDrill(std::string_view name);
// The drill programs open when none is named: `preferred` when it loads in this build
// (its engines are registered), else the first built-in drill that loads; empty when
// none does. A build without an engine (LIVEDECK_SKIP_MODULES) still starts.
std::string defaultBuiltinDrill(std::string_view preferred = "gala");

// A path to a drill file, or the name of a built-in drill. NotFound names both tries.
absl::StatusOr<DrillSpec> resolveDrill(const std::string& fileOrName);

} // namespace livedeck::drills
