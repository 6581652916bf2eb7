// Drill files read with the engine contract's duration (backend/engine/duration.h): the drills
// library uses the engine library's names unqualified.
#pragma once

#include "backend/engine/duration.h"

namespace livedeck::drills {
using namespace ::livedeck::engine;
} // namespace livedeck::drills
