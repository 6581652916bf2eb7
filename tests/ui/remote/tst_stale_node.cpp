// The stale display against a real node: the console attaches to a livedeckd child
// process (the gala drill, paused, default 1 s heartbeats), the process is killed
// (SIGKILL: no goodbye on the stream), and within 2 s the main window shows a banner
// naming the node and counting its silence, with every panel dimmed and the clock
// marked; a node serving again on the same port clears it.
#include "tests/common/engines.h"
#include "tests/common/multi_test.h"
#include "ui/dashboard_hub.h"
#include "ui/main_window.h"
#include "ui/overview_panel.h"
#include "ui/remote/remote_cluster.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;

namespace {

constexpr int kWaitMs = 20'000;

struct Node {
    QTemporaryDir dir;
    QProcess process;
    int port = 0;

    bool start(int onPort = 0)
    {
        const QString portFile = dir.filePath(QStringLiteral("port-%1").arg(onPort));
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(QStringLiteral(LIVEDECK_NODE_PATH),
                      QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(onPort),
                                  QStringLiteral("--port-file"), portFile, QStringLiteral("--paused")});
        if (!process.waitForStarted(10'000))
            return false;
        QFile f(portFile);
        for (int waited = 0; waited < kWaitMs && !f.exists(); waited += 50)
            QTest::qWait(50);
        if (!f.open(QIODevice::ReadOnly))
            return false;
        port = QString::fromUtf8(f.readAll()).trimmed().toInt();
        return port > 0;
    }
    void kill()
    {
        process.kill();
        process.waitForFinished(10'000);
    }
    ~Node()
    {
        if (process.state() != QProcess::NotRunning) {
            process.terminate();
            if (!process.waitForFinished(10'000))
                process.kill();
        }
    }
};

} // namespace

class TstStaleNode : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        LIVEDECK_REQUIRE_ENGINE("gifts"); // the node hosts the gala drill
        ui::registerSourceMetaTypes();
    }

    void killedNodeIsStaleWithinTwoSeconds()
    {
        auto node = std::make_unique<Node>();
        QVERIFY(node->start());
        const int port = node->port;
        const QString address = QStringLiteral("127.0.0.1:%1").arg(port);
        ui::MainWindow w(ui::MainWindowOptions{false});
        ui::RemoteOptions o;
        o.address = address;
        o.backoffInitialMs = 100;
        o.backoffMaxMs = 400;
        w.setSource(std::make_unique<ui::RemoteCluster>(o));
        QTRY_COMPARE_WITH_TIMEOUT(w.source()->connectionState(), ui::ConnectionState::Live, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(w.hub()->snapshotsApplied() > 0, kWaitMs);
        QTest::qWait(1500); // a heartbeat or two while live
        QVERIFY(!w.staleShown());
        QVERIFY(!w.panelsDimmed());

        node->kill();
        QElapsedTimer silent;
        silent.start();
        QTRY_VERIFY_WITH_TIMEOUT(w.staleShown(), kWaitMs);
        const qint64 shownAfter = silent.elapsed();
        qInfo() << "stale shown" << shownAfter << "ms after the kill";
        QVERIFY2(shownAfter < 2000, qPrintable(QStringLiteral("stale shown %1 ms after the kill").arg(shownAfter)));
        QVERIFY(w.panelsDimmed());
        QVERIFY(w.overview()->stale());
        QTest::qWait(300);
        const QString banner = w.staleBannerText();
        QVERIFY2(banner.contains(QStringLiteral("no data from ") + address), qPrintable(banner));
        QVERIFY2(banner.contains(QStringLiteral(" s.")), qPrintable(banner));

        // A node serving on the same port again: data flow, the banner goes.
        auto again = std::make_unique<Node>();
        QVERIFY(again->start(port));
        QTRY_VERIFY_WITH_TIMEOUT(!w.staleShown(), kWaitMs);
        QVERIFY(!w.panelsDimmed());
        w.setSource(nullptr);
    }
};

LIVEDECK_TEST_CLASS(TstStaleNode)
#include "tst_stale_node.moc"
