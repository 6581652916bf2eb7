#include "backend/drills/engine.h"
#include "backend/drills/synthetic_engine.h"

#if LIVEDECK_DRILLS_WITH_GIFTS
#include "backend/drills/gifts_drill_engine.h"
#endif

namespace livedeck::drills {

// The hook for engines: each engine library's drill adapter adds its factory here.
// The gift engine's adapter (gifts_drill_engine.cpp) is compiled when backend/gifts
// provides its GiftsEngine API (see CMakeLists.txt).
const EngineRegistry& builtinEngines()
{
    static const EngineRegistry registry = [] {
        EngineRegistry r;
        r.add(makeSyntheticEngineFactory());
#if LIVEDECK_DRILLS_WITH_GIFTS
        r.add(makeGiftsEngineFactory());
#endif
        return r;
    }();
    return registry;
}

} // namespace livedeck::drills
