// Loads the engine plugins of one directory in a process of its own and prints the
// list (tests/plugins: a plugin that crashes while loading takes only this down).
//   plugin_probe <plugin dir> <state dir>
#include "backend/plugins/plugin_host.h"

#include <iostream>

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::cerr << "usage: plugin_probe <plugin dir> <state dir>\n";
        return 2;
    }
    livedeck::plugins::PluginHostOptions options;
    options.pluginDirs = {argv[1]};
    options.useEnvironment = false;
    options.useUserDir = false;
    options.useInstalledDirs = false;
    options.stateDir = argv[2];
    livedeck::engine::EngineRegistry registry;
    std::cout << livedeck::plugins::formatPluginList(livedeck::plugins::loadEnginePlugins(options, registry));
    return 0;
}
