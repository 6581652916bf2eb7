// Shared by the built-in drill tests: run one built-in drill through `livedeckctl drill
// run` and check its exit code (plain 0, sabotage twin 1) and JSON report.
#pragma once

#include "tests/integration/drill_cli_util.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <utility>

namespace livedeck::test {

// Drills whose engine does not yet show the effect the drill grades (the gift engine's
// own scenarios show the same gap). Each is an expected failure, reported as XFAIL; once
// the engine delivers, QtTest reports XPASS as a failure and the entry must go.
inline const char* knownEngineGap(const QString& drill)
{
    static const std::pair<const char*, const char*> kGaps[] = {
        {"gala", "gift engine: the countdown peak is not yet carried (about 83 % of orders answered, the rest shed; not 99 %)"},
        {"gifts-order-db-failover", "gift engine: an order charged just before the primaries die is neither settled nor "
                                    "refunded (gifts.paid_unsettled); the engine's own order-db-failover scenario shows "
                                    "the same at this scale"},
        {"gifts-privileged-slowdown", "gift engine: panels answer without the general tab while the privileged "
                                      "service is slow (gifts.panel_general_tab)"},
        {"gifts-region-down", "gift engine: panels of the dead region answer without the general tab, and served "
                              "share after the drain stays below 97 %"},
    };
    for (const auto& [name, why] : kGaps) {
        if (drill == QLatin1String(name))
            return why;
    }
    return nullptr;
}

// Runs one built-in drill through the CLI and checks its exit code and JSON report.
inline void checkBuiltin(const QString& name, bool twin)
{
    QTemporaryDir dir;
    const QString report = dir.filePath(QStringLiteral("report.json"));
    const test::CtlResult r = runCtl(
        {QStringLiteral("drill"), QStringLiteral("run"), name, QStringLiteral("--report"), report, QStringLiteral("-q")});
    QVERIFY(!r.crashed);
    QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(r.out + r.err));
    if (const char* gap = knownEngineGap(name))
        QEXPECT_FAIL("", gap, Abort);
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

inline void addBuiltinRows(bool twins)
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("twin");
    for (const drills::BuiltinDrill& d : drills::builtinDrills()) {
    if (runnable(d) && d.sabotageOf.empty() != twins)
        QTest::newRow(d.name.c_str()) << QString::fromStdString(d.name) << twins;
    }
}

} // namespace livedeck::test
