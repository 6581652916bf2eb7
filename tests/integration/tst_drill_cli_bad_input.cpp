// Broken drill files (tests/integration/broken/*.yaml): `drill validate` and `drill run`
// exit 2 with "file:line:col: message" on stderr — the message each file's first line
// announces ("# expect: LINE:COL: text") — and never crash. Bad usage exits 2 too.
#include "tests/common/multi_test.h"

#include "tests/integration/drill_cli_util.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace livedeck;

class TstDrillCliBadInput : public QObject {
    Q_OBJECT

private slots:
    void brokenFiles_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("expect");
        const QDir dir(QStringLiteral(LIVEDECK_BROKEN_DRILLS_DIR));
        const QStringList files = dir.entryList({QStringLiteral("*.yaml")}, QDir::Files, QDir::Name);
        QVERIFY(files.size() >= 8);
        for (const QString& name : files) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QString first = QString::fromUtf8(f.readLine()).trimmed();
            QVERIFY2(first.startsWith(QStringLiteral("# expect: ")), qPrintable(name));
            QTest::newRow(qPrintable(name)) << dir.filePath(name) << first.mid(10);
        }
    }
    void brokenFiles()
    {
        QFETCH(QString, path);
        QFETCH(QString, expect);
        for (const char* sub : {"validate", "run"}) {
            const test::CtlResult r = test::runCtl({QStringLiteral("drill"), QLatin1String(sub), path});
            QVERIFY(!r.crashed);
            QCOMPARE(r.exitCode, 2);
            // "LINE:COL: text": the message starts "path:LINE:COL: " and says `text`.
            QString text = expect;
            if (expect.at(0).isDigit()) {
                const qsizetype cut = expect.indexOf(QStringLiteral(": "));
                const QString pos = path + QLatin1Char(':') + expect.left(cut) + QStringLiteral(": ");
                QVERIFY2(r.err.startsWith(pos), qPrintable(QStringLiteral("want '%1' in: %2").arg(pos, r.err)));
                text = expect.mid(cut + 2);
            }
            QVERIFY2(r.err.startsWith(path + QLatin1Char(':')), qPrintable(r.err));
            QVERIFY2(r.err.contains(text), qPrintable(QStringLiteral("want '%1' in: %2").arg(text, r.err)));
        }
    }

    void badUsage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("no subcommand") << QStringList{QStringLiteral("drill")};
        QTest::newRow("unknown subcommand") << QStringList{QStringLiteral("drill"), QStringLiteral("fly")};
        QTest::newRow("missing file") << QStringList{QStringLiteral("drill"), QStringLiteral("run")};
        QTest::newRow("no such file") << QStringList{QStringLiteral("drill"), QStringLiteral("run"), QStringLiteral("/nonexistent/x.yaml")};
        QTest::newRow("no such drill") << QStringList{QStringLiteral("drill"), QStringLiteral("run"), QStringLiteral("no-such-drill")};
        QTest::newRow("bad seed") << QStringList{QStringLiteral("drill"), QStringLiteral("run"), QStringLiteral("synthetic-chaos"),
                                                 QStringLiteral("--seed"), QStringLiteral("x")};
        QTest::newRow("bad speed") << QStringList{QStringLiteral("drill"), QStringLiteral("run"), QStringLiteral("synthetic-chaos"),
                                                  QStringLiteral("--speed"), QStringLiteral("-3")};
        QTest::newRow("bad until") << QStringList{QStringLiteral("drill"), QStringLiteral("run"), QStringLiteral("synthetic-chaos"),
                                                  QStringLiteral("--until"), QStringLiteral("soon")};
        QTest::newRow("sweep without seeds") << QStringList{QStringLiteral("drill"), QStringLiteral("sweep"), QStringLiteral("synthetic-chaos")};
        QTest::newRow("backwards seeds") << QStringList{QStringLiteral("drill"), QStringLiteral("sweep"), QStringLiteral("synthetic-chaos"),
                                                        QStringLiteral("--seeds"), QStringLiteral("9..3")};
    }
    void badUsage()
    {
        QFETCH(QStringList, args);
        const test::CtlResult r = test::runCtl(args);
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(!r.err.isEmpty());
    }

    // The commands that were there before keep working.
    void demoAndVersion()
    {
        QCOMPARE(test::runCtl({QStringLiteral("version")}).exitCode, 0);
        QCOMPARE(test::runCtl({QStringLiteral("help")}).exitCode, 0);
        const test::CtlResult d = test::runCtl({QStringLiteral("demo"), QStringLiteral("-q"), QStringLiteral("-d"), QStringLiteral("1")});
        QCOMPARE(d.exitCode, 0);
        QVERIFY(d.out.contains(QStringLiteral("trace hash")));
    }
};

LIVEDECK_TEST_CLASS(TstDrillCliBadInput)
#include "tst_drill_cli_bad_input.moc"
