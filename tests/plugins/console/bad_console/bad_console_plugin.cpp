#include "bad_console_plugin.h"

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
