// livedeckctl: livedeck's command-line tool (Qt Core only, no widgets).
#include "app/livedeckctl/ctl_cli.h"

#include <QCoreApplication>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("livedeckctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LIVEDECK_BUILD_ID));
    return livedeck::ctl::runCli(QCoreApplication::arguments());
}
