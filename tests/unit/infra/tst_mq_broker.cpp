#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_dead_letter.h"
#include "backend/infra/mq_producer.h"
#include "backend/infra/mq_sequence_tracker.h"
#include "backend/telemetry/metrics.h"
#include "tests/common/multi_test.h"

#include <algorithm>
#include <map>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr const char* kBroker = "sh-a/gifts/mq";

struct Fixture {
    explicit Fixture(MqBrokerConfig config = {}, std::uint64_t seed = 7)
        : world(sim::WorldConfig{seed, sim::Topology::defaults(), {}, "mq"}), broker(world, kBroker, config, &metrics)
    {
    }
    void runFor(sim::Nanos d) { world.scheduler().runUntil(world.now() + d); }

    sim::World world;
    telemetry::MetricsRegistry metrics;
    MqBroker broker;
};

std::uint64_t inject(sim::World& w, v1::FaultKind kind, const std::string& target,
                     std::initializer_list<std::pair<const char*, double>> params, sim::Nanos duration = 0,
                     const std::string& peer = {})
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(target);
    f.set_start_ns(w.now());
    f.set_end_ns(duration > 0 ? w.now() + duration : 0);
    for (const auto& [n, v] : params) {
        auto* p = f.add_params();
        p->set_name(n);
        p->set_value(v);
    }
    if (!peer.empty()) {
        auto* p = f.add_params();
        p->set_name("peer");
        p->set_text(peer);
    }
    auto id = w.faults().inject(f);
    if (!id.ok())
        qFatal("fault rejected: %s", std::string(id.status().message()).c_str());
    w.scheduler().runUntil(w.now()); // activation is an event at the start time
    return *id;
}

// QtTest would take infra::toString for its own (and free the result): compare names.
QString str(MqError e)
{
    return QString::fromLatin1(toString(e));
}

} // namespace

class TstMqBroker : public QObject {
    Q_OBJECT
private slots:
    void keyedPartitioningKeepsKeysTogetherInOrder_data()
    {
        QTest::addColumn<int>("partitions");
        QTest::newRow("1 partition") << 1;
        QTest::newRow("3 partitions") << 3;
        QTest::newRow("8 partitions") << 8;
    }
    void keyedPartitioningKeepsKeysTogetherInOrder()
    {
        QFETCH(int, partitions);
        Fixture f;
        QVERIFY(f.broker.createTopic("orders", partitions).ok());
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq", {}, &f.metrics);
        for (int i = 0; i < 200; ++i) {
            const std::string key = "user-" + std::to_string(i % 10);
            producer.send("orders", key, key + ":" + std::to_string(i));
        }
        f.runFor(sim::kSecond);
        QCOMPARE(producer.acked(), std::uint64_t(200));
        std::map<std::string, int> partitionOfKey;
        std::map<std::string, int> lastIndex;
        std::map<std::string, int> count;
        int usedPartitions = 0;
        for (int p = 0; p < partitions; ++p) {
            const MqPartitionLog& log = f.broker.findTopic("orders")->partition(p);
            usedPartitions += log.size() > 0 ? 1 : 0;
            for (std::int64_t o = log.logStart(); o < log.logEnd(); ++o) {
                const MqRecord& r = *log.at(o);
                QCOMPARE(MqProducer::partitionForKey(r.key, partitions), p);
                if (partitionOfKey.count(r.key))
                    QCOMPARE(partitionOfKey[r.key], p); // one key, one partition
                partitionOfKey[r.key] = p;
                const int index = std::stoi(r.value.substr(r.value.find(':') + 1));
                if (lastIndex.count(r.key))
                    QVERIFY2(index > lastIndex[r.key], "a key's records stay in send order");
                lastIndex[r.key] = index;
                ++count[r.key];
            }
        }
        QCOMPARE(count.size(), std::size_t(10));
        for (const auto& [key, n] : count)
            QCOMPARE(n, 20);
        if (partitions > 1)
            QVERIFY(usedPartitions > 1);
    }

