// The engine views the console offers (ui/engine_views.h): each engine with views adds
// its entries here.
#include "ui/engine_views.h"
#include "ui/engines/cdn/cdn_views.h"
#include "ui/engines/messaging/messaging_views.h"

namespace livedeck::ui {

std::vector<EngineView> engineViews()
{
    std::vector<EngineView> out;
    appendCdnViews(out);
    messaging::appendMessagingViews(out);
    return out;
}

} // namespace livedeck::ui
