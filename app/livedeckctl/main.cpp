// livedeckctl: livedeck's command-line tool — headless, without Qt (cli.h).
#include "app/common/builtin_engines.h"
#include "app/livedeckctl/cli.h"
#include "backend/plugins/plugin_host.h"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    livedeck::app::installBuiltinEngines();
    // Engine plugins (docs/PLUGINS.md): --plugin-dir DIR, --no-plugins, --list-plugins.
    std::vector<std::string> args(argv, argv + argc);
    livedeck::plugins::PluginHostOptions pluginOptions;
    bool listPlugins = false;
    std::string pluginError;
    if (!livedeck::plugins::takePluginArguments(args, pluginOptions, listPlugins, pluginError)) {
        std::cerr << "livedeckctl: " << pluginError << "\n" << livedeck::plugins::pluginOptionsHelp();
        return 2;
    }
    livedeck::plugins::installPlugins(pluginOptions);
    if (listPlugins) {
        std::cout << livedeck::plugins::formatPluginList(livedeck::plugins::processPlugins());
        return 0;
    }
    livedeck::ctl::CommandRegistry registry;
    livedeck::ctl::registerAllCommands(registry);
    registry.addGlobalOptionsHelp("Engine plugins (docs/PLUGINS.md)", livedeck::plugins::pluginOptionsHelp());
    return registry.run(args, LIVEDECK_BUILD_ID, std::cout, std::cerr);
}
