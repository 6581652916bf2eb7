// The timeline model: sequences strictly increase and are never reused, one sequence
// per (timeline, sender, client message id) under redelivery; one-to-one sends write
// both sides (write diffusion) and keep the receiver's stored unread counter equal to
// the entries above its read sequence; group sends are written once (read diffusion)
// with unread = group max seq − read seq; totals are the sums; bad input is refused.
#include "backend/messaging/timeline.h"
#include "tests/common/multi_test.h"

#include <QTest>

using namespace livedeck;
using namespace livedeck::messaging;

class TstTimeline : public QObject {
    Q_OBJECT
private slots:
    void sequencesIncreaseAndDuplicatesGetTheFirst()
    {
        Timeline t;
        QCOMPARE(t.append(100, 1, 1).seq, std::uint64_t{1});
        QCOMPARE(t.append(101, 1, 2).seq, std::uint64_t{2});
        const Timeline::Append dup = t.append(999, 1, 1); // redelivered: same client message
        QVERIFY(dup.duplicate);
        QCOMPARE(dup.seq, std::uint64_t{1});
        QCOMPARE(t.find(1)->contentId, std::uint64_t{100}); // the first content stays
        // The same client message id from another sender is another message.
        const Timeline::Append other = t.append(102, 2, 1);
        QVERIFY(!other.duplicate);
        QCOMPARE(other.seq, std::uint64_t{3});
        QCOMPARE(t.maxSeq(), std::uint64_t{3});
        QCOMPARE(t.after(1, 10).size(), std::size_t{2});
        QCOMPARE(t.after(1, 10).front().seq, std::uint64_t{2});
        QCOMPARE(t.latest(2).front().seq, std::uint64_t{2});
        QVERIFY(t.after(3, 10).empty());
        QVERIFY(!t.find(0) && !t.find(4));
    }

    void directSendWritesBothSides()
    {
        TimelineModel m;
        const auto a = m.sendDirect(1, 2, 1000, 1);
        QVERIFY(a.ok());
        QCOMPARE(a->senderSeq, std::uint64_t{1});
        QCOMPARE(a->receiverSeq, std::uint64_t{1});
        QCOMPARE(m.entriesWritten(), std::uint64_t{2});
        QCOMPARE(m.direct(1, 2)->find(1)->contentId, std::uint64_t{1000});
        QCOMPARE(m.direct(2, 1)->find(1)->contentId, std::uint64_t{1000});
        QCOMPARE(m.unread(2, 1), std::uint64_t{1});
        QCOMPARE(m.unread(1, 2), std::uint64_t{0}); // own messages are never unread
        // A redelivered send writes nothing and counts nothing.
        const auto again = m.sendDirect(1, 2, 1000, 1);
        QVERIFY(again->duplicate);
        QCOMPARE(m.entriesWritten(), std::uint64_t{2});
        QCOMPARE(m.unread(2, 1), std::uint64_t{1});
        QCOMPARE(m.sendDirect(3, 3, 1, 1).status().code(), absl::StatusCode::kInvalidArgument);
    }

