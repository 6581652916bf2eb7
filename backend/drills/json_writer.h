// Drill files read with the engine contract's json_writer (backend/engine/json_writer.h): the drills
// library uses the engine library's names unqualified.
#pragma once

#include "backend/engine/json_writer.h"

namespace livedeck::drills {
using namespace ::livedeck::engine;
} // namespace livedeck::drills
