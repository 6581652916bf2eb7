// A deliberately bad (or plain) engine plugin for tests/plugins, one behaviour per build
// (BAD_MODE): a plain engine, a missing symbol, registration that fails, a crash while
// the library is loaded, an engine that replaces a built-in one.
#include "livedeck_sdk/engine.h"

#include <cstdlib>

#define BAD_PLAIN 0
#define BAD_MISSING_SYMBOL 1
#define BAD_INIT_FAILS 2
#define BAD_CRASH 3
#define BAD_REPLACE_BUILTIN 4

#if BAD_MODE == BAD_MISSING_SYMBOL
extern "C" int livedeck_test_symbol_nobody_defines();
#endif

#if BAD_MODE == BAD_CRASH
// Runs while dlopen() maps the library, before the host sees the entry point.
__attribute__((constructor)) static void crashWhileLoading() { std::abort(); }
#endif

namespace {
namespace sdk = livedeck::sdk;

class NoEngine final : public sdk::EngineFactory {
public:
    sdk::EngineDescription describe() const override
    {
        sdk::EngineDescription d;
        d.name = BAD_ENGINE;
        d.description = "a test engine";
        return d;
    }
    std::shared_ptr<const sdk::Settings> parseSettings(const sdk::Node&, sdk::ParseError&) const override
    {
        return std::make_shared<sdk::Settings>();
    }
    std::shared_ptr<const sdk::Settings> parseLoad(const std::string&, const sdk::Node&, sdk::ParseError& e) const override
    {
        e.message = "no load";
        return nullptr;
    }
    std::unique_ptr<sdk::Engine> build(sdk::Context&, const sdk::Settings&, std::string& error) const override
    {
        error = "a test engine builds nothing";
        return nullptr;
    }
};

bool registerEngines(sdk::Registrar* registrar, std::string* error)
{
#if BAD_MODE == BAD_MISSING_SYMBOL
    if (livedeck_test_symbol_nobody_defines() != 0)
        return false;
#endif
#if BAD_MODE == BAD_INIT_FAILS
    *error = "the test plugin fails on purpose";
    return false;
#endif
    return registrar->addEngine(std::make_shared<NoEngine>(), *error);
}

} // namespace

LIVEDECK_ENGINE_PLUGIN_EXPORT const LivedeckEnginePlugin* livedeck_engine_plugin()
{
    static const LivedeckEnginePlugin entry{LIVEDECK_SDK_API_VERSION, LIVEDECK_BUILD_ID, BAD_ID, "1.0", &registerEngines};
    return &entry;
}