    void storedUnreadEqualsEntriesAboveTheReadSequence()
    {
        TimelineModel m;
        // A chat: 1 and 2 talk, 2 reads now and then, with redeliveries.
        std::uint64_t msg = 1;
        for (int round = 0; round < 50; ++round) {
            const std::uint64_t from = round % 3 == 0 ? 2 : 1;
            const std::uint64_t to = from == 1 ? 2 : 1;
            QVERIFY(m.sendDirect(from, to, 10'000 + msg, msg).ok());
            if (round % 5 == 0)
                QVERIFY(m.sendDirect(from, to, 10'000 + msg, msg)->duplicate);
            ++msg;
            if (round % 7 == 6)
                m.markRead(2, 1, m.direct(2, 1)->maxSeq() - 2);
            if (round % 11 == 10)
                m.markRead(1, 2, m.direct(1, 2)->maxSeq());
            for (auto [owner, peer] : {std::pair{1, 2}, std::pair{2, 1}})
                QCOMPARE(m.unread(owner, peer), m.unreadRecount(owner, peer));
        }
        QVERIFY(m.unread(2, 1) > 0);
        // Reading back is ignored (a read sequence never goes down); beyond the end clamps.
        const std::uint64_t before = m.readSeq(2, 1);
        m.markRead(2, 1, 1);
        QCOMPARE(m.readSeq(2, 1), before);
        m.markRead(2, 1, 1'000'000);
        QCOMPARE(m.readSeq(2, 1), m.direct(2, 1)->maxSeq());
        QCOMPARE(m.unread(2, 1), std::uint64_t{0});
        QCOMPARE(m.unreadRecount(2, 1), std::uint64_t{0});
    }

    void groupIsWrittenOnceAndReadByMany()
    {
        TimelineModel m;
        std::vector<std::uint64_t> members;
        for (std::uint64_t u = 1; u <= 500; ++u)
            members.push_back(u);
        QVERIFY(m.createGroup(77, members).ok());
        QCOMPARE(m.createGroup(77, members).code(), absl::StatusCode::kAlreadyExists);
        for (std::uint64_t i = 1; i <= 10; ++i) {
            const auto s = m.sendGroup(77, 1 + i % 3, 5'000 + i, i);
            QVERIFY(s.ok());
            QCOMPARE(s->seq, i);
            QCOMPARE(s->pushed, std::size_t{499});
        }
        // Read diffusion: ten entries written for 500 members (write diffusion would be 5 000).
        QCOMPARE(m.entriesWritten(), std::uint64_t{10});
        QCOMPARE(m.pushes(), std::uint64_t{4'990});
        QCOMPARE(m.groupUnread(400, 77), std::uint64_t{10}); // max seq 10 − read seq 0
        QVERIFY(m.markGroupRead(400, 77, 6).ok());
        QCOMPARE(m.groupUnread(400, 77), std::uint64_t{4});
        QCOMPARE(m.groupUnread(3, 77), std::uint64_t{10 - 8}); // sender 3 (1 + i % 3) last sent seq 8
        // A redelivered group send: same sequence, no new entry, no new push.
        const auto dup = m.sendGroup(77, 1 + 10 % 3, 5'010, 10);
        QVERIFY(dup->duplicate);
        QCOMPARE(dup->seq, std::uint64_t{10});
        QCOMPARE(m.entriesWritten(), std::uint64_t{10});
        // Joining later starts at the current max: nothing unread.
        QVERIFY(m.addMember(77, 9'999).ok());
        QCOMPARE(m.groupUnread(9'999, 77), std::uint64_t{0});
        QCOMPARE(m.sendGroup(77, 12'345, 1, 1).status().code(), absl::StatusCode::kPermissionDenied);
        QCOMPARE(m.sendGroup(78, 1, 1, 1).status().code(), absl::StatusCode::kNotFound);
        QCOMPARE(m.markGroupRead(12'345, 77, 1).code(), absl::StatusCode::kNotFound);
    }

    void totalUnreadIsTheSum()
    {
        TimelineModel m;
        const std::uint64_t me = 1;
        QVERIFY(m.createGroup(500, std::vector<std::uint64_t>{me, 2, 3}).ok());
        QVERIFY(m.sendDirect(2, me, 1, 1).ok());
        QVERIFY(m.sendDirect(2, me, 2, 2).ok());
        QVERIFY(m.sendDirect(3, me, 3, 1).ok());
        QVERIFY(m.sendGroup(500, 2, 4, 3).ok());
        QVERIFY(m.sendGroup(500, 3, 5, 2).ok());
        QCOMPARE(m.totalUnread(me), std::uint64_t{2 + 1 + 2});
        m.markRead(me, 2, 1);
        QVERIFY(m.markGroupRead(me, 500, 2).ok());
        QCOMPARE(m.totalUnread(me), std::uint64_t{1 + 1 + 0});
        QCOMPARE(m.totalUnread(424242), std::uint64_t{0}); // an unknown user: nothing, no crash
    }
};

LIVEDECK_TEST_CLASS(TstTimeline)
#include "tst_timeline.moc"
