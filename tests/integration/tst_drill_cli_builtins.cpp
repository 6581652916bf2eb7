// Every plain built-in drill through `livedeckctl drill run` exits 0 with a passing JSON
// report (twins: tst_drill_cli_twins.cpp); `drill list` names them all.
#include "tests/common/multi_test.h"

#include "tests/integration/drill_cli_builtin_check.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;


class TstDrillCliBuiltins : public QObject {
    Q_OBJECT

private slots:
    void list()
    {
        const test::CtlResult r = test::runCtl({QStringLiteral("drill"), QStringLiteral("list")});
        QCOMPARE(r.exitCode, 0);
        for (const drills::BuiltinDrill& d : drills::builtinDrills()) {
            QVERIFY2(r.out.contains(QString::fromStdString(d.name)), qPrintable(r.out));
            if (test::runnable(d))
                QVERIFY(r.out.contains(QString::fromStdString(d.description)));
        }
    }

    void plainDrillsPass_data() { test::addBuiltinRows(false); }
    void plainDrillsPass()
    {
        QFETCH(QString, name);
        QFETCH(bool, twin);
        test::checkBuiltin(name, twin);
    }
};

LIVEDECK_TEST_CLASS(TstDrillCliBuiltins)
#include "tst_drill_cli_builtins.moc"
