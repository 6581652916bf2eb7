#include "backend/plugins/sdk_adapter.h"

#include "backend/engine/yaml_reader.h"
#include "backend/plugins/sdk_infra.h"

#include <deque>
#include <map>
#include <utility>

namespace livedeck::plugins {
namespace {

// ------------------------------------------------------------------ world
class HostRandom final : public sdk::RandomStream {
public:
    explicit HostRandom(sim::RandomStream stream) : m_stream(stream) {}
    std::uint64_t next() override { return m_stream.next(); }
    double uniform01() override { return m_stream.uniform01(); }
    std::uint64_t uniformInt(std::uint64_t n) override { return m_stream.uniformInt(n); }
    bool bernoulli(double p) override { return m_stream.bernoulli(p); }
    double exponential(double mean) override { return m_stream.exponential(mean); }

private:
    sim::RandomStream m_stream;
};

class InspectFn final : public sim::Inspectable {
public:
    explicit InspectFn(std::function<void(sdk::StateWriter&)> fn) : m_fn(std::move(fn)) {}
    void inspect(sim::StateWriter& out) const override
    {
        struct Writer final : sdk::StateWriter {
            explicit Writer(sim::StateWriter& w) : w(w) {}
            void add(std::string_view key, std::string_view value) override { w.add(key, value); }
            void add(std::string_view key, double value) override { w.add(key, value); }
            sim::StateWriter& w;
        } writer(out);
        m_fn(writer);
    }

private:
    std::function<void(sdk::StateWriter&)> m_fn;
};

class HostWorld final : public sdk::World {
public:
    explicit HostWorld(sim::World& world) : m_world(world) {}

    sdk::Nanos now() const override { return m_world.now(); }
    std::uint64_t seed() const override { return m_world.seed(); }
    void after(sdk::Nanos delay, std::string_view kind, sdk::ComponentId component,
               std::function<void()> callback) override
    {
        // The scheduler's callbacks are inline (48 bytes): the std::function moves to the heap.
        auto cb = std::make_unique<std::function<void()>>(std::move(callback));
        m_world.after(delay < 0 ? 0 : delay, m_world.kind(kind), component, [cb = std::move(cb)] { (*cb)(); });
    }
    std::unique_ptr<sdk::RandomStream> stream(std::string_view path) const override
    {
        return std::make_unique<HostRandom>(m_world.stream(path));
    }
    std::vector<std::string> regions() const override
    {
        std::vector<std::string> out;
        for (const sim::RegionSpec& r : m_world.topology().regions())
            out.push_back(r.name);
        return out;
    }
    sdk::ComponentId addComponent(std::string_view path, std::string_view kind, std::string* error,
                                  std::function<void(sdk::StateWriter&)> inspect) override
    {
        const sim::Inspectable* inspectable = nullptr;
        if (inspect) {
            m_inspectors.push_back(std::make_unique<InspectFn>(std::move(inspect)));
            inspectable = m_inspectors.back().get();
        }
        auto id = m_world.components().add(path, kind, {}, inspectable);
        if (!id.ok()) {
            if (error)
                *error = std::string(id.status().message());
            return sdk::kNoComponent;
        }
        return *id;
    }
    bool isDown(sdk::ComponentId component) const override { return m_world.faults().isDown(path(component)); }
    double extraLatencyMs(sdk::ComponentId component) const override
    {
        return m_world.faults().effect(v1::FAULT_LATENCY, path(component)).addMs;
    }
    double latencyMultiplier(sdk::ComponentId component) const override
    {
        return m_world.faults().effect(v1::FAULT_LATENCY, path(component)).multiply;
    }
    double errorRate(sdk::ComponentId component) const override
    {
        return m_world.faults().effect(v1::FAULT_ERROR_RATE, path(component)).rate;
    }
    void raiseEvent(std::string_view kind, sdk::ComponentId component, sdk::Severity severity,
                    std::string message) override
    {
        const v1::Severity s = severity == sdk::Severity::Alert     ? v1::SEVERITY_ALERT
                               : severity == sdk::Severity::Warning ? v1::SEVERITY_WARNING
                                                                    : v1::SEVERITY_INFO;
        m_world.events().raise(kind, component, s, std::move(message));
    }

