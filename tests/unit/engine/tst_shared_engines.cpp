// Two test-only engines in one drill share a world: an MQ broker obtained by name (one
// publishes to a topic, the other consumes it), an audience (load) source, and a fault
// on the shared broker hits both. Operator actions reach only the engine that declares
// them; an undeclared action is refused naming the declared ones; descriptors reach the
// topology.
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/engine/shared.h"
#include "backend/engine/yaml_reader.h"
#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_producer.h"
#include "tests/common/multi_test.h"

#include <QtTest>

namespace {

using namespace livedeck;
using namespace livedeck::engine;

// The shared load source: viewers now, as both engines read it.
struct Audience {
    double viewers = 100.0;
};

struct Settings final : EngineSettings {};

constexpr std::string_view kBroker = "sh-a/shared/mq";
constexpr std::string_view kTopic = "alpha.events";

absl::StatusOr<infra::MqBroker*> sharedBroker(EngineContext& c, std::string_view user)
{
    return c.shared.obtain<infra::MqBroker>(kBroker, user, [&] {
        return std::make_unique<infra::MqBroker>(c.world, kBroker, infra::MqBrokerConfig{}, &c.telemetry.metrics());
    });
}

absl::StatusOr<Audience*> sharedAudience(EngineContext& c, std::string_view user)
{
    return c.shared.obtain<Audience>("audience", user, [] { return std::make_unique<Audience>(); });
}

// alpha: publishes one record per 10 ms per 100 viewers to alpha.events.
class Alpha final : public Engine {
public:
    Alpha(EngineContext& c, infra::MqBroker& broker, Audience& audience)
        : m_world(c.world),
          m_audience(audience),
          m_producer(c.world, broker, "sh-a/alpha/producer"),
          m_kind(c.world.kind("alpha.tick")),
          m_sent(c.telemetry.metrics().counter("alpha.sent", "alpha")),
          m_acked(c.telemetry.metrics().counter("alpha.acked", "alpha"))
    {
    }
    void start() override { m_world.after(10 * sim::kMillisecond, m_kind, sim::kNoComponent, [this] { tick(); }); }
    absl::Status applyLoad(const LoadRequest&) override { return absl::OkStatus(); }
    void checkInvariants(std::vector<InvariantCheck>& out) override { out.push_back({"alpha.ok", true, "always"}); }
    absl::Status applyAction(const ActionRequest& a) override
    {
        if (a.action != "set-audience")
            return Engine::applyAction(a);
        if (a.value < 0)
            return absl::InvalidArgumentError("viewers must be >= 0");
        m_audience.viewers = a.value;
        return absl::OkStatus();
    }

private:
    void tick()
    {
        const int n = static_cast<int>(m_audience.viewers / 100.0);
        for (int i = 0; i < n; ++i) {
            m_sent.add(1.0);
            m_producer.send(kTopic, "k", "v", 1.0, [this](const infra::MqProduceResult& r) {
                if (r.error == infra::MqError::Ok)
                    m_acked.add(1.0);
            });
        }
        m_world.after(10 * sim::kMillisecond, m_kind, sim::kNoComponent, [this] { tick(); });
    }
    sim::World& m_world;
    Audience& m_audience;
    infra::MqProducer m_producer;
    sim::EventKindId m_kind;
    telemetry::Counter& m_sent;
    telemetry::Counter& m_acked;
};

// beta: consumes alpha.events and commits.
class Beta final : public Engine {
public:
    Beta(EngineContext& c, infra::MqBroker& broker)
        : m_consumer(c.world, broker, "sh-a/beta/consumer", "beta", {std::string(kTopic)}),
          m_received(c.telemetry.metrics().counter("beta.received", "beta"))
    {
    }
    void start() override
    {
        m_consumer.start();
        m_consumer.runLoop([this](const infra::MqBatch& batch, infra::MqAck ack) {
            m_received.add(static_cast<double>(batch.records.size()));
            ack.commit();
        });
    }
    absl::Status applyLoad(const LoadRequest&) override { return absl::OkStatus(); }
    void checkInvariants(std::vector<InvariantCheck>& out) override { out.push_back({"beta.ok", true, "always"}); }

private:
    infra::MqConsumer m_consumer;
    telemetry::Counter& m_received;
};

class TestFactory final : public EngineFactory {
public:
    explicit TestFactory(std::string name) : m_name(std::move(name)) {}
    std::string_view name() const override { return m_name; }
    std::string_view description() const override { return "test-only engine"; }
    std::vector<MetricOffer> metrics() const override
    {
        return {{m_name + ".sent", telemetry::MetricKind::Counter, "1/s", "sent"},
                {m_name + ".acked", telemetry::MetricKind::Counter, "1/s", "acked"},
                {m_name + ".received", telemetry::MetricKind::Counter, "1/s", "received"}};
    }
    std::vector<InvariantOffer> invariants() const override { return {{m_name + ".ok", "always holds"}}; }
    v1::EngineDescriptor describe() const override
    {
        v1::EngineDescriptor d = EngineFactory::describe();
        if (m_name == "alpha") {
            v1::ActionDescriptor& a = *d.add_actions();
            a.set_name("set-audience");
            a.set_target(v1::ACTION_TARGET_NONE);
            a.set_takes_value(true);
        }
        return d;
    }
    std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        const YamlMap m(node, "engines." + m_name, {});
        return std::make_shared<Settings>();
    }
    absl::StatusOr<std::unique_ptr<Engine>> build(EngineContext& c, const EngineSettings&) const override
    {
        auto broker = sharedBroker(c, m_name);
        if (!broker.ok())
            return broker.status();
        if (m_name == "alpha") {
            auto audience = sharedAudience(c, m_name);
            if (!audience.ok())
                return audience.status();
            return std::unique_ptr<Engine>(std::make_unique<Alpha>(c, **broker, **audience));
        }
        return std::unique_ptr<Engine>(std::make_unique<Beta>(c, **broker));
    }

private:
    std::string m_name;
};

