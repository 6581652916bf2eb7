// DrillLoader: reads a drill file (YAML, docs/DRILLS.md) into a DrillSpec, strictly.
// Every problem is reported once, as "file:line:col: message" in an InvalidArgument
// status, where the message says what was expected (the allowed keys, the fault
// vocabulary, the duration syntax, the engines, ...). Engine sections and load entries
// are validated by the factory of the engine they name (engine.h).
//
// What the loader cannot know — whether fault targets and component filters match
// components — is checked by DrillRun::create once the world and engines are built,
// with the same file positions. `livedeckctl drill validate` does both.
//
// Never crashes on any input (fuzzed: tests/fuzz/fuzz_drill_loader.cpp). Limits keep
// hostile files cheap: at most kMaxFileBytes of text, kMaxListItems entries per list.
// Thread-safe (no shared state).
#pragma once

#include "backend/drills/drill_spec.h"
#include "backend/drills/engine.h"

#include <absl/status/statusor.h>

#include <string>
#include <string_view>

namespace livedeck::drills {

inline constexpr std::size_t kMaxFileBytes = 1 << 20; // 1 MiB
inline constexpr std::size_t kMaxListItems = 10'000;
inline constexpr int kMaxRegions = 32;
inline constexpr double kMaxRandomFaultsPerSet = 10'000; // expected count of one random set

// `fileName` is used in messages and kept in the spec; `text` is kept verbatim.
absl::StatusOr<DrillSpec> loadDrill(std::string_view text, std::string_view fileName,
                                    const EngineRegistry& engines = processEngines());
// Reads the file first (NotFound / PermissionDenied naming it when it cannot be read).
absl::StatusOr<DrillSpec> loadDrillFile(const std::string& path, const EngineRegistry& engines = processEngines());

// The name every drill may list under `invariants:` besides the engines' own: no event
// of severity VIOLATION was raised during the run.
inline constexpr std::string_view kNoViolationsInvariant = "drill.no-violations";

} // namespace livedeck::drills
