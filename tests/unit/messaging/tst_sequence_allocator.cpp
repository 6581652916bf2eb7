// Sequences from a volatile cache under a durable ceiling: strictly increasing per key,
// a block reservation before crossing the ceiling, and after the cache is lost a restart
// at the durable ceiling (a gap of at most one block, never a reuse) — while the
// sabotaged twin that restarts from the last written-back sequence hands sequences out
// twice. Timelines accept such sequences with their gaps.
#include "backend/messaging/sequence_allocator.h"
#include "backend/messaging/timeline.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <map>
#include <set>
#include <vector>

using namespace livedeck;
using namespace livedeck::messaging;

namespace {

struct Durable {
    std::map<std::uint64_t, std::uint64_t> ceiling;
    std::map<std::uint64_t, std::uint64_t> lastPersisted; // written back every 7th sequence
};

// Takes the next sequence of `key`, doing the reservation and load round trips.
std::uint64_t take(SequenceAllocator& a, Durable& d, std::uint64_t key, int& roundTrips)
{
    for (;;) {
        const SequenceAllocator::Next n = a.next(key);
        switch (n.status) {
        case SequenceAllocator::Status::Ok:
            if (n.seq % 7 == 0)
                d.lastPersisted[key] = n.seq;
            return n.seq;
        case SequenceAllocator::Status::NeedsReservation:
            ++roundTrips;
            d.ceiling[key] = std::max(d.ceiling[key], n.ceiling);
            a.confirm(key, d.ceiling[key]);
            break;
        case SequenceAllocator::Status::NeedsLoad:
            ++roundTrips;
            a.load(key, d.ceiling[key], d.lastPersisted[key]);
            break;
        }
    }
}

struct Outcome {
    int reused = 0;
    int wentBack = 0;
    std::uint64_t maxGap = 0;
    int roundTrips = 0;
    std::uint64_t taken = 0;
};

Outcome run(SeqReload reload)
{
    SequenceAllocatorConfig c;
    c.block = 50;
    c.reload = reload;
    SequenceAllocator a(c);
    Durable d;
    std::map<std::uint64_t, std::set<std::uint64_t>> seen;
    std::map<std::uint64_t, std::uint64_t> last;
    Outcome o;
    for (int i = 0; i < 3'000; ++i) {
        const std::uint64_t key = 1 + std::uint64_t(i % 5);
        if (i % 400 == 399)
            a.loseCache(); // a Redis flush
        const std::uint64_t seq = take(a, d, key, o.roundTrips);
        ++o.taken;
        if (!seen[key].insert(seq).second)
            ++o.reused;
        if (seq <= last[key])
            ++o.wentBack;
        else
            o.maxGap = std::max(o.maxGap, seq - last[key]);
        last[key] = seq;
    }
    return o;
}

} // namespace

class TstSequenceAllocator : public QObject {
    Q_OBJECT
private slots:
    void reservesInBlocks()
    {
        SequenceAllocator a;
        Durable d;
        int trips = 0;
        for (std::uint64_t i = 1; i <= 120; ++i)
            QCOMPARE(take(a, d, 9, trips), i);
        // One load, then a reservation per 50 sequences (three blocks cover 120).
        QCOMPARE(a.loads(), std::uint64_t{1});
        QCOMPARE(a.reservations(), std::uint64_t{3});
        QCOMPARE(d.ceiling[9], std::uint64_t{150});
    }

    void cacheLossSkipsAheadNeverReuses()
    {
        const Outcome o = run(SeqReload::FromCeiling);
        QCOMPARE(o.reused, 0);
        QCOMPARE(o.wentBack, 0);
        QVERIFY2(o.maxGap > 1 && o.maxGap <= 51, qPrintable(QString::number(o.maxGap))); // gaps, at most a block
        // A round trip to the durable store per block, plus one load per key per loss.
        QVERIFY(o.roundTrips < int(o.taken / 10));
    }

    void reloadingFromTheLastWrittenBackReuses()
    {
        const Outcome o = run(SeqReload::FromLastPersisted);
        QVERIFY2(o.reused > 0, qPrintable(QString::number(o.reused)));
        QVERIFY(o.wentBack > 0);
    }

    void timelineTakesAllocatedSequencesWithGaps()
    {
        Timeline t;
        QVERIFY(t.appendAt(1, 100, 7, 1).ok());
        QVERIFY(t.appendAt(2, 101, 7, 2).ok());
        QCOMPARE(t.appendAt(51, 102, 7, 3)->seq, std::uint64_t{51}); // after a cache loss: a gap
        QCOMPARE(t.appendAt(52, 103, 8, 1)->seq, std::uint64_t{52});
        // A redelivered message gets its first sequence, whatever sequence it brings.
        const auto dup = t.appendAt(60, 999, 7, 2);
        QVERIFY(dup.ok() && dup->duplicate);
        QCOMPARE(dup->seq, std::uint64_t{2});
        // Never at or below the max.
        QCOMPARE(t.appendAt(52, 104, 8, 2).status().code(), absl::StatusCode::kFailedPrecondition);
        QCOMPARE(t.appendAt(10, 104, 8, 2).status().code(), absl::StatusCode::kFailedPrecondition);
        QCOMPARE(t.maxSeq(), std::uint64_t{52});
        QCOMPARE(t.after(2, 10).size(), std::size_t{2});
        QCOMPARE(t.after(2, 10).front().seq, std::uint64_t{51});
        QCOMPARE(t.after(10, 10).front().seq, std::uint64_t{51});
        QCOMPARE(t.after(51, 10).front().seq, std::uint64_t{52});
        QVERIFY(t.after(52, 10).empty());
        QVERIFY(t.find(51) && t.find(51)->contentId == 102);
        QVERIFY(!t.find(10));
        // append() continues above the max.
        QCOMPARE(t.append(105, 9, 1).seq, std::uint64_t{53});
    }
};

LIVEDECK_TEST_CLASS(TstSequenceAllocator)
#include "tst_sequence_allocator.moc"