EngineRegistry registry()
{
    EngineRegistry r;
    (void)r.add(std::make_shared<TestFactory>("alpha"));
    (void)r.add(std::make_shared<TestFactory>("beta"));
    return r;
}

constexpr std::string_view kDrill = R"(name: shared
seed: 3
duration: 20s
engines:
  alpha: {}
  beta: {}
faults:
  - name: broker-down
    at: 10s
    for: 5s
    kind: down
    target: sh-a/shared/mq
)";

double total(drills::DrillRun& run, std::string_view metric)
{
    // A counter's second series is its running total, as of the last rollup.
    for (const telemetry::MetricInfo& m : run.telemetry().metrics().metrics()) {
        if (m.name == metric && m.kind == telemetry::MetricKind::Counter)
            return run.telemetry().lastValue(static_cast<std::int64_t>(m.firstSeries) + 1, -1.0);
    }
    return -1.0;
}

} // namespace

class TstSharedEngines : public QObject {
    Q_OBJECT
private slots:
    void sharedBrokerCarriesAnotherEnginesTopic()
    {
        const EngineRegistry engines = registry();
        auto spec = drills::loadDrill(kDrill, "shared.yaml", engines);
        QVERIFY2(spec.ok(), std::string(spec.status().message()).c_str());
        drills::DrillRunOptions options;
        options.stopAt = 9 * sim::kSecond;
        auto run = drills::DrillRun::create(*spec, options);
        QVERIFY2(run.ok(), std::string(run.status().message()).c_str());
        // One broker, made by alpha, used by beta.
        const auto entries = (*run)->shared().entries();
        QCOMPARE(entries.size(), std::size_t(2));
        QCOMPARE(entries[0].name, std::string(kBroker));
        QCOMPARE(entries[0].users, (std::vector<std::string>{"alpha", "beta"}));
        (*run)->runToEnd();
        const double sent = total(**run, "alpha.sent");
        const double received = total(**run, "beta.received");
        QVERIFY2(sent > 500, qPrintable(QString::number(sent)));
        // Everything acknowledged before the last second has reached the other engine.
        QVERIFY2(received > 0.8 * sent, qPrintable(QStringLiteral("%1 of %2").arg(received).arg(sent)));
    }

