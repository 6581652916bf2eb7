// Drill files read with the engine contract's yaml_reader (backend/engine/yaml_reader.h): the drills
// library uses the engine library's names unqualified.
#pragma once

#include "backend/engine/yaml_reader.h"

namespace livedeck::drills {
using namespace ::livedeck::engine;
} // namespace livedeck::drills
