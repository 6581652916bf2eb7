// Autoscaler: HPA-style scaling of a ServiceQueue's pods on measured busy share: scale up
// after the sync period with pods ready after the start-up delay, the unready-pod rule,
// tolerance, the scale-up rate limit, scale-down only after the stabilisation window,
// min/max, and determinism.
#include "backend/infra/autoscaler.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <cmath>
#include <memory>
#include <tuple>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr const char* kService = "sh-a/gifts/order-svc";
constexpr const char* kHpa = "sh-a/gifts/order-svc/hpa";

// Offered load: every millisecond a job of offered/50 real requests, each in service
// for 50 ms: `offered` requests in service on average when capacity allows. Small jobs keep
// the queue's weight granularity (a job waits until all of it fits) under 2 %.
struct Load {
    static constexpr sim::Nanos kInterval = sim::kMillisecond;
    static constexpr double kJobsInService = 50.0;
    sim::World& world;
    ServiceQueue& queue;
    double offered = 0.0;
    sim::EventKindId kind;

    Load(sim::World& w, ServiceQueue& q, double units) : world(w), queue(q), offered(units), kind(w.kind("test.load"))
    {
        // Off the samplers' grid, so no sample ties with an arrival or a completion.
        world.after(37 * sim::kMicrosecond, kind, sim::kNoComponent, [this] { tick(); });
    }
    void tick()
    {
        if (offered > 0) {
            queue.submit(
                offered / kJobsInService, [](bool&) -> sim::Nanos { return 50 * sim::kMillisecond; },
                [](ServiceOutcome, sim::Nanos) {});
        }
        world.after(kInterval, kind, sim::kNoComponent, [this] { tick(); });
    }
};

struct Fixture {
    sim::World world;
    telemetry::MetricsRegistry metrics;
    std::unique_ptr<ServiceQueue> queue;
    std::unique_ptr<Autoscaler> hpa;
    std::unique_ptr<Load> load;

    Fixture(AutoscalerConfig config, double offered)
    {
        ServiceConfig sc;
        sc.noiseSigma = 0.0;
        sc.maxQueue = 1e9;
        queue = std::make_unique<ServiceQueue>(world, world.components().mustAdd(kService, "service"), sc, &metrics,
                                               "svc");
        hpa = std::make_unique<Autoscaler>(world, kHpa, *queue, config, &metrics);
        load = std::make_unique<Load>(world, *queue, offered);
    }
    void runUntil(sim::Nanos t) { world.scheduler().runUntil(t); }
};

AutoscalerConfig baseConfig()
{
    AutoscalerConfig c;
    c.minReplicas = 2;
    c.maxReplicas = 10;
    c.podCapacity = 100.0;
    c.targetUtilisation = 0.8;
    return c;
}

} // namespace

class TstAutoscaler : public QObject {
    Q_OBJECT

private slots:
    void scalesUpAfterSyncPeriodWithStartupDelay()
    {
        // 300 requests in service wanted, 2 pods × 100 = 200 capacity: saturated.
        Fixture f(baseConfig(), 300.0);
        const AutoscalerConfig& cfg = f.hpa->config();
        QCOMPARE(f.queue->config().concurrency, 200.0);
        f.runUntil(cfg.syncPeriod - 1);
        QCOMPARE(f.hpa->pods(), 2);
        QVERIFY(f.hpa->history().empty());

        f.runUntil(cfg.syncPeriod);
        // 100 % busy against an 80 % target: ceil(2 × 1.25) = 3.
        QCOMPARE(f.hpa->history().size(), std::size_t{1});
        QCOMPARE(f.hpa->history()[0].time, cfg.syncPeriod);
        QCOMPARE(f.hpa->history()[0].from, 2);
        QCOMPARE(f.hpa->history()[0].to, 3);
        QVERIFY(f.hpa->history()[0].utilisation > 0.98);
        // Saturated: work piles up in the queue.
        QVERIFY2(f.queue->queuedJobs() > 100, qPrintable(QString::number(f.queue->queuedJobs())));
        QCOMPARE(f.world.events().count("autoscaler.scale"), std::uint64_t{1});
        QCOMPARE(f.hpa->pods(), 3);
        QCOMPARE(f.hpa->readyPods(), 2);
        QCOMPARE(f.queue->config().concurrency, 200.0); // not ready yet: no capacity

        // While the pod starts, it counts as idle: the next sync asks for nothing more.
        f.runUntil(cfg.syncPeriod + cfg.podStartupDelay - 1);
        QCOMPARE(f.hpa->pods(), 3);
        QCOMPARE(f.hpa->readyPods(), 2);
        QCOMPARE(f.queue->config().concurrency, 200.0);
        f.runUntil(cfg.syncPeriod + cfg.podStartupDelay);
        QCOMPARE(f.hpa->readyPods(), 3);
        QVERIFY(f.queue->config().concurrency >= 300.0);

        // It settles where 300 in service is within tolerance of 80 %: 4 pods (75 %).
        f.runUntil(180 * sim::kSecond);
        QCOMPARE(f.hpa->pods(), 4);
        QCOMPARE(f.hpa->readyPods(), 4);
        QCOMPARE(f.queue->config().concurrency, 400.0);
        // The added capacity is real: the backlog is gone and every request is served
        // at once.
        // (Before, jobs that had waited over a second were turned away.)
        QCOMPARE(f.queue->queuedJobs(), std::size_t{0});
        QVERIFY(f.queue->rejected() > 0);
        const std::uint64_t served = f.queue->completed();
        const std::uint64_t rejected = f.queue->rejected();
        f.runUntil(181 * sim::kSecond);
        QVERIFY(f.queue->completed() - served >= 990); // one job per ms
        QCOMPARE(f.queue->rejected(), rejected);
        QCOMPARE(f.queue->queuedJobs(), std::size_t{0});
        QVERIFY2(std::abs(f.hpa->lastUtilisation() - 0.75) < 0.01, qPrintable(QString::number(f.hpa->lastUtilisation())));
        QCOMPARE(f.metrics.findGauge("autoscaler.utilisation", kHpa)->value(), f.hpa->lastUtilisation());
        QCOMPARE(f.metrics.findGauge("autoscaler.ready", kHpa)->value(), 4.0);
        const std::size_t events = f.hpa->history().size();
        f.runUntil(300 * sim::kSecond);
        QCOMPARE(f.hpa->history().size(), events); // stable
    }

