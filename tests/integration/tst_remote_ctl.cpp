// livedeckctl's remote commands against a real livedeckd process on loopback (port 0,
// read back from --port-file): status, topology, fault inject / faults list / fault
// clear, drill run on the node, and the exit codes of bad input (unknown fault kind,
// bad id) and of an unreachable node. Real time, bounded waits.
#include "tests/common/engines.h"
#include "tests/common/multi_test.h"

#include "tests/integration/drill_cli_util.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace livedeck;

namespace {

constexpr int kWaitMs = 20'000;

// A livedeckd child process serving the gala drill, paused, on a free loopback port.
struct Node {
    QTemporaryDir dir;
    QProcess process;
    QString address;

    bool start(const QStringList& extra = {})
    {
        const QString portFile = dir.filePath(QStringLiteral("port"));
        process.start(QStringLiteral(LIVEDECK_NODE_PATH),
                      QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--port-file"),
                                  portFile, QStringLiteral("--paused"), QStringLiteral("--heartbeat-ms"),
                                  QStringLiteral("200")}
                          + extra);
        if (!process.waitForStarted(10'000))
            return false;
        QFile f(portFile);
        for (int waited = 0; waited < kWaitMs && !f.exists(); waited += 50)
            QTest::qWait(50);
        if (!f.open(QIODevice::ReadOnly))
            return false;
        const int port = QString::fromUtf8(f.readAll()).trimmed().toInt();
        address = QStringLiteral("127.0.0.1:%1").arg(port);
        return port > 0;
    }
    ~Node()
    {
        process.terminate();
        if (!process.waitForFinished(10'000))
            process.kill();
    }
};

test::CtlResult ctl(const Node& node, const QStringList& args, int timeoutMs = 120'000)
{
    return test::runCtl(QStringList{QStringLiteral("--server"), node.address} + args, timeoutMs);
}

} // namespace

class TstRemoteCtl : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        LIVEDECK_REQUIRE_ENGINE("gifts"); // the node hosts the gala drill
        if (QLatin1String(LIVEDECK_NODE_PATH).isEmpty())
            QSKIP("livedeckd is not built (no gRPC)");
    }

    void statusAndTopology()
    {
        Node node;
        QVERIFY(node.start());
        const test::CtlResult s = ctl(node, {QStringLiteral("status")});
        QVERIFY2(s.exitCode == 0, qPrintable(s.out + s.err));
        QVERIFY2(s.out.contains(node.address), qPrintable(s.out));
        QVERIFY2(s.out.contains(QStringLiteral("paused")), qPrintable(s.out));
        QVERIFY2(s.out.contains(QStringLiteral("gala")), qPrintable(s.out));
        const test::CtlResult t = ctl(node, {QStringLiteral("topology")});
        QVERIFY2(t.exitCode == 0, qPrintable(t.out + t.err));
        for (const char* region : {"sh-a", "sh-b", "gz"})
            QVERIFY2(t.out.contains(QLatin1String(region)), qPrintable(t.out));
        QVERIFY(t.out.contains(QStringLiteral("links:")));
    }

    void injectListClear()
    {
        Node node;
        QVERIFY(node.start());
        const test::CtlResult inj = ctl(node, {QStringLiteral("fault"), QStringLiteral("inject"), QStringLiteral("latency"),
                                               QStringLiteral("sh-a/gifts/privileged"), QStringLiteral("add_ms=120"),
                                               QStringLiteral("--ttl")});
        QVERIFY2(inj.exitCode == 0, qPrintable(inj.out + inj.err));
        const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("fault (\\d+) injected")).match(inj.out);
        QVERIFY2(m.hasMatch(), qPrintable(inj.out));
        const QString id = m.captured(1);

        const test::CtlResult list = ctl(node, {QStringLiteral("faults"), QStringLiteral("list")});
        QVERIFY2(list.exitCode == 0, qPrintable(list.out + list.err));
        QVERIFY2(list.out.contains(QStringLiteral("sh-a/gifts/privileged")), qPrintable(list.out));
        QVERIFY2(list.out.contains(QStringLiteral("latency")), qPrintable(list.out));

        const test::CtlResult clr = ctl(node, {QStringLiteral("fault"), QStringLiteral("clear"), id});
        QVERIFY2(clr.exitCode == 0, qPrintable(clr.out + clr.err));
        const test::CtlResult after = ctl(node, {QStringLiteral("faults"), QStringLiteral("list")});
        QCOMPARE(after.exitCode, 0);
        QVERIFY2(!after.out.contains(QStringLiteral("sh-a/gifts/privileged")), qPrintable(after.out));
    }

