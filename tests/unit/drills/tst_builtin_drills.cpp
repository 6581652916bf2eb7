// The built-in drills (resources/drills): each loads and builds its world (targets
// checked), names itself after its file, and every plain drill has a sabotage twin.
// Running them (plain drills pass, twins fail with exit 1) is the end-to-end test
// tests/integration/tst_drill_cli_builtins.cpp. Drills of an engine this build lacks
// are skipped.
#include "tests/common/multi_test.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"

#include <QTest>

using namespace livedeck;
using namespace livedeck::drills;

class TstBuiltinDrills : public QObject {
    Q_OBJECT

private slots:
    void everyDrill_data()
    {
        QTest::addColumn<QString>("name");
        for (const BuiltinDrill& d : builtinDrills())
            QTest::newRow(d.name.c_str()) << QString::fromStdString(d.name);
    }
    void everyDrill()
    {
        QFETCH(QString, name);
        const BuiltinDrill* d = findBuiltinDrill(name.toStdString());
        QVERIFY(d);
        if (!d->error.empty() && d->error.find("unknown engine") != std::string::npos)
            QSKIP("the drill's engine is not in this build");
        QVERIFY2(d->error.empty(), d->error.c_str());
        QVERIFY(!d->description.empty());
        auto spec = loadDrill(d->text, d->fileName);
        QVERIFY(spec.ok());
        QCOMPARE(spec->name, d->name); // file stem = drill name
        auto run = DrillRun::create(*spec);
        QVERIFY2(run.ok(), run.ok() ? "" : std::string(run.status().message()).c_str());
        if (spec->isSabotageTwin())
            QVERIFY(findBuiltinDrill(spec->sabotageOf));
        QVERIFY(!spec->expectations.empty());
    }

    // Every plain drill has a twin, and every twin's original exists.
    void twinsPairUp()
    {
        int plain = 0;
        for (const BuiltinDrill& d : builtinDrills()) {
            if (!d.error.empty())
                continue;
            if (!d.sabotageOf.empty()) {
                QVERIFY2(findBuiltinDrill(d.sabotageOf), d.name.c_str());
                continue;
            }
            const auto spec = loadDrill(d.text, d.fileName);
            QVERIFY(spec.ok());
            if (!spec->randomFaults.empty())
                continue; // a sweep drill (random faults): no single mechanism to switch off
            ++plain;
            bool hasTwin = false;
            for (const BuiltinDrill& t : builtinDrills())
                hasTwin = hasTwin || t.sabotageOf == d.name;
            QVERIFY2(hasTwin, d.name.c_str());
        }
        QVERIFY(plain >= 1);
    }
};

LIVEDECK_TEST_CLASS(TstBuiltinDrills)
#include "tst_builtin_drills.moc"
