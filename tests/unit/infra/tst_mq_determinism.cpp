#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_mirror.h"
#include "backend/infra/mq_producer.h"
#include "backend/infra/mq_sequence_tracker.h"
#include "backend/sim/trace.h"
#include "backend/telemetry/metrics.h"
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::infra;

namespace {

struct RunResult {
    std::uint64_t trace = 0;
    std::uint64_t state = 0;
    std::uint64_t consumed = 0; // hash of what the consumers saw, in order
    std::uint64_t records = 0;
    std::int64_t logged = 0; // records in the source topic's logs
    std::uint64_t duplicates = 0;
    std::int64_t missing = 0;
    bool operator==(const RunResult&) const = default;
};

void injectFault(sim::World& w, v1::FaultKind kind, const char* target, sim::Nanos start, sim::Nanos end,
                 const char* param, double value, const char* peer = nullptr)
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(target);
    f.set_start_ns(start);
    f.set_end_ns(end);
    if (param) {
        auto* p = f.add_params();
        p->set_name(param);
        p->set_value(value);
    }
    if (peer) {
        auto* p = f.add_params();
        p->set_name("peer");
        p->set_text(peer);
    }
    if (!w.faults().inject(f).ok())
        qFatal("fault rejected");
}

// Every MQ mechanism at once: keyed produce with jittered cross-region traffic,
// duplicate / loss / delay faults, a consumer crash and a mirror across a partition.
RunResult runScenario(std::uint64_t seed)
{
    sim::World world(sim::WorldConfig{seed, sim::Topology::defaults(), {}, "mq-determinism"});
    telemetry::MetricsRegistry metrics;
    MqBroker a(world, "sh-a/gifts/mq", {}, &metrics);
    MqBroker gz(world, "gz/gifts/mq", {}, &metrics);
    (void)a.createTopic("settlement", 4);
    MqProducer local(world, a, "sh-a/gifts/order/0/mq", {}, &metrics);
    MqProducer remote(world, a, "gz/gifts/order/0/mq", {}, &metrics); // crosses a jittered link
    MqConsumer c0(world, a, "sh-a/gifts/settlement/0", "settle", {"settlement"}, {}, &metrics);
    MqConsumer c1(world, a, "sh-a/gifts/settlement/1", "settle", {"settlement"}, {}, &metrics);
    MqMirror mirror(world, a, gz, "settlement", "gz/gifts/mq-mirror/settlement", {}, &metrics);

    sim::TraceHash consumed;
    MqSequenceTracker tracker;
    std::uint64_t records = 0;
    auto handler = [&](const MqBatch& batch, MqAck ack) {
        for (const MqConsumerRecord& r : batch.records) {
            consumed.mix(r.record.value);
            consumed.mix(static_cast<std::uint64_t>(r.record.offset));
            tracker.observe(r, world.now());
            ++records;
        }
        ack.commit();
    };
    c0.runLoop(handler);
    c1.runLoop(handler);
    mirror.start();

    const sim::EventKindId kind = world.kind("test.produce");
    for (int i = 0; i < 1'500; ++i) {
        MqProducer* p = i % 3 == 0 ? &remote : &local;
        world.after(i * 10 * sim::kMillisecond, kind, p->component(), [p, i] {
            p->send("settlement", "room-" + std::to_string(i % 13), std::to_string(i), 1.0 + i % 4);
        });
    }
    injectFault(world, v1::FAULT_MQ_DUPLICATE, "sh-a/gifts/mq", 2 * sim::kSecond, 4 * sim::kSecond, "rate", 0.2);
    injectFault(world, v1::FAULT_MQ_LOSS, "sh-a/gifts/mq/settlement", 5 * sim::kSecond, 6 * sim::kSecond, "rate", 0.2);
    injectFault(world, v1::FAULT_MQ_DELAY, "sh-a/gifts/mq", 7 * sim::kSecond, 8 * sim::kSecond, "add_ms", 700.0);
    injectFault(world, v1::FAULT_DOWN, "sh-a/gifts/settlement/1", 9 * sim::kSecond, 12 * sim::kSecond, nullptr, 0);
    injectFault(world, v1::FAULT_PARTITION, "sh-a", 10 * sim::kSecond, 14 * sim::kSecond, nullptr, 0, "gz");
    world.scheduler().runUntil(30 * sim::kSecond);

    RunResult r;
    r.trace = world.traceHash();
    r.state = world.stateDigest();
    r.consumed = consumed.value();
    r.records = records;
    for (int p = 0; p < 4; ++p)
        r.logged += a.findTopic("settlement")->partition(p).size();
    r.duplicates = tracker.duplicates();
    r.missing = tracker.missing();
    return r;
}

} // namespace

class TstMqDeterminism : public QObject {
    Q_OBJECT
private slots:
    void sameSeedSameRun()
    {
        const RunResult first = runScenario(42);
        const RunResult second = runScenario(42);
        QVERIFY(first == second);
        QVERIFY(first.logged > 1'000);
        QVERIFY(first.records >= static_cast<std::uint64_t>(first.logged)); // at least once
        QVERIFY(first.duplicates > 0);    // the duplicate fault and the consumer crash show
        QVERIFY(first.missing > 0);       // the loss fault shows as sequence gaps
    }

    void otherSeedOtherRun()
    {
        const RunResult a = runScenario(42);
        const RunResult b = runScenario(43);
        QVERIFY(a.trace != b.trace);
        QVERIFY(a.consumed != b.consumed);
    }
};

LIVEDECK_TEST_CLASS(TstMqDeterminism)
#include "tst_mq_determinism.moc"
