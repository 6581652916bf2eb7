// HotKeyDetector: top-K precision and recall on Zipf streams against exact decayed
// counts, weighted updates, time decay and rate estimates, hot/cool events with
// hysteresis, the EventLog adapter, renormalisation and determinism.
#include "backend/resilience/hot_key_detector.h"
#include "backend/sim/random.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

using namespace livedeck;
using resilience::HotKeyConfig;
using resilience::HotKeyDetector;
using resilience::HotKeyEvent;

namespace {

constexpr sim::Nanos fromMs(std::int64_t ms)
{
    return ms * sim::kMillisecond;
}

// Scrambles a Zipf rank into a key id that says nothing about its rank.
std::uint64_t keyForRank(std::uint64_t rank)
{
    return rank * 0x9E3779B97F4A7C15ULL + 12345;
}

struct Truth {
    // Exact forward-decayed weight, 2^(t/H) per unit. Only looked up, and iterated
    // into a sorted vector, so the hash map's order never matters.
    absl::flat_hash_map<std::uint64_t, double> forward;
    double total = 0.0;

    // The k heaviest keys (ties: smaller key).
    std::vector<std::uint64_t> top(std::size_t k) const
    {
        std::vector<std::pair<double, std::uint64_t>> v;
        for (const auto& [key, w] : forward)
            v.emplace_back(w, key);
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
            return a.first > b.first || (a.first == b.first && a.second < b.second);
        });
        std::vector<std::uint64_t> out;
        for (std::size_t i = 0; i < k && i < v.size(); ++i)
            out.push_back(v[i].second);
        return out;
    }
    double share(std::uint64_t key) const
    {
        const auto it = forward.find(key);
        return it == forward.end() ? 0.0 : it->second / total;
    }
};

} // namespace

class TstHotKeyDetector : public QObject {
    Q_OBJECT

private slots:
    // The test: precision and recall of the top-K on a Zipf stream, over a
    // decaying window (the stream lasts two half-lives, truth is decayed exactly).
    void precisionRecallOnZipf_data()
    {
        QTest::addColumn<double>("exponent");
        QTest::addColumn<int>("keys");
        QTest::addColumn<int>("k");
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<double>("minPrecision");
        QTest::addColumn<double>("minRecall");

        QTest::newRow("s=0.9, 100k keys, top 20") << 0.9 << 100'000 << 20 << quint64{1} << 0.95 << 0.95;
        QTest::newRow("s=1.0, 100k keys, top 20") << 1.0 << 100'000 << 20 << quint64{2} << 0.95 << 0.95;
        QTest::newRow("s=1.2, 1M keys, top 32") << 1.2 << 1'000'000 << 32 << quint64{3} << 0.95 << 0.95;
        QTest::newRow("s=0.8, 1M keys, top 10") << 0.8 << 1'000'000 << 10 << quint64{4} << 0.9 << 0.9;
    }

