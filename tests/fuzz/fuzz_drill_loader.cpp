// libFuzzer entry point for the drill loader: any bytes must give a DrillSpec or an
// InvalidArgument status "<file>:<line>:<col>: message" (or "<file>: message"), never a
// crash, a hang or an escaped exception. Accepted drills are also built into a world
// (DrillRun::create), which checks targets; they are not run.
#include "app/common/builtin_engines.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace livedeck::drills;
    livedeck::app::installBuiltinEngines();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto spec = loadDrill(text, "fuzz.yaml");
    if (!spec.ok()) {
        if (spec.status().code() != absl::StatusCode::kInvalidArgument)
            std::abort();
        if (spec.status().message().substr(0, 9) != "fuzz.yaml")
            std::abort();
        return 0;
    }
    // Keep the world small: long or huge drills are valid but not interesting here.
    if (spec->duration > 10 * livedeck::sim::kMinute)
        return 0;
    auto run = DrillRun::create(*spec);
    if (!run.ok() && run.status().code() != absl::StatusCode::kInvalidArgument)
        std::abort();
    return 0;
}
