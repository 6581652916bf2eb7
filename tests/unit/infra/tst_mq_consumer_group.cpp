#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_consumer_group.h"
#include "backend/telemetry/metrics.h"
#include "tests/common/multi_test.h"

#include <algorithm>
#include <map>
#include <set>

using namespace livedeck;
using namespace livedeck::infra;

Q_DECLARE_METATYPE(livedeck::infra::MqAssignor)

namespace {

constexpr const char* kBroker = "sh-a/gifts/mq";

struct Fixture {
    Fixture() : world(sim::WorldConfig{11, sim::Topology::defaults(), {}, "mq"}), broker(world, kBroker, {}, &metrics) {}
    void runFor(sim::Nanos d) { world.scheduler().runUntil(world.now() + d); }

    sim::World world;
    telemetry::MetricsRegistry metrics;
    MqBroker broker;
};

QString str(MqError e)
{
    return QString::fromLatin1(toString(e));
}

std::vector<std::string> split(const QString& s)
{
    std::vector<std::string> out;
    for (const QString& part : s.split(QLatin1Char(','), Qt::SkipEmptyParts))
        out.push_back(part.toStdString());
    return out;
}

} // namespace

class TstMqConsumerGroup : public QObject {
    Q_OBJECT
private slots:
    void assignmentCoversEveryPartitionOnce_data()
    {
        QTest::addColumn<MqAssignor>("assignor");
        QTest::addColumn<int>("members");
        QTest::addColumn<QString>("partitions"); // per topic "a", "b", ...
        QTest::addColumn<bool>("mixed");         // odd members subscribe to "a" only
        for (MqAssignor a : {MqAssignor::Range, MqAssignor::RoundRobin}) {
            const char* name = toString(a);
            QTest::addRow("%s 1 member 4 partitions", name) << a << 1 << QStringLiteral("4") << false;
            QTest::addRow("%s 3 members 7 partitions", name) << a << 3 << QStringLiteral("7") << false;
            QTest::addRow("%s 5 members 3 partitions", name) << a << 5 << QStringLiteral("3") << false;
            QTest::addRow("%s 4 members 3 topics", name) << a << 4 << QStringLiteral("6,1,9") << false;
            QTest::addRow("%s 4 members mixed subscriptions", name) << a << 4 << QStringLiteral("5,8") << true;
        }
    }
    void assignmentCoversEveryPartitionOnce()
    {
        QFETCH(MqAssignor, assignor);
        QFETCH(int, members);
        QFETCH(QString, partitions);
        QFETCH(bool, mixed);
        std::vector<std::pair<std::string, int>> topics;
        char name = 'a';
        for (const std::string& p : split(partitions))
            topics.emplace_back(std::string(1, name++), std::stoi(p));
        std::vector<std::vector<std::string>> subs(static_cast<std::size_t>(members));
        for (int m = 0; m < members; ++m) {
            for (const auto& t : topics) {
                if (!mixed || m % 2 == 0 || t.first == "a")
                    subs[static_cast<std::size_t>(m)].push_back(t.first);
            }
        }
        const std::vector<int> owners = MqConsumerGroup::assign(assignor, subs, topics);
        QCOMPARE(owners, MqConsumerGroup::assign(assignor, subs, topics)); // deterministic
        std::size_t flat = 0;
        std::vector<int> perMember(static_cast<std::size_t>(members), 0);
        for (const auto& [topic, n] : topics) {
            std::map<int, int> perMemberInTopic;
            for (int p = 0; p < n; ++p, ++flat) {
                const int owner = owners[flat];
                QVERIFY2(owner >= 0 && owner < members, "every partition has exactly one owner");
                const auto& s = subs[static_cast<std::size_t>(owner)];
                QVERIFY2(std::find(s.begin(), s.end(), topic) != s.end(), "owners subscribe to the topic");
                ++perMember[static_cast<std::size_t>(owner)];
                ++perMemberInTopic[owner];
            }
            if (!mixed && assignor == MqAssignor::Range) {
                // Range balances each topic: counts differ by at most one.
                int lo = n;
                int hi = 0;
                for (int m = 0; m < members; ++m) {
                    lo = std::min(lo, perMemberInTopic[m]);
                    hi = std::max(hi, perMemberInTopic[m]);
                }
                QVERIFY(hi - lo <= 1);
            }
        }
        QCOMPARE(flat, owners.size());
        if (!mixed && assignor == MqAssignor::RoundRobin) {
            const auto [lo, hi] = std::minmax_element(perMember.begin(), perMember.end());
            QVERIFY(*hi - *lo <= 1); // round-robin balances across all topics
        }
    }