    sim::World& world() { return m_world; }

private:
    const std::string& path(sdk::ComponentId component) const { return m_world.components().get(component).path; }

    sim::World& m_world;
    std::vector<std::unique_ptr<InspectFn>> m_inspectors;
};

// ------------------------------------------------------------------ metrics
class HostCounter final : public sdk::Counter {
public:
    explicit HostCounter(telemetry::Counter& c) : m_c(c) {}
    void add(double weight) override { m_c.add(weight); }
    double total() const override { return m_c.total(); }

private:
    telemetry::Counter& m_c;
};
class HostGauge final : public sdk::Gauge {
public:
    explicit HostGauge(telemetry::Gauge& g) : m_g(g) {}
    void set(double value) override { m_g.set(value); }
    double value() const override { return m_g.value(); }

private:
    telemetry::Gauge& m_g;
};
class HostHistogram final : public sdk::Histogram {
public:
    explicit HostHistogram(telemetry::Histogram& h) : m_h(h) {}
    void record(sdk::Nanos value, double weight) override { m_h.record(value, weight); }

private:
    telemetry::Histogram& m_h;
};

class HostMetrics final : public sdk::Metrics {
public:
    explicit HostMetrics(telemetry::MetricsRegistry& registry) : m_registry(registry) {}
    sdk::Counter& counter(std::string_view name, std::string_view component) override
    {
        return get<HostCounter>(m_counters, name, component, [&] { return &m_registry.counter(name, component); });
    }
    sdk::Gauge& gauge(std::string_view name, std::string_view component) override
    {
        return get<HostGauge>(m_gauges, name, component, [&] { return &m_registry.gauge(name, component); });
    }
    sdk::Histogram& histogram(std::string_view name, std::string_view component) override
    {
        return get<HostHistogram>(m_histograms, name, component, [&] { return &m_registry.histogram(name, component); });
    }

private:
    template <class W, class Make>
    W& get(std::map<std::pair<std::string, std::string>, std::unique_ptr<W>>& map, std::string_view name,
           std::string_view component, Make make)
    {
        auto key = std::make_pair(std::string(name), std::string(component));
        auto it = map.find(key);
        if (it == map.end())
            it = map.emplace(std::move(key), std::make_unique<W>(*make())).first;
        return *it->second;
    }

    telemetry::MetricsRegistry& m_registry;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<HostCounter>> m_counters;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<HostGauge>> m_gauges;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<HostHistogram>> m_histograms;
};

// ------------------------------------------------------------------ adapter
struct AdaptedSettings final : engine::EngineSettings {
    std::shared_ptr<const sdk::Settings> sdk;
};

class AdaptedEngine final : public engine::Engine {
public:
    AdaptedEngine(std::unique_ptr<HostWorld> world, std::unique_ptr<HostMetrics> metrics,
                  std::unique_ptr<sdk::Infra> infra, std::unique_ptr<sdk::Engine> engine)
        : m_world(std::move(world)), m_metrics(std::move(metrics)), m_infra(std::move(infra)), m_engine(std::move(engine))
    {
    }
    ~AdaptedEngine() override { m_engine.reset(); } // before the host objects it uses

    void start() override { m_engine->start(); }
    absl::Status applyLoad(const engine::LoadRequest& load) override
    {
        sdk::LoadRequest r;
        r.profile = load.profile;
        r.multiplier = load.multiplier;
        if (const auto* s = dynamic_cast<const AdaptedSettings*>(load.params.get()))
            r.params = s->sdk;
        return status(m_engine->applyLoad(r));
    }
    absl::Status setLoad(const std::string& profile, double multiplier) override
    {
        return status(m_engine->setLoad(profile, multiplier));
    }
    absl::Status applyAction(const engine::ActionRequest& action) override
    {
        return status(m_engine->applyAction(sdk::ActionRequest{action.action, action.target, action.value}));
    }
    void checkInvariants(std::vector<engine::InvariantCheck>& out) override { convert(out, false); }
    void finalInvariants(std::vector<engine::InvariantCheck>& out) override { convert(out, true); }

private:
    static absl::Status status(const std::string& error)
    {
        return error.empty() ? absl::OkStatus() : absl::InvalidArgumentError(error);
    }
    void convert(std::vector<engine::InvariantCheck>& out, bool final)
    {
        std::vector<sdk::InvariantCheck> checks;
        if (final)
            m_engine->finalInvariants(checks);
        else
            m_engine->checkInvariants(checks);
        for (sdk::InvariantCheck& c : checks)
            out.push_back(engine::InvariantCheck{std::move(c.name), c.passed, std::move(c.detail)});
    }

