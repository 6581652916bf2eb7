// Histogram: quantiles against exact (nearest-rank) quantiles of random data from
// several distributions, weighted records, merge, reset and the bucket layout.
#include "tests/common/multi_test.h"

#include "backend/sim/random.h"
#include "backend/telemetry/histogram.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

using livedeck::sim::RandomStream;
using livedeck::telemetry::Histogram;

namespace {

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999};
constexpr double kMaxRelativeError = 0.01; // histogram.h promises <= 1/128

// Draws `n` values of a named distribution (values are nanosecond-like int64).
std::vector<std::int64_t> draw(const QString& dist, int n, std::uint64_t seed)
{
    RandomStream rng(seed);
    std::vector<std::int64_t> v;
    v.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        double x = 0;
        if (dist == QLatin1String("uniform-small"))
            x = static_cast<double>(rng.uniformInt(64)); // every value < 64: exact buckets
        else if (dist == QLatin1String("uniform"))
            x = rng.uniform(0, 1e6);
        else if (dist == QLatin1String("uniform-wide"))
            x = rng.uniform(1e3, 1e12);
        else if (dist == QLatin1String("exponential"))
            x = rng.exponential(5e6);
        else if (dist == QLatin1String("lognormal-heavy"))
            x = rng.lognormalMedianP99(2e6, 4e8); // p99 two hundred times the median
        else if (dist == QLatin1String("lognormal-sigma3"))
            x = rng.lognormal(10.0, 3.0);
        else if (dist == QLatin1String("constant"))
            x = 12'345'678;
        else if (dist == QLatin1String("constant-small"))
            x = 7;
        else if (dist == QLatin1String("bimodal"))
            x = rng.bernoulli(0.95) ? rng.uniform(1e5, 2e5) : rng.uniform(5e8, 6e8);
        else
            qFatal("unknown distribution");
        v.push_back(static_cast<std::int64_t>(std::min(x, 9e18)));
    }
    return v;
}

// Weighted nearest-rank quantile: the smallest value whose cumulative weight reaches
// q * total (rank computed exactly as Histogram::quantile does).
double exactQuantile(std::vector<std::pair<std::int64_t, double>> values, double q)
{
    std::sort(values.begin(), values.end());
    double total = 0;
    for (const auto& [v, w] : values)
        total += w;
    const double rank = q * total;
    double seen = 0;
    for (const auto& [v, w] : values) {
        seen += w;
        if (seen >= rank)
            return static_cast<double>(v);
    }
    return static_cast<double>(values.back().first);
}

double relativeError(double estimate, double exact)
{
    if (exact == 0.0)
        return estimate == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
    return std::abs(estimate - exact) / std::abs(exact);
}

void checkQuantiles(const Histogram& h, const std::vector<std::pair<std::int64_t, double>>& values, bool exactBelow64)
{
    for (const double q : kQuantiles) {
        const double exact = exactQuantile(values, q);
        const double estimate = h.quantile(q);
        const double err = relativeError(estimate, exact);
        if (exactBelow64 && exact < 64)
            QCOMPARE(estimate, exact);
        if (err > kMaxRelativeError)
            QFAIL(qPrintable(QStringLiteral("q=%1: estimate %2, exact %3, relative error %4 > 1 %")
                                 .arg(q)
                                 .arg(estimate, 0, 'f', 1)
                                 .arg(exact, 0, 'f', 1)
                                 .arg(err)));
    }
}

std::vector<std::pair<std::int64_t, double>> unweighted(const std::vector<std::int64_t>& v)
{
    std::vector<std::pair<std::int64_t, double>> out;
    out.reserve(v.size());
    for (const std::int64_t x : v)
        out.emplace_back(x, 1.0);
    return out;
}

} // namespace

class TstHistogram : public QObject {
    Q_OBJECT

private slots:
    void quantiles_data()
    {
        QTest::addColumn<QString>("dist");
        QTest::addColumn<int>("n");
        QTest::addColumn<quint64>("seed");
        QTest::newRow("uniform values < 64") << QStringLiteral("uniform-small") << 10'000 << quint64(1);
        QTest::newRow("uniform 0..1e6") << QStringLiteral("uniform") << 50'000 << quint64(2);
        QTest::newRow("uniform 1e3..1e12") << QStringLiteral("uniform-wide") << 50'000 << quint64(3);
        QTest::newRow("exponential mean 5 ms") << QStringLiteral("exponential") << 50'000 << quint64(4);
        QTest::newRow("lognormal heavy tail") << QStringLiteral("lognormal-heavy") << 100'000 << quint64(5);
        QTest::newRow("lognormal sigma 3") << QStringLiteral("lognormal-sigma3") << 100'000 << quint64(6);
        QTest::newRow("constant") << QStringLiteral("constant") << 1'000 << quint64(7);
        QTest::newRow("constant < 64") << QStringLiteral("constant-small") << 1'000 << quint64(8);
        QTest::newRow("bimodal") << QStringLiteral("bimodal") << 50'000 << quint64(9);
        QTest::newRow("few samples") << QStringLiteral("lognormal-heavy") << 7 << quint64(10);
        QTest::newRow("one sample") << QStringLiteral("exponential") << 1 << quint64(11);
    }

