// The built-in drills (resources/drills): each loads and builds its world (targets
// checked), names itself after its file, and every plain drill has a sabotage twin.
// Running them (plain drills pass, twins fail with exit 1) is the end-to-end test
// tests/integration/tst_drill_cli_builtins.cpp.
//
// A built-in drill that does not load is a failure, not a skip: losing an engine (its
// registration, its library) turns these red. The one exception is an engine the build
// leaves out on purpose (LIVEDECK_SKIP_MODULES, passed in as LIVEDECK_LEFT_OUT_MODULES):
// its drills must then fail with "unknown engine" naming it, and only it.
#include "tests/common/multi_test.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/engine/engine.h"

#include <QString>
#include <QStringList>
#include <QTest>

#include <algorithm>

#ifndef LIVEDECK_LEFT_OUT_MODULES
#define LIVEDECK_LEFT_OUT_MODULES ""
#endif

using namespace livedeck;
using namespace livedeck::drills;

namespace {

bool leftOutOfBuild(const std::string& engine)
{
    const QStringList modules = QString::fromUtf8(LIVEDECK_LEFT_OUT_MODULES).split(QLatin1Char(','), Qt::SkipEmptyParts);
    return modules.contains(QString::fromStdString(engine));
}

// The engines `d` names that this process has not registered.
std::vector<std::string> missingEngines(const BuiltinDrill& d)
{
    std::vector<std::string> out;
    for (const std::string& e : d.engines)
        if (!engine::processEngines().find(e))
            out.push_back(e);
    return out;
}

// Why `d` may not load in this build; empty when it must load.
std::string excuse(const BuiltinDrill& d)
{
    const std::vector<std::string> missing = missingEngines(d);
    std::string why;
    for (const std::string& e : missing) {
        if (!leftOutOfBuild(e))
            return {}; // a missing engine the build did not leave out: no excuse
        why += (why.empty() ? "" : ", ") + e;
    }
    return why.empty() ? why : "engine(s) left out of this build (LIVEDECK_SKIP_MODULES): " + why;
}

} // namespace

class TstBuiltinDrills : public QObject {
    Q_OBJECT

private slots:
    // The whole set, in one verdict: every built-in drill loads (or its engine was left
    // out on purpose, and the error says so).
    void everyDrillLoads()
    {
        QVERIFY(builtinDrills().size() >= 2);
        QStringList broken;
        for (const BuiltinDrill* d : brokenBuiltinDrills()) {
            const std::string why = excuse(*d);
            if (why.empty()) {
                broken << QString::fromStdString(d->fileName + ": " + d->error);
                continue;
            }
            for (const std::string& e : missingEngines(*d))
                QVERIFY2(d->error.find("unknown engine '" + e + "'") != std::string::npos, d->error.c_str());
        }
        QVERIFY2(broken.isEmpty(), qPrintable(broken.join(QLatin1Char('\n'))));
    }

    // Every engine a built-in drill names is registered, unless left out on purpose.
    void everyNamedEngineIsRegistered()
    {
        for (const BuiltinDrill& d : builtinDrills()) {
            QVERIFY2(!d.engines.empty() || !d.error.empty(), d.name.c_str());
            for (const std::string& e : missingEngines(d))
                QVERIFY2(leftOutOfBuild(e),
                         qPrintable(QStringLiteral("%1 names engine '%2', which this build lacks")
                                        .arg(QString::fromStdString(d.fileName), QString::fromStdString(e))));
        }
    }

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
        if (const std::string why = excuse(*d); !why.empty()) {
            QVERIFY2(!d->error.empty(), "a drill of a left-out engine loaded");
            QSKIP(why.c_str());
        }
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
            if (!d.error.empty()) {
                QVERIFY2(!excuse(d).empty(), d.error.c_str());
                continue;
            }
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

    // Losing an engine: with a registry that lacks one engine (every other registered
    // engine kept), each built-in drill naming it fails to load at its key in the file,
    // "file:line:col: unknown engine 'X'" — what everyDrillLoads() turns red.
    void losingAnEngineBreaksItsDrills()
    {
        int checked = 0;
        const std::vector<const engine::EngineFactory*> all = engine::processEngines().all();
        for (const engine::EngineFactory* gone : all) {
            const std::string lost(gone->name());
            engine::EngineRegistry without;
            for (const engine::EngineFactory* keep : all)
                if (keep != gone) // the process registry outlives this one: borrow its factories
                    QVERIFY(without.add(std::shared_ptr<const engine::EngineFactory>(keep, [](const engine::EngineFactory*) {})).ok());
            for (const BuiltinDrill& d : builtinDrills()) {
                if (!d.error.empty() || std::find(d.engines.begin(), d.engines.end(), lost) == d.engines.end())
                    continue;
                const auto spec = loadDrill(d.text, d.fileName, without);
                QVERIFY2(!spec.ok(), d.name.c_str());
                const std::string message(spec.status().message());
                QVERIFY2(message.starts_with(d.fileName + ":"), message.c_str());
                QVERIFY2(message.find(": unknown engine '" + lost + "'") != std::string::npos, message.c_str());
                ++checked;
            }
        }
        QVERIFY(checked >= 2);
    }

    // The engine names are read from the file itself, also when the engine is unknown;
    // loading such a file fails at the engine's key with file:line:col.
    void unknownEngineIsAnError()
    {
        const std::string_view text = "name: x\nduration: 5s\nengines:\n  synthetic: {}\n  teleport: {}\n";
        const auto spec = loadDrill(text, "x.yaml");
        QVERIFY(!spec.ok());
        const std::string message(spec.status().message());
        QVERIFY2(message.starts_with("x.yaml:5:3: unknown engine 'teleport'"), message.c_str());
    }

    // What an engine calls a liveness invariant is judged as one (at the end, after the
    // recovery tail), not only described as one.
    void livenessInvariantsAreFlagged()
    {
        const engine::EngineRegistry& engines = engine::processEngines();
        int seen = 0;
        for (const engine::EngineFactory* f : engines.all()) {
            for (const engine::InvariantOffer& i : f->invariants()) {
                if (i.description.starts_with("liveness")) {
                    QVERIFY2(i.liveness, i.name.c_str());
                    ++seen;
                }
                if (i.description.starts_with("safety"))
                    QVERIFY2(!i.liveness, i.name.c_str());
            }
        }
        if (const engine::EngineFactory* m = engines.find("messaging")) {
            const auto offers = m->invariants();
            const auto it = std::find_if(offers.begin(), offers.end(),
                                         [](const engine::InvariantOffer& o) { return o.name == "messaging.cache_converges"; });
            QVERIFY(it != offers.end());
            QVERIFY(it->liveness);
            ++seen;
        }
        if (engines.find("cdn") || engines.find("messaging"))
            QVERIFY(seen > 0);
    }
};

LIVEDECK_TEST_CLASS(TstBuiltinDrills)
#include "tst_builtin_drills.moc"
