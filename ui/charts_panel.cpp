#include "ui/charts_panel.h"

#include "ui/dashboard_hub.h"
#include "ui/engine_descriptors.h"
#include "ui/logging.h"
#include "ui/series_catalog.h"
#include "ui/shard_table.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

namespace livedeck::ui {
namespace {

bool isErrorName(std::string_view name)
{
    static constexpr std::string_view kWords[] = {"error", "fail", "reject", "timeout", "dlq", "lost", "refused"};
    for (std::string_view w : kWords) {
        if (name.find(w) != std::string_view::npos)
            return true;
    }
    return false;
}

// Counters (per-second rates) summed per series name, one line per name: the engines'
// headline series of this chart first (ChartHeadline, in descriptor order), then the
// others in the order they were first seen; at most maxLines. The errors chart takes
// the errors headlines, metrics whose engine gives them the errors role and, for
// metrics no engine describes, names that say failure; the rates chart the rest.
class CounterFeed final : public ChartFeed {
public:
    CounterFeed(const v1::Topology* topology, std::string chart, bool errors, int maxLines)
        : m_topology(topology), m_chart(std::move(chart)), m_errors(errors), m_maxLines(maxLines) {}

    bool accept(std::string_view name) const
    {
        const v1::Topology& t = *m_topology;
        if (headlineRank(t, "errors", name) >= 0)
            return m_errors;
        if (headlineRank(t, "throughput", name) >= 0)
            return !m_errors;
        const v1::MetricRole role = metricRole(t, name);
        const bool error = role == v1::METRIC_ROLE_ERRORS || (role == v1::METRIC_ROLE_UNSPECIFIED && isErrorName(name));
        return error == m_errors;
    }
    int rank(std::string_view name) const
    {
        const int r = headlineRank(*m_topology, m_chart, name);
        return r < 0 ? std::numeric_limits<int>::max() : r;
    }

    void reset(TimeChart& chart) override
    {
        chart.removeAllLines();
        m_lineOf.clear();
        m_routes.clear();
        m_generation = ~0ULL;
    }

    void apply(const v1::Snapshot&, const SeriesCatalog& catalog, TimeChart& chart, double t) override
    {
        if (catalog.generation() != m_generation) {
            m_generation = catalog.generation();
            m_routes.clear();
            std::vector<const SeriesInfo*> candidates;
            for (const SeriesInfo& s : catalog.all()) {
                if (s.known && s.type == v1::METRIC_TYPE_COUNTER && accept(s.name))
                    candidates.push_back(&s);
            }
            std::stable_sort(candidates.begin(), candidates.end(), [this](const SeriesInfo* a, const SeriesInfo* b) {
                return rank(a->name) < rank(b->name);
            });
            for (const SeriesInfo* sp : candidates) {
                const SeriesInfo& s = *sp;
                auto it = m_lineOf.find(s.name);
                if (it == m_lineOf.end()) {
                    if (static_cast<int>(m_lineOf.size()) >= m_maxLines)
                        continue;
                    it = m_lineOf.emplace(s.name, chart.addLine(legendName(s.name, *m_topology))).first;
                }
                m_routes.emplace_back(s.id, it->second);
            }
            m_acc.assign(static_cast<std::size_t>(chart.lineCount()), 0.0);
            m_has.assign(static_cast<std::size_t>(chart.lineCount()), false);
        }
        std::fill(m_acc.begin(), m_acc.end(), 0.0);
        std::fill(m_has.begin(), m_has.end(), false);
        for (const auto& [id, line] : m_routes) {
            const double v = catalog.latest(id);
            if (std::isnan(v))
                continue;
            m_acc[static_cast<std::size_t>(line)] += v;
            m_has[static_cast<std::size_t>(line)] = true;
        }
        for (std::size_t i = 0; i < m_acc.size(); ++i) {
            if (m_has[i])
                chart.addPoint(static_cast<int>(i), t, m_acc[i]);
        }
    }

private:
    const v1::Topology* m_topology;
    std::string m_chart;
    bool m_errors;
    int m_maxLines;
    std::map<std::string, int, std::less<>> m_lineOf;
    std::vector<std::pair<std::uint32_t, int>> m_routes;
    std::vector<double> m_acc;
    std::vector<bool> m_has;
    std::uint64_t m_generation = ~0ULL;
};

} // namespace

// Histogram quantiles p50 / p99 / p999: the worst (max) over the followed histogram's
// series, or over every histogram in milliseconds when none is chosen.
class QuantileFeed final : public ChartFeed {
public:
    void setFocus(std::string name)
    {
        m_focus = std::move(name);
        m_generation = ~0ULL;
    }

