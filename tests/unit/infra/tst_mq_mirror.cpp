#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_mirror.h"
#include "backend/infra/mq_producer.h"
#include "backend/telemetry/metrics.h"
#include "tests/common/multi_test.h"

#include <map>
#include <set>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

struct Fixture {
    Fixture()
        : world(sim::WorldConfig{5, sim::Topology::defaults(), {}, "mq"}),
          sourceBroker(world, "sh-a/gifts/mq", {}, &metrics),
          targetBroker(world, "sh-b/gifts/mq", {}, &metrics)
    {
        if (!sourceBroker.createTopic("settlement", 3).ok())
            qFatal("topic");
    }
    void runFor(sim::Nanos d) { world.scheduler().runUntil(world.now() + d); }
    std::int64_t targetSize()
    {
        const MqTopic* t = targetBroker.findTopic("sh-a.settlement");
        std::int64_t n = 0;
        for (int p = 0; t && p < t->partitionCount(); ++p)
            n += t->partition(p).size();
        return n;
    }

    sim::World world;
    telemetry::MetricsRegistry metrics;
    MqBroker sourceBroker;
    MqBroker targetBroker;
};

void produceSteadily(sim::World& world, MqProducer& producer, int count, sim::Nanos every)
{
    const sim::EventKindId kind = world.kind("test.produce");
    for (int i = 0; i < count; ++i) {
        world.after(i * every, kind, producer.component(), [&producer, i] {
            producer.send("settlement", "room-" + std::to_string(i % 11), std::to_string(i), 3.0);
        });
    }
}

std::int64_t headerInt(const MqRecord& r, std::string_view key)
{
    const std::string* v = r.header(key);
    return v ? std::stoll(*v) : -1;
}

} // namespace

class TstMqMirror : public QObject {
    Q_OBJECT
private slots:
    void copiesWithRegionHeadersInOrder()
    {
        Fixture f;
        MqProducer producer(f.world, f.sourceBroker, "sh-a/gifts/order/0/mq");
        MqMirror mirror(f.world, f.sourceBroker, f.targetBroker, "settlement", "sh-b/gifts/mq-mirror/settlement", {},
                        &f.metrics);
        QCOMPARE(mirror.targetTopic(), std::string("sh-a.settlement"));
        QCOMPARE(mirror.group(), std::string("mirror.sh-b"));
        for (int i = 0; i < 300; ++i)
            producer.send("settlement", "room-" + std::to_string(i % 11), std::to_string(i), 3.0);
        mirror.start();
        f.runFor(5 * sim::kSecond);

        const MqTopic* target = f.targetBroker.findTopic("sh-a.settlement");
        QVERIFY(target);
        QCOMPARE(target->partitionCount(), 3);
        QCOMPARE(f.targetSize(), std::int64_t(300));
        QCOMPARE(mirror.copied(), std::uint64_t(300));
        for (int p = 0; p < 3; ++p) {
            const MqPartitionLog& copy = target->partition(p);
            const MqPartitionLog& original = f.sourceBroker.findTopic("settlement")->partition(p);
            QCOMPARE(copy.size(), original.size());
            for (std::int64_t o = 0; o < copy.size(); ++o) {
                const MqRecord& r = *copy.at(o);
                QCOMPARE(*r.header(kRegionHeader), std::string("sh-a"));
                QCOMPARE(headerInt(r, kMirrorPartitionHeader), std::int64_t(p));
                QCOMPARE(headerInt(r, kMirrorOffsetHeader), o); // same order as the source
                QCOMPARE(r.value, original.at(o)->value);
                QCOMPARE(r.key, original.at(o)->key);
                QCOMPARE(r.weight, 3.0);
            }
        }
        QCOMPARE(f.sourceBroker.group("mirror.sh-b").totalLag(), 0.0);
        QCOMPARE(f.metrics.findCounter("mq.mirror.copied", "sh-b/gifts/mq-mirror/settlement")->total(), 900.0);
    }

