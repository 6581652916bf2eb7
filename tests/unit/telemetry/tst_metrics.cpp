// MetricsRegistry + Telemetry rollups on a sim::World: counters become per-second
// real-equivalent rates over virtual time, gauges are read at each rollup, histogram
// quantiles of the last interval appear in the samples, series ids are stable and
// described correctly, and seriesId() finds them.
#include "tests/common/multi_test.h"

#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

using namespace livedeck;
using telemetry::Sample;
using telemetry::Telemetry;

namespace {

struct Rollup {
    sim::Nanos time;
    std::vector<Sample> samples;
};

// Records every rollup a Telemetry produces.
struct RollupLog {
    std::vector<Rollup> rollups;
    void attach(Telemetry& t)
    {
        t.addRollupListener([this](sim::Nanos time, const std::vector<Sample>& s) { rollups.push_back({time, s}); });
    }
    double value(std::size_t rollup, std::int64_t series) const
    {
        for (const Sample& s : rollups.at(rollup).samples) {
            if (s.series == series)
                return s.value;
        }
        return std::nan("");
    }
};

// Schedules `perSecond[k]` events spread evenly over simulated second k (offset so
// none lands exactly on a rollup boundary); each calls `action`.
template <class F>
void scheduleLoad(sim::World& world, sim::EventKindId kind, const std::vector<int>& perSecond, F action)
{
    for (std::size_t k = 0; k < perSecond.size(); ++k) {
        const int n = perSecond[k];
        for (int i = 0; i < n; ++i) {
            const sim::Nanos t = static_cast<sim::Nanos>(k) * sim::kSecond + 1 + (sim::kSecond - 2) * i / n;
            world.at(t, kind, sim::kNoComponent, [action] { action(); });
        }
    }
}

bool near(double a, double b, double rel)
{
    return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)) + 1e-12;
}

} // namespace

class TstMetrics : public QObject {
    Q_OBJECT

private slots:
    void counterRates_data()
    {
        QTest::addColumn<std::vector<int>>("perSecond");
        QTest::addColumn<double>("weight");
        QTest::newRow("steady 100/s") << std::vector<int>{100, 100, 100} << 1.0;
        QTest::newRow("weighted x1000") << std::vector<int>{50, 50} << 1000.0;
        QTest::newRow("ramp") << std::vector<int>{10, 200, 0, 35} << 2.5;
        QTest::newRow("idle") << std::vector<int>{0, 0} << 1.0;
    }

    // A counter's rate series is the weight added during each simulated second; its
    // total series is the running sum.
    void counterRates()
    {
        QFETCH(std::vector<int>, perSecond);
        QFETCH(double, weight);
        sim::World world;
        Telemetry t(world);
        auto& c = t.metrics().counter("test.requests", "sh-a/test/svc", "result=ok");
        RollupLog log;
        log.attach(t);
        t.start();
        const auto kind = world.kind("test.request");
        scheduleLoad(world, kind, perSecond, [&c, weight] { c.add(weight); });
        world.scheduler().runUntil(static_cast<sim::Nanos>(perSecond.size()) * sim::kSecond);

        const auto rateId = t.metrics().seriesId("test.requests", "sh-a/test/svc", "result=ok", v1::METRIC_TYPE_COUNTER);
        const auto totalId =
            t.metrics().seriesId("test.requests", "sh-a/test/svc", "result=ok", v1::METRIC_TYPE_COUNTER_TOTAL);
        QCOMPARE(rateId, std::int64_t{0});
        QCOMPARE(totalId, std::int64_t{1});
        QCOMPARE(log.rollups.size(), perSecond.size());
        double total = 0;
        for (std::size_t k = 0; k < perSecond.size(); ++k) {
            QCOMPARE(log.rollups[k].time, static_cast<sim::Nanos>(k + 1) * sim::kSecond);
            total += perSecond[k] * weight;
            QCOMPARE(log.value(k, rateId), perSecond[k] * weight);
            QCOMPARE(log.value(k, totalId), total);
        }
        QCOMPARE(c.total(), total);
        QCOMPARE(t.lastValue(rateId), perSecond.back() * weight);
        QCOMPARE(t.lastRollupTime(), static_cast<sim::Nanos>(perSecond.size()) * sim::kSecond);
    }

