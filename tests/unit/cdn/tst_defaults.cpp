#include "backend/cdn/cdn_defaults.h"
#include "backend/cdn/cdn_engine.h"
#include "backend/cdn/health_checker.h"
#include "backend/cdn/s3fifo_cache.h"
#include "backend/cdn/slice_module.h"
#include "tests/common/multi_test.h"

#include <set>

using namespace livedeck;
using namespace livedeck::cdn;

class TstDefaults : public QObject {
    Q_OBJECT
private slots:
    void everyDefaultHasASource()
    {
        std::set<std::string_view> names;
        for (const DefaultEntry& d : kDefaultsTable) {
            QVERIFY2(names.insert(d.name).second, std::string(d.name).c_str());
            QVERIFY(!d.source.empty());
            QVERIFY(!d.unit.empty());
            QVERIFY(d.value > 0.0);
        }
    }

    void tableMatchesTheConstantsTheClassesUse()
    {
        auto value = [](std::string_view name) {
            for (const DefaultEntry& d : kDefaultsTable)
                if (d.name == name)
                    return d.value;
            return -1.0;
        };
        QCOMPARE(value("slice.bytes"), static_cast<double>(SliceConfig{}.sliceBytes));
        QCOMPARE(value("slice.window.new"), static_cast<double>(SliceConfig{}.window));
        QCOMPARE(value("health.rise"), static_cast<double>(HealthCheckConfig{}.rise));
        QCOMPARE(value("health.fall"), static_cast<double>(HealthCheckConfig{}.fall));
        QCOMPARE(value("health.interval"), sim::toMillis(HealthCheckConfig{}.interval));
        QCOMPARE(value("cache.s3fifo.small_ratio"), S3FifoConfig{}.smallRatio);
        QCOMPARE(value("ring.vnodes"), static_cast<double>(kRingVnodes));
        QCOMPARE(value("l4.maglev.table_size"), 65'537.0);
        QCOMPARE(value("gateway.first_byte_timeout"), sim::toMillis(CdnConfig{}.firstByteTimeout));
        QCOMPARE(value("gateway.retry_budget"), CdnConfig{}.retryBudgetShare);
        QCOMPARE(value("gateway.retry_min_concurrency"), static_cast<double>(CdnConfig{}.retryMinConcurrency));
    }
};

LIVEDECK_TEST_CLASS(TstDefaults)
#include "tst_defaults.moc"
