// The drills library runs engines through the engine contract (backend/engine/engine.h):
// DrillLoader validates `engines.<name>` and `load:` entries with the factory they
// name; DrillRun builds the engines on its world and drives them (load phases, operator
// commands, invariant checks). Which engines exist is the program's choice: the
// registry it fills at start (engine::processEngines(), app/common/builtin_engines.h).
#pragma once

#include "backend/engine/engine.h"
#include "backend/engine/shared.h"

namespace livedeck::drills {
using namespace ::livedeck::engine;
} // namespace livedeck::drills
