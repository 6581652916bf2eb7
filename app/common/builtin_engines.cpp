#include "app/common/builtin_engines.h"

#include "backend/drills/synthetic_engine.h"

#if LIVEDECK_WITH_GIFTS
#include "backend/gifts/gifts_drill_engine.h"
#endif
#if LIVEDECK_WITH_MESSAGING
#include "backend/messaging/messaging_drill_engine.h"
#endif
#if LIVEDECK_WITH_CDN
#include "backend/cdn/cdn_drill_engine.h"
#endif

#include <cstdio>
#include <mutex>

namespace livedeck::app {
namespace {

void addOrReport(engine::EngineRegistry& registry, std::shared_ptr<const engine::EngineFactory> factory)
{
    if (registry.find(factory->name()))
        return;
    if (absl::Status st = registry.add(std::move(factory)); !st.ok())
        std::fprintf(stderr, "livedeck: %s\n", std::string(st.message()).c_str());
}

} // namespace

void registerBuiltinEngines(engine::EngineRegistry& registry)
{
    addOrReport(registry, drills::makeSyntheticEngineFactory());
#if LIVEDECK_WITH_GIFTS
    addOrReport(registry, gifts::makeGiftsEngineFactory());
#endif
#if LIVEDECK_WITH_MESSAGING
    addOrReport(registry, messaging::makeMessagingEngineFactory());
#endif
#if LIVEDECK_WITH_CDN
    addOrReport(registry, cdn::makeCdnEngineFactory());
#endif
}

void installBuiltinEngines()
{
    static std::once_flag once;
    std::call_once(once, [] { registerBuiltinEngines(engine::processEngines()); });
}

} // namespace livedeck::app