    void toleranceAndTargets_data()
    {
        QTest::addColumn<double>("offered");
        QTest::addColumn<int>("expectedPods");
        // 4 pods = 400 capacity; target 80 %, tolerance 0.1.
        QTest::newRow("85 %: within tolerance") << 340.0 << 4;
        QTest::newRow("75 %: within tolerance") << 300.0 << 4;
        QTest::newRow("95 %: up to ceil(4 × 1.1875) = 5") << 380.0 << 5;
        QTest::newRow("50 %: down to ceil(4 × 0.625) = 3") << 200.0 << 3;
    }
    void toleranceAndTargets()
    {
        QFETCH(double, offered);
        QFETCH(int, expectedPods);
        AutoscalerConfig cfg = baseConfig();
        cfg.initialReplicas = 4;
        cfg.scaleDownStabilisation = 0; // judge one sync
        Fixture f(cfg, offered);
        f.runUntil(cfg.syncPeriod);
        QCOMPARE(f.hpa->pods(), expectedPods);
        QVERIFY2(std::abs(f.hpa->lastUtilisation() - offered / 400.0) < 0.01,
                 qPrintable(QString::number(f.hpa->lastUtilisation())));
    }

    void scaleUpIsRateLimited()
    {
        // A 10 % target makes the formula ask for 20 pods at once; the HPA's default
        // behaviour allows max(+100 %, +4 pods) per 15 s: 2 → 6.
        AutoscalerConfig cfg = baseConfig();
        cfg.targetUtilisation = 0.1;
        cfg.maxReplicas = 50;
        Fixture f(cfg, 300.0);
        f.runUntil(cfg.syncPeriod);
        QCOMPARE(f.hpa->lastRecommendation(), 20);
        QCOMPARE(f.hpa->pods(), 6);
        // The next period starts from 6: at most 12.
        f.runUntil(2 * cfg.syncPeriod);
        QVERIFY(f.hpa->pods() <= 12);
        QVERIFY(f.hpa->pods() > 6);
    }

    void scalesDownOnlyAfterStabilisationWindow()
    {
        AutoscalerConfig cfg = baseConfig();
        cfg.initialReplicas = 4;
        auto f = std::make_unique<Fixture>(cfg, 300.0); // 75 %: steady at 4
        f->runUntil(60 * sim::kSecond);
        QCOMPARE(f->hpa->pods(), 4);
        QVERIFY(f->hpa->history().empty());
        // Load drops just after the 60 s sync: every later recommendation is low.
        f->runUntil(61 * sim::kSecond);
        f->load->offered = 30.0;
        f->runUntil(75 * sim::kSecond);
        QVERIFY(f->hpa->lastRecommendation() < 4);
        // The 60 s recommendation (4) holds the deployment for 300 s.
        const sim::Nanos lastHigh = 60 * sim::kSecond;
        f->runUntil(lastHigh + cfg.scaleDownStabilisation - 1);
        QCOMPARE(f->hpa->pods(), 4);
        QVERIFY(f->hpa->history().empty());
        f->runUntil(lastHigh + cfg.scaleDownStabilisation);
        QCOMPARE(f->hpa->history().size(), std::size_t{1});
        QCOMPARE(f->hpa->history()[0].time, lastHigh + cfg.scaleDownStabilisation);
        QCOMPARE(f->hpa->pods(), cfg.minReplicas); // 30 in service: 1 pod by the formula, min 2
        QCOMPARE(f->queue->config().concurrency, 200.0);
    }