    void quantiles()
    {
        QFETCH(QString, dist);
        QFETCH(int, n);
        QFETCH(quint64, seed);
        const std::vector<std::int64_t> values = draw(dist, n, seed);
        Histogram h;
        double sum = 0;
        for (const std::int64_t v : values) {
            h.record(v);
            sum += static_cast<double>(v);
        }
        QCOMPARE(h.count(), static_cast<double>(n));
        QCOMPARE(h.min(), *std::min_element(values.begin(), values.end()));
        QCOMPARE(h.max(), *std::max_element(values.begin(), values.end()));
        QVERIFY(std::abs(h.sum() - sum) <= 1e-9 * std::abs(sum));
        QVERIFY(std::abs(h.mean() - sum / n) <= 1e-9 * std::abs(sum / n) + 1e-12);
        checkQuantiles(h, unweighted(values), true);
        // Quantiles are monotonic in q and stay within [min, max].
        double previous = h.quantile(0.0);
        QCOMPARE(previous, static_cast<double>(h.min()));
        for (double q = 0.05; q <= 1.0; q += 0.05) {
            const double x = h.quantile(q);
            QVERIFY2(x >= previous, qPrintable(QStringLiteral("q=%1 went down").arg(q)));
            QVERIFY(x <= static_cast<double>(h.max()));
            previous = x;
        }
    }

    void weighted_data()
    {
        QTest::addColumn<QString>("dist");
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<bool>("fractional");
        QTest::newRow("exponential, integer weights") << QStringLiteral("exponential") << quint64(21) << false;
        QTest::newRow("lognormal, integer weights") << QStringLiteral("lognormal-heavy") << quint64(22) << false;
        QTest::newRow("lognormal, quarter weights") << QStringLiteral("lognormal-heavy") << quint64(23) << true;
        QTest::newRow("small values, quarter weights") << QStringLiteral("uniform-small") << quint64(24) << true;
    }

