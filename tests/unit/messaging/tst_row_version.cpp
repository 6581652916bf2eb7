// The binlog sync's version: with a plain modification time two updates of one row in
// one millisecond tie, so "apply if newer" loses the second and "apply if not older"
// lets a redelivered first update resurrect; the total version (mtime << 20 | counter)
// orders them, and the real compare-and-sets (KvStore::setIfNewer, the Raft KV's
// SetIfNewer) then converge to the database's last value under duplicates and
// reordering. The version never goes down, even when the writer's clock does.
#include "backend/infra/kv_store.h"
#include "backend/infra/raft_kv_store.h"
#include "backend/messaging/row_version.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace livedeck;
using namespace livedeck::messaging;

namespace {

struct Record {
    std::string value;
    std::uint64_t version;
};

enum class Rule { Newer, NotOlder };

// A cache applying records with a comparison on the record's version.
std::string applyAll(const std::vector<Record>& stream, Rule rule)
{
    std::string value;
    std::uint64_t stored = 0;
    bool present = false;
    for (const Record& r : stream) {
        const bool apply = !present || (rule == Rule::Newer ? r.version > stored : r.version >= stored);
        if (apply) {
            value = r.value;
            stored = r.version;
            present = true;
        }
    }
    return value;
}

// Two updates of one row in millisecond 5 000, then the first redelivered (a consumer
// restart: "A B A"), as the binlog would carry them with each version scheme.
std::vector<Record> stream(bool total)
{
    std::uint64_t v = 0;
    const std::uint64_t v1 = total ? (v = nextRowVersion(v, 5'000)) : 5'000;
    const std::uint64_t v2 = total ? nextRowVersion(v, 5'000) : 5'000;
    return {{"first", v1}, {"second", v2}, {"first", v1}};
}

} // namespace

class TstRowVersion : public QObject {
    Q_OBJECT
private slots:
    void mtimeAloneLosesOrResurrects()
    {
        // The database holds "second". With a plain mtime:
        QCOMPARE(applyAll(stream(false), Rule::Newer), std::string("first"));    // the second update is lost
        QCOMPARE(applyAll(stream(false), Rule::NotOlder), std::string("first")); // the duplicate resurrects the first
        // With the total version, "apply if newer" gets it right.
        QCOMPARE(applyAll(stream(true), Rule::Newer), std::string("second"));
    }

    void versionIsTotalAndNeverGoesDown()
    {
        std::uint64_t v = 0;
        v = nextRowVersion(v, 1'000);
        QCOMPARE(versionMtimeMs(v), std::int64_t{1'000});
        const std::uint64_t same = nextRowVersion(v, 1'000);
        QCOMPARE(same, v + 1);
        QCOMPARE(versionMtimeMs(same), std::int64_t{1'000});
        // The writer's clock went back 50 ms: the version still rises.
        const std::uint64_t back = nextRowVersion(same, 950);
        QVERIFY(back > same);
        const std::uint64_t later = nextRowVersion(back, 1'001);
        QCOMPARE(versionMtimeMs(later), std::int64_t{1'001});
        QVERIFY(later > back);
    }

    void kvCacheCompareAndSetConverges()
    {
        // The real cache: records of one key with duplicates and reordering.
        sim::ManualClock clock;
        infra::KvStore cache(clock);
        infra::KvReply reply;
        const std::vector<Record> s = stream(true);
        const std::vector<std::size_t> order = {0, 1, 2, 1, 0};
        int refused = 0;
        for (std::size_t i : order) {
            if (cache.setIfNewer("conv:1:2", s[i].value, s[i].version, sim::kNever, reply) == infra::KvStatus::VersionConflict)
                ++refused;
        }
        cache.get("conv:1:2", reply);
        QCOMPARE(reply.value, std::string("second"));
        QCOMPARE(reply.version, s[1].version);
        QCOMPARE(refused, 3);
        // The same with mtime-only versions loses the second update.
        infra::KvStore plain(clock);
        for (const Record& r : stream(false))
            plain.setIfNewer("conv:1:2", r.value, r.version, sim::kNever, reply);
        plain.get("conv:1:2", reply);
        QCOMPARE(reply.value, std::string("first"));
    }

    void raftKvStampConverges()
    {
        infra::RaftKvStore taishan;
        const std::vector<Record> s = stream(true);
        std::uint64_t index = 0;
        for (std::size_t i : {1u, 0u, 2u}) { // reordered: second, then first twice
            auto c = std::make_shared<infra::RaftCommand>();
            c->op = infra::RaftOp::SetIfNewer;
            c->key = "conv:1:2";
            c->value = s[i].value;
            c->stamp = s[i].version;
            taishan.apply(++index, infra::RaftEntry{1, 0, c});
        }
        QCOMPARE(taishan.find("conv:1:2")->value, std::string("second"));
        QCOMPARE(taishan.find("conv:1:2")->stamp, s[1].version);
    }
};

LIVEDECK_TEST_CLASS(TstRowVersion)
#include "tst_row_version.moc"