    std::unique_ptr<HostWorld> m_world;
    std::unique_ptr<HostMetrics> m_metrics;
    std::unique_ptr<sdk::Infra> m_infra;
    std::unique_ptr<sdk::Engine> m_engine;
};

telemetry::MetricKind toKind(sdk::MetricKind k)
{
    switch (k) {
    case sdk::MetricKind::Counter:
        return telemetry::MetricKind::Counter;
    case sdk::MetricKind::Histogram:
        return telemetry::MetricKind::Histogram;
    case sdk::MetricKind::Gauge:
        break;
    }
    return telemetry::MetricKind::Gauge;
}

v1::MetricRole toRole(sdk::MetricRole r)
{
    switch (r) {
    case sdk::MetricRole::Throughput:
        return v1::METRIC_ROLE_THROUGHPUT;
    case sdk::MetricRole::Latency:
        return v1::METRIC_ROLE_LATENCY;
    case sdk::MetricRole::Errors:
        return v1::METRIC_ROLE_ERRORS;
    case sdk::MetricRole::Saturation:
        return v1::METRIC_ROLE_SATURATION;
    case sdk::MetricRole::Ratio:
        return v1::METRIC_ROLE_RATIO;
    case sdk::MetricRole::State:
        return v1::METRIC_ROLE_STATE;
    case sdk::MetricRole::Unspecified:
        break;
    }
    return v1::METRIC_ROLE_UNSPECIFIED;
}

v1::MetricType metricType(sdk::MetricKind k)
{
    switch (k) {
    case sdk::MetricKind::Counter:
        return v1::METRIC_TYPE_COUNTER;
    case sdk::MetricKind::Histogram:
        return v1::METRIC_TYPE_HISTOGRAM_P99;
    case sdk::MetricKind::Gauge:
        break;
    }
    return v1::METRIC_TYPE_GAUGE;
}

class AdaptedFactory final : public engine::EngineFactory {
public:
    AdaptedFactory(std::shared_ptr<const sdk::EngineFactory> factory, engine::EngineOrigin origin)
        : m_factory(std::move(factory)), m_origin(std::move(origin)), m_description(m_factory->describe())
    {
    }

