// Drill files read with the engine contract's drill_error (backend/engine/drill_error.h): the drills
// library uses the engine library's names unqualified.
#pragma once

#include "backend/engine/drill_error.h"

namespace livedeck::drills {
using namespace ::livedeck::engine;
} // namespace livedeck::drills