    void knownLayouts()
    {
        const std::vector<std::vector<std::string>> three{{"t"}, {"t"}, {"t"}};
        QCOMPARE(MqConsumerGroup::assign(MqAssignor::Range, three, {{"t", 7}}), (std::vector<int>{0, 0, 0, 1, 1, 2, 2}));
        QCOMPARE(MqConsumerGroup::assign(MqAssignor::RoundRobin, three, {{"t", 7}}),
                 (std::vector<int>{0, 1, 2, 0, 1, 2, 0}));
        const std::vector<std::vector<std::string>> both{{"a", "b"}, {"a", "b"}, {"a", "b"}};
        QCOMPARE(MqConsumerGroup::assign(MqAssignor::RoundRobin, both, {{"a", 2}, {"b", 3}}),
                 (std::vector<int>{0, 1, 2, 0, 1}));
        // Round-robin skips members that do not subscribe.
        const std::vector<std::vector<std::string>> partial{{"a"}, {"a", "b"}};
        QCOMPARE(MqConsumerGroup::assign(MqAssignor::RoundRobin, partial, {{"a", 2}, {"b", 2}}),
                 (std::vector<int>{0, 1, 1, 1}));
        // Nobody subscribes: no owner.
        QCOMPARE(MqConsumerGroup::assign(MqAssignor::Range, {{"a"}}, {{"a", 1}, {"z", 2}}), (std::vector<int>{0, -1, -1}));
    }