    std::string_view name() const override { return m_description.name; }
    std::string_view description() const override { return m_description.description; }
    v1::EngineDescriptor describe() const override { return toDescriptor(m_description, m_origin.pluginId); }
    std::vector<engine::MetricOffer> metrics() const override
    {
        std::vector<engine::MetricOffer> out;
        for (const sdk::MetricDescription& m : m_description.metrics)
            out.push_back(engine::MetricOffer{m.name, toKind(m.kind), m.unit, m.description, toRole(m.role)});
        return out;
    }
    std::vector<engine::InvariantOffer> invariants() const override
    {
        std::vector<engine::InvariantOffer> out;
        for (const sdk::InvariantDescription& i : m_description.invariants)
            out.push_back(engine::InvariantOffer{i.name, i.description});
        return out;
    }
    std::vector<std::string> loadProfiles() const override
    {
        std::vector<std::string> out;
        for (const sdk::LoadProfileDescription& p : m_description.loadProfiles)
            out.push_back(p.name);
        return out;
    }
    std::shared_ptr<const engine::EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        sdk::ParseError error;
        auto s = m_factory->parseSettings(toSdkNode(node), error);
        return settings(std::move(s), error, node);
    }
    std::shared_ptr<const engine::EngineSettings> parseLoad(const std::string& profile,
                                                            const YAML::Node& params) const override
    {
        sdk::ParseError error;
        auto s = m_factory->parseLoad(profile, toSdkNode(params), error);
        return settings(std::move(s), error, params);
    }
    absl::StatusOr<std::unique_ptr<engine::Engine>> build(engine::EngineContext& context,
                                                          const engine::EngineSettings& settings) const override
    {
        const auto* s = dynamic_cast<const AdaptedSettings*>(&settings);
        if (!s || !s->sdk)
            return absl::InvalidArgumentError(sim::strCat("engine ", m_description.name, ": settings of another engine"));
        recordPlugin(context.world);
        auto world = std::make_unique<HostWorld>(context.world);
        auto metrics = std::make_unique<HostMetrics>(context.telemetry.metrics());
        std::unique_ptr<sdk::Infra> infra = makeHostInfra(context.world, context.telemetry);
        sdk::Context c{*world, *metrics, *infra};
        std::string error;
        std::unique_ptr<sdk::Engine> engine = m_factory->build(c, *s->sdk, error);
        if (!engine)
            return absl::InvalidArgumentError(error.empty() ? std::string("the plugin built no engine") : error);
        return std::unique_ptr<engine::Engine>(
            std::make_unique<AdaptedEngine>(std::move(world), std::move(metrics), std::move(infra), std::move(engine)));
    }

private:
    static std::shared_ptr<const engine::EngineSettings> settings(std::shared_ptr<const sdk::Settings> s,
                                                                  const sdk::ParseError& error, const YAML::Node& node)
    {
        if (error.failed()) {
            engine::SourcePos pos{error.line, error.column};
            if (!pos.known())
                pos = engine::posOf(node);
            engine::fail(pos, error.message);
        }
        if (!s)
            engine::fail(engine::posOf(node), "the plugin read no settings");
        auto out = std::make_shared<AdaptedSettings>();
        out->sdk = std::move(s);
        return out;
    }

    // The plugin goes into the run's topology (and so into recordings) once per run.
    void recordPlugin(sim::World& world) const
    {
        v1::Topology topology;
        world.topologyToProto(topology);
        for (const v1::PluginInfo& p : topology.plugins()) {
            if (p.id() == m_origin.pluginId)
                return;
        }
        v1::PluginInfo info;
        info.set_id(m_origin.pluginId);
        info.set_version(m_origin.pluginVersion);
        info.set_file_sha256(m_origin.fileSha256);
        info.set_kind("engine");
        world.addPluginInfo(std::move(info));
    }

    std::shared_ptr<const sdk::EngineFactory> m_factory;
    engine::EngineOrigin m_origin;
    sdk::EngineDescription m_description;
};

v1::MetricType seriesType(sdk::SeriesType t)
{
    switch (t) {
    case sdk::SeriesType::Rate:
        return v1::METRIC_TYPE_COUNTER;
    case sdk::SeriesType::Total:
        return v1::METRIC_TYPE_COUNTER_TOTAL;
    case sdk::SeriesType::P50:
        return v1::METRIC_TYPE_HISTOGRAM_P50;
    case sdk::SeriesType::P99:
        return v1::METRIC_TYPE_HISTOGRAM_P99;
    case sdk::SeriesType::Value:
        break;
    }
    return v1::METRIC_TYPE_GAUGE;
}

v1::Aggregate aggregate(sdk::Aggregate a)
{
    switch (a) {
    case sdk::Aggregate::Mean:
        return v1::AGGREGATE_MEAN;
    case sdk::Aggregate::Min:
        return v1::AGGREGATE_MIN;
    case sdk::Aggregate::Max:
        return v1::AGGREGATE_MAX;
    case sdk::Aggregate::Ratio:
        return v1::AGGREGATE_RATIO;
    case sdk::Aggregate::Sum:
        break;
    }
    return v1::AGGREGATE_SUM;
}

v1::ActionTarget actionTarget(sdk::ActionTarget t)
{
    switch (t) {
    case sdk::ActionTarget::Region:
        return v1::ACTION_TARGET_REGION;
    case sdk::ActionTarget::Component:
        return v1::ACTION_TARGET_COMPONENT;
    case sdk::ActionTarget::Text:
        return v1::ACTION_TARGET_TEXT;
    case sdk::ActionTarget::None:
        break;
    }
    return v1::ACTION_TARGET_NONE;
}

} // namespace

