// sim::Offload: tasks run once per post, on the helper or in place when waited for
// first; waiting sees the task's writes; forget() lets go of a queued task.
#include "backend/sim/offload.h"
#include "tests/common/multi_test.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <sched.h>
#include <thread>
#include <vector>

using namespace livedeck::sim;

namespace {

// Adds its input to a running sum: the result of post k is visible after wait k.
class SumTask final : public OffloadTask {
public:
    std::uint64_t input = 0;
    std::uint64_t sum = 0;
    std::uint64_t runs = 0;
    std::thread::id ranOn;
    std::atomic<bool>* gate = nullptr; // when set, run() waits for it to open
    std::atomic<bool> started{false};

private:
    void run() override
    {
        started.store(true, std::memory_order_release);
        if (gate) {
            while (!gate->load(std::memory_order_acquire))
                std::this_thread::yield();
        }
        sum += input;
        ++runs;
        ranOn = std::this_thread::get_id();
    }
};

} // namespace

class TstOffload : public QObject {
    Q_OBJECT

private slots:
    void withoutThreadRunsAtPost()
    {
        Offload offload(false);
        QVERIFY(!offload.threaded());
        SumTask t;
        t.input = 5;
        offload.post(t);
        QVERIFY(!t.pending());
        QCOMPARE(t.sum, std::uint64_t{5});
        QCOMPARE(t.ranOn, std::this_thread::get_id());
        offload.wait(t); // idle: returns at once
        offload.forget(t);
        QCOMPARE(t.runs, std::uint64_t{1});
    }

    // Many tasks, each posted again as soon as it was waited for: every post runs once,
    // and what it wrote is seen after the wait, whichever thread ran it.
    void everyPostRunsOnceAndIsSeen()
    {
        Offload offload(true);
        QVERIFY(offload.threaded());
        std::vector<std::unique_ptr<SumTask>> tasks;
        for (int i = 0; i < 16; ++i)
            tasks.push_back(std::make_unique<SumTask>());
        std::uint64_t expected[16] = {};
        for (std::uint64_t round = 1; round <= 2'000; ++round) {
            for (std::size_t i = 0; i < tasks.size(); ++i) {
                SumTask& t = *tasks[i];
                offload.wait(t);
                QCOMPARE(t.sum, expected[i]);
                t.input = round * (i + 1);
                expected[i] += t.input;
                offload.post(t);
            }
        }
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            offload.wait(*tasks[i]);
            QCOMPARE(tasks[i]->sum, expected[i]);
            QCOMPARE(tasks[i]->runs, std::uint64_t{2'000});
            offload.forget(*tasks[i]);
        }
        QCOMPARE(offload.ranOnHelper() + offload.ranInPlace(), std::uint64_t{16 * 2'000});
    }

    // A task still queued behind a busy helper runs on the waiting thread.
    void queuedTaskRunsInPlaceWhenWaitedFor()
    {
        Offload offload(true);
        std::atomic<bool> open{false};
        SumTask slow;
        slow.gate = &open;
        slow.input = 1;
        offload.post(slow);
        // Let the helper take the slow task (it then blocks on the gate).
        for (int i = 0; i < 10'000 && !slow.started.load(std::memory_order_acquire); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        QVERIFY(slow.started.load(std::memory_order_acquire));
        SumTask quick;
        quick.input = 7;
        offload.post(quick);
        offload.wait(quick);
        QCOMPARE(quick.sum, std::uint64_t{7});
        QCOMPARE(quick.ranOn, std::this_thread::get_id());
        QCOMPARE(offload.ranInPlace(), std::uint64_t{1});
        open.store(true, std::memory_order_release);
        offload.wait(slow);
        QCOMPARE(slow.sum, std::uint64_t{1});
        QVERIFY(slow.ranOn != std::this_thread::get_id());
        offload.forget(quick); // its stale queue entry is dropped, not run again
        offload.forget(slow);
        QCOMPARE(quick.runs, std::uint64_t{1});
        QCOMPARE(slow.runs, std::uint64_t{1});
    }

    // A task destroyed right after forget() is never touched by the helper again.
    void forgetLetsGo()
    {
        auto offload = std::make_unique<Offload>(true);
        for (int i = 0; i < 500; ++i) {
            auto t = std::make_unique<SumTask>();
            t->input = 3;
            offload->post(*t);
            offload->forget(*t);
            QCOMPARE(t->sum, std::uint64_t{3});
        }
        offload.reset(); // joins the helper
    }

    void spareCoreFollowsTheAffinityMask()
    {
        cpu_set_t set;
        CPU_ZERO(&set);
        QCOMPARE(sched_getaffinity(0, sizeof(set), &set), 0);
        QCOMPARE(Offload::spareCore(), CPU_COUNT(&set) > 1);
    }

    void helperWantedUnlessTheEnvironmentSaysNo()
    {
        qunsetenv("LIVEDECK_HELPER_THREAD");
        QCOMPARE(Offload::helperWanted(), Offload::spareCore());
        qputenv("LIVEDECK_HELPER_THREAD", "1");
        QCOMPARE(Offload::helperWanted(), Offload::spareCore());
        qputenv("LIVEDECK_HELPER_THREAD", "0");
        QVERIFY(!Offload::helperWanted());
        qunsetenv("LIVEDECK_HELPER_THREAD");
    }
};

LIVEDECK_TEST_CLASS(TstOffload)
#include "tst_offload.moc"
