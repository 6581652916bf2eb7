// livedeckctl: livedeck's command-line tool — headless, without Qt (cli.h).
#include "app/common/builtin_engines.h"
#include "app/livedeckctl/cli.h"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    livedeck::app::installBuiltinEngines();
    livedeck::ctl::CommandRegistry registry;
    livedeck::ctl::registerAllCommands(registry);
    return registry.run(std::vector<std::string>(argv, argv + argc), LIVEDECK_BUILD_ID, std::cout, std::cerr);
}