    void precisionRecallOnZipf()
    {
        QFETCH(double, exponent);
        QFETCH(int, keys);
        QFETCH(int, k);
        QFETCH(quint64, seed);
        QFETCH(double, minPrecision);
        QFETCH(double, minRecall);

        sim::ManualClock clock;
        HotKeyConfig config;
        config.halfLife = sim::kSecond;
        HotKeyDetector detector(clock, config);
        sim::ZipfDistribution zipf(static_cast<std::uint64_t>(keys), exponent);
        sim::RandomStream rng(seed);
        Truth truth;
        constexpr int kUpdates = 400'000;
        const sim::Nanos step = 2 * config.halfLife / kUpdates; // the stream spans two half-lives
        for (int i = 0; i < kUpdates; ++i) {
            clock.advance(step);
            const std::uint64_t key = keyForRank(zipf(rng));
            detector.observe(key);
            const double w = std::exp2(sim::toSeconds(clock.now()) / sim::toSeconds(config.halfLife));
            truth.forward[key] += w;
            truth.total += w;
        }

        const auto reported = detector.topK();
        QVERIFY(reported.size() >= static_cast<std::size_t>(k));
        const auto trueTop = truth.top(static_cast<std::size_t>(k));
        // Precision: reported top-k keys whose true weight reaches the true k-th weight.
        const double kthWeight = truth.forward.at(trueTop.back());
        int correct = 0;
        std::set<std::uint64_t> reportedKeys;
        for (int i = 0; i < k; ++i) {
            reportedKeys.insert(reported[static_cast<std::size_t>(i)].key);
            if (truth.forward.count(reported[static_cast<std::size_t>(i)].key)
                && truth.forward.at(reported[static_cast<std::size_t>(i)].key) >= kthWeight)
                ++correct;
        }
        int found = 0;
        for (std::uint64_t key : trueTop)
            found += reportedKeys.count(key) ? 1 : 0;
        const double precision = static_cast<double>(correct) / k;
        const double recall = static_cast<double>(found) / k;
        qInfo("precision %.3f recall %.3f", precision, recall);
        QVERIFY2(precision >= minPrecision, qPrintable(QString::number(precision)));
        QVERIFY2(recall >= minRecall, qPrintable(QString::number(recall)));

        // Estimates of the reported heavy hitters are close to the truth (relative to
        // the current decayed weight) and never far above it.
        const double now = std::exp2(sim::toSeconds(clock.now()) / sim::toSeconds(config.halfLife));
        for (int i = 0; i < k; ++i) {
            const auto& e = reported[static_cast<std::size_t>(i)];
            const double exact = truth.forward.at(e.key) / now;
            QVERIFY2(e.weight <= exact * 1.05, qPrintable(QStringLiteral("over: %1 vs %2").arg(e.weight).arg(exact)));
            QVERIFY2(e.weight >= exact * 0.85, qPrintable(QStringLiteral("under: %1 vs %2").arg(e.weight).arg(exact)));
        }
        // topK() is ordered by weight, then key.
        for (std::size_t i = 1; i < reported.size(); ++i)
            QVERIFY(reported[i - 1].weight > reported[i].weight
                    || (reported[i - 1].weight == reported[i].weight && reported[i - 1].key < reported[i].key));
    }

