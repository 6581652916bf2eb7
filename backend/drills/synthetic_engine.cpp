#include "backend/drills/synthetic_engine.h"

#include "backend/drills/json_writer.h"
#include "backend/drills/yaml_reader.h"
#include "backend/sim/synthetic_workload.h"

#include <array>
#include <cmath>
#include <limits>

namespace livedeck::drills {
namespace {

constexpr std::string_view kComponent = "world/synthetic";
constexpr sim::Nanos kMetricsInterval = 100 * sim::kMillisecond;
constexpr int kWindowTicks = 10; // one second of 100 ms ticks

struct SyntheticSettings final : EngineSettings {
    int servicesPerRegion = 4;
    sim::Nanos sendInterval = 5 * sim::kMillisecond;
    bool chaos = false;
    bool alert = true;
    double alertBelow = 0.9;
    sim::Nanos alertFor = sim::kSecond;
};

class SyntheticEngine final : public Engine {
public:
    SyntheticEngine(sim::World& world, telemetry::Telemetry& telemetry, const SyntheticSettings& settings)
        : m_world(world),
          m_settings(settings),
          m_workload(world, workloadConfig(world, settings)),
          m_alertComponent(world.components().mustAdd("world/synthetic/alert", "alert")),
          m_sent(telemetry.metrics().counter("synthetic.sent", kComponent)),
          m_delivered(telemetry.metrics().counter("synthetic.delivered", kComponent)),
          m_failed(telemetry.metrics().counter("synthetic.failed", kComponent)),
          m_faultsInjected(telemetry.metrics().counter("synthetic.faults_injected", kComponent)),
          m_success(telemetry.metrics().gauge("synthetic.send_success", kComponent)),
          m_inFlight(telemetry.metrics().gauge("synthetic.in_flight", kComponent)),
          m_faultsActive(telemetry.metrics().gauge("synthetic.faults_active", kComponent)),
          m_alertGauge(telemetry.metrics().gauge("synthetic.alert", kComponent)),
          m_tickKind(world.kind("synthetic.metrics")),
          m_deliverKind(world.kind("synthetic.deliver"))
    {
        m_success.set(1.0);
    }

    void start() override
    {
        m_workload.start();
        m_world.after(kMetricsInterval, m_tickKind, sim::kNoComponent, [this] { tick(); });
    }

    absl::Status applyLoad(const LoadRequest&) override
    {
        return absl::FailedPreconditionError("the synthetic engine takes no load phases");
    }

    void checkInvariants(std::vector<InvariantCheck>& out) override
    {
        // Count the deliveries in flight from the scheduler itself, not from the counters.
        std::uint64_t pending = 0;
        const sim::Scheduler& s = m_world.scheduler();
        for (const sim::EventMeta& e : s.upcoming(s.pendingCount()))
            pending += e.kind == m_deliverKind ? 1 : 0;
        const std::uint64_t sent = m_workload.sent();
        const std::uint64_t accounted = m_workload.delivered() + m_workload.failed() + pending;
        InvariantCheck c;
        c.name = "synthetic.conservation";
        c.passed = sent == accounted;
        c.detail = sim::strCat("sent ", sent, " = delivered ", m_workload.delivered(), " + failed ", m_workload.failed(),
                               " + in flight ", pending, c.passed ? "" : " does not hold");
        out.push_back(std::move(c));
    }

private:
    static sim::SyntheticWorkload::Config workloadConfig(const sim::World& world, const SyntheticSettings& s)
    {
        sim::SyntheticWorkload::Config c;
        c.servicesPerRegion = s.servicesPerRegion;
        c.meanInterSend = s.sendInterval;
        if (!s.chaos) {
            // The workload always schedules its first random fault at start(): an
            // exponential draw E × meanFaultGap from its stream "synthetic/faults". The
            // same draw is made here on a copy of that stream, and the mean is chosen so
            // the first fault falls 146 years out, and no later draw is ever made. Only
            // when E < 0.51 is the mean capped (it must fit in Nanos): the fault then
            // falls E × 9e18 ns out, beyond a 10-minute drill unless E < 7e-8 and beyond
            // 1000 h unless E < 4e-4. synthetic.faults_injected shows it if it happens.
            sim::RandomStream copy = world.stream("synthetic/faults");
            const double e = copy.exponential(1.0);
            const double target = static_cast<double>(std::numeric_limits<sim::Nanos>::max() / 2);
            constexpr double kCap = 9.0e18; // below 2^63: the mean must fit in Nanos
            double mean = e > 0.0 ? target / e : kCap;
            if (mean > kCap)
                mean = kCap; // e < 0.51: the fault still lands beyond 1000 h unless e < 4e-4
            c.meanFaultGap = static_cast<sim::Nanos>(mean);
        }
        return c;
    }