    void nullKeysGoRoundRobin()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("events", 3).ok());
        MqProducer producer(f.world, f.broker, "sh-a/gifts/gateway/mq");
        for (int i = 0; i < 9; ++i)
            producer.send("events", "", "e" + std::to_string(i));
        f.runFor(sim::kSecond);
        for (int p = 0; p < 3; ++p)
            QCOMPARE(f.broker.findTopic("events")->partition(p).size(), std::int64_t(3));
    }

    void ackCarriesOffsetAndServiceTime()
    {
        Fixture f;
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq", {}, &f.metrics);
        std::vector<MqProduceResult> results;
        for (int i = 0; i < 3; ++i) {
            producer.send("audit", "", "x", 1.0, [&results](const MqProduceResult& r) { results.push_back(r); });
        }
        QCOMPARE(results.size(), std::size_t(0)); // asynchronous
        f.runFor(sim::kSecond);
        QCOMPARE(results.size(), std::size_t(3));
        QVERIFY(f.broker.findTopic("audit") != nullptr); // auto-created
        std::vector<std::int64_t> offsets;
        for (const MqProduceResult& r : results) {
            QCOMPARE(str(r.error), str(MqError::Ok));
            offsets.push_back(r.baseOffset);
            // Two network hops in one data centre (2 × 100 µs) plus the broker's work.
            QVERIFY(r.latency >= 200 * sim::kMicrosecond);
            QVERIFY(r.latency < 10 * sim::kMillisecond);
        }
        std::sort(offsets.begin(), offsets.end());
        QCOMPARE(offsets, (std::vector<std::int64_t>{0, 1, 2}));
        QCOMPARE(f.metrics.findCounter("mq.producer.acked", "sh-a/gifts/order/0/mq")->total(), 3.0);
        QCOMPARE(f.metrics.findCounter("mq.produced", kBroker)->total(), 3.0);
    }

    void weightTravelsWithTheRecord()
    {
        Fixture f;
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        producer.send("gifts", "u1", "combo", 250.0);
        f.runFor(sim::kSecond);
        QCOMPARE(f.broker.findTopic("gifts")->partition(0).at(0)->weight, 250.0);
        QCOMPARE(f.broker.produced(), 250.0);
        QCOMPARE(f.metrics.findCounter("mq.requests", kBroker)->total(), 250.0); // capacity is in real requests
    }

    void duplicateFaultAppendsTwice()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("settlement", 1).ok());
        inject(f.world, v1::FAULT_MQ_DUPLICATE, kBroker, {{"rate", 1.0}});
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        for (int i = 0; i < 5; ++i)
            producer.send("settlement", "order-" + std::to_string(i), "paid");
        f.runFor(sim::kSecond);
        const MqPartitionLog& log = f.broker.findTopic("settlement")->partition(0);
        QCOMPARE(log.size(), std::int64_t(10));
        MqSequenceTracker tracker;
        for (std::int64_t o = 0; o < 10; o += 2) {
            QCOMPARE(log.at(o)->sequence, log.at(o + 1)->sequence);
            QCOMPARE(log.at(o)->key, log.at(o + 1)->key);
        }
        for (std::int64_t o = 0; o < 10; ++o)
            tracker.observe(MqConsumerRecord{"settlement", 0, *log.at(o)}, f.world.now());
        QCOMPARE(tracker.duplicates(), std::uint64_t(5));
        QCOMPARE(tracker.missing(), std::int64_t(0));
        QCOMPARE(f.broker.duplicated(), 5.0);
        QCOMPARE(f.metrics.findCounter("mq.duplicated", kBroker)->total(), 5.0);
    }

    void lossFaultAcksRecordsThatNeverArrive()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("settlement", 1).ok());
        // Only this topic loses: the fault targets the topic's own path.
        inject(f.world, v1::FAULT_MQ_LOSS, "sh-a/gifts/mq/settlement", {{"rate", 0.3}}, 500 * sim::kMillisecond);
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        int acked = 0;
        for (int i = 0; i < 100; ++i) {
            producer.send("settlement", "order-" + std::to_string(i), "paid", 1.0,
                          [&acked](const MqProduceResult& r) { acked += r.error == MqError::Ok ? 1 : 0; });
            producer.send("audit", "", "a");
        }
        f.runFor(sim::kSecond); // the fault is over: one more record reveals any trailing gap
        producer.send("settlement", "order-last", "paid", 1.0, [&acked](const MqProduceResult& r) { acked += r.error == MqError::Ok ? 1 : 0; });
        f.runFor(sim::kSecond);

        QCOMPARE(acked, 101); // the producer believes every record is stored
        const double lost = f.broker.lost();
        QVERIFY2(lost > 10 && lost < 50, "about 30 % of 100 records are lost");
        const MqPartitionLog& log = f.broker.findTopic("settlement")->partition(0);
        QCOMPARE(static_cast<double>(log.size()), 101 - lost);

        // How a consumer notices: the producer's sequence has holes.
        MqConsumer consumer(f.world, f.broker, "sh-a/gifts/settlement/0", "settle", {"settlement"});
        MqSequenceTracker tracker;
        consumer.runLoop([&](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records)
                tracker.observe(r, f.world.now());
            ack.commit();
        });
        f.runFor(2 * sim::kSecond);
        QCOMPARE(consumer.received(), static_cast<std::uint64_t>(log.size()));
        QCOMPARE(static_cast<double>(tracker.missing()), lost);
        QCOMPARE(static_cast<double>(tracker.lost(f.world.now(), sim::kSecond).size()), lost);
        QCOMPARE(tracker.duplicates(), std::uint64_t(0));
        QCOMPARE(f.metrics.findCounter("mq.lost", kBroker)->total(), lost);
        // Another topic on the same broker is not affected.
        QCOMPARE(f.broker.findTopic("audit")->partition(0).size(), std::int64_t(100));
    }

    void delayFaultDelaysVisibilityAndKeepsOrder()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("settlement", 1).ok());
        MqConsumer consumer(f.world, f.broker, "sh-a/gifts/settlement/0", "settle", {"settlement"});
        std::vector<std::pair<std::string, sim::Nanos>> got;
        consumer.runLoop([&](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records)
                got.emplace_back(r.record.value, f.world.now());
            ack.commit();
        });
        f.runFor(sim::kSecond); // joined
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        inject(f.world, v1::FAULT_MQ_DELAY, kBroker, {{"add_ms", 2'000.0}}, 10 * sim::kMillisecond);
        const sim::Nanos sentAt = f.world.now();
        producer.send("settlement", "a", "first");
        f.runFor(20 * sim::kMillisecond); // the fault is over
        producer.send("settlement", "b", "second");
        f.runFor(1'900 * sim::kMillisecond);
        QVERIFY2(got.empty(), "nothing is visible before the delay ends; the second waits behind the first");
        f.runFor(500 * sim::kMillisecond);
        QCOMPARE(got.size(), std::size_t(2));
        QCOMPARE(got[0].first, std::string("first"));
        QCOMPARE(got[1].first, std::string("second"));
        QVERIFY(got[0].second >= sentAt + 2 * sim::kSecond);
        QCOMPARE(f.broker.delayed(), 1.0);
    }

    void brokerDownTimesOutProducesAfterRetries()
    {
        Fixture f;
        inject(f.world, v1::FAULT_DOWN, kBroker, {});
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        MqProduceResult result;
        producer.send("settlement", "k", "v", 1.0, [&result](const MqProduceResult& r) { result = r; });
        f.runFor(5 * sim::kSecond);
        // A down broker does not answer (the network drops what is sent to it).
        QCOMPARE(str(result.error), str(MqError::Timeout));
        QCOMPARE(result.attempts, 3); // 2 retries
        QCOMPARE(f.broker.findTopic("settlement")->partition(0).size(), std::int64_t(0));
        QCOMPARE(producer.failed(), std::uint64_t(1));
    }

    void partitionTimesOutProduces()
    {
        Fixture f;
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        inject(f.world, v1::FAULT_PARTITION, "sh-a/gifts/order", {}, 0, kBroker);
        MqProduceResult result;
        producer.send("settlement", "k", "v", 1.0, [&result](const MqProduceResult& r) { result = r; });
        f.runFor(5 * sim::kSecond);
        QCOMPARE(str(result.error), str(MqError::Timeout));
        QCOMPARE(result.attempts, 3);
        // 3 × 250 ms timeouts + 2 × 100 ms backoff.
        QCOMPARE(result.latency, 950 * sim::kMillisecond);
        QCOMPARE(f.broker.findTopic("settlement")->partition(0).size(), std::int64_t(0));
    }

    void lostResponsesMakeRetriesDuplicate()
    {
        Fixture f;
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq");
        QVERIFY(f.broker.createTopic("settlement", 1).ok());
        // Responses cannot come back (one-way partition broker → producer): the record
        // is appended, the producer times out and sends it again.
        v1::FaultSpec spec;
        spec.set_kind(v1::FAULT_PARTITION);
        spec.set_target(kBroker);
        spec.set_end_ns(f.world.now() + 300 * sim::kMillisecond);
        auto* peer = spec.add_params();
        peer->set_name("peer");
        peer->set_text("sh-a/gifts/order");
        auto* oneWay = spec.add_params();
        oneWay->set_name("one_way");
        oneWay->set_value(1.0);
        QVERIFY(f.world.faults().inject(spec).ok());
        f.world.scheduler().runUntil(f.world.now());
        MqProduceResult result;
        producer.send("settlement", "order-1", "paid", 1.0, [&result](const MqProduceResult& r) { result = r; });
        f.runFor(3 * sim::kSecond);
        QCOMPARE(str(result.error), str(MqError::Ok));
        QCOMPARE(result.attempts, 2);
        const MqPartitionLog& log = f.broker.findTopic("settlement")->partition(0);
        QCOMPARE(log.size(), std::int64_t(2)); // appended twice, same producer sequence
        QCOMPARE(log.at(0)->sequence, log.at(1)->sequence);
    }

    void overloadQueuesThenRejects()
    {
        MqBrokerConfig config;
        config.service.concurrency = 10;
        config.service.maxQueue = 20;
        Fixture f(config);
        MqProducerConfig pc;
        pc.retries = 0;
        MqProducer producer(f.world, f.broker, "sh-a/gifts/order/0/mq", pc);
        int ok = 0;
        int rejected = 0;
        for (int i = 0; i < 100; ++i) {
            producer.send("settlement", "", "x", 1.0, [&](const MqProduceResult& r) {
                ok += r.error == MqError::Ok ? 1 : 0;
                rejected += r.error == MqError::Rejected ? 1 : 0;
            });
        }
        f.runFor(sim::kSecond);
        QCOMPARE(ok, 30);        // 10 in service + 20 queued
        QCOMPARE(rejected, 70);
        QCOMPARE(f.metrics.findCounter("mq.rejected", kBroker)->total(), 70.0);
    }

    void deadLetterRecordsCarryTheirOrigin()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("settlement", 2).ok());
        MqMessage m;
        m.key = "order-9";
        m.value = "amount=-1";
        m.weight = 4.0;
        setHeader(m.headers, "trace", "t-42");
        f.broker.appendDirect("settlement", 1, m);
        MqConsumer consumer(f.world, f.broker, "sh-a/gifts/settlement/0", "settle", {"settlement"});
        MqProducer dlq(f.world, f.broker, "sh-a/gifts/settlement/0/dlq");
        consumer.runLoop([&](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records)
                MqDeadLetter::send(dlq, r, "negative amount");
            ack.commit(); // past the poison record
        });
        f.runFor(2 * sim::kSecond);
        const MqTopic* topic = f.broker.findTopic(MqDeadLetter::topicFor("settlement"));
        QVERIFY(topic);
        QCOMPARE(topic->name(), std::string("settlement.dlq"));
        QCOMPARE(topic->partition(0).size(), std::int64_t(1));
        const MqRecord& r = *topic->partition(0).at(0);
        QCOMPARE(r.key, std::string("order-9"));
        QCOMPARE(r.value, std::string("amount=-1"));
        QCOMPARE(r.weight, 4.0);
        QCOMPARE(*r.header("trace"), std::string("t-42"));
        QCOMPARE(*r.header(kDlqTopicHeader), std::string("settlement"));
        QCOMPARE(*r.header(kDlqPartitionHeader), std::string("1"));
        QCOMPARE(*r.header(kDlqOffsetHeader), std::string("0"));
        QCOMPARE(*r.header(kDlqReasonHeader), std::string("negative amount"));
        QCOMPARE(f.broker.group("settle").committed("settlement", 1), std::int64_t(1));
    }

    void retentionAdvancesTheLogStart()
    {
        MqBrokerConfig config;
        config.retentionCheckInterval = 10 * sim::kSecond;
        config.defaultTopic.retentionTime = 60 * sim::kSecond;
        Fixture f(config);
        QVERIFY(f.broker.createTopic("t", 1).ok());
        for (int i = 0; i < 5; ++i)
            f.broker.appendDirect("t", 0, MqMessage{"", "old", {}, 2.0});
        f.runFor(45 * sim::kSecond);
        for (int i = 0; i < 5; ++i)
            f.broker.appendDirect("t", 0, MqMessage{"", "new", {}, 2.0});
        f.runFor(10 * sim::kSecond); // t = 55 s: nothing is 60 s old yet
        QCOMPARE(f.broker.findTopic("t")->partition(0).logStart(), std::int64_t(0));
        f.runFor(20 * sim::kSecond); // t = 75 s: the check at 70 s deletes what is older than 10 s
        const MqPartitionLog& log = f.broker.findTopic("t")->partition(0);
        QCOMPARE(log.logStart(), std::int64_t(5));
        QCOMPARE(log.logEnd(), std::int64_t(10));
        QCOMPARE(f.metrics.findCounter("mq.retained_out", kBroker)->total(), 10.0); // weighted

        // A new group starts at the log start (earliest).
        MqConsumer consumer(f.world, f.broker, "sh-a/gifts/reader/0", "readers", {"t"});
        std::vector<std::int64_t> offsets;
        consumer.runLoop([&](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records)
                offsets.push_back(r.record.offset);
            ack.commit();
        });
        f.runFor(sim::kSecond);
        QCOMPARE(offsets, (std::vector<std::int64_t>{5, 6, 7, 8, 9}));
    }

    void positionBehindTheLogStartIsReset()
    {
        MqBrokerConfig config;
        config.retentionCheckInterval = 0; // by hand
        config.defaultTopic.retentionTime = 60 * sim::kSecond;
        Fixture f(config);
        QVERIFY(f.broker.createTopic("t", 1).ok());
        for (int i = 0; i < 5; ++i)
            f.broker.appendDirect("t", 0, MqMessage{"", "old", {}, 1.0});
        MqConsumer consumer(f.world, f.broker, "sh-a/gifts/reader/0", "readers", {"t"});
        bool committed = false;
        consumer.start();
        f.runFor(sim::kSecond);
        QVERIFY(consumer.isMember());
        consumer.commitOffsets({MqOffsetCommit{"t", 0, 2}}, consumer.generation(),
                               [&committed](MqError e) { committed = e == MqError::Ok; });
        f.runFor(sim::kSecond);
        QVERIFY(committed);
        consumer.crash();
        f.runFor(60 * sim::kSecond);
        for (int i = 0; i < 3; ++i)
            f.broker.appendDirect("t", 0, MqMessage{"", "new", {}, 1.0});
        f.broker.enforceRetention();
        QCOMPARE(f.broker.findTopic("t")->partition(0).logStart(), std::int64_t(5));
        const std::uint64_t resetsBefore = f.world.events().count("mq.offset_reset");
        std::vector<std::int64_t> offsets;
        consumer.restart();
        consumer.runLoop([&](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records)
                offsets.push_back(r.record.offset);
            ack.commit();
        });
        f.runFor(2 * sim::kSecond);
        QCOMPARE(offsets, (std::vector<std::int64_t>{5, 6, 7}));
        QCOMPARE(f.world.events().count("mq.offset_reset"), resetsBefore + 1);
        QCOMPARE(f.metrics.findCounter("mq.offset_resets", kBroker)->total(), 3.0); // offsets 2, 3, 4 were never read
    }

    void consumerLagGauges()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 2).ok());
        MqConsumer consumer(f.world, f.broker, "sh-a/gifts/reader/0", "g", {"t"});
        consumer.start();
        f.runFor(sim::kSecond);
        for (int i = 0; i < 3; ++i)
            f.broker.appendDirect("t", 0, MqMessage{"", "x", {}, 10.0});
        for (int i = 0; i < 2; ++i)
            f.broker.appendDirect("t", 1, MqMessage{"", "y", {}, 5.0});
        auto gauge = [&](const char* name, int p) {
            return f.metrics.findGauge(name, kBroker, "group=g,partition=" + std::to_string(p) + ",topic=t")->value();
        };
        QCOMPARE(gauge("mq.consumer_lag", 0), 30.0);
        QCOMPARE(gauge("mq.consumer_lag_offsets", 0), 3.0);
        QCOMPARE(gauge("mq.consumer_lag", 1), 10.0);
        QCOMPARE(f.metrics.findGauge("mq.group_lag", kBroker, "group=g")->value(), 40.0);

        // Consume and commit partition 0 only: its lag goes to zero.
        MqBatch batch;
        bool done = false;
        consumer.poll(100, [&](MqError e, const MqBatch& b) {
            QCOMPARE(str(e), str(MqError::Ok));
            batch = b;
            done = true;
        });
        f.runFor(100 * sim::kMillisecond);
        QVERIFY(done);
        QCOMPARE(batch.records.size(), std::size_t(5));
        std::vector<MqOffsetCommit> p0;
        for (const MqOffsetCommit& c : batch.nextOffsets()) {
            if (c.partition == 0)
                p0.push_back(c);
        }
        consumer.commitOffsets(p0, batch.generation);
        f.runFor(100 * sim::kMillisecond);
        QCOMPARE(gauge("mq.consumer_lag", 0), 0.0);
        QCOMPARE(gauge("mq.consumer_lag", 1), 10.0);
        QCOMPARE(f.broker.group("g").lag("t", 1), 10.0);
        QCOMPARE(f.broker.group("g").lagOffsets("t", 1), std::int64_t(2));
        QCOMPARE(f.metrics.findGauge("mq.group_lag", kBroker, "group=g")->value(), 10.0);
    }

    void inspectorShowsState()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 2).ok());
        f.broker.appendDirect("t", 1, MqMessage{"", "x", {}, 1.0});
        const sim::ComponentInfo* info = f.world.components().find("sh-a/gifts/mq/t");
        QVERIFY(info && info->inspectable);
        QCOMPARE(info->kind, std::string("mq-topic"));
        sim::StateWriter w;
        info->inspectable->inspect(w);
        bool sawP1 = false;
        for (const auto& [k, v] : w.entries())
            sawP1 = sawP1 || (k == "p1" && v == "start=0 hw=1 end=1");
        QVERIFY(sawP1);
        QVERIFY(!f.broker.createTopic("bad/name", 1).ok());
        QVERIFY(!f.broker.createTopic("t", 3).ok()); // exists with 2 partitions
    }
};

LIVEDECK_TEST_CLASS(TstMqBroker)
#include "tst_mq_broker.moc"
