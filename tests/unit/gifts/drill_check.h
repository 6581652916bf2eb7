// Shared by the gift scenario tests. A scenario has one form: a built-in drill file
// (resources/drills/gala*.yaml, gifts-*.yaml) with its sabotage twin. The tests run the
// drill and the twin in this process (drills::DrillRun, as `livedeckctl drill run`
// does) and check the reports: the drill passes; the twin fails, and fails where its
// mechanism acts (the figures the tests name), while the invariants it is not meant
// to break still hold.
#pragma once

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"

#include <QTest> // after the backend headers (Qt's `emit` macro)

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::gifts::test {

// Runs drill text to its end (load, build, runToEnd) and returns the report.
inline absl::StatusOr<drills::DrillReport> runDrillText(std::string_view text, std::string_view fileName)
{
    absl::StatusOr<drills::DrillSpec> spec = drills::loadDrill(text, fileName);
    if (!spec.ok())
        return spec.status();
    absl::StatusOr<std::unique_ptr<drills::DrillRun>> run = drills::DrillRun::create(*spec);
    if (!run.ok())
        return run.status();
    (*run)->runToEnd();
    return (*run)->report();
}

// The built-in drill `name`, run to its end. A drill that is missing or does not load
// is a test failure (qFatal: the suite must not pass without it).
inline drills::DrillReport runBuiltinDrill(std::string_view name)
{
    const drills::BuiltinDrill* d = drills::findBuiltinDrill(name);
    if (!d)
        qFatal("no built-in drill '%s'", std::string(name).c_str());
    absl::StatusOr<drills::DrillReport> r = runDrillText(d->text, d->fileName);
    if (!r.ok())
        qFatal("%s", std::string(r.status().message()).c_str());
    qInfo("%s: %s", std::string(name).c_str(), r->verdictLine().c_str());
    return *std::move(r);
}

// The text of a built-in drill (for variants a test derives from it).
inline std::string builtinDrillText(std::string_view name)
{
    const drills::BuiltinDrill* d = drills::findBuiltinDrill(name);
    if (!d)
        qFatal("no built-in drill '%s'", std::string(name).c_str());
    return std::string(d->text);
}

inline const drills::ExpectationResult* findExpectation(const drills::DrillReport& r, std::string_view name)
{
    for (const drills::ExpectationResult& e : r.expectations)
        if (e.name == name)
            return &e;
    return nullptr;
}

// The observed value of an expectation; nullopt when the report has no such
// expectation or it observed nothing.
inline std::optional<double> observed(const drills::DrillReport& r, std::string_view name)
{
    const drills::ExpectationResult* e = findExpectation(r, name);
    return e ? e->observed : std::nullopt;
}

// Whether the expectation is in the report and passed.
inline bool expectationPassed(const drills::DrillReport& r, std::string_view name)
{
    const drills::ExpectationResult* e = findExpectation(r, name);
    return e && e->passed;
}

// What did not hold among the invariants: empty when every invariant outside
// `mayBreak` holds and (when `mayBreak` is not empty) at least one of `mustBreak` broke.
inline std::string invariantsOutside(const drills::DrillReport& r, const std::vector<std::string>& mayBreak,
                                     const std::vector<std::string>& mustBreak = {})
{
    std::string why;
    bool brokeOne = mustBreak.empty();
    for (const drills::InvariantResult& i : r.invariants) {
        const bool allowed = std::find(mayBreak.begin(), mayBreak.end(), i.name) != mayBreak.end();
        if (!i.passed && !allowed)
            why += i.name + " broke (" + i.detail + "); ";
        if (!i.passed && std::find(mustBreak.begin(), mustBreak.end(), i.name) != mustBreak.end())
            brokeOne = true;
    }
    if (!brokeOne)
        why += "none of the invariants the sabotage breaks broke; ";
    return why;
}

inline QByteArray describe(const drills::DrillReport& r)
{
    return QByteArray::fromStdString(r.drill + ": " + r.verdictLine() + "\n" + r.summary());
}

} // namespace livedeck::gifts::test

// QVERIFY2 with the report as the message.
#define LIVEDECK_VERIFY_REPORT(cond, report) QVERIFY2((cond), ::livedeck::gifts::test::describe(report).constData())
