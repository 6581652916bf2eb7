#include "bad_console_plugin.h"

#include <cstdlib>

BadConsolePlugin::BadConsolePlugin()
{
#if BAD_CRASH
    std::abort(); // the host dies while loading; its marker disables the plugin at the next start
#endif
}

bool BadConsolePlugin::initialize(livedeck::console::ConsoleHost* host, QString* error)
{
#if BAD_INIT_FAILS
    Q_UNUSED(host);
    *error = QStringLiteral("the test console plugin fails on purpose");
    return false;
#else
    Q_UNUSED(error);
    return host != nullptr;
#endif
}