    // A record of weight w stands for w real requests (docs/ARCHITECTURE.md, property 3).
    void weighted()
    {
        QFETCH(QString, dist);
        QFETCH(quint64, seed);
        QFETCH(bool, fractional);
        const std::vector<std::int64_t> values = draw(dist, 20'000, seed);
        RandomStream wrng(seed * 7 + 1);
        Histogram weightedH;
        Histogram expanded; // integer weights only: the same data recorded w times
        std::vector<std::pair<std::int64_t, double>> pairs;
        double total = 0;
        double sum = 0;
        for (const std::int64_t v : values) {
            // Quarter weights are exact in binary, so cumulative sums are exact.
            const double w = fractional ? 0.25 * static_cast<double>(1 + wrng.uniformInt(40))
                                        : static_cast<double>(1 + wrng.uniformInt(10));
            weightedH.record(v, w);
            if (!fractional) {
                for (int i = 0; i < static_cast<int>(w); ++i)
                    expanded.record(v);
            }
            pairs.emplace_back(v, w);
            total += w;
            sum += static_cast<double>(v) * w;
        }
        QCOMPARE(weightedH.count(), total);
        QVERIFY(std::abs(weightedH.sum() - sum) <= 1e-9 * sum + 1e-9);
        checkQuantiles(weightedH, pairs, true);
        if (!fractional) {
            QCOMPARE(expanded.count(), weightedH.count());
            for (const double q : kQuantiles)
                QCOMPARE(weightedH.quantile(q), expanded.quantile(q));
        }
        // Weight moves quantiles: one heavy record at a large value owns the tail.
        Histogram h;
        h.record(1'000, 1.0);
        h.record(1'000'000, 99.0);
        QVERIFY(relativeError(h.quantile(0.01), 1e3) <= kMaxRelativeError);
        QVERIFY(relativeError(h.quantile(0.011), 1e6) <= kMaxRelativeError);
        QVERIFY(relativeError(h.quantile(0.5), 1e6) <= kMaxRelativeError);
    }

    void merge_data()
    {
        QTest::addColumn<QString>("distA");
        QTest::addColumn<QString>("distB");
        QTest::newRow("uniform + lognormal") << QStringLiteral("uniform") << QStringLiteral("lognormal-heavy");
        QTest::newRow("small + wide") << QStringLiteral("uniform-small") << QStringLiteral("uniform-wide");
        QTest::newRow("exponential + constant") << QStringLiteral("exponential") << QStringLiteral("constant");
    }

    void merge()
    {
        QFETCH(QString, distA);
        QFETCH(QString, distB);
        const auto a = draw(distA, 30'000, 31);
        const auto b = draw(distB, 20'000, 32);
        Histogram ha, hb, all;
        for (const auto v : a) {
            ha.record(v, 2.0);
            all.record(v, 2.0);
        }
        for (const auto v : b) {
            hb.record(v);
            all.record(v);
        }
        Histogram merged;
        merged.merge(ha); // into an empty one: takes min/max from the other
        merged.merge(hb);
        merged.merge(Histogram{}); // merging an empty histogram changes nothing
        QCOMPARE(merged.count(), all.count());
        QCOMPARE(merged.min(), all.min());
        QCOMPARE(merged.max(), all.max());
        QVERIFY(std::abs(merged.sum() - all.sum()) <= 1e-9 * all.sum());
        for (const double q : kQuantiles)
            QCOMPARE(merged.quantile(q), all.quantile(q));
        std::vector<std::pair<std::int64_t, double>> pairs;
        for (const auto v : a)
            pairs.emplace_back(v, 2.0);
        for (const auto v : b)
            pairs.emplace_back(v, 1.0);
        checkQuantiles(merged, pairs, true);
    }

    void reset()
    {
        Histogram h;
        for (const auto v : draw(QStringLiteral("lognormal-heavy"), 10'000, 41))
            h.record(v);
        QVERIFY(h.count() > 0);
        h.reset();
        QCOMPARE(h.count(), 0.0);
        QCOMPARE(h.sum(), 0.0);
        QCOMPARE(h.mean(), 0.0);
        QCOMPARE(h.min(), std::int64_t{0});
        QCOMPARE(h.max(), std::int64_t{0});
        QCOMPARE(h.quantile(0.99), 0.0);
        // After a reset only the new data counts (the interval semantics of rollups).
        const auto fresh = draw(QStringLiteral("uniform"), 10'000, 42);
        for (const auto v : fresh)
            h.record(v);
        QCOMPARE(h.count(), 10'000.0);
        QCOMPARE(h.min(), *std::min_element(fresh.begin(), fresh.end()));
        checkQuantiles(h, unweighted(fresh), true);
    }

    void edgeCases()
    {
        Histogram h;
        QCOMPARE(h.quantile(0.5), 0.0); // empty
        h.record(-5);                    // negative counts as 0
        QCOMPARE(h.min(), std::int64_t{0});
        QCOMPARE(h.quantile(1.0), 0.0);
        h.record(100, 0.0); // zero weight: nothing
        h.record(100, -3.0);
        h.record(100, std::numeric_limits<double>::quiet_NaN());
        QCOMPARE(h.count(), 1.0);
        QCOMPARE(h.max(), std::int64_t{0});

        // The largest values land in the top bucket without overflowing.
        Histogram big;
        const std::int64_t top = std::numeric_limits<std::int64_t>::max();
        big.record(top);
        big.record(top - 1'000);
        QCOMPARE(big.max(), top);
        QVERIFY(relativeError(big.quantile(0.5), static_cast<double>(top)) <= kMaxRelativeError);
        QVERIFY(big.quantile(1.0) <= static_cast<double>(top));
        QVERIFY(Histogram::bucketHigh(Histogram::bucketIndex(top)) == top); // saturated, not wrapped
        // q outside [0, 1] is clamped.
        QCOMPARE(big.quantile(-1.0), big.quantile(0.0));
        QCOMPARE(big.quantile(2.0), big.quantile(1.0));
    }

    void bucketLayout_data()
    {
        QTest::addColumn<qint64>("value");
        for (const qint64 v : {qint64(0), qint64(1), qint64(63), qint64(64), qint64(65), qint64(127), qint64(128),
                               qint64(1'000), qint64(65'535), qint64(1'000'000), qint64(123'456'789),
                               qint64(1) << 40, (qint64(1) << 62) + 12345, std::numeric_limits<qint64>::max()})
            QTest::newRow(qPrintable(QString::number(v))) << v;
    }

    // Every value falls in [low, high) of its bucket; buckets are at most 1/64 of
    // their lower bound wide, and exact (width 1) below 128.
    void bucketLayout()
    {
        QFETCH(qint64, value);
        const std::size_t i = Histogram::bucketIndex(value);
        const std::int64_t low = Histogram::bucketLow(i);
        const std::int64_t high = Histogram::bucketHigh(i);
        QVERIFY(low <= value);
        QVERIFY(value < high || (value == std::numeric_limits<qint64>::max() && high == value));
        if (value < 128)
            QCOMPARE(high - low, std::int64_t{1});
        else
            QVERIFY(static_cast<double>(high - low) <= static_cast<double>(low) / 64.0 + 1.0);
        if (i > 0)
            QCOMPARE(Histogram::bucketHigh(i - 1), low); // contiguous
    }
};

LIVEDECK_TEST_CLASS(TstHistogram)
#include "tst_histogram.moc"