    void reset(TimeChart& chart) override
    {
        ensureLines(chart);
        m_generation = ~0ULL;
    }

    void apply(const v1::Snapshot&, const SeriesCatalog& catalog, TimeChart& chart, double t) override
    {
        ensureLines(chart);
        if (catalog.generation() != m_generation) {
            m_generation = catalog.generation();
            for (auto& r : m_routes)
                r.clear();
            for (const SeriesInfo& s : catalog.all()) {
                if (!s.known)
                    continue;
                const int q = s.type == v1::METRIC_TYPE_HISTOGRAM_P50    ? 0
                              : s.type == v1::METRIC_TYPE_HISTOGRAM_P99  ? 1
                              : s.type == v1::METRIC_TYPE_HISTOGRAM_P999 ? 2
                                                                         : -1;
                if (q < 0)
                    continue;
                if (m_focus.empty() ? (s.unit != "ms" && !s.unit.empty()) : s.name != m_focus)
                    continue;
                m_routes[q].push_back(s.id);
            }
        }
        for (int q = 0; q < 3; ++q) {
            double worst = std::numeric_limits<double>::quiet_NaN();
            for (std::uint32_t id : m_routes[q]) {
                const double v = catalog.latest(id);
                if (!std::isnan(v) && (std::isnan(worst) || v > worst))
                    worst = v;
            }
            chart.addPoint(q, t, worst);
        }
    }

private:
    void ensureLines(TimeChart& chart)
    {
        if (chart.lineCount() == 0) {
            chart.addLine(QStringLiteral("p50"));
            chart.addLine(QStringLiteral("p99"));
            chart.addLine(QStringLiteral("p999"));
        }
    }
    std::string m_focus;
    std::vector<std::uint32_t> m_routes[3];
    std::uint64_t m_generation = ~0ULL;
};

namespace {

// One line per region from RegionHealth (all engines merged).
class RegionFeed final : public ChartFeed {
public:
    enum class Field { Availability, P99, Rps, Errors };
    explicit RegionFeed(Field field) : m_field(field) {}

    void reset(TimeChart& chart) override
    {
        chart.removeAllLines();
        m_lineOf.clear();
    }