    void tick()
    {
        const auto sent = static_cast<double>(m_workload.sent());
        const auto failed = static_cast<double>(m_workload.failed());
        m_sent.add(sent - m_sent.total());
        m_delivered.add(static_cast<double>(m_workload.delivered()) - m_delivered.total());
        m_failed.add(failed - m_failed.total());
        m_faultsInjected.add(static_cast<double>(m_workload.faultsInjected()) - m_faultsInjected.total());
        m_inFlight.set(sent - failed - static_cast<double>(m_workload.delivered()));
        int active = 0;
        for (const sim::Fault& f : m_world.faults().all())
            active += f.active ? 1 : 0;
        m_faultsActive.set(active);

        // Success over the last second: a ring of per-tick deltas.
        const std::size_t slot = m_tick % kWindowTicks;
        m_windowSent[slot] = sent - m_lastSent;
        m_windowFailed[slot] = failed - m_lastFailed;
        m_lastSent = sent;
        m_lastFailed = failed;
        ++m_tick;
        double ws = 0.0;
        double wf = 0.0;
        for (int i = 0; i < kWindowTicks; ++i) {
            ws += m_windowSent[static_cast<std::size_t>(i)];
            wf += m_windowFailed[static_cast<std::size_t>(i)];
        }
        const double ratio = ws > 0.0 ? 1.0 - wf / ws : 1.0;
        m_success.set(ratio);
        if (m_settings.alert)
            evaluateAlert(ratio);
        m_world.after(kMetricsInterval, m_tickKind, sim::kNoComponent, [this] { tick(); });
    }

    void evaluateAlert(double ratio)
    {
        const sim::Nanos now = m_world.now();
        const bool bad = ratio < m_settings.alertBelow;
        if (bad != m_conditionBad) {
            m_conditionBad = bad;
            m_conditionSince = now;
        }
        if (m_alertOn != bad && now - m_conditionSince >= m_settings.alertFor) {
            m_alertOn = bad;
            m_alertGauge.set(bad ? 1.0 : 0.0);
            const std::string ratioText = numberText(ratio, 4);
            const std::string belowText = numberText(m_settings.alertBelow, 4);
            if (bad) {
                m_world.events().raise("synthetic.alert.on", m_alertComponent, v1::SEVERITY_ALERT,
                                       sim::strCat("send success ", ratioText, " below ", belowText, " for ",
                                                   numberText(sim::toSeconds(now - m_conditionSince)), " s"),
                                       {{"ratio", ratioText}, {"below", belowText}});
            } else {
                m_world.events().raise("synthetic.alert.off", m_alertComponent, v1::SEVERITY_INFO,
                                       sim::strCat("send success ", ratioText, " back at or above ", belowText),
                                       {{"ratio", ratioText}, {"below", belowText}});
            }
        }
    }

    sim::World& m_world;
    SyntheticSettings m_settings;
    sim::SyntheticWorkload m_workload;
    sim::ComponentId m_alertComponent;
    telemetry::Counter& m_sent;
    telemetry::Counter& m_delivered;
    telemetry::Counter& m_failed;
    telemetry::Counter& m_faultsInjected;
    telemetry::Gauge& m_success;
    telemetry::Gauge& m_inFlight;
    telemetry::Gauge& m_faultsActive;
    telemetry::Gauge& m_alertGauge;
    sim::EventKindId m_tickKind;
    sim::EventKindId m_deliverKind;
    std::array<double, kWindowTicks> m_windowSent{};
    std::array<double, kWindowTicks> m_windowFailed{};
    double m_lastSent = 0.0;
    double m_lastFailed = 0.0;
    std::uint64_t m_tick = 0;
    bool m_conditionBad = false;
    sim::Nanos m_conditionSince = 0;
    bool m_alertOn = false;
};

class SyntheticEngineFactory final : public EngineFactory {
public:
    std::string_view name() const override { return "synthetic"; }
    std::string_view description() const override
    {
        return "services in every region messaging each other over the emulated network (exercises the drill machinery)";
    }

