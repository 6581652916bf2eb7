// ServiceQueue: a job that defers its cost (its work runs elsewhere) holds its capacity
// until settled and completes at its start plus the service time of the settled cost,
// or at the settling if that is later; its noise and faults are those of its start; a
// deferred job and a plain one draw the same noise.
#include "backend/infra/service_queue.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <memory>
#include <vector>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr const char* kService = "sh-a/gifts/order-db/0";

struct Fixture {
    sim::World world;
    telemetry::MetricsRegistry metrics;
    std::unique_ptr<ServiceQueue> queue;
    sim::EventKindId kind;

    explicit Fixture(double noiseSigma, double concurrency = 1'000.0)
        : world(sim::WorldConfig{7, sim::Topology::defaults(), sim::Calendar(), "test"}), kind(world.kind("test.settle"))
    {
        ServiceConfig sc;
        sc.noiseSigma = noiseSigma;
        sc.concurrency = concurrency;
        queue = std::make_unique<ServiceQueue>(world, world.components().mustAdd(kService, "sql-instance"), sc,
                                               &metrics, "sql");
    }
};

} // namespace

class TstServiceQueue : public QObject {
    Q_OBJECT

private slots:
    // Settled before its service time is up: it completes at start + service time.
    // Settled after: it completes at the settling. Its capacity is held meanwhile.
    void deferredJobCompletesAtItsServiceTimeOrItsSettling()
    {
        Fixture f(0.0, 1.0);
        std::vector<sim::Nanos> doneAt;
        ServiceQueue::Deferral d1;
        f.queue->submit(
            1.0, [&](bool&) { d1 = f.queue->defer(); return sim::Nanos{123}; },
            [&](ServiceOutcome o, sim::Nanos) {
                QCOMPARE(o, ServiceOutcome::Ok);
                doneAt.push_back(f.world.now());
            });
        QCOMPARE(d1.started, sim::Nanos{0});
        QCOMPARE(d1.factor, 1.0);
        QCOMPARE(d1.serviceTime(5 * sim::kMillisecond), 5 * sim::kMillisecond);
        // A second job waits: the deferred one holds the only unit of capacity.
        f.queue->submit(1.0, [](bool&) { return 2 * sim::kMillisecond; },
                        [&](ServiceOutcome, sim::Nanos) { doneAt.push_back(f.world.now()); });
        QCOMPARE(f.queue->queuedJobs(), std::size_t{1});
        f.world.at(1 * sim::kMillisecond, f.kind, sim::kNoComponent, [&] { f.queue->settle(d1.ticket, 5 * sim::kMillisecond); });
        f.world.scheduler().runUntil(100 * sim::kMillisecond);
        QCOMPARE(doneAt, (std::vector<sim::Nanos>{5 * sim::kMillisecond, 7 * sim::kMillisecond}));

        // Settled at 20 ms with a cost of 1 ms from a start at 7 ms: completes at 20 ms.
        ServiceQueue::Deferral d3;
        f.world.at(7 * sim::kMillisecond + 100 * sim::kMillisecond, f.kind, sim::kNoComponent, [&] {
            f.queue->submit(
                1.0, [&](bool&) { d3 = f.queue->defer(); return sim::Nanos{0}; },
                [&](ServiceOutcome, sim::Nanos) { doneAt.push_back(f.world.now()); });
        });
        f.world.at(120 * sim::kMillisecond, f.kind, sim::kNoComponent,
                   [&] { f.queue->settle(d3.ticket, 1 * sim::kMillisecond); });
        f.world.scheduler().runUntil(200 * sim::kMillisecond);
        QCOMPARE(d3.started, 107 * sim::kMillisecond);
        QCOMPARE(doneAt.size(), std::size_t{3});
        QCOMPARE(doneAt[2], 120 * sim::kMillisecond);
        QCOMPARE(f.queue->inflight(), 0.0);
        QCOMPARE(f.queue->completed(), std::uint64_t{3});
    }

    // The noise of a deferred job is drawn at its start, from the same stream as any
    // job's: the same costs give the same completion times either way.
    void deferredAndPlainJobsDrawTheSameNoise()
    {
        const std::vector<sim::Nanos> costs = {300'000, 50'000, 1'200'000, 75'000, 640'000};
        auto run = [&](bool deferred) {
            Fixture f(0.25);
            std::vector<sim::Nanos> doneAt(costs.size(), -1);
            for (std::size_t k = 0; k < costs.size(); ++k) {
                f.queue->submit(
                    1.0,
                    [&, k](bool&) {
                        if (!deferred)
                            return costs[k];
                        const ServiceQueue::Deferral d = f.queue->defer();
                        // Settled at once (an event at now): the time is start + service.
                        f.world.at(f.world.now(), f.kind, sim::kNoComponent,
                                   [&f, d, cost = costs[k]] { f.queue->settle(d.ticket, cost); });
                        return sim::Nanos{0};
                    },
                    [&, k](ServiceOutcome, sim::Nanos) { doneAt[k] = f.world.now(); });
            }
            f.world.scheduler().runUntil(sim::kSecond);
            return doneAt;
        };
        const std::vector<sim::Nanos> plain = run(false);
        const std::vector<sim::Nanos> deferred = run(true);
        QCOMPARE(deferred, plain);
        bool noisy = false;
        for (std::size_t k = 0; k < costs.size(); ++k)
            noisy |= plain[k] != costs[k];
        QVERIFY(noisy);
    }
};

LIVEDECK_TEST_CLASS(TstServiceQueue)
#include "tst_service_queue.moc"