    void apply(const v1::Snapshot& snapshot, const SeriesCatalog&, TimeChart& chart, double t) override
    {
        // Every engine's view of a region, merged (down when any engine's probes say so).
        for (const v1::RegionHealth& r : regionHealthFor(snapshot, {})) {
            auto it = m_lineOf.find(r.region());
            if (it == m_lineOf.end())
                it = m_lineOf.emplace(r.region(), chart.addLine(QString::fromStdString(r.region()))).first;
            double v = 0.0;
            switch (m_field) {
            case Field::Availability:
                v = r.up() ? r.availability() : 0.0;
                break;
            case Field::P99:
                v = r.p99_ms();
                break;
            case Field::Rps:
                v = r.rps();
                break;
            case Field::Errors:
                v = r.error_rate();
                break;
            }
            chart.addPoint(it->second, t, v);
        }
    }

private:
    Field m_field;
    std::map<std::string, int, std::less<>> m_lineOf;
};

// Breakers by state: open, half-open, forced-open.
class BreakerFeed final : public ChartFeed {
public:
    void reset(TimeChart& chart) override { ensure(chart); }
    void apply(const v1::Snapshot& snapshot, const SeriesCatalog&, TimeChart& chart, double t) override
    {
        ensure(chart);
        if (snapshot.breakers_size() == 0)
            return;
        int open = 0;
        int half = 0;
        int forced = 0;
        for (const v1::BreakerState& b : snapshot.breakers()) {
            open += b.state() == v1::BREAKER_OPEN;
            half += b.state() == v1::BREAKER_HALF_OPEN;
            forced += b.state() == v1::BREAKER_FORCED_OPEN;
        }
        chart.addPoint(0, t, open);
        chart.addPoint(1, t, half);
        chart.addPoint(2, t, forced);
    }

private:
    static void ensure(TimeChart& chart)
    {
        if (chart.lineCount() == 0) {
            chart.addLine(QStringLiteral("open"));
            chart.addLine(QStringLiteral("half-open"));
            chart.addLine(QStringLiteral("forced-open"));
        }
    }
};

// Shard load: the hottest shard and the mean shard (QPS over partitions).
class ShardFeed final : public ChartFeed {
public:
    void reset(TimeChart& chart) override
    {
        ensure(chart);
        m_table.clear();
    }
    void apply(const v1::Snapshot& snapshot, const SeriesCatalog&, TimeChart& chart, double t) override
    {
        ensure(chart);
        if (snapshot.shards_size() == 0)
            return;
        m_table.apply(snapshot);
        double maxQps = 0.0;
        double sum = 0.0;
        for (int r = 0; r < m_table.rowCount(); ++r) {
            maxQps = std::max(maxQps, m_table.row(r).totalQps);
            sum += m_table.row(r).totalQps;
        }
        chart.addPoint(0, t, maxQps);
        chart.addPoint(1, t, m_table.rowCount() > 0 ? sum / m_table.rowCount() : 0.0);
    }

private:
    static void ensure(TimeChart& chart)
    {
        if (chart.lineCount() == 0) {
            chart.addLine(QStringLiteral("hottest shard"));
            chart.addLine(QStringLiteral("mean shard"));
        }
    }
    ShardTable m_table;
};

std::uint64_t faultIdOf(const v1::Event& e)
{
    for (const v1::KeyValue& kv : e.fields()) {
        if (kv.key() == "fault_id")
            return std::strtoull(kv.value().c_str(), nullptr, 10);
    }
    return 0;
}

QString fieldOf(const v1::Event& e, std::string_view key)
{
    for (const v1::KeyValue& kv : e.fields()) {
        if (kv.key() == key)
            return QString::fromStdString(kv.value());
    }
    return {};
}

} // namespace

double ChartsPanel::pointTime(std::int64_t simTimeNs)
{
    return std::floor(static_cast<double>(simTimeNs) / 1e9);
}

ChartsPanel::ChartsPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout();
    auto* focusLabel = new QLabel(tr("Latency chart follows:"), this);
    m_latencyFocus = new QComboBox(this);
    m_latencyFocus->setToolTip(tr("Which histogram the latency chart shows; \"worst of all\" takes the largest quantile "
                                  "over every latency histogram (ms)."));
    m_latencyFocus->addItem(tr("worst of all (ms)"), QString());
    m_latencyFocus->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    bar->addWidget(focusLabel);
    bar->addWidget(m_latencyFocus);
    bar->addStretch(1);
    auto* hint = new QLabel(tr("x: simulated seconds · red line: a fault started, shaded until it ended (green dashes)"), this);
    hint->setStyleSheet(QStringLiteral("color: #50545c;"));
    bar->addWidget(hint);
    layout->addLayout(bar);
    m_grid = new QGridLayout();
    m_grid->setSpacing(4);
    layout->addLayout(m_grid, 1);

    add(tr("Request rates"), tr("1/s"), std::make_unique<CounterFeed>(&m_engines, "throughput", false, 4));
    add(tr("Errors"), tr("1/s"), std::make_unique<CounterFeed>(&m_engines, "errors", true, 4));
    auto quantiles = std::make_unique<QuantileFeed>();
    m_quantileFeed = quantiles.get();
    add(tr("Latency p50 / p99 / p999"), tr("ms"), std::move(quantiles));
    TimeChart* availability = add(tr("Region availability"), tr("%"), std::make_unique<RegionFeed>(RegionFeed::Field::Availability));
    availability->setValueScale(100.0);
    availability->setYMode(TimeChart::YMode::Auto);
    availability->setYLimits(0.0, 100.0);
    add(tr("Region p99 latency"), tr("ms"), std::make_unique<RegionFeed>(RegionFeed::Field::P99));
    add(tr("Region requests"), tr("1/s"), std::make_unique<RegionFeed>(RegionFeed::Field::Rps));
    add(tr("Breakers not closed"), tr("count"), std::make_unique<BreakerFeed>());
    add(tr("Shard load"), tr("QPS"), std::make_unique<ShardFeed>());

    connect(m_latencyFocus, &QComboBox::currentIndexChanged, this,
            [this](int) { setLatencyFocus(m_latencyFocus->currentData().toString()); });
}

ChartsPanel::~ChartsPanel() = default;