sdk::Node toSdkNode(const YAML::Node& node)
{
    sdk::Node out;
    if (!node.IsDefined() || node.IsNull())
        return out;
    const engine::SourcePos pos = engine::posOf(node);
    out.line = pos.line;
    out.column = pos.column;
    if (node.IsScalar()) {
        out.type = sdk::Node::Type::Scalar;
        out.scalar = node.Scalar();
    } else if (node.IsSequence()) {
        out.type = sdk::Node::Type::List;
        for (const YAML::Node& item : node)
            out.list.push_back(toSdkNode(item));
    } else if (node.IsMap()) {
        out.type = sdk::Node::Type::Map;
        for (const auto& kv : node) {
            sdk::Node value = toSdkNode(kv.second);
            if (value.line == 0) { // an empty value: point at its key
                const engine::SourcePos kp = engine::posOf(kv.first);
                value.line = kp.line;
                value.column = kp.column;
            }
            out.map.emplace_back(kv.first.Scalar(), std::move(value));
        }
    }
    return out;
}

v1::EngineDescriptor toDescriptor(const sdk::EngineDescription& d, const std::string& pluginId)
{
    v1::EngineDescriptor out;
    out.set_name(d.name);
    out.set_title(d.title);
    out.set_description(d.description);
    out.set_plugin_id(pluginId);
    for (const sdk::MetricDescription& m : d.metrics) {
        v1::MetricDescriptor* x = out.add_metrics();
        x->set_name(m.name);
        x->set_unit(m.unit);
        x->set_role(toRole(m.role));
        x->set_description(m.description);
        x->set_type(metricType(m.kind));
    }
    for (const sdk::TileDescription& t : d.tiles) {
        v1::KpiTile* x = out.add_tiles();
        x->set_id(t.id);
        x->set_title(t.title);
        x->set_series(t.series);
        x->set_type(seriesType(t.type));
        x->set_aggregate(aggregate(t.aggregate));
        x->set_denominator_series(t.denominatorSeries);
        x->set_unit(t.unit);
        x->set_scale(t.scale);
        x->set_higher_is_better(t.higherIsBetter);
        x->set_good(t.good);
        x->set_warn(t.warn);
        x->set_target_text(t.targetText);
        x->set_decimals(t.decimals);
        x->set_group(d.name);
    }
    for (const sdk::ChartDescription& c : d.charts) {
        v1::ChartHeadline* x = out.add_charts();
        x->set_chart(c.chart);
        for (const std::string& s : c.series)
            x->add_series(s);
    }
    for (const sdk::LoadProfileDescription& p : d.loadProfiles) {
        v1::LoadProfileDescriptor* x = out.add_load_profiles();
        x->set_name(p.name);
        x->set_description(p.description);
        for (const sdk::ParamDescription& q : p.params) {
            v1::ParamDescriptor* y = x->add_params();
            y->set_name(q.name);
            y->set_description(q.description);
            y->set_unit(q.unit);
            y->set_default_value(q.defaultValue);
            y->set_min(q.min);
            y->set_max(q.max);
        }
    }
    for (const sdk::ActionDescription& a : d.actions) {
        v1::ActionDescriptor* x = out.add_actions();
        x->set_name(a.name);
        x->set_description(a.description);
        x->set_target(actionTarget(a.target));
        x->set_target_hint(a.targetHint);
        x->set_changes_world(a.changesWorld);
    }
    for (const sdk::ComponentKindDescription& k : d.componentKinds) {
        v1::ComponentKindDescriptor* x = out.add_component_kinds();
        x->set_kind(k.kind);
        x->set_description(k.description);
        for (const std::string& h : k.headlineKeys)
            x->add_headline_keys(h);
        x->set_view(k.view);
    }
    for (const sdk::InvariantDescription& i : d.invariants)
        out.add_invariants(i.name);
    return out;
}

std::shared_ptr<const engine::EngineFactory> adaptEngineFactory(std::shared_ptr<const sdk::EngineFactory> factory,
                                                                engine::EngineOrigin origin)
{
    return std::make_shared<AdaptedFactory>(std::move(factory), std::move(origin));
}

} // namespace livedeck::plugins
