#include "backend/sim/random.h"
#include "tests/common/multi_test.h"

#include <cmath>
#include <vector>

using namespace livedeck::sim;

class TstRandom : public QObject {
    Q_OBJECT
private slots:
    void sameSeedSamePathSameDraws()
    {
        RandomStream a = RandomStream::derive(7, "sh-a/gifts/order-db/3");
        RandomStream b = RandomStream::derive(7, "sh-a/gifts/order-db/3");
        for (int i = 0; i < 1000; ++i)
            QCOMPARE(a.next(), b.next());
    }

    void streamsAreIndependentOfEachOther()
    {
        // Drawing from another stream (or adding a component) leaves a stream unchanged.
        RandomStream solo = RandomStream::derive(7, "sh-a/gifts/panel");
        std::vector<std::uint64_t> expected;
        for (int i = 0; i < 100; ++i)
            expected.push_back(solo.next());
        RandomStream other = RandomStream::derive(7, "sh-b/gifts/panel");
        RandomStream again = RandomStream::derive(7, "sh-a/gifts/panel");
        RandomStream added = RandomStream::derive(7, "sh-a/gifts/new-component");
        for (int i = 0; i < 100; ++i) {
            other.next();
            added.next();
            QCOMPARE(again.next(), expected[static_cast<std::size_t>(i)]);
        }
    }

    void differentSeedsOrPathsDiffer()
    {
        RandomStream a = RandomStream::derive(1, "x");
        RandomStream b = RandomStream::derive(2, "x");
        RandomStream c = RandomStream::derive(1, "y");
        const auto va = a.next();
        QVERIFY(va != b.next());
        QVERIFY(va != c.next());
    }

    void goldenValuesAreStable()
    {
        // Pinned: every recorded run and seed sweep depends on these draws, so a change
        // to the generator, the seeding or the path hash must be noticed here.
        RandomStream r(12345);
        QCOMPARE(r.next(), Q_UINT64_C(13720838825685603483));
        RandomStream d = RandomStream::derive(42, "gz/gifts/mq");
        QCOMPARE(d.next(), Q_UINT64_C(7850979260848912130));
        QCOMPARE(hashPath("sh-a/gifts/order-db/3"), Q_UINT64_C(14228436705630949889));
    }

    void distributionMoments_data()
    {
        QTest::addColumn<QString>("dist");
        QTest::addColumn<double>("expectedMean");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("uniform01") << QStringLiteral("uniform01") << 0.5 << 0.01;
        QTest::newRow("exponential(3)") << QStringLiteral("exp3") << 3.0 << 0.05;
        QTest::newRow("normal(10,2)") << QStringLiteral("normal") << 10.0 << 0.05;
        QTest::newRow("bernoulli(0.3)") << QStringLiteral("bern") << 0.3 << 0.01;
        QTest::newRow("uniformInt(10)") << QStringLiteral("int10") << 4.5 << 0.05;
        QTest::newRow("lognormal(0,0.5)") << QStringLiteral("lognormal") << std::exp(0.125) << 0.02;
    }
    void distributionMoments()
    {
        QFETCH(QString, dist);
        QFETCH(double, expectedMean);
        QFETCH(double, tolerance);
        RandomStream r = RandomStream::derive(99, dist.toStdString());
        const int n = 200000;
        double sum = 0;
        for (int i = 0; i < n; ++i) {
            double v = 0;
            if (dist == QLatin1String("uniform01"))
                v = r.uniform01();
            else if (dist == QLatin1String("exp3"))
                v = r.exponential(3.0);
            else if (dist == QLatin1String("normal"))
                v = r.normal(10.0, 2.0);
            else if (dist == QLatin1String("bern"))
                v = r.bernoulli(0.3) ? 1 : 0;
            else if (dist == QLatin1String("int10"))
                v = static_cast<double>(r.uniformInt(10));
            else if (dist == QLatin1String("lognormal"))
                v = r.lognormal(0.0, 0.5);
            sum += v;
        }
        const double mean = sum / n;
        QVERIFY2(std::fabs(mean - expectedMean) < tolerance,
                 qPrintable(QStringLiteral("mean %1 expected %2").arg(mean).arg(expectedMean)));
    }

    void uniformIntIsInRangeAndCoversIt()
    {
        RandomStream r(5);
        std::vector<int> seen(7, 0);
        for (int i = 0; i < 7000; ++i) {
            const auto v = r.uniformInt(7);
            QVERIFY(v < 7);
            ++seen[v];
        }
        for (int c : seen)
            QVERIFY(c > 800 && c < 1200);
        for (int i = 0; i < 1000; ++i) {
            const auto v = r.uniformRange(-3, 3);
            QVERIFY(v >= -3 && v <= 3);
        }
    }

    void lognormalMedianP99()
    {
        RandomStream r(8);
        std::vector<double> v;
        for (int i = 0; i < 100000; ++i)
            v.push_back(r.lognormalMedianP99(10.0, 50.0));
        std::sort(v.begin(), v.end());
        QVERIFY(std::fabs(v[50000] - 10.0) < 0.3);
        QVERIFY(std::fabs(v[99000] - 50.0) < 3.0);
    }

    void zipfMatchesItsProbabilities_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<double>("s");
        QTest::newRow("rooms n=1000 s=1.1") << 1000 << 1.1;
        QTest::newRow("keys n=100000 s=0.99") << 100000 << 0.99;
        QTest::newRow("n=50 s=2") << 50 << 2.0;
        QTest::newRow("n=10 s=0.5") << 10 << 0.5;
    }
    void zipfMatchesItsProbabilities()
    {
        QFETCH(int, n);
        QFETCH(double, s);
        ZipfDistribution z(static_cast<std::uint64_t>(n), s);
        RandomStream r(2024);
        const int draws = 300000;
        std::vector<int> count(11, 0);
        for (int i = 0; i < draws; ++i) {
            const auto k = z(r);
            QVERIFY(k >= 1 && k <= static_cast<std::uint64_t>(n));
            if (k <= 10)
                ++count[k];
        }
        for (std::uint64_t k = 1; k <= 5 && k <= static_cast<std::uint64_t>(n); ++k) {
            const double expected = z.probability(k) * draws;
            const double sigma = std::sqrt(expected);
            QVERIFY2(std::fabs(count[k] - expected) < 5 * sigma + 1,
                     qPrintable(QStringLiteral("rank %1: %2 vs %3").arg(k).arg(count[k]).arg(expected)));
        }
        double total = 0;
        for (int k = 1; k <= n; ++k)
            total += z.probability(static_cast<std::uint64_t>(k));
        QVERIFY(std::fabs(total - 1.0) < 1e-6);
    }
};

LIVEDECK_TEST_CLASS(TstRandom)
#include "tst_random.moc"
