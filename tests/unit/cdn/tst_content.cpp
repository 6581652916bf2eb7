#include "backend/cdn/content.h"
#include "backend/cdn/origin.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <cstring>

using namespace livedeck;
using namespace livedeck::cdn;
using namespace livedeck::sim;

class TstContent : public QObject {
    Q_OBJECT
private slots:
    void bytesAreAFunctionOfObjectVersionOffset()
    {
        std::vector<std::uint8_t> whole(1'000), part(333);
        contentFill(5, 1, 100, whole);
        contentFill(5, 1, 100 + 217, part); // an unaligned piece of the same range
        QVERIFY(std::equal(part.begin(), part.end(), whole.begin() + 217));
        std::vector<std::uint8_t> v2(1'000);
        contentFill(5, 2, 100, v2);
        QVERIFY(whole != v2);
        QVERIFY(etagOf(5, 1) != etagOf(5, 2));
        QVERIFY(etagOf(5, 1) != etagOf(6, 1));
        QCOMPARE(etagString(etagOf(5, 1)).size(), std::size_t{18});
    }

    // Byte i of an object is byte i % 8 of word i / 8, whatever the offset and length
    // (a piece inside one word, a leading or trailing partial word, whole words), and
    // the words are the same in every build (pinned values).
    void bytesAreTheWordsImage()
    {
        QCOMPARE(contentWord(5, 1, 0), 0x44a4171ca484df5dull);
        QCOMPARE(contentWord(5, 1, 12), 0x20035d0a771372bbull);
        for (std::uint64_t offset = 0; offset < 20; ++offset) {
            for (std::size_t length = 0; length <= 40; ++length) {
                std::vector<std::uint8_t> got(length);
                contentFill(5, 1, offset, got);
                for (std::size_t i = 0; i < length; ++i) {
                    const std::uint64_t at = offset + i;
                    const std::uint64_t word = contentWord(5, 1, at / 8);
                    std::uint8_t bytes[8];
                    std::memcpy(bytes, &word, 8);
                    QCOMPARE(got[i], bytes[at % 8]);
                }
            }
        }
    }

    void digestAcceptsTheOriginsBytes()
    {
        Body body{Extent{5, 1, 1'000, 300'000}};
        const DigestCheck c = verifyBody(5, 1, 1'000, body);
        QVERIFY(c.ok);
        QCOMPARE(c.blocksChecked, std::uint64_t{5}); // 1000..65535, 3 whole blocks, then the tail to 300999
    }

    void splicedVersionsFail()
    {
        Body body{Extent{5, 1, 0, 200'000}, Extent{5, 2, 200'000, 100'000}};
        const DigestCheck c = verifyBody(5, 1, 0, body);
        QVERIFY(!c.ok);
        QCOMPARE(c.badOffset, std::uint64_t{196'608}); // the block holding offset 200 000
        QVERIFY(!c.reason.empty());
    }

    void reorderedSlicesFail()
    {
        const std::uint64_t s = kSliceBytes;
        Body body{Extent{5, 1, s, s}, Extent{5, 1, 0, s}};
        QVERIFY(!verifyBody(5, 1, 0, body).ok);
        Body right{Extent{5, 1, 0, s}, Extent{5, 1, s, s}};
        QVERIFY(verifyBody(5, 1, 0, right).ok);
    }

    // verifyBody makes the body's bytes block by block; its verdict, first bad offset and
    // blocks checked are those of checking the whole materialized body, for bodies of
    // many extents (pieces inside one block, across block edges, empty ones, another
    // version, out of place) over small blocks.
    void bodyCheckedBlockByBlockAsWhole()
    {
        sim::RandomStream rng = sim::RandomStream::derive(7, "tst_content");
        int failing = 0;
        for (int round = 0; round < 400; ++round) {
            const std::uint64_t rangeStart = rng.uniformInt(5'001);
            Body body;
            std::uint64_t at = rangeStart;
            const int extents = 1 + static_cast<int>(rng.uniformInt(8));
            for (int i = 0; i < extents; ++i) {
                const std::uint64_t length = rng.uniformInt(3'001);
                const Version version = rng.bernoulli(0.05) ? 2 : 1;
                const std::uint64_t source = rng.bernoulli(0.05) ? at + 8 : at;
                body.push_back(Extent{9, version, source, length});
                at += length;
            }
            const std::uint64_t block = std::uint64_t{64} << rng.uniformInt(6); // 64 B .. 2 KiB
            const DigestCheck streamed = verifyBody(9, 1, rangeStart, body, block);
            const DigestCheck whole = verifyReceived(9, 1, rangeStart, materialize(body), block);
            QCOMPARE(streamed.ok, whole.ok);
            QCOMPARE(streamed.badOffset, whole.badOffset);
            QCOMPARE(streamed.blocksChecked, whole.blocksChecked);
            QCOMPARE(streamed.reason, whole.reason);
            failing += whole.ok ? 0 : 1;
        }
        QVERIFY(failing > 20);  // the draws made both kinds of body
        QVERIFY(failing < 380);
    }

    void aFlippedByteFails()
    {
        std::vector<std::uint8_t> bytes(100'000);
        contentFill(8, 3, 0, bytes);
        QVERIFY(verifyReceived(8, 3, 0, bytes).ok);
        bytes[77'777] ^= 1;
        const DigestCheck c = verifyReceived(8, 3, 0, bytes);
        QVERIFY(!c.ok);
        QCOMPARE(c.badOffset, std::uint64_t{65'536});
    }

    void sliceHeaderChecks_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<quint64>("etag");
        QTest::addColumn<quint64>("first");
        QTest::addColumn<quint64>("last");
        QTest::addColumn<qint64>("complete");
        QTest::addColumn<int>("expected");
        const quint64 e = etagOf(1, 1);
        const quint64 s = kSliceBytes;
        QTest::newRow("ok") << 206 << e << s << 2 * s - 1 << qint64(10 * s) << int(SliceCheck::Ok);
        QTest::newRow("short last slice") << 206 << e << s << s + 99 << qint64(s + 100) << int(SliceCheck::Ok);
        QTest::newRow("200 not 206") << 200 << e << s << 2 * s - 1 << qint64(10 * s) << int(SliceCheck::NotPartial);
        QTest::newRow("etag changed") << 206 << quint64(etagOf(1, 2)) << s << 2 * s - 1 << qint64(10 * s) << int(SliceCheck::EtagMismatch);
        QTest::newRow("wrong start") << 206 << e << s + 1 << 2 * s - 1 << qint64(10 * s) << int(SliceCheck::BadContentRange);
        QTest::newRow("wrong end") << 206 << e << s << 2 * s - 2 << qint64(10 * s) << int(SliceCheck::BadContentRange);
        QTest::newRow("unknown length") << 206 << e << s << 2 * s - 1 << qint64(-1) << int(SliceCheck::NoCompleteLength);
    }
    void sliceHeaderChecks()
    {
        QFETCH(int, status);
        QFETCH(quint64, etag);
        QFETCH(quint64, first);
        QFETCH(quint64, last);
        QFETCH(qint64, complete);
        QFETCH(int, expected);
        SliceHeader h;
        h.status = status;
        h.etag = etag;
        h.hasContentRange = true;
        h.range = ContentRange{first, last, complete};
        QCOMPARE(int(checkSliceHeader(h, kSliceBytes, kSliceBytes, etagOf(1, 1))), expected);
    }

    void originAnswersLikeAnHttpServer()
    {
        World w;
        Origin o(w, "sh-a/cdn/origin");
        o.put(1, 1'000);
        SliceReply r = o.answer(1, 500, 5'000);
        QCOMPARE(r.header.status, kHttpPartial);
        QCOMPARE(r.header.range.last, std::uint64_t{999});
        QCOMPARE(r.header.range.complete, std::int64_t{1'000});
        QCOMPARE(bodyLength(r.body), std::uint64_t{500});
        QCOMPARE(o.answer(1, 1'000, 2'000).header.status, kHttpRangeNotSatisfiable);
        QCOMPARE(o.answer(2, 0, 10).header.status, kHttpNotFound);
        QVERIFY(o.update(1, 2));
        QCOMPARE(o.answer(1, 0, 10).header.etag, etagOf(1, 2));
        QVERIFY(!o.update(3, 2));
    }
};

LIVEDECK_TEST_CLASS(TstContent)
#include "tst_content.moc"
