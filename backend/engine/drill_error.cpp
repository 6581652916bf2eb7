#include "backend/engine/drill_error.h"

#include "backend/sim/strings.h"

namespace livedeck::engine {

std::string formatDiagnostic(std::string_view file, SourcePos pos, std::string_view message)
{
    if (!pos.known())
        return sim::strCat(file, ": ", message);
    return sim::strCat(file, ":", pos.line, ":", pos.column, ": ", message);
}

} // namespace livedeck::engine
