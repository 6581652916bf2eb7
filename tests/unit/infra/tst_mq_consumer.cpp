#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_producer.h"
#include "backend/telemetry/metrics.h"
#include "tests/common/multi_test.h"

#include <map>
#include <set>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr const char* kBroker = "sh-a/gifts/mq";
constexpr const char* kConsumer = "sh-a/gifts/settlement/0";

struct Fixture {
    explicit Fixture(std::uint64_t seed = 3)
        : world(sim::WorldConfig{seed, sim::Topology::defaults(), {}, "mq"}), broker(world, kBroker, {}, &metrics)
    {
    }
    void runFor(sim::Nanos d) { world.scheduler().runUntil(world.now() + d); }

    sim::World world;
    telemetry::MetricsRegistry metrics;
    MqBroker broker;
};

QString str(MqError e)
{
    return QString::fromLatin1(toString(e));
}

// Sends `count` records, one every `every`, starting now.
void produceSteadily(sim::World& world, MqProducer& producer, const char* topic, int count, sim::Nanos every)
{
    const sim::EventKindId kind = world.kind("test.produce");
    for (int i = 0; i < count; ++i) {
        world.after(i * every, kind, producer.component(), [&producer, topic, i] {
            producer.send(topic, "k" + std::to_string(i % 7), std::to_string(i));
        });
    }
}

} // namespace

