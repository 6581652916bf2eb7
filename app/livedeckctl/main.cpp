// livedeckctl: livedeck's command-line tool — headless, without Qt (cli.h).
#include "app/common/builtin_engines.h"
#include "app/livedeckctl/cli.h"

int main(int argc, char** argv)
{
    livedeck::app::installBuiltinEngines();
    return livedeck::ctl::runCli(argc, argv, LIVEDECK_BUILD_ID);
}