TimeChart* ChartsPanel::add(const QString& title, const QString& unit, std::unique_ptr<ChartFeed> feed)
{
    auto* chart = new TimeChart(title, unit, this);
    chart->setObjectName(title);
    chart->setToolTip(tr("%1 over simulated time; fault markers from fault.on / fault.off events").arg(title));
    feed->reset(*chart);
    const int index = static_cast<int>(m_charts.size());
    m_grid->addWidget(chart, index / 2, index % 2);
    connect(chart, &TimeChart::clicked, this, [this](double t) {
        if (m_hub)
            m_hub->showTime(static_cast<std::int64_t>(t * 1e9));
    });
    m_charts.push_back(Entry{chart, std::move(feed)});
    return chart;
}

TimeChart* ChartsPanel::chartTitled(const QString& title) const
{
    for (const Entry& e : m_charts) {
        if (e.chart->objectName() == title)
            return e.chart;
    }
    return nullptr;
}

void ChartsPanel::setWindowSeconds(double seconds)
{
    for (const Entry& e : m_charts)
        e.chart->setWindowSeconds(seconds);
    m_dirty = true;
}

void ChartsPanel::setLatencyFocus(const QString& name)
{
    m_quantileFeed->setFocus(name.toStdString());
    for (const Entry& e : m_charts) {
        if (e.feed.get() == m_quantileFeed)
            e.chart->clearData();
    }
    m_dirty = true;
}

void ChartsPanel::applyTopology(const v1::Topology& topology)
{
    v1::Topology engines;
    *engines.mutable_engines() = topology.engines();
    if (engines.SerializeAsString() == m_engines.SerializeAsString())
        return;
    m_engines = std::move(engines);
    // Headlines changed: the counter charts choose their lines again.
    for (Entry& e : m_charts) {
        if (dynamic_cast<CounterFeed*>(e.feed.get())) {
            e.chart->clearData();
            e.feed->reset(*e.chart);
        }
    }
    m_catalogGeneration = ~0ULL;
    m_dirty = true;
}

void ChartsPanel::resetRun()
{
    for (Entry& e : m_charts) {
        e.chart->clearData();
        e.feed->reset(*e.chart);
    }
    m_catalogGeneration = ~0ULL;
    m_now = 0.0;
    m_dirty = true;
}

void ChartsPanel::updateLatencyChoices(const SeriesCatalog& catalog)
{
    if (catalog.generation() == m_catalogGeneration)
        return;
    m_catalogGeneration = catalog.generation();
    QStringList names;
    for (const SeriesInfo& s : catalog.all()) {
        if (s.known && s.type == v1::METRIC_TYPE_HISTOGRAM_P99) {
            const QString n = QString::fromStdString(s.name);
            if (!names.contains(n))
                names.push_back(n);
        }
    }
    names.sort();
    std::stable_sort(names.begin(), names.end(), [this](const QString& a, const QString& b) {
        const int ra = headlineRank(m_engines, "latency", a.toStdString());
        const int rb = headlineRank(m_engines, "latency", b.toStdString());
        return (ra < 0 ? std::numeric_limits<int>::max() : ra) < (rb < 0 ? std::numeric_limits<int>::max() : rb);
    });
    const QString current = m_latencyFocus->currentData().toString();
    QSignalBlocker block(m_latencyFocus);
    while (m_latencyFocus->count() > 1)
        m_latencyFocus->removeItem(1);
    for (const QString& n : names)
        m_latencyFocus->addItem(n, n);
    const int i = m_latencyFocus->findData(current);
    m_latencyFocus->setCurrentIndex(i < 0 ? 0 : i);
}

void ChartsPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog)
{
    updateLatencyChoices(catalog);
    const double t = pointTime(snapshot.sim_time_ns());
    for (Entry& e : m_charts)
        e.feed->apply(snapshot, catalog, *e.chart, t);
    m_now = static_cast<double>(snapshot.sim_time_ns()) / 1e9;
    m_dirty = true;
}

void ChartsPanel::applyEvents(const std::vector<v1::Event>& events)
{
    for (const v1::Event& e : events) {
        const bool on = e.kind() == "fault.on";
        if (!on && e.kind() != "fault.off")
            continue;
        const std::uint64_t id = faultIdOf(e);
        const double t = static_cast<double>(e.sim_time_ns()) / 1e9;
        const QString label = fieldOf(e, "kind");
        for (Entry& entry : m_charts) {
            if (on)
                entry.chart->addFaultOn(id, t, label);
            else
                entry.chart->addFaultOff(id, t);
        }
        m_dirty = true;
    }
}

void ChartsPanel::refreshView()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    for (Entry& e : m_charts)
        e.chart->refresh(m_now);
}

} // namespace livedeck::ui