    void rebalancesOnJoinLeaveAndExpiry()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 4).ok());
        MqConsumerGroup& g = f.broker.group("g");
        std::vector<MqAssignedPartition> a;
        QCOMPARE(str(g.join("a", {"t"}, 10 * sim::kSecond, MqAssignor::Range, a)), str(MqError::Ok));
        QCOMPARE(g.generation(), std::uint64_t(1));
        QCOMPARE(a.size(), std::size_t(4));
        QCOMPARE(str(g.join("b", {"t"}, 10 * sim::kSecond, MqAssignor::Range, a)), str(MqError::Ok));
        QCOMPARE(g.generation(), std::uint64_t(2));
        QCOMPARE(g.assignmentOf("a"), (std::vector<std::pair<std::string, int>>{{"t", 0}, {"t", 1}}));
        QCOMPARE(g.assignmentOf("b"), (std::vector<std::pair<std::string, int>>{{"t", 2}, {"t", 3}}));
        // "a" still thinks it is in generation 1: it is told to adopt generation 2.
        QCOMPARE(str(g.check("a", 1, a)), str(MqError::RebalanceInProgress));
        QCOMPARE(a.size(), std::size_t(2));
        QCOMPARE(a[0].ownerSince, std::uint64_t(1)); // kept since generation 1
        QCOMPARE(str(g.check("a", 2, a)), str(MqError::Ok));

        QCOMPARE(str(g.leave("a")), str(MqError::Ok));
        QCOMPARE(g.generation(), std::uint64_t(3));
        QCOMPARE(g.assignmentOf("b").size(), std::size_t(4));
        QCOMPARE(g.owner("t", 0), std::string("b"));

        // "c" joins and never heartbeats; "b" keeps its session alive.
        QCOMPARE(str(g.join("c", {"t"}, 10 * sim::kSecond, MqAssignor::Range, a)), str(MqError::Ok));
        QCOMPARE(g.generation(), std::uint64_t(4));
        for (int i = 0; i < 7; ++i) {
            f.runFor(2 * sim::kSecond);
            g.check("b", g.generation(), a);
        }
        QCOMPARE(g.members(), (std::vector<std::string>{"b"}));
        QCOMPARE(g.generation(), std::uint64_t(5));
        QCOMPARE(f.world.events().count("mq.member_expired"), std::uint64_t(1));
        QCOMPARE(g.assignmentOf("b").size(), std::size_t(4));
        QCOMPARE(str(g.check("c", 4, a)), str(MqError::UnknownMember));
        QCOMPARE(f.world.events().count("mq.rebalance"), std::uint64_t(5));
    }

    void commitsNeedUnbrokenOwnership()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 2).ok());
        for (int p = 0; p < 2; ++p) {
            for (int i = 0; i < 10; ++i)
                f.broker.appendDirect("t", p, MqMessage{"", "x", {}, 1.0});
        }
        MqConsumerGroup& g = f.broker.group("g");
        std::vector<MqAssignedPartition> a;
        g.join("a", {"t"}, 10 * sim::kSecond, MqAssignor::Range, a); // gen 1: a owns 0 and 1
        QCOMPARE(str(g.commit("a", 1, {{"t", 0, 5}})), str(MqError::Ok));
        g.join("b", {"t"}, 10 * sim::kSecond, MqAssignor::Range, a); // gen 2: a owns 0, b owns 1
        QCOMPARE(str(g.commit("a", 1, {{"t", 1, 3}})), str(MqError::NotOwner)); // lost partition 1
        QCOMPARE(str(g.commit("a", 1, {{"t", 0, 6}})), str(MqError::Ok));       // kept partition 0
        // All or nothing.
        QCOMPARE(str(g.commit("a", 2, {{"t", 0, 7}, {"t", 1, 7}})), str(MqError::NotOwner));
        QCOMPARE(g.committed("t", 0), std::int64_t(6));
        QCOMPARE(str(g.commit("b", 2, {{"t", 1, 4}})), str(MqError::Ok));
        g.leave("b"); // gen 3: a owns 1 again, but only since generation 3
        QCOMPARE(str(g.commit("a", 2, {{"t", 1, 9}})), str(MqError::NotOwner));
        QCOMPARE(str(g.commit("a", 3, {{"t", 1, 9}})), str(MqError::Ok));
        QCOMPARE(g.committed("t", 1), std::int64_t(9));
        QCOMPARE(str(g.commit("zz", 3, {{"t", 1, 9}})), str(MqError::UnknownMember));
        QCOMPARE(g.lagOffsets("t", 0), std::int64_t(4));
        QCOMPARE(g.lagOffsets("t", 1), std::int64_t(1));
    }

    void crashBeforeCommitIsRedelivered_data()
    {
        QTest::addColumn<bool>("commitBeforeCrash");
        QTest::newRow("crash before commit: redelivered") << false;
        QTest::newRow("commit then crash: not redelivered") << true;
    }
    void crashBeforeCommitIsRedelivered()
    {
        QFETCH(bool, commitBeforeCrash);
        Fixture f;
        QVERIFY(f.broker.createTopic("settlement", 2).ok());
        for (int p = 0; p < 2; ++p) {
            for (int i = 0; i < 10; ++i)
                f.broker.appendDirect("settlement", p, MqMessage{"", "p" + std::to_string(p) + "-" + std::to_string(i), {}, 1.0});
        }
        MqConsumer a(f.world, f.broker, "sh-a/gifts/settle/a", "settle", {"settlement"});
        MqConsumer b(f.world, f.broker, "sh-a/gifts/settle/b", "settle", {"settlement"});
        a.start();
        b.start();
        f.runFor(4 * sim::kSecond); // both joined; a has adopted the final generation
        QCOMPARE(a.assignment(), (std::vector<std::pair<std::string, int>>{{"settlement", 0}}));
        QCOMPARE(b.assignment(), (std::vector<std::pair<std::string, int>>{{"settlement", 1}}));

        MqBatch taken;
        a.poll(100, [&taken](MqError e, const MqBatch& batch) {
            if (e == MqError::Ok)
                taken = batch;
        });
        f.runFor(100 * sim::kMillisecond);
        QCOMPARE(taken.records.size(), std::size_t(10));
        if (commitBeforeCrash) {
            MqError result = MqError::Timeout;
            a.commit(taken, [&result](MqError e) { result = e; });
            f.runFor(100 * sim::kMillisecond);
            QCOMPARE(str(result), str(MqError::Ok));
        }
        a.crash();
        for (int i = 10; i < 15; ++i)
            f.broker.appendDirect("settlement", 0, MqMessage{"", "p0-" + std::to_string(i), {}, 1.0});

        std::multiset<std::int64_t> p0;
        b.runLoop([&p0](const MqBatch& batch, MqAck ack) {
            for (const MqConsumerRecord& r : batch.records) {
                if (r.partition == 0)
                    p0.insert(r.record.offset);
            }
            ack.commit();
        });
        f.runFor(5 * sim::kSecond);
        QVERIFY2(p0.empty(), "partition 0 still belongs to the crashed member until its session times out");
        f.runFor(10 * sim::kSecond);
        QCOMPARE(b.assignment().size(), std::size_t(2));
        std::multiset<std::int64_t> expected;
        for (std::int64_t o = commitBeforeCrash ? 10 : 0; o < 15; ++o)
            expected.insert(o);
        QCOMPARE(p0, expected);
        QCOMPARE(f.broker.group("settle").committed("settlement", 0), std::int64_t(15));
        QCOMPARE(f.world.events().count("mq.member_expired"), std::uint64_t(1));
    }

    void cleanLeaveRebalancesAtOnce()
    {
        Fixture f;
        QVERIFY(f.broker.createTopic("t", 3).ok());
        MqConsumer a(f.world, f.broker, "sh-a/gifts/settle/a", "g", {"t"});
        MqConsumer b(f.world, f.broker, "sh-a/gifts/settle/b", "g", {"t"});
        a.start();
        b.start();
        f.runFor(4 * sim::kSecond);
        QCOMPARE(a.assignment().size() + b.assignment().size(), std::size_t(3));
        a.close();
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(f.broker.group("g").members(), (std::vector<std::string>{b.memberId()}));
        QCOMPARE(f.broker.group("g").assignmentOf(b.memberId()).size(), std::size_t(3));
        f.runFor(4 * sim::kSecond); // b's next heartbeat adopts it
        QCOMPARE(b.assignment().size(), std::size_t(3));
        QCOMPARE(f.world.events().count("mq.member_expired"), std::uint64_t(0));
    }
};

LIVEDECK_TEST_CLASS(TstMqConsumerGroup)
#include "tst_mq_consumer_group.moc"