class TstMqConsumer : public QObject {
    Q_OBJECT
private slots:
    void pollReturnsBatchesInOrder_data()
    {
        QTest::addColumn<int>("maxRecords");
        QTest::newRow("1") << 1;
        QTest::newRow("7") << 7;
        QTest::newRow("50") << 50;
        QTest::newRow("500") << 500;
    }
    void pollReturnsBatchesInOrder()
    {
        QFETCH(int, maxRecords);
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 1).ok());
        for (int i = 0; i < 100; ++i)
            f.broker.appendDirect("t", 0, MqMessage{"", std::to_string(i), {}, 1.0});
        MqConsumer consumer(f.world, f.broker, kConsumer, "g", {"t"});
        consumer.start();
        f.runFor(sim::kSecond);
        QVERIFY(consumer.isMember());
        std::vector<std::int64_t> offsets;
        int polls = 0;
        while (offsets.size() < 100 && polls < 200) {
            bool done = false;
            std::size_t size = 0;
            consumer.poll(maxRecords, [&](MqError e, const MqBatch& batch) {
                done = e == MqError::Ok;
                size = batch.records.size();
                for (const MqConsumerRecord& r : batch.records) {
                    offsets.push_back(r.record.offset);
                    QCOMPARE(r.record.value, std::to_string(r.record.offset));
                }
            });
            QVERIFY(!done); // never inside the call
            f.runFor(10 * sim::kMillisecond);
            QVERIFY(done);
            QCOMPARE(size, std::min<std::size_t>(static_cast<std::size_t>(maxRecords), 100 - (offsets.size() - size)));
            ++polls;
        }
        QCOMPARE(polls, (100 + maxRecords - 1) / maxRecords);
        for (std::size_t i = 0; i < offsets.size(); ++i)
            QCOMPARE(offsets[i], static_cast<std::int64_t>(i));
        QCOMPARE(consumer.position("t", 0), std::int64_t(100));
    }

    void pollSpreadsOverPartitions()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 4).ok());
        for (int p = 0; p < 4; ++p) {
            for (int i = 0; i < 30; ++i)
                f.broker.appendDirect("t", p, MqMessage{"", "x", {}, 1.0});
        }
        MqConsumer consumer(f.world, f.broker, kConsumer, "g", {"t"});
        consumer.start();
        f.runFor(sim::kSecond);
        std::map<int, std::vector<std::int64_t>> byPartition;
        std::set<int> firstBatchPartitions;
        for (int round = 0; round < 4; ++round) {
            consumer.poll(40, [&](MqError, const MqBatch& batch) {
                for (const MqConsumerRecord& r : batch.records) {
                    byPartition[r.partition].push_back(r.record.offset);
                    if (round < 2)
                        firstBatchPartitions.insert(r.partition);
                }
            });
            f.runFor(10 * sim::kMillisecond);
        }
        QVERIFY2(firstBatchPartitions.size() >= 2, "the start partition rotates between polls");
        QCOMPARE(byPartition.size(), std::size_t(4));
        for (const auto& [p, offsets] : byPartition) {
            QCOMPARE(offsets.size(), std::size_t(30));
            for (std::size_t i = 0; i < offsets.size(); ++i)
                QCOMPARE(offsets[i], static_cast<std::int64_t>(i));
        }
    }

    void pollBeforeJoiningReportsNotMember()
    {
        Fixture f;
        MqConsumer consumer(f.world, f.broker, kConsumer, "g", {"t"});
        MqError got = MqError::Ok;
        bool called = false;
        consumer.poll(10, [&](MqError e, const MqBatch& batch) {
            got = e;
            called = batch.empty();
        });
        QVERIFY(!called);
        f.runFor(sim::kMillisecond);
        QVERIFY(called);
        QCOMPARE(str(got), str(MqError::NotMember));
        QCOMPARE(MqConsumer::toString(consumer.state()), "member"); // poll() started the join
    }

    void loopConsumesEverythingOnceWithoutFaults()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("settlement", 3).ok());
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        MqConsumer consumer(f.world, f.broker, kConsumer, "settle", {"settlement"}, {}, &f.metrics);
        std::multiset<std::string> values;
        consumer.runLoop([&values](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records)
                values.insert(r.record.value);
            ack.commit();
        });
        produceSteadily(f.world, producer, "settlement", 1'000, 10 * sim::kMillisecond);
        f.runFor(11 * sim::kSecond);
        QCOMPARE(values.size(), std::size_t(1'000));
        QCOMPARE(std::set<std::string>(values.begin(), values.end()).size(), std::size_t(1'000)); // no duplicates
        QCOMPARE(f.broker.group("settle").totalLag(), 0.0);
        QVERIFY(consumer.commitsOk() > 10);
        QCOMPARE(f.metrics.findCounter("mq.consumer.records", kConsumer)->total(), 1'000.0);
        QCOMPARE(f.broker.consumed(), 1'000.0);
    }

    void retryRedeliversTheBatch()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 1).ok());
        for (int i = 0; i < 5; ++i)
            f.broker.appendDirect("t", 0, MqMessage{"", std::to_string(i), {}, 1.0});
        MqConsumer consumer(f.world, f.broker, kConsumer, "g", {"t"});
        std::vector<std::int64_t> offsets;
        int batches = 0;
        consumer.runLoop([&](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records)
                offsets.push_back(r.record.offset);
            if (batches++ == 0)
                ack.retry(); // e.g. the database was briefly unavailable
            else
                ack.commit();
        });
        f.runFor(sim::kSecond);
        QCOMPARE(offsets, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
        QCOMPARE(f.broker.group("g").committed("t", 0), std::int64_t(5));
    }

    void asyncHandlerAcksLater()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 1).ok());
        for (int i = 0; i < 20; ++i)
            f.broker.appendDirect("t", 0, MqMessage{"", std::to_string(i), {}, 1.0});
        MqConsumer consumer(f.world, f.broker, kConsumer, "g", {"t"});
        const sim::EventKindId kind = f.world.kind("test.work");
        int handled = 0;
        consumer.runLoop(
            [&](const MqBatch& batch, MqAck ack) {
                handled += static_cast<int>(batch.records.size());
                f.world.after(50 * sim::kMillisecond, kind, consumer.component(), [ack] { ack.commit(); });
            },
            5);
        f.runFor(75 * sim::kMillisecond);
        QCOMPARE(handled, 10); // one batch of 5 per 50 ms of work: no poll while processing
        f.runFor(sim::kSecond);
        QCOMPARE(handled, 20);
        QCOMPARE(f.broker.group("g").committed("t", 0), std::int64_t(20));
    }

    void downFaultCrashesAndRestarts()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("settlement", 2).ok());
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        MqConsumer consumer(f.world, f.broker, kConsumer, "settle", {"settlement"}, {}, &f.metrics);
        const sim::EventKindId kind = f.world.kind("test.work");
        std::multiset<std::string> values;
        consumer.runLoop([&](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records)
                values.insert(r.record.value);
            f.world.after(30 * sim::kMillisecond, kind, consumer.component(), [ack] { ack.commit(); });
        });
        produceSteadily(f.world, producer, "settlement", 3'000, 10 * sim::kMillisecond); // 30 s
        f.runFor(3 * sim::kSecond);
        v1::FaultSpec down;
        down.set_kind(v1::FAULT_DOWN);
        down.set_target(kConsumer);
        down.set_end_ns(f.world.now() + 15 * sim::kSecond);
        QVERIFY(f.world.faults().inject(down).ok());
        f.runFor(5 * sim::kSecond);
        QCOMPARE(MqConsumer::toString(consumer.state()), "crashed");
        const std::size_t duringFault = values.size();
        f.runFor(5 * sim::kSecond);
        QCOMPARE(values.size(), duringFault); // nothing consumed while down
        f.runFor(32 * sim::kSecond);          // fault over at 18 s; producer done at 30 s
        QCOMPARE(MqConsumer::toString(consumer.state()), "member");
        QCOMPARE(consumer.crashes(), std::uint64_t(1));
        QCOMPARE(consumer.memberId(), std::string(kConsumer) + "#1"); // a new member after the restart
        QCOMPARE(f.broker.group("settle").members(), (std::vector<std::string>{consumer.memberId()}));
        QCOMPARE(f.world.events().count("mq.member_expired"), std::uint64_t(1));
        // At least once: every record arrived; anything polled but not committed at the crash came twice.
        const std::set<std::string> unique(values.begin(), values.end());
        QCOMPARE(unique.size(), std::size_t(3'000));
        QCOMPARE(f.broker.group("settle").totalLag(), 0.0);
        QCOMPARE(f.metrics.findCounter("mq.consumer.crashes", kConsumer)->total(), 1.0);
    }
};

LIVEDECK_TEST_CLASS(TstMqConsumer)
#include "tst_mq_consumer.moc"