    // Rollups run every simulated second from start(), whenever start() is called.
    void rollupSchedule()
    {
        sim::World world;
        Telemetry t(world);
        RollupLog log;
        log.attach(t);
        world.scheduler().runUntil(2'500 * sim::kMillisecond);
        QVERIFY(log.rollups.empty()); // not started
        t.start();
        t.start(); // idempotent: one rollup per second, not two
        world.scheduler().runUntil(5'600 * sim::kMillisecond);
        QCOMPARE(log.rollups.size(), std::size_t{3});
        QCOMPARE(log.rollups[0].time, 3'500 * sim::kMillisecond);
        QCOMPARE(log.rollups[2].time, 5'500 * sim::kMillisecond);
    }

    void gauges()
    {
        sim::World world;
        Telemetry t(world);
        auto& g = t.metrics().gauge("test.queue", "gz/test/q");
        RollupLog log;
        log.attach(t);
        t.start();
        const auto kind = world.kind("test.gauge");
        world.at(300 * sim::kMillisecond, kind, sim::kNoComponent, [&g] { g.set(5); });
        world.at(700 * sim::kMillisecond, kind, sim::kNoComponent, [&g] { g.set(12); });
        world.at(1'200 * sim::kMillisecond, kind, sim::kNoComponent, [&g] { g.add(-2.5); });
        world.scheduler().runUntil(3 * sim::kSecond);
        const auto id = t.metrics().seriesId("test.queue", "gz/test/q", "", v1::METRIC_TYPE_GAUGE);
        QCOMPARE(id, std::int64_t{0});
        QCOMPARE(log.value(0, id), 12.0); // value at the rollup, not an average
        QCOMPARE(log.value(1, id), 9.5);
        QCOMPARE(log.value(2, id), 9.5); // unchanged gauges keep their value
    }

    void histogramQuantiles_data()
    {
        QTest::addColumn<QString>("unit");
        QTest::addColumn<double>("scale");
        QTest::newRow("ms") << QStringLiteral("ms") << 1e-6;
        QTest::newRow("us") << QStringLiteral("us") << 1e-3;
        QTest::newRow("s") << QStringLiteral("s") << 1e-9;
        QTest::newRow("unitless") << QString() << 1.0;
    }

    // Each rollup reports p50/p90/p99/p999 of that interval only, in the series' unit.
    void histogramQuantiles()
    {
        QFETCH(QString, unit);
        QFETCH(double, scale);
        sim::World world;
        Telemetry t(world);
        const std::string u = unit.toStdString();
        auto& h = t.metrics().histogram("test.latency", "sh-b/test/svc", "", u);
        RollupLog log;
        log.attach(t);
        t.start();
        const auto kind = world.kind("test.observe");
        // Second 0: 1000 values 1..1000 ms; second 1: a constant 40 ms.
        std::vector<sim::Nanos> values;
        for (int i = 1; i <= 1000; ++i)
            values.push_back(i * sim::kMillisecond);
        auto next = std::make_shared<std::size_t>(0);
        scheduleLoad(world, kind, {1000, 500}, [&h, &values, next] {
            const std::size_t i = (*next)++;
            h.record(i < values.size() ? values[i] : 40 * sim::kMillisecond);
        });
        world.scheduler().runUntil(2 * sim::kSecond);

        const std::int64_t p50 = t.metrics().seriesId("test.latency", "sh-b/test/svc", "", v1::METRIC_TYPE_HISTOGRAM_P50);
        QCOMPARE(p50, std::int64_t{0});
        const v1::MetricType types[] = {v1::METRIC_TYPE_HISTOGRAM_P50, v1::METRIC_TYPE_HISTOGRAM_P90,
                                        v1::METRIC_TYPE_HISTOGRAM_P99, v1::METRIC_TYPE_HISTOGRAM_P999};
        const double exact[] = {500, 900, 990, 999}; // nearest rank of 1..1000 ms
        for (int j = 0; j < 4; ++j) {
            const auto id = t.metrics().seriesId("test.latency", "sh-b/test/svc", "", types[j]);
            QCOMPARE(id, p50 + j);
            const double expected = exact[j] * 1e6 * scale;
            QVERIFY2(near(log.value(0, id), expected, 0.01),
                     qPrintable(QStringLiteral("%1: %2 vs %3").arg(j).arg(log.value(0, id)).arg(expected)));
            // The second interval saw only 40 ms values: the first interval was reset.
            QVERIFY(near(log.value(1, id), 40e6 * scale, 0.01));
        }
        QCOMPARE(h.count(), 0.0); // reset by the last rollup
    }

    // Ids are assigned in registration order and never change; definitions say what
    // each id is.
    void seriesDefsAndIds()
    {
        sim::World world;
        Telemetry t(world);
        auto& m = t.metrics();
        auto& c = m.counter("a.count", "sh-a/x", "k=v");
        m.gauge("b.gauge");
        m.histogram("c.lat", "gz/y", "", "ms");
        QCOMPARE(m.seriesCount(), 2u + 1u + 4u);
        // Registering again returns the same object and adds no series.
        QVERIFY(&m.counter("a.count", "sh-a/x", "k=v") == &c);
        QCOMPARE(m.seriesCount(), 7u);
        QVERIFY(m.findCounter("a.count", "sh-a/x", "k=v") == &c);
        QVERIFY(m.findCounter("a.count", "sh-a/x") == nullptr); // labels are part of the key
        QVERIFY(m.findGauge("a.count", "sh-a/x", "k=v") == nullptr); // kind too
        QVERIFY(m.findGauge("b.gauge") != nullptr);
        QVERIFY(m.findHistogram("c.lat", "gz/y") != nullptr);

        std::vector<v1::SeriesDef> defs;
        m.seriesDefs(0, defs);
        QCOMPARE(defs.size(), std::size_t{7});
        struct Want {
            const char* name;
            const char* component;
            const char* labels;
            v1::MetricType type;
            const char* unit;
        };
        const Want want[] = {
            {"a.count", "sh-a/x", "k=v", v1::METRIC_TYPE_COUNTER, "1/s"},
            {"a.count", "sh-a/x", "k=v", v1::METRIC_TYPE_COUNTER_TOTAL, "1"},
            {"b.gauge", "", "", v1::METRIC_TYPE_GAUGE, ""},
            {"c.lat", "gz/y", "", v1::METRIC_TYPE_HISTOGRAM_P50, "ms"},
            {"c.lat", "gz/y", "", v1::METRIC_TYPE_HISTOGRAM_P90, "ms"},
            {"c.lat", "gz/y", "", v1::METRIC_TYPE_HISTOGRAM_P99, "ms"},
            {"c.lat", "gz/y", "", v1::METRIC_TYPE_HISTOGRAM_P999, "ms"},
        };
        for (std::size_t i = 0; i < defs.size(); ++i) {
            QCOMPARE(defs[i].id(), static_cast<std::uint32_t>(i));
            QCOMPARE(defs[i].name(), std::string(want[i].name));
            QCOMPARE(defs[i].component(), std::string(want[i].component));
            QCOMPARE(defs[i].labels(), std::string(want[i].labels));
            QCOMPARE(defs[i].type(), want[i].type);
            QCOMPARE(defs[i].unit(), std::string(want[i].unit));
            QCOMPARE(m.seriesId(defs[i].name(), defs[i].component(), defs[i].labels(), defs[i].type()),
                     static_cast<std::int64_t>(i));
        }
        // Lookups that must miss.
        QCOMPARE(m.seriesId("a.count", "sh-a/x", "k=v", v1::METRIC_TYPE_GAUGE), std::int64_t{-1});
        QCOMPARE(m.seriesId("b.gauge", "", "", v1::METRIC_TYPE_COUNTER), std::int64_t{-1});
        QCOMPARE(m.seriesId("nope", "", "", v1::METRIC_TYPE_GAUGE), std::int64_t{-1});

        // Later registrations get later ids; earlier ids do not move; seriesDefs(from)
        // describes only the new ones.
        world.scheduler().runUntil(sim::kSecond);
        m.counter("d.late");
        defs.clear();
        m.seriesDefs(7, defs);
        QCOMPARE(defs.size(), std::size_t{2});
        QCOMPARE(defs[0].id(), 7u);
        QCOMPARE(defs[0].name(), std::string("d.late"));
        QCOMPARE(m.seriesId("c.lat", "gz/y", "", v1::METRIC_TYPE_HISTOGRAM_P999), std::int64_t{6});

        // Each rollup has one sample per series, in id order.
        t.start();
        RollupLog log;
        log.attach(t);
        world.scheduler().runUntil(2 * sim::kSecond);
        QCOMPARE(log.rollups.size(), std::size_t{1});
        QCOMPARE(log.rollups[0].samples.size(), std::size_t{9});
        for (std::size_t i = 0; i < 9; ++i)
            QCOMPARE(log.rollups[0].samples[i].series, static_cast<std::uint32_t>(i));
        QCOMPARE(t.lastValue(-1, 42.0), 42.0);
        QCOMPARE(t.lastValue(999, 42.0), 42.0);
    }

    // Rolled-up values are mixed into the trace hash: equal runs hash equal, a
    // different value hashes differently.
    void rollupsInTraceHash()
    {
        auto run = [](double weight) {
            sim::World world;
            Telemetry t(world);
            auto& c = t.metrics().counter("x");
            t.start();
            scheduleLoad(world, world.kind("x"), {10, 10}, [&c, weight] { c.add(weight); });
            world.scheduler().runUntil(2 * sim::kSecond);
            return world.traceHash();
        };
        QCOMPARE(run(1.0), run(1.0));
        QVERIFY(run(1.0) != run(2.0));
    }

    // A listener may remove itself while a rollup runs; one added during a rollup
    // starts with the next.
    void listenerRemoval()
    {
        sim::World world;
        Telemetry t(world);
        t.start();
        int a = 0;
        int b = 0;
        int c = 0;
        int tokenA = 0;
        tokenA = t.addRollupListener([&](sim::Nanos, const std::vector<Sample>&) {
            ++a;
            t.removeRollupListener(tokenA);
            t.addRollupListener([&](sim::Nanos, const std::vector<Sample>&) { ++c; });
        });
        const int tokenB = t.addRollupListener([&](sim::Nanos, const std::vector<Sample>&) { ++b; });
        world.scheduler().runUntil(3 * sim::kSecond);
        QCOMPARE(a, 1);
        QCOMPARE(b, 3);
        QCOMPARE(c, 2);
        t.removeRollupListener(tokenB);
        world.scheduler().runUntil(4 * sim::kSecond);
        QCOMPARE(b, 3);
        QCOMPARE(c, 3);
    }
};

LIVEDECK_TEST_CLASS(TstMetrics)
#include "tst_metrics.moc"
