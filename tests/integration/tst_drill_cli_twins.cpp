// Every sabotage twin among the built-in drills through `livedeckctl drill run` exits 1
// with a failing JSON report: proof that the expectations of its drill can fail.
#include "tests/common/multi_test.h"

#include "tests/integration/drill_cli_builtin_check.h"

#include <QTest>

using namespace livedeck;

class TstDrillCliTwins : public QObject {
    Q_OBJECT

private slots:
    void twinsFail_data() { test::addBuiltinRows(true); }
    void twinsFail()
    {
        QFETCH(QString, name);
        QFETCH(bool, twin);
        QVERIFY(twin);
        test::checkBuiltin(name, twin);
    }
};

LIVEDECK_TEST_CLASS(TstDrillCliTwins)
#include "tst_drill_cli_twins.moc"
