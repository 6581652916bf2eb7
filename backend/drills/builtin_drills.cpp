#include "backend/drills/builtin_drills.h"

#include "backend/drills/drill_loader.h"
#include "backend/sim/strings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include <sys/stat.h>

namespace livedeck::drills {
namespace {

// The keys of the file's `engines:` map; empty when the text is not YAML or has none.
std::vector<std::string> namedEngines(std::string_view text)
{
    std::vector<std::string> out;
    try {
        const YAML::Node root = YAML::Load(std::string(text));
        if (!root.IsMap())
            return out;
        const YAML::Node engines = root["engines"];
        if (!engines || !engines.IsMap())
            return out;
        for (const auto& kv : engines)
            if (kv.first.IsScalar())
                out.push_back(kv.first.Scalar());
    } catch (const YAML::Exception&) {
        out.clear(); // the loader reports the file's error with its position
    }
    return out;
}

} // namespace

const std::vector<BuiltinDrill>& builtinDrills()
{
    static const std::vector<BuiltinDrill> drills = [] {
        std::vector<BuiltinDrill> out;
        for (const detail::BuiltinDrillFile& f : detail::builtinDrillFiles()) {
            BuiltinDrill d;
            d.name = std::string(f.name);
            d.fileName = std::string(f.fileName);
            d.text = f.text;
            d.engines = namedEngines(f.text);
            auto spec = loadDrill(f.text, f.fileName);
            if (spec.ok()) {
                d.description = spec->description.substr(0, spec->description.find('\n'));
                d.sabotageOf = spec->sabotageOf;
            } else {
                d.error = std::string(spec.status().message());
            }
            out.push_back(std::move(d));
        }
        // Each sabotage twin right after the drill it sabotages.
        std::stable_sort(out.begin(), out.end(), [](const BuiltinDrill& a, const BuiltinDrill& b) {
            const std::string& ka = a.sabotageOf.empty() ? a.name : a.sabotageOf;
            const std::string& kb = b.sabotageOf.empty() ? b.name : b.sabotageOf;
            if (ka != kb)
                return ka < kb;
            return a.sabotageOf.empty() && !b.sabotageOf.empty();
        });
        return out;
    }();
    return drills;
}

std::vector<const BuiltinDrill*> brokenBuiltinDrills()
{
    std::vector<const BuiltinDrill*> out;
    for (const BuiltinDrill& d : builtinDrills())
        if (!d.error.empty())
            out.push_back(&d);
    return out;
}

std::string defaultBuiltinDrill(std::string_view preferred)
{
    if (const BuiltinDrill* d = findBuiltinDrill(preferred); d && d->error.empty())
        return d->name;
    for (const BuiltinDrill& d : builtinDrills()) {
        if (d.error.empty() && d.sabotageOf.empty())
            return d.name;
    }
    return {};
}

const BuiltinDrill* findBuiltinDrill(std::string_view name)
{
    for (const BuiltinDrill& d : builtinDrills()) {
        if (d.name == name)
            return &d;
    }
    return nullptr;
}

absl::StatusOr<DrillSpec> resolveDrill(const std::string& fileOrName)
{
    struct stat st {};
    if (::stat(fileOrName.c_str(), &st) == 0 || fileOrName.find('/') != std::string::npos
        || fileOrName.find(".yaml") != std::string::npos || fileOrName.find(".yml") != std::string::npos)
        return loadDrillFile(fileOrName);
    if (const BuiltinDrill* d = findBuiltinDrill(fileOrName))
        return loadDrill(d->text, d->fileName);
    std::string names;
    for (const BuiltinDrill& d : builtinDrills())
        names += sim::strCat(names.empty() ? "" : ", ", d.name);
    return absl::NotFoundError(sim::strCat(fileOrName, ": no such file, and no built-in drill of that name (built-in: ",
                                           names.empty() ? std::string("none") : names, ")"));
}

} // namespace livedeck::drills
