#include "app/livedeckctl/ctl_cli.h"

#include "app/livedeckctl/demo_command.h"
#include "app/livedeckctl/drill_command.h"
#include "app/livedeckctl/remote_command.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

namespace livedeck::ctl {
namespace {

QString usage()
{
    return QStringLiteral(
        "Usage: livedeckctl <command> [options]\n"
        "\n"
        "livedeck's command-line tool: runs worlds headless and prints what happened.\n"
        "\n"
        "Commands:\n"
        "  demo      Run the synthetic demo world headless and print progress and a summary\n"
        "  drill     Failure drills: list, validate, run, sweep, verify ('drill --help')\n"
        "  version   Print the program's version and build\n"
        "  help      Show this help\n"
        "\n"
        "A livedeckd node: livedeckctl --server HOST:PORT [--token-file F] <command>\n"
        "  with status, topology, faults list, fault inject, fault clear, drill run\n"
        "  ('livedeckctl --server HOST:PORT --help')\n"
        "\n"
        "Options:\n"
        "  -h, --help     Show this help\n"
        "  -v, --version  Print the version\n"
        "\n"
        "Run 'livedeckctl <command> --help' for the options of a command.\n");
}

void print(FILE* stream, const QString& text)
{
    QTextStream out(stream);
    out << text;
}

} // namespace

int runCli(const QStringList& arguments)
{
    if (arguments.size() < 2) {
        print(stderr, usage());
        return 2;
    }
    if (isRemoteInvocation(arguments))
        return runRemoteCommand(arguments);
    const QString command = arguments.at(1);
    if (command == QLatin1String("-h") || command == QLatin1String("--help") || command == QLatin1String("help")) {
        print(stdout, usage());
        return 0;
    }
    if (command == QLatin1String("-v") || command == QLatin1String("--version") || command == QLatin1String("version")) {
        print(stdout, QStringLiteral("livedeckctl %1\n").arg(QCoreApplication::applicationVersion()));
        return 0;
    }
    QStringList rest = arguments.mid(2);
    rest.prepend(arguments.at(0) + QLatin1Char(' ') + command);
    if (command == QLatin1String("demo"))
        return runDemoCommand(rest);
    if (command == QLatin1String("drill"))
        return runDrillCommand(rest);
    print(stderr, QStringLiteral("livedeckctl: unknown command '%1'\n\n").arg(command) + usage());
    return 2;
}

} // namespace livedeck::ctl