    void badInputExitsTwo()
    {
        Node node;
        QVERIFY(node.start());
        const test::CtlResult kind = ctl(node, {QStringLiteral("fault"), QStringLiteral("inject"), QStringLiteral("meteor"),
                                                QStringLiteral("sh-a/gifts/privileged")});
        QCOMPARE(kind.exitCode, 2);
        QVERIFY2(kind.err.contains(QStringLiteral("meteor")), qPrintable(kind.err));
        const test::CtlResult id = ctl(node, {QStringLiteral("fault"), QStringLiteral("clear"), QStringLiteral("x")});
        QCOMPARE(id.exitCode, 2);
        const test::CtlResult target = ctl(node, {QStringLiteral("fault"), QStringLiteral("inject"),
                                                  QStringLiteral("down"), QStringLiteral("mars/gifts/none")});
        QVERIFY2(target.exitCode == 2, qPrintable(target.out + target.err)); // NOT_FOUND from the node
        QVERIFY2(target.err.contains(QStringLiteral("mars/gifts/none")), qPrintable(target.err));
        const test::CtlResult param = ctl(node, {QStringLiteral("fault"), QStringLiteral("inject"),
                                                 QStringLiteral("latency"), QStringLiteral("sh-a/gifts/privileged"),
                                                 QStringLiteral("add_ms=-5")});
        QVERIFY2(param.exitCode == 2, qPrintable(param.out + param.err)); // INVALID_ARGUMENT from the node
        const test::CtlResult cmd = ctl(node, {QStringLiteral("launch")});
        QCOMPARE(cmd.exitCode, 2);
        // The node keeps serving after bad requests.
        QCOMPARE(ctl(node, {QStringLiteral("status")}).exitCode, 0);
    }

    void unreachableNodeExitsTwo()
    {
        // Port 1 on loopback: nothing listens there.
        const test::CtlResult r = test::runCtl(
            {QStringLiteral("--server"), QStringLiteral("127.0.0.1:1"), QStringLiteral("status")}, 60'000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(!r.err.isEmpty());
    }

    void drillRunOnTheNode()
    {
        Node node;
        QVERIFY(node.start());
        const test::CtlResult r = ctl(node, {QStringLiteral("drill"), QStringLiteral("run"),
                                             QStringLiteral("synthetic-region-outage"), QStringLiteral("--speed"),
                                             QStringLiteral("max")},
                                      240'000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QStringLiteral("drill synthetic-region-outage")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("finished")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("PASS")) && !r.out.contains(QStringLiteral("FAIL")), qPrintable(r.out));
        // Its sabotage twin fails on the node as it does headless: exit 1.
        const test::CtlResult twin = ctl(node, {QStringLiteral("drill"), QStringLiteral("run"),
                                                QStringLiteral("synthetic-region-outage-no-alert"),
                                                QStringLiteral("--speed"), QStringLiteral("max")},
                                         240'000);
        QVERIFY2(twin.exitCode == 1, qPrintable(twin.out + twin.err));
        QVERIFY(twin.out.contains(QStringLiteral("FAIL")));
    }
};

LIVEDECK_TEST_CLASS(TstRemoteCtl)
#include "tst_remote_ctl.moc"