    // Hot keys by share threshold: the set the detector flags against the exact set.
    void hotSetPrecisionRecallOnZipf()
    {
        sim::ManualClock clock;
        HotKeyConfig config;
        config.halfLife = 10 * sim::kSecond; // long against the stream: shares settle
        config.hotShare = 0.005;
        config.minTotalRatePerSec = 10'000.0; // the stream runs at 1 M/s: wait for ~144 k requests
        HotKeyDetector detector(clock, config);
        sim::ZipfDistribution zipf(200'000, 1.0);
        sim::RandomStream rng(11);
        Truth truth;
        for (int i = 0; i < 300'000; ++i) {
            clock.advance(sim::kMicrosecond);
            const std::uint64_t key = keyForRank(zipf(rng));
            detector.observe(key);
            const double w = std::exp2(sim::toSeconds(clock.now()) / 10.0);
            truth.forward[key] += w;
            truth.total += w;
        }
        std::set<std::uint64_t> trueHot;
        for (const auto& [key, w] : truth.forward) {
            if (w / truth.total >= config.hotShare)
                trueHot.insert(key);
        }
        std::set<std::uint64_t> estimatedHot;
        for (const auto& e : detector.topK()) {
            if (e.share >= config.hotShare)
                estimatedHot.insert(e.key);
            // A key flagged hot never has a true share below the cool-down level.
            if (e.hot)
                QVERIFY(truth.share(e.key) >= config.coolRatio * config.hotShare);
        }
        QVERIFY(trueHot.size() >= 10); // H(200k, 1) ≈ 12.8: ranks 1..15 hold ≥ 0.5 %
        int both = 0;
        for (std::uint64_t key : estimatedHot)
            both += trueHot.count(key) ? 1 : 0;
        const double precision = static_cast<double>(both) / static_cast<double>(estimatedHot.size());
        const double recall = static_cast<double>(both) / static_cast<double>(trueHot.size());
        qInfo("hot set: true %zu, estimated %zu, precision %.3f recall %.3f", trueHot.size(), estimatedHot.size(),
              precision, recall);
        QVERIFY(precision >= 0.9);
        QVERIFY(recall >= 0.9);
    }

    void weightedUpdatesCountWeight()
    {
        sim::ManualClock clock;
        HotKeyConfig config;
        config.halfLife = sim::kHour; // negligible decay during the test
        HotKeyDetector detector(clock, config);
        for (int i = 0; i < 5000; ++i) {
            clock.advance(sim::kMicrosecond);
            detector.observe(std::uint64_t{1}, 1.0);
            if (i % 50 == 0)
                detector.observe(std::uint64_t{2}, 100.0); // 100 discrete requests of weight 100
            detector.observe(std::uint64_t{1000 + static_cast<std::uint64_t>(i % 700)}, 1.0); // background
        }
        const auto top = detector.topK();
        QCOMPARE(top[0].key, std::uint64_t{2});
        QCOMPARE(top[1].key, std::uint64_t{1});
        QVERIFY(std::abs(detector.estimate(2) - 10'000.0) < 10'000.0 * 0.01);
        QVERIFY(std::abs(detector.estimate(1) - 5'000.0) < 5'000.0 * 0.01);
        QVERIFY(std::abs(detector.totalWeight() - 20'000.0) < 20'000.0 * 0.01);
        QCOMPARE(detector.estimate(999'999), 0.0);
        // Zero and negative weights are ignored.
        const auto updates = detector.stats().updates;
        detector.observe(std::uint64_t{3}, 0.0);
        detector.observe(std::uint64_t{3}, -1.0);
        QCOMPARE(detector.stats().updates, updates);
    }

    // A steady rate r converges to the rate estimate r (decayed weight r·H/ln 2).
    void rateEstimate_data()
    {
        QTest::addColumn<double>("ratePerSec");
        QTest::addColumn<qint64>("halfLifeMs");
        QTest::newRow("1000/s, 5 s") << 1000.0 << qint64{5000};
        QTest::newRow("200/s, 1 s") << 200.0 << qint64{1000};
        QTest::newRow("50/s, 30 s") << 50.0 << qint64{30'000};
    }

    void rateEstimate()
    {
        QFETCH(double, ratePerSec);
        QFETCH(qint64, halfLifeMs);
        sim::ManualClock clock;
        HotKeyConfig config;
        config.halfLife = halfLifeMs * sim::kMillisecond;
        HotKeyDetector detector(clock, config);
        const auto gap = static_cast<sim::Nanos>(1e9 / ratePerSec);
        const sim::Nanos end = 12 * config.halfLife;
        while (clock.now() < end) {
            clock.advance(gap);
            detector.observe(std::uint64_t{42});
        }
        QVERIFY2(std::abs(detector.ratePerSec(42) - ratePerSec) < ratePerSec * 0.05,
                 qPrintable(QString::number(detector.ratePerSec(42))));
        QVERIFY(std::abs(detector.totalRatePerSec() - ratePerSec) < ratePerSec * 0.05);
        // Silence for two half-lives: a quarter is left.
        clock.advance(2 * config.halfLife);
        QVERIFY(std::abs(detector.ratePerSec(42) - ratePerSec / 4) < ratePerSec / 4 * 0.1);
    }

    // Many half-lives: the forward-decay factor is renormalised repeatedly and the
    // estimates stay right.
    void renormalisationKeepsEstimates()
    {
        sim::ManualClock clock;
        HotKeyConfig config;
        config.halfLife = 100 * sim::kMillisecond;
        HotKeyDetector detector(clock, config);
        for (int i = 0; i < 400'000; ++i) { // 400 s = 4000 half-lives; 2^4000 would overflow
            clock.advance(sim::kMillisecond);
            detector.observe(std::uint64_t{7});
            detector.observe(std::uint64_t{8 + static_cast<std::uint64_t>(i % 3)});
        }
        QVERIFY(std::isfinite(detector.totalWeight()));
        QVERIFY(std::abs(detector.ratePerSec(7) - 1000.0) < 50.0);
        QVERIFY(std::abs(detector.totalRatePerSec() - 2000.0) < 100.0);
    }

    // A key turns hot once, stays hot without flapping, cools after it stops, and the
    // next hot key takes over; events reach the world's EventLog.
    void hotAndCoolEventsThroughEventLog()
    {
        sim::World world;
        const sim::ComponentId kv = world.components().mustAdd("sh-a/gifts/redis/0", "kv");
        HotKeyConfig config;
        config.halfLife = sim::kSecond;
        config.hotShare = 0.2;
        config.minTotalRatePerSec = 100.0;
        HotKeyDetector detector(world.clock(), config);
        std::vector<HotKeyEvent> events;
        auto sink = resilience::eventLogSink(world.events(), kv);
        detector.setEventCallback([&](const HotKeyEvent& e) {
            HotKeyEvent copy = e;
            copy.name = {}; // the view dies with the detector's slot; keep only the rest
            events.push_back(copy);
            sink(e);
        });
        sim::RandomStream rng(5);
        // 0–10 s: room/1 takes 40 % of 2000 req/s; 10–20 s: room/2 does.
        struct Driver {
            sim::World& world;
            HotKeyDetector& detector;
            sim::RandomStream& rng;
            void tick()
            {
                const bool first = world.now() < 10 * sim::kSecond;
                if (rng.bernoulli(0.4))
                    detector.observe(first ? "room/1" : "room/2");
                else
                    detector.observe(static_cast<std::uint64_t>(rng.uniformInt(10'000)));
                if (world.now() < 20 * sim::kSecond)
                    world.after(500 * sim::kMicrosecond, 0, 0, [this] { tick(); });
            }
        } driver{world, detector, rng};
        driver.tick();
        world.scheduler().runUntil(25 * sim::kSecond);
        detector.poll();

        for (const auto& e : events)
            qInfo("%s key %016llx at %.3f s", e.hot ? "hot " : "cool", static_cast<unsigned long long>(e.key),
                  sim::toSeconds(e.at));
        const std::uint64_t room1 = HotKeyDetector::keyOf("room/1");
        const std::uint64_t room2 = HotKeyDetector::keyOf("room/2");
        QCOMPARE(events.size(), std::size_t{4});
        QCOMPARE(events[0].key, room1);
        QVERIFY(events[0].hot);
        QVERIFY(events[0].at < sim::kSecond); // noticed within a half-life
        // With a 1 s half-life, room/2's share 0.4·(1 − 2^−t) passes 20 % one second
        // after the switch, and room/1's 0.4·2^−t falls below 10 % after two.
        QCOMPARE(events[1].key, room2);
        QVERIFY(events[1].hot);
        QCOMPARE(events[2].key, room1);
        QVERIFY(!events[2].hot);
        QVERIFY(events[1].at > fromMs(10'900) && events[1].at < fromMs(11'300));
        QVERIFY(events[2].at > fromMs(11'900) && events[2].at < fromMs(12'300));
        // Traffic stopped at 20 s: room/2 keeps its share but the total falls below
        // the 100/s minimum; with no traffic, the check runs at poll() (25 s).
        QCOMPARE(events[3].key, room2);
        QVERIFY(!events[3].hot);
        QCOMPARE(events[3].at, 25 * sim::kSecond);
        QCOMPARE(detector.stats().hotEvents, std::uint64_t{2});
        QCOMPARE(detector.stats().coolEvents, std::uint64_t{2});

        QCOMPARE(world.events().count("kv.hot_key"), std::uint64_t{2});
        QCOMPARE(world.events().count("kv.hot_key_cooled"), std::uint64_t{2});
        const auto& first = world.events().recent().front();
        QCOMPARE(first.kind(), std::string("kv.hot_key"));
        QCOMPARE(first.component(), std::string("sh-a/gifts/redis/0"));
        QCOMPARE(first.severity(), v1::SEVERITY_WARNING);
        bool sawKey = false;
        for (const auto& f : first.fields())
            sawKey = sawKey || (f.key() == "key" && f.value() == "room/1");
        QVERIFY(sawKey);
    }

    void absoluteRateThreshold()
    {
        sim::ManualClock clock;
        HotKeyConfig config;
        config.halfLife = sim::kSecond;
        config.hotShare = 0.0; // the absolute rule only
        config.hotRatePerSec = 500.0;
        HotKeyDetector detector(clock, config);
        // 10 s: key 1 at 600/s, key 2 at 300/s.
        for (int i = 0; i < 6000; ++i) {
            clock.set(static_cast<sim::Nanos>(i) * 10 * sim::kSecond / 6000);
            detector.observe(std::uint64_t{1});
            if (i % 2 == 0)
                detector.observe(std::uint64_t{2});
        }
        QVERIFY(detector.isHot(1));
        QVERIFY(!detector.isHot(2));
        QCOMPARE(detector.stats().hotEvents, std::uint64_t{1}); // no flapping
        QVERIFY(std::abs(detector.ratePerSec(1) - 600.0) < 30.0);
        QVERIFY(std::abs(detector.ratePerSec(2) - 300.0) < 15.0);
        // Key 1 slows to 200/s: below half the threshold, it cools at the next step.
        for (int i = 0; i < 2000; ++i) {
            clock.advance(5 * sim::kMillisecond);
            detector.observe(std::uint64_t{1});
        }
        QVERIFY(!detector.isHot(1));
        QCOMPARE(detector.stats().coolEvents, std::uint64_t{1});
    }

    void sameInputSameOutput()
    {
        auto run = [](std::uint64_t detectorSeed) {
            sim::ManualClock clock;
            HotKeyConfig config;
            config.seed = detectorSeed;
            config.topK = 16;
            config.width = 256; // small: plenty of collisions and replacements
            HotKeyDetector detector(clock, config);
            sim::ZipfDistribution zipf(50'000, 1.0);
            sim::RandomStream rng(77);
            for (int i = 0; i < 100'000; ++i) {
                clock.advance(10 * sim::kMicrosecond);
                detector.observe(keyForRank(zipf(rng)), 1.0 + static_cast<double>(i % 3));
            }
            return detector.topK();
        };
        const auto a = run(1);
        const auto b = run(1);
        QCOMPARE(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].key, b[i].key);
            QCOMPARE(a[i].weight, b[i].weight); // bit for bit
        }
        // Another hash seed moves buckets but finds the same heaviest keys.
        const auto c = run(2);
        for (std::size_t i = 0; i < 5; ++i)
            QCOMPARE(c[i].key, a[i].key);
    }

    void namesAreKeptForTopKeys()
    {
        sim::ManualClock clock;
        HotKeyDetector detector(clock);
        const std::string longName = "sh-a/gifts/panel/room/1234567890/privileged";
        for (int i = 0; i < 100; ++i) {
            clock.advance(sim::kMillisecond);
            detector.observe(longName);
            detector.observe("room/7");
        }
        const auto top = detector.topK();
        QCOMPARE(top.size(), std::size_t{2});
        QCOMPARE(top[0].name.empty(), false);
        std::set<std::string> names{top[0].name, top[1].name};
        QVERIFY(names.count(longName));
        QVERIFY(names.count("room/7"));
        QCOMPARE(HotKeyDetector::keyOf("room/7"), HotKeyDetector::keyOf(std::string("room/7")));
        QVERIFY(HotKeyDetector::keyOf("room/7") != HotKeyDetector::keyOf("room/8"));
    }
};

LIVEDECK_TEST_CLASS(TstHotKeyDetector)
#include "tst_hot_key_detector.moc"
