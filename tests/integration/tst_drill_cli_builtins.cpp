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
        QVERIFY(!drills::builtinDrills().empty());
        for (const drills::BuiltinDrill& d : drills::builtinDrills()) {
            QVERIFY2(r.out.contains(QString::fromStdString(d.name)), qPrintable(r.out));
            // A drill that does not load is a defect of this build, unless its engine was
            // left out on purpose.
            QVERIFY2(d.error.empty() || !test::runnable(d), d.error.c_str());
            if (d.error.empty())
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
