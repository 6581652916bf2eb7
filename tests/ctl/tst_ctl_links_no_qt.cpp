// livedeckctl is a headless tool for servers: neither its own dynamic dependencies
// (readelf -d: NEEDED) nor what the loader resolves for it (ldd, transitively) contain
// a Qt library. The same check on this test program (which links QtCore) must find Qt,
// so the check itself can fail.
#include "tests/common/multi_test.h"
#include "tests/ctl/ctl_test_util.h"

#include <QCoreApplication>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

namespace {

QString runTool(const QString& tool, const QStringList& args)
{
    QProcess p;
    p.start(tool, args);
    if (!p.waitForStarted(10'000) || !p.waitForFinished(60'000))
        return {};
    return QString::fromUtf8(p.readAllStandardOutput());
}

QStringList needed(const QString& binary)
{
    QStringList libs;
    const QString text = runTool(QStringLiteral("readelf"), {QStringLiteral("-d"), binary});
    const QRegularExpression re(QStringLiteral("\\(NEEDED\\)\\s+Shared library: \\[([^\\]]+)\\]"));
    for (auto it = re.globalMatch(text); it.hasNext();)
        libs << it.next().captured(1);
    return libs;
}

QStringList qtLibs(const QStringList& libs)
{
    QStringList qt;
    for (const QString& l : libs) {
        if (l.contains(QStringLiteral("libQt"), Qt::CaseInsensitive))
            qt << l;
    }
    return qt;
}

} // namespace

class TstCtlLinksNoQt : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("readelf")).isEmpty())
            QSKIP("readelf is not installed (binutils)");
    }

    void theCheckSeesQtInAQtProgram()
    {
        const QStringList libs = needed(QCoreApplication::applicationFilePath());
        QVERIFY2(!qtLibs(libs).isEmpty(), qPrintable(libs.join(QLatin1Char(' '))));
    }

    void neededHasNoQt()
    {
        const QStringList libs = needed(QStringLiteral(LIVEDECK_CTL_PATH));
        QVERIFY2(libs.contains(QStringLiteral("libc.so.6")), qPrintable(libs.join(QLatin1Char(' '))));
        QVERIFY2(qtLibs(libs).isEmpty(), qPrintable(qtLibs(libs).join(QLatin1Char(' '))));
    }

    void loaderResolvesNoQt()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("ldd")).isEmpty())
            QSKIP("ldd is not installed");
        const QString text = runTool(QStringLiteral("ldd"), {QStringLiteral(LIVEDECK_CTL_PATH)});
        QVERIFY2(text.contains(QStringLiteral("libc.so")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("libQt"), Qt::CaseInsensitive), qPrintable(text));
    }

    void runsWithoutAnyQtEnvironment()
    {
        // No QT_* variables, no display: the program neither needs nor reads them.
        QProcess p;
        QProcessEnvironment env;
        env.insert(QStringLiteral("PATH"), QStringLiteral("/usr/bin:/bin"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(LIVEDECK_CTL_PATH), {QStringLiteral("drill"), QStringLiteral("list")});
        QVERIFY(p.waitForFinished(60'000));
        QCOMPARE(p.exitCode(), 0);
        QVERIFY(QString::fromUtf8(p.readAllStandardOutput()).contains(QStringLiteral("synthetic-region-outage")));
    }
};

LIVEDECK_TEST_CLASS(TstCtlLinksNoQt)
#include "tst_ctl_links_no_qt.moc"
