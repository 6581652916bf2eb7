// Prometheus: a snapshot's series become metric families with the documented names and
// labels, and a running node's /metrics page serves them in the text format.
#include "tests/common/multi_test.h"

#include "backend/rpc/prometheus_exporter.h"
#include "tests/unit/rpc/rpc_test_util.h"

#include <QTest>

#include <cmath>
#include <limits>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace livedeck;
using namespace livedeck::rpc;

namespace {

std::string httpGet(int port, const std::string& path)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return {};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
            char buf[8192];
            for (;;) {
                const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0)
                    break;
                out.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    ::close(fd);
    return out;
}

v1::SeriesDef def(std::uint32_t id, const std::string& name, v1::MetricType type, const std::string& component = {},
                  const std::string& labels = {})
{
    v1::SeriesDef d;
    d.set_id(id);
    d.set_name(name);
    d.set_type(type);
    d.set_component(component);
    d.set_labels(labels);
    return d;
}

const prometheus::MetricFamily* findFamily(const std::vector<prometheus::MetricFamily>& fams, const std::string& name)
{
    for (const auto& f : fams) {
        if (f.name == name)
            return &f;
    }
    return nullptr;
}

} // namespace

class TstPrometheus : public QObject {
    Q_OBJECT

private slots:
    void conversion()
    {
        std::vector<v1::SeriesDef> defs = {
            def(0, "gifts.orders.placed", v1::METRIC_TYPE_COUNTER, "sh-a/gifts/order-svc"),
            def(1, "gifts.orders.placed", v1::METRIC_TYPE_COUNTER_TOTAL, "sh-a/gifts/order-svc"),
            def(2, "gifts.panel.availability", v1::METRIC_TYPE_GAUGE, "", "tab=general"),
            def(3, "gifts.order.latency", v1::METRIC_TYPE_HISTOGRAM_P99, "sh-b/gifts/order-svc"),
            def(4, "kv.replication_lag_ms", v1::METRIC_TYPE_GAUGE, "sh-a/gifts/redis"),
        };
        v1::Snapshot snap;
        snap.set_sim_time_ns(2'500'000'000);
        snap.set_events_executed(1234);
        for (std::uint32_t id = 0; id < 5; ++id)
            snap.add_sample_ids(id);
        for (double v : {2000.0, 9000.0, 0.9999, 45.5, 250.0})
            snap.add_sample_values(v);
        auto* b = snap.add_breakers();
        b->set_path("sh-a/gifts/panel/breaker/privileged");
        b->set_state(v1::BREAKER_OPEN);
        // The latency histogram's cumulative state: 0.2 ms ×3, 3 ms, 2 s (weights 1).
        HistogramExport latency{"gifts.order.latency", "sh-b/gifts/order-svc", "", "ms", {}};
        for (std::int64_t ns : {200'000, 200'000, 200'000, 3'000'000, 2'000'000'000})
            latency.histogram.record(ns);
        const auto fams = SnapshotCollectable::convert(snap, defs, {latency});

        const auto* rate = findFamily(fams, "livedeck_gifts_orders_placed_per_second");
        QVERIFY(rate != nullptr);
        QCOMPARE(rate->metric.size(), std::size_t{1});
        QCOMPARE(rate->metric[0].gauge.value, 2000.0);
        QCOMPARE(rate->metric[0].label[0].name, std::string("component"));
        QCOMPARE(rate->metric[0].label[0].value, std::string("sh-a/gifts/order-svc"));
        const auto* total = findFamily(fams, "livedeck_gifts_orders_placed_total");
        QVERIFY(total != nullptr);
        QVERIFY(total->type == prometheus::MetricType::Counter);
        QCOMPARE(total->metric[0].counter.value, 9000.0);
        const auto* avail = findFamily(fams, "livedeck_gifts_panel_availability");
        QVERIFY(avail != nullptr);
        QCOMPARE(avail->metric[0].label[0].name, std::string("tab"));
        QCOMPARE(avail->metric[0].label[0].value, std::string("general"));
        // Quantile series are not exported as gauges (Prometheus refuses a "quantile"
        // label outside summaries); the histogram is, in seconds.
        QVERIFY(findFamily(fams, "livedeck_gifts_order_latency") == nullptr);
        const auto* hist = findFamily(fams, "livedeck_gifts_order_latency_seconds");
        QVERIFY(hist != nullptr);
        QVERIFY(hist->type == prometheus::MetricType::Histogram);
        QCOMPARE(hist->metric.size(), std::size_t{1});
        QCOMPARE(hist->metric[0].label[0].value, std::string("sh-b/gifts/order-svc"));
        const auto& h = hist->metric[0].histogram;
        QCOMPARE(h.sample_count, std::uint64_t{5});
        QVERIFY(std::abs(h.sample_sum - (3 * 0.0002 + 0.003 + 2.0)) < 1e-9);
        const auto countAt = [&h](double le) -> std::int64_t {
            for (const auto& b : h.bucket) {
                if (b.upper_bound == le)
                    return static_cast<std::int64_t>(b.cumulative_count);
            }
            return -1;
        };
        QCOMPARE(h.bucket.size(), SnapshotCollectable::latencyBoundsSeconds().size() + 1);
        QCOMPARE(countAt(0.0001), std::int64_t{0});
        QCOMPARE(countAt(0.00025), std::int64_t{3});
        QCOMPARE(countAt(0.0025), std::int64_t{3}); // 3 ms is above 2.5 ms
        QCOMPARE(countAt(0.005), std::int64_t{4});
        QCOMPARE(countAt(1.0), std::int64_t{4});
        QCOMPARE(countAt(2.5), std::int64_t{5});
        QCOMPARE(countAt(std::numeric_limits<double>::infinity()), std::int64_t{5});
        // A gauge in milliseconds is exported in seconds (Prometheus' base units).
        QVERIFY(findFamily(fams, "livedeck_kv_replication_lag_ms") == nullptr);
        const auto* lag = findFamily(fams, "livedeck_kv_replication_lag_seconds");
        QVERIFY(lag != nullptr);
        QCOMPARE(lag->metric[0].gauge.value, 0.25);
        const auto* sim = findFamily(fams, "livedeck_sim_time_seconds");
        QVERIFY(sim != nullptr);
        QCOMPARE(sim->metric[0].gauge.value, 2.5);
        const auto* breakers = findFamily(fams, "livedeck_breaker_state");
        QVERIFY(breakers != nullptr);
        QCOMPARE(breakers->metric[0].label[1].value, std::string("open"));
        QCOMPARE(SnapshotCollectable::metricName("a.b-c"), std::string("livedeck_a_b_c"));
    }

    void nodeServesTheTextFormat()
    {
        rpc::test::LoopbackNode node({}, 1, false);
        PrometheusExporter exporter(node.host);
        auto port = exporter.start("127.0.0.1:0");
        QVERIFY2(port.ok(), port.status().ToString().c_str());
        QVERIFY(*port > 0);
        std::string page;
        QTRY_VERIFY_WITH_TIMEOUT((page = httpGet(*port, "/metrics")).find("livedeck_synthetic_sent_total") != std::string::npos,
                                 10'000);
        QVERIFY(page.find("# TYPE livedeck_synthetic_sent_total counter") != std::string::npos);
        QVERIFY(page.find("livedeck_sim_time_seconds ") != std::string::npos);
        QVERIFY(page.find("component=\"world/synthetic\"") != std::string::npos);
    }
};

LIVEDECK_TEST_CLASS(TstPrometheus)
#include "tst_prometheus.moc"
