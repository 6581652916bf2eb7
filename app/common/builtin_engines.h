// The composition point: the engines built into these programs. Each program (and each
// test that runs drills) calls installBuiltinEngines() once at start, before loading a
// drill; plugins add their engines to the same registry afterwards (and may not replace
// these). Which engines are built in is decided by the build: an engine library that is
// left out (LIVEDECK_SKIP_MODULES) is simply not registered, and drills naming it fail
// to load with "unknown engine" at file:line:col.
#pragma once

#include "backend/engine/engine.h"

namespace livedeck::app {

// Registers the built-in engines into `registry` (synthetic, and gifts, messaging, cdn
// when built). Idempotent for engine::processEngines().
void registerBuiltinEngines(engine::EngineRegistry& registry);
// registerBuiltinEngines(engine::processEngines()), once per process.
void installBuiltinEngines();

} // namespace livedeck::app