    std::vector<MetricOffer> metrics() const override
    {
        using K = telemetry::MetricKind;
        return {
            {"synthetic.sent", K::Counter, "1/s", "messages sent"},
            {"synthetic.delivered", K::Counter, "1/s", "messages delivered"},
            {"synthetic.failed", K::Counter, "1/s", "sends the network refused (down, partition, loss)"},
            {"synthetic.faults_injected", K::Counter, "1/s", "faults the workload's chaos injected"},
            {"synthetic.send_success", K::Gauge, "ratio", "share of sends accepted over the last second"},
            {"synthetic.in_flight", K::Gauge, "1", "messages sent and not yet delivered"},
            {"synthetic.faults_active", K::Gauge, "1", "faults in force"},
            {"synthetic.alert", K::Gauge, "0/1", "the delivery alert is on"},
        };
    }

    std::vector<InvariantOffer> invariants() const override
    {
        return {{"synthetic.conservation", "every message sent is delivered, refused or still in flight"}};
    }

    std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        auto s = std::make_shared<SyntheticSettings>();
        const YamlMap m(node, "engines.synthetic", {"services_per_region", "send_interval", "chaos", "alert"});
        s->servicesPerRegion = static_cast<int>(m.integer("services_per_region", s->servicesPerRegion, 1, 64));
        s->sendInterval = m.duration("send_interval", s->sendInterval, 10 * sim::kMicrosecond, sim::kHour);
        s->chaos = m.boolean("chaos", s->chaos);
        if (m.has("alert")) {
            const YAML::Node a = m.get("alert");
            if (a.IsScalar()) {
                if (boolValue(a, "engines.synthetic.alert") != false)
                    fail(a, "engines.synthetic.alert: expected off or a map {below: ratio, for: duration}");
                s->alert = false;
            } else {
                const YamlMap am(a, "engines.synthetic.alert", {"below", "for"});
                s->alertBelow = am.number("below", s->alertBelow, 0.0, 1.0);
                s->alertFor = am.duration("for", s->alertFor, kMetricsInterval, sim::kHour);
            }
        }
        return s;
    }

    absl::StatusOr<std::unique_ptr<Engine>> build(EngineContext& context, const EngineSettings& settings) const override
    {
        sim::World& world = context.world;
        const auto* s = dynamic_cast<const SyntheticSettings*>(&settings);
        if (!s)
            return absl::InvalidArgumentError("engine synthetic: settings of another engine");
        if (world.components().find(kComponent))
            return absl::AlreadyExistsError("engine synthetic is already in this world");
        return std::unique_ptr<Engine>(std::make_unique<SyntheticEngine>(world, context.telemetry, *s));
    }

    // Messages cross the emulated network, which honours down (a service or a whole
    // region) and partitions between regions (a component latency fault without a peer
    // does not touch it, so none is offered). No budget: conservation must hold under
    // any of them.
    FaultSurface faultSurface(const EngineSettings&, const sim::World& world) const override
    {
        FaultSurface out;
        for (const sim::RegionSpec& r : world.topology().regions())
            out.targets.push_back(FaultTarget{r.name, {v1::FAULT_DOWN, v1::FAULT_PARTITION}});
        for (const sim::ComponentInfo& c : world.components().all()) {
            if (c.id != sim::kNoComponent && c.kind == "synthetic-service")
                out.targets.push_back(FaultTarget{c.path, {v1::FAULT_DOWN}});
        }
        return out;
    }
};

} // namespace

std::shared_ptr<const EngineFactory> makeSyntheticEngineFactory()
{
    return std::make_shared<SyntheticEngineFactory>();
}

} // namespace livedeck::drills