    void consumersFilterByRegion()
    {
        Fixture f;
        MqProducer remote(f.world, f.sourceBroker, "sh-a/gifts/order/0/mq");
        MqProducer local(f.world, f.targetBroker, "sh-b/gifts/order/0/mq");
        MqMirror mirror(f.world, f.sourceBroker, f.targetBroker, "settlement", "sh-b/gifts/mq-mirror/settlement");
        QVERIFY(f.targetBroker.createTopic("settlement", 3).ok());
        for (int i = 0; i < 20; ++i) {
            remote.send("settlement", "u" + std::to_string(i), "from sh-a");
            local.send("settlement", "u" + std::to_string(i), "from sh-b");
        }
        mirror.start();
        // A settlement consumer in sh-b reads its own region's topic and the mirror.
        MqConsumer consumer(f.world, f.targetBroker, "sh-b/gifts/settlement/0", "settle",
                            {"settlement", "sh-a.settlement"});
        std::map<std::string, int> byRegion;
        consumer.runLoop([&byRegion](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records) {
                const std::string* region = r.record.header(kRegionHeader);
                ++byRegion[region ? *region : std::string("local")];
                QCOMPARE(r.record.value, region ? std::string("from sh-a") : std::string("from sh-b"));
            }
            ack.commit();
        });
        f.runFor(5 * sim::kSecond);
        QCOMPARE(byRegion["sh-a"], 20);
        QCOMPARE(byRegion["local"], 20);
    }

    void resumesAfterPartitionHeals()
    {
        Fixture f;
        MqProducer producer(f.world, f.sourceBroker, "sh-a/gifts/order/0/mq");
        MqMirror mirror(f.world, f.sourceBroker, f.targetBroker, "settlement", "sh-b/gifts/mq-mirror/settlement");
        mirror.start();
        produceSteadily(f.world, producer, 2'000, 10 * sim::kMillisecond); // 20 s
        f.runFor(5 * sim::kSecond);
        QVERIFY(f.targetSize() > 400);

        v1::FaultSpec cut;
        cut.set_kind(v1::FAULT_PARTITION);
        cut.set_target("sh-a");
        cut.set_end_ns(f.world.now() + 20 * sim::kSecond);
        auto* peer = cut.add_params();
        peer->set_name("peer");
        peer->set_text("sh-b");
        QVERIFY(f.world.faults().inject(cut).ok());
        f.runFor(2 * sim::kSecond);
        const std::int64_t frozen = f.targetSize();
        f.runFor(10 * sim::kSecond);
        QCOMPARE(f.targetSize(), frozen); // nothing crosses while the regions are cut off
        QVERIFY(mirror.stalled());
        QVERIFY(mirror.failures() > 0 || f.world.events().count("mq.member_expired") > 0);
        f.runFor(20 * sim::kSecond); // healed at 25 s

        // No loss: every source record has a copy. Duplicates possible, first copies in order.
        const MqTopic* target = f.targetBroker.findTopic("sh-a.settlement");
        std::int64_t total = 0;
        std::int64_t unique = 0;
        for (int p = 0; p < 3; ++p) {
            const MqPartitionLog& copy = target->partition(p);
            const MqPartitionLog& original = f.sourceBroker.findTopic("settlement")->partition(p);
            std::set<std::int64_t> seen;
            std::int64_t lastFirst = -1;
            for (std::int64_t o = 0; o < copy.size(); ++o) {
                const std::int64_t src = headerInt(*copy.at(o), kMirrorOffsetHeader);
                QCOMPARE(copy.at(o)->value, original.at(src)->value);
                if (seen.insert(src).second) {
                    QVERIFY2(src > lastFirst, "first copies keep the source order");
                    lastFirst = src;
                }
            }
            QCOMPARE(static_cast<std::int64_t>(seen.size()), original.size());
            total += copy.size();
            unique += static_cast<std::int64_t>(seen.size());
        }
        QCOMPARE(unique, std::int64_t(2'000));
        QVERIFY(total >= unique);
        QVERIFY(!mirror.stalled());
        QCOMPARE(f.sourceBroker.group("mirror.sh-b").totalLag(), 0.0);
    }
};

LIVEDECK_TEST_CLASS(TstMqMirror)
#include "tst_mq_mirror.moc"
