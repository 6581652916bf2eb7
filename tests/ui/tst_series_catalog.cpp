// SeriesCatalog: series defs accumulate, sample ids resolve to (name, component, type),
// latest values are per snapshot (absent → NaN) and aggregate by name.
#include "tests/common/multi_test.h"
#include "ui/series_catalog.h"

#include <QTest>

#include <cmath>

using namespace livedeck;

namespace {

void def(v1::Snapshot& s, std::uint32_t id, const char* name, const char* component, v1::MetricType type, const char* unit = "1/s")
{
    auto* d = s.add_series_defs();
    d->set_id(id);
    d->set_name(name);
    d->set_component(component);
    d->set_type(type);
    d->set_unit(unit);
}

void sample(v1::Snapshot& s, std::uint32_t id, double v)
{
    s.add_sample_ids(id);
    s.add_sample_values(v);
}

} // namespace

class TstSeriesCatalog : public QObject {
    Q_OBJECT
private slots:
    void resolvesIdsFromDefs()
    {
        ui::SeriesCatalog c;
        v1::Snapshot s;
        def(s, 0, "gifts.orders.placed", "sh-a/gifts/order-svc", v1::METRIC_TYPE_COUNTER);
        def(s, 2, "gifts.order.latency", "sh-a/gifts/order-svc", v1::METRIC_TYPE_HISTOGRAM_P99, "ms");
        c.apply(s);
        QCOMPARE(c.size(), std::size_t(2));
        const ui::SeriesInfo* a = c.find(0);
        QVERIFY(a);
        QCOMPARE(a->name, std::string("gifts.orders.placed"));
        QCOMPARE(a->component, std::string("sh-a/gifts/order-svc"));
        QCOMPARE(a->type, v1::METRIC_TYPE_COUNTER);
        QVERIFY(!c.find(1)); // a hole
        QCOMPARE(c.find(2)->unit, std::string("ms"));
        QCOMPARE(c.findId("gifts.order.latency", "sh-a/gifts/order-svc", v1::METRIC_TYPE_HISTOGRAM_P99), std::int64_t(2));
        QCOMPARE(c.findId("gifts.order.latency", "sh-a/gifts/order-svc", v1::METRIC_TYPE_HISTOGRAM_P50), std::int64_t(-1));
    }

    void defsAccumulateAcrossSnapshots()
    {
        ui::SeriesCatalog c;
        v1::Snapshot first;
        def(first, 0, "x", "a", v1::METRIC_TYPE_COUNTER);
        c.apply(first);
        const auto g = c.generation();
        v1::Snapshot second; // no defs: only samples
        sample(second, 0, 5.0);
        c.apply(second);
        QCOMPARE(c.generation(), g);
        QCOMPARE(c.latest(0), 5.0);
        v1::Snapshot third;
        def(third, 1, "x", "b", v1::METRIC_TYPE_COUNTER);
        sample(third, 0, 1.0);
        sample(third, 1, 2.0);
        c.apply(third);
        QVERIFY(c.generation() != g);
        QCOMPARE(c.idsNamed("x", v1::METRIC_TYPE_COUNTER).size(), std::size_t(2));
    }

    void latestValuesArePerSnapshot()
    {
        ui::SeriesCatalog c;
        v1::Snapshot s;
        def(s, 0, "x", "a", v1::METRIC_TYPE_COUNTER);
        def(s, 1, "x", "b", v1::METRIC_TYPE_COUNTER);
        sample(s, 0, 10.0);
        sample(s, 1, 30.0);
        c.apply(s);
        QCOMPARE(c.aggregate("x", v1::METRIC_TYPE_COUNTER, ui::Aggregate::Sum), 40.0);
        QCOMPARE(c.aggregate("x", v1::METRIC_TYPE_COUNTER, ui::Aggregate::Mean), 20.0);
        QCOMPARE(c.aggregate("x", v1::METRIC_TYPE_COUNTER, ui::Aggregate::Max), 30.0);
        v1::Snapshot next;
        sample(next, 0, 7.0); // series 1 absent now
        c.apply(next);
        QVERIFY(std::isnan(c.latest(1)));
        QCOMPARE(c.aggregate("x", v1::METRIC_TYPE_COUNTER, ui::Aggregate::Sum), 7.0);
        QVERIFY(std::isnan(c.aggregate("y", v1::METRIC_TYPE_COUNTER, ui::Aggregate::Sum)));
        QVERIFY(std::isnan(c.aggregate("x", v1::METRIC_TYPE_GAUGE, ui::Aggregate::Sum)));
    }

    void redefinitionMovesTheName()
    {
        ui::SeriesCatalog c;
        v1::Snapshot s;
        def(s, 0, "old", "a", v1::METRIC_TYPE_GAUGE);
        c.apply(s);
        v1::Snapshot t;
        def(t, 0, "new", "a", v1::METRIC_TYPE_GAUGE);
        c.apply(t);
        QVERIFY(c.idsNamed("old", v1::METRIC_TYPE_GAUGE).empty());
        QCOMPARE(c.idsNamed("new", v1::METRIC_TYPE_GAUGE).size(), std::size_t(1));
        QCOMPARE(c.size(), std::size_t(1));
        c.clear();
        QCOMPARE(c.size(), std::size_t(0));
        QVERIFY(!c.find(0));
    }
};

LIVEDECK_TEST_CLASS(TstSeriesCatalog)
#include "tst_series_catalog.moc"