    void respectsMinAndMax_data()
    {
        QTest::addColumn<double>("offered");
        QTest::addColumn<int>("minReplicas");
        QTest::addColumn<int>("maxReplicas");
        QTest::addColumn<int>("initial");
        QTest::addColumn<int>("expected");
        QTest::newRow("overload capped at max") << 5000.0 << 2 << 5 << 2 << 5;
        QTest::newRow("idle floored at min") << 0.0 << 3 << 10 << 8 << 3;
    }
    void respectsMinAndMax()
    {
        QFETCH(double, offered);
        QFETCH(int, minReplicas);
        QFETCH(int, maxReplicas);
        QFETCH(int, initial);
        QFETCH(int, expected);
        AutoscalerConfig cfg = baseConfig();
        cfg.minReplicas = minReplicas;
        cfg.maxReplicas = maxReplicas;
        cfg.initialReplicas = initial;
        cfg.scaleDownStabilisation = 30 * sim::kSecond;
        Fixture f(cfg, offered);
        int lowest = initial;
        int highest = initial;
        for (sim::Nanos t = sim::kSecond; t <= 240 * sim::kSecond; t += sim::kSecond) {
            f.runUntil(t);
            lowest = std::min(lowest, f.hpa->pods());
            highest = std::max(highest, f.hpa->pods());
        }
        QVERIFY(lowest >= minReplicas);
        QVERIFY(highest <= maxReplicas);
        QCOMPARE(f.hpa->pods(), expected);
        QCOMPARE(f.hpa->readyPods(), expected);
        // An operator narrows the bounds: the next sync obeys.
        f.hpa->setBounds(4, 4);
        f.runUntil(f.world.now() + f.hpa->config().syncPeriod);
        QCOMPARE(f.hpa->pods(), 4);
    }

    void removesStartingPodsFirst()
    {
        AutoscalerConfig cfg = baseConfig();
        cfg.scaleDownStabilisation = 0;
        cfg.podStartupDelay = 120 * sim::kSecond;
        Fixture f(cfg, 300.0);
        f.runUntil(cfg.syncPeriod);
        QCOMPARE(f.hpa->pods(), 3);
        f.load->offered = 0.0;
        // At the next sync the service is idle: back to 2, and the starting pod goes.
        f.runUntil(2 * cfg.syncPeriod + 50 * sim::kMillisecond);
        QCOMPARE(f.hpa->pods(), 2);
        QCOMPARE(f.hpa->readyPods(), 2);
        QCOMPARE(f.hpa->startingPods(), 0);
        f.runUntil(cfg.syncPeriod + cfg.podStartupDelay);
        QCOMPARE(f.hpa->readyPods(), 2); // its ready event found nothing
    }

    void latencyFaultOnTheServiceScalesOut()
    {
        // 150 in service on 2 pods: 75 %, steady. A latency fault doubling the service
        // time doubles the busy share: the HPA scales out on it, and back in (after the
        // stabilisation window) when the fault is cleared.
        AutoscalerConfig cfg = baseConfig();
        cfg.scaleDownStabilisation = 60 * sim::kSecond;
        Fixture f(cfg, 150.0);
        f.runUntil(60 * sim::kSecond);
        QCOMPARE(f.hpa->pods(), 2);
        QVERIFY(f.hpa->history().empty());
        v1::FaultSpec fault;
        fault.set_kind(v1::FAULT_LATENCY);
        fault.set_target(kService);
        auto* p = fault.add_params();
        p->set_name("multiply");
        p->set_value(2.0);
        const auto id = f.world.faults().inject(fault);
        QVERIFY(id.ok());
        f.runUntil(240 * sim::kSecond);
        QCOMPARE(f.hpa->pods(), 4); // 300 in service: 75 % of 4 pods
        QVERIFY(std::abs(f.hpa->lastUtilisation() - 0.75) < 0.02);
        QVERIFY(f.world.faults().clear(*id).ok());
        f.runUntil(420 * sim::kSecond);
        QCOMPARE(f.hpa->pods(), 2);
        QCOMPARE(f.hpa->history().back().to, 2);
    }

    void deterministic()
    {
        auto run = [] {
            Fixture f(baseConfig(), 450.0);
            f.runUntil(200 * sim::kSecond);
            f.load->offered = 50.0;
            f.runUntil(700 * sim::kSecond);
            std::vector<std::tuple<sim::Nanos, int, int, double>> out;
            for (const ScaleRecord& r : f.hpa->history())
                out.emplace_back(r.time, r.from, r.to, r.utilisation);
            return std::make_pair(out, f.world.traceHash());
        };
        const auto a = run();
        QVERIFY(a.first.size() >= 3); // up, more up, and down after the window
        QVERIFY(std::get<2>(a.first.back()) < std::get<1>(a.first.back()));
        QVERIFY(a == run());
    }
};

LIVEDECK_TEST_CLASS(TstAutoscaler)
#include "tst_autoscaler.moc"
