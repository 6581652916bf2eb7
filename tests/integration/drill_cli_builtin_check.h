// Shared by the built-in drill tests: run one built-in drill through `livedeckctl drill
// run` and check its exit code (plain 0, sabotage twin 1) and JSON report.
#pragma once

#include "backend/drills/drill_loader.h"
#include "tests/integration/drill_cli_util.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>


namespace livedeck::test {

// Runs one built-in drill through the CLI and checks its exit code and JSON report.
inline void checkBuiltin(const QString& name, bool twin)
{
    QTemporaryDir dir;
    const QString report = dir.filePath(QStringLiteral("report.json"));
    const test::CtlResult r = runCtl(
        {QStringLiteral("drill"), QStringLiteral("run"), name, QStringLiteral("--report"), report, QStringLiteral("-q")});
    QVERIFY(!r.crashed);
    QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(r.out + r.err));
    QVERIFY2(r.exitCode == (twin ? 1 : 0), qPrintable(r.out + r.err));
    QVERIFY(r.out.contains(twin ? QStringLiteral("verdict      FAIL") : QStringLiteral("verdict      PASS")));
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    for (const char* key : {"drill", "seed", "build", "sim_seconds", "wall_seconds", "speedup", "events", "trace_hash",
                            "expectations", "invariants", "score"})
        QVERIFY2(o.contains(QLatin1String(key)), key);
    QCOMPARE(o.value(QStringLiteral("drill")).toString(), name);
    QCOMPARE(o.value(QStringLiteral("passed")).toBool(), !twin);
    QVERIFY(o.value(QStringLiteral("trace_hash")).toString().startsWith(QStringLiteral("0x")));
    QVERIFY(o.value(QStringLiteral("events")).toDouble() > 0);
    const QJsonArray ex = o.value(QStringLiteral("expectations")).toArray();
    QVERIFY(!ex.isEmpty());
    for (const QJsonValue& e : ex) {
        for (const char* key : {"name", "passed", "observed", "expected"})
            QVERIFY2(e.toObject().contains(QLatin1String(key)), key);
    }
    for (const QJsonValue& i : o.value(QStringLiteral("invariants")).toArray()) {
        for (const char* key : {"name", "passed", "detail"})
            QVERIFY2(i.toObject().contains(QLatin1String(key)), key);
    }
    const double score = o.value(QStringLiteral("score")).toDouble();
    QVERIFY(twin ? score < 100.0 : score == 100.0);
    }

// A built-in drill of more than kLongDrill simulated time (the 10-minute gala night) runs
// under the `long` CTest label in its own test, not in these rows.
inline constexpr sim::Nanos kLongDrill = 2 * sim::kMinute;

inline void addBuiltinRows(bool twins)
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("twin");
    for (const drills::BuiltinDrill& d : drills::builtinDrills()) {
    if (runnable(d) && d.sabotageOf.empty() != twins) {
        if (d.error.empty()) {
            const auto spec = drills::loadDrill(d.text, d.fileName);
            if (spec.ok() && spec->duration > kLongDrill)
                continue;
        }
        QTest::newRow(d.name.c_str()) << QString::fromStdString(d.name) << twins;
    }
    }
}

} // namespace livedeck::test