    void faultOnSharedBrokerHitsBoth()
    {
        const EngineRegistry engines = registry();
        auto spec = drills::loadDrill(kDrill, "shared.yaml", engines);
        QVERIFY(spec.ok());
        drills::DrillRunOptions before;
        before.stopAt = 10 * sim::kSecond;
        auto a = drills::DrillRun::create(*spec, before);
        QVERIFY(a.ok());
        (*a)->runToEnd();
        drills::DrillRunOptions during;
        during.stopAt = 15 * sim::kSecond;
        auto b = drills::DrillRun::create(*spec, during);
        QVERIFY(b.ok());
        (*b)->runToEnd();
        // While the shared broker is down neither engine gets anything through.
        const double ackedDuring = total(**b, "alpha.acked") - total(**a, "alpha.acked");
        const double receivedDuring = total(**b, "beta.received") - total(**a, "beta.received");
        QVERIFY2(ackedDuring < 0.05 * (total(**a, "alpha.acked") / 2.0), qPrintable(QString::number(ackedDuring)));
        QVERIFY2(receivedDuring < 0.05 * (total(**a, "beta.received") / 2.0), qPrintable(QString::number(receivedDuring)));
    }

    void actionsGoToTheDeclaringEngine()
    {
        const EngineRegistry engines = registry();
        auto spec = drills::loadDrill(kDrill, "shared.yaml", engines);
        QVERIFY(spec.ok());
        auto run = drills::DrillRun::create(*spec);
        QVERIFY(run.ok());
        sim::World& w = (*run)->world();
        v1::Command c;
        c.mutable_operator_action()->set_action("set-audience");
        c.mutable_operator_action()->set_value(300);
        QVERIFY(w.apply(c).ok());
        c.mutable_operator_action()->set_value(-1);
        const absl::Status bad = w.apply(c);
        QCOMPARE(bad.code(), absl::StatusCode::kInvalidArgument);
        QVERIFY(std::string(bad.message()).find("alpha") != std::string::npos);
        c.mutable_operator_action()->set_action("drain-region");
        const absl::Status undeclared = w.apply(c);
        QCOMPARE(undeclared.code(), absl::StatusCode::kInvalidArgument);
        QVERIFY2(std::string(undeclared.message()).find("'set-audience'") != std::string::npos,
                 std::string(undeclared.message()).c_str());
        // Descriptors travel in the topology.
        v1::Topology t;
        w.topologyToProto(t);
        QCOMPARE(t.engines_size(), 2);
        QCOMPARE(t.engines(0).name(), std::string("alpha"));
        QCOMPARE(t.engines(0).actions(0).name(), std::string("set-audience"));
    }

    void aPluginCannotReplaceAnEngine()
    {
        EngineRegistry r = registry();
        const absl::Status st = r.add(std::make_shared<TestFactory>("alpha"), EngineOrigin{"evil", "1", ""});
        QCOMPARE(st.code(), absl::StatusCode::kAlreadyExists);
        QVERIFY(std::string(st.message()).find("built in") != std::string::npos);
    }

    void sharedResourceOfAnotherKindIsRefused()
    {
        SharedResources shared;
        auto a = shared.obtain<Audience>("x", "alpha", [] { return std::make_unique<Audience>(); });
        QVERIFY(a.ok());
        auto again = shared.obtain<Audience>("x", "beta", [] { return std::make_unique<Audience>(); });
        QVERIFY(again.ok());
        QCOMPARE(*a, *again);
        auto other = shared.obtain<Settings>("x", "beta", [] { return std::make_unique<Settings>(); });
        QCOMPARE(other.status().code(), absl::StatusCode::kFailedPrecondition);
    }
};

LIVEDECK_TEST_CLASS(TstSharedEngines)
#include "tst_shared_engines.moc"
