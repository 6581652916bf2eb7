// tstplug_sdk_probe: a test engine plugin ("sdk_probe") that uses every infrastructure
// and resilience factory of the engine-plugin SDK (plugins/sdk/livedeck_sdk/infra.h,
// resilience.h) through the host, and reports what each part really did as an
// invariant, so a drill run proves the factories work from a plugin:
//   sdk.sql       a row written on its shard, a duplicate refused, the row read back
//   sdk.kv        a value set and read back, a counter incremented
//   sdk.raft      once a leader is elected: put, get, a cas with a stale version refused,
//                 a cas with the current version applied
//   sdk.mq        records published, consumed by a group member, offsets committed
//                 (the broker's committed offsets cover every record, lag 0)
//   sdk.breaker   KV reads through a breaker open it while the pair is down (a fault of
//                 the drill) and close it again after
//   sdk.limiters  sliding window, token bucket and bulkhead admit what they should
//   sdk.refusals  bad configurations and taken paths are refused with a message, not a crash
// Like every plugin it links only the SDK headers.
#include "livedeck_sdk/engine.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef TSTPLUG_SDK_PROBE_PLUGIN_VERSION
#define TSTPLUG_SDK_PROBE_PLUGIN_VERSION "0.0.0"
#endif
#ifndef LIVEDECK_BUILD_ID
#define LIVEDECK_BUILD_ID "unknown"
#endif

namespace probe {
namespace sdk = livedeck::sdk;

struct Settings final : sdk::Settings {
    double probeMs = 100.0; // the breaker's probe period
};

// One check's verdict: pending until it passes or fails.
struct Check {
    std::string name;
    std::string description;
    enum class State { Pending, Passed, Failed } state = State::Pending;
    std::string detail = "not finished";
    void pass(std::string text)
    {
        if (state == State::Pending) {
            state = State::Passed;
            detail = std::move(text);
        }
    }
    void fail(std::string text)
    {
        if (state != State::Failed) {
            state = State::Failed;
            detail = std::move(text);
        }
    }
};

std::string text(const sdk::SqlValue& v)
{
    if (const auto* s = std::get_if<std::string>(&v))
        return *s;
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return std::to_string(*i);
    return "?";
}

class Engine final : public sdk::Engine {
public:
    Engine(sdk::Context& context, const Settings& s) : m_world(context.world), m_s(s)
    {
        m_steps = &context.metrics.counter("sdk_probe.steps", "sdk_probe");
        m_breakerOpen = &context.metrics.gauge("sdk_probe.breaker_open", "sdk_probe");
        m_checks = {{"sdk.sql", "a SQL row written, a duplicate refused, the row read back"},
                    {"sdk.kv", "a KV value set and read back, a counter incremented"},
                    {"sdk.raft", "Raft KV put/get/cas through the elected leader"},
                    {"sdk.mq", "MQ records published, consumed and their offsets committed"},
                    {"sdk.breaker", "a breaker opened by failed KV reads and closed after"},
                    {"sdk.limiters", "window, token-bucket and concurrency limiters admit what they should"},
                    {"sdk.refusals", "bad configurations are refused with a message"}};
    }

    bool build(sdk::Infra& infra, std::string& error)
    {
        m_client = m_world.addComponent("sh-a/sdk_probe/client", "sdk-probe-client", &error);
        if (m_client == sdk::kNoComponent)
            return false;
        sdk::SqlShardsConfig sql;
        sql.name = "sdk_probe/notes-db";
        sql.shards = 4;
        sql.schema = {"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"};
        if (!(m_sql = infra.sqlShards(sql, &error)))
            return false;
        sdk::KvConfig kv;
        kv.path = "sh-a/sdk_probe/cache";
        if (!(m_kv = infra.kvCache(kv, &error)))
            return false;
        sdk::RaftKvConfig raft;
        raft.name = "sdk-probe";
        raft.clientPath = "sh-a/sdk_probe/raft-client";
        if (!(m_raft = infra.raftKv(raft, &error)))
            return false;
        if (!(m_mq = infra.mqBroker("sh-a/sdk_probe/mq", &error)))
            return false;
        if (std::string e = m_mq->createTopic("notes", 2); !e.empty()) {
            error = e;
            return false;
        }
        if (!(m_producer = m_mq->producer("sh-a/sdk_probe/producer", &error)))
            return false;
        if (!(m_consumer = m_mq->consumer("sh-a/sdk_probe/consumer", "probe", {"notes"}, &error)))
            return false;
        sdk::BreakerConfig b;
        b.windowSize = 10;
        b.minimumCalls = 5;
        b.failureRateThreshold = 0.5;
        b.waitInOpen = 1 * sdk::kSecond;
        b.permittedInHalfOpen = 2;
        if (!(m_breaker = infra.circuitBreaker("sh-a/sdk_probe/cache-breaker", b, &error)))
            return false;
        m_window = infra.windowLimiter(1 * sdk::kSecond, 5);
        m_bucket = infra.rateLimiter(2.0, 3.0);
        sdk::ConcurrencyConfig cc;
        cc.maxConcurrent = 2;
        cc.maxQueue = 1;
        cc.maxWait = 500 * sdk::kMillisecond;
        m_bulkhead = infra.concurrencyLimiter(cc, m_client, &error);
        if (!m_window || !m_bucket || !m_bulkhead) {
            if (error.empty())
                error = "a limiter factory refused a valid configuration";
            return false;
        }
        // The factories refuse what they cannot build instead of aborting.
        checkRefusals(infra, kv);
        return true;
    }

    void start() override
    {
        startSql();
        startKv();
        waitForLeader();
        startMq();
        startLimiters();
        m_world.after(1 * sdk::kSecond, "sdk_probe.breaker", m_client, [this] { probeBreaker(); });
    }

    std::string applyLoad(const sdk::LoadRequest&) override { return "sdk_probe has no load profile"; }
    std::string setLoad(const std::string&, double) override { return "sdk_probe has no load profile"; }
    std::string applyAction(const sdk::ActionRequest& a) override { return "sdk_probe: no action '" + a.action + "'"; }

    void checkInvariants(std::vector<sdk::InvariantCheck>& out) override
    {
        for (const Check& c : m_checks)
            out.push_back({c.name, c.state != Check::State::Failed, c.detail});
    }
    void finalInvariants(std::vector<sdk::InvariantCheck>& out) override
    {
        finishBreaker();
        for (const Check& c : m_checks)
            out.push_back({c.name, c.state == Check::State::Passed, c.detail});
    }

private:
    void checkRefusals(sdk::Infra& infra, const sdk::KvConfig& taken)
    {
        std::vector<std::string> messages;
        std::string e;
        const auto refused = [&](bool nullResult, std::string_view expect) {
            if (!nullResult || e.find(expect) == std::string::npos) {
                check("sdk.refusals").fail("expected a refusal mentioning '" + std::string(expect) + "', got '" + e + "'");
                return;
            }
            messages.push_back(e);
            e.clear();
        };
        refused(!infra.kvCache(taken, &e), "already registered");
        sdk::SqlShardsConfig sql;
        sql.name = "sdk_probe/bad-db";
        sql.placement = {"nowhere1"};
        refused(!infra.sqlShards(sql, &e), "unknown data centre 'nowhere1'");
        sql.placement = {};
        sql.schema = {"CREATE TABLE"};
        refused(!infra.sqlShards(sql, &e), "schema DDL failed");
        sdk::RaftKvConfig raft;
        raft.name = "sdk-probe-bad";
        raft.regions = {"sh-a", "atlantis"};
        raft.clientPath = "sh-a/sdk_probe/raft-client-2";
        refused(!infra.raftKv(raft, &e), "unknown region 'atlantis'");
        sdk::BreakerConfig b;
        b.failureRateThreshold = 2.0;
        refused(!infra.circuitBreaker("sh-a/sdk_probe/bad-breaker", b, &e), "breaker sh-a/sdk_probe/bad-breaker");
        refused(!infra.mqBroker("sh-a//mq", &e), "malformed");
        const bool limitersRefused = !infra.windowLimiter(0, 5) && !infra.rateLimiter(-1.0, 1.0);
        if (!limitersRefused)
            check("sdk.refusals").fail("a limiter with a zero window or a negative rate was built");
        check("sdk.refusals").pass(std::to_string(messages.size()) + " bad configurations refused, 2 limiters refused");
    }

    Check& check(const std::string& name)
    {
        for (Check& c : m_checks) {
            if (c.name == name)
                return c;
        }
        return m_checks.front();
    }
    void step() { m_steps->add(1.0); }

    // ------------------------------------------------------------ SQL
    void startSql()
    {
        const std::uint32_t shard = m_sql->shardOf(42);
        m_sql->write(shard, {{"INSERT INTO notes (id, body) VALUES (?, ?)", {std::int64_t(42), std::string("hello-42")}}},
                     m_client, 1.0, [this, shard](const sdk::SqlReply& r) {
                         if (!r.ok() || r.changes != 1)
                             return check("sdk.sql").fail("insert: " + r.error);
                         step();
                         m_sql->write(shard, {{"INSERT INTO notes (id, body) VALUES (?, ?)", {std::int64_t(42), std::string("again")}}},
                                      m_client, 1.0, [this, shard](const sdk::SqlReply& dup) {
                                          if (dup.status != sdk::SqlStatus::AlreadyExists)
                                              return check("sdk.sql").fail("a duplicate key was not refused: " + dup.error);
                                          step();
                                          readSql(shard);
                                      });
                     });
    }
    void readSql(std::uint32_t shard)
    {
        m_sql->read(shard, sdk::SqlConsistency::Strong, {"SELECT body FROM notes WHERE id = ?", {std::int64_t(42)}}, m_client,
                    1.0, [this, shard](const sdk::SqlReply& r) {
                        if (!r.ok() || r.rowCount() != 1 || text(r.at(0, 0)) != "hello-42")
                            return check("sdk.sql").fail("read back: " + (r.ok() ? std::to_string(r.rowCount()) + " rows" : r.error));
                        step();
                        check("sdk.sql").pass("row 42 on shard " + std::to_string(shard) + " of "
                                              + std::to_string(m_sql->shardCount()) + " written, duplicate refused, read back in "
                                              + std::to_string(r.latency / sdk::kMicrosecond) + " us");
                    });
    }

    // ------------------------------------------------------------ KV
    void startKv()
    {
        m_kv->set(m_client, "greeting", "hi", 0, 1.0, [this](const sdk::KvReply& r) {
            if (!r.ok())
                return check("sdk.kv").fail("set failed");
            step();
            m_kv->incrBy(m_client, "counter", 5, 1.0, [this](const sdk::KvReply& inc) {
                if (!inc.ok() || inc.integer != 5)
                    return check("sdk.kv").fail("incrBy gave " + std::to_string(inc.integer));
                step();
                // Replication to the replica (reads go there) takes a network trip.
                m_world.after(100 * sdk::kMillisecond, "sdk_probe.kv", m_client, [this] {
                    m_kv->get(m_client, "greeting", 1.0, [this](const sdk::KvReply& g) {
                        if (!g.ok() || g.value != "hi")
                            return check("sdk.kv").fail("read back '" + g.value + "'");
                        step();
                        check("sdk.kv").pass(std::string("set, incrBy 5, read back from the ")
                                             + (g.fromReplica ? "replica" : "primary"));
                    });
                });
            });
        });
    }

    // ------------------------------------------------------------ Raft KV
    void waitForLeader()
    {
        if (m_raft->leader().empty()) {
            if (m_world.now() > 5 * sdk::kSecond)
                return check("sdk.raft").fail("no leader after 5 s");
            m_world.after(50 * sdk::kMillisecond, "sdk_probe.raft", m_client, [this] { waitForLeader(); });
            return;
        }
        const std::string leader = m_raft->leader();
        m_raft->put("config", "v1", [this, leader](const sdk::RaftReply& put) {
            if (!put.ok())
                return check("sdk.raft").fail("put: status " + std::to_string(static_cast<int>(put.status)));
            step();
            m_raft->get("config", [this, leader](const sdk::RaftReply& get) {
                if (!get.ok() || !get.found || get.value != "v1")
                    return check("sdk.raft").fail("get gave '" + get.value + "'");
                step();
                const std::uint64_t version = get.version;
                m_raft->cas("config", version + 100, "stale", [this, leader, version](const sdk::RaftReply& stale) {
                    if (stale.status != sdk::RaftStatus::Refused)
                        return check("sdk.raft").fail("a cas with a wrong version was not refused");
                    step();
                    m_raft->cas("config", version, "v2", [this, leader](const sdk::RaftReply& cas) {
                        if (!cas.ok())
                            return check("sdk.raft").fail("cas with the current version failed");
                        step();
                        check("sdk.raft").pass("leader " + leader + " of " + std::to_string(m_raft->nodes())
                                               + " nodes; put, get, stale cas refused, cas applied at index "
                                               + std::to_string(cas.index));
                    });
                });
            });
        });
    }

    // ------------------------------------------------------------ MQ
    static constexpr int kRecords = 10;
    void startMq()
    {
        m_consumer->start();
        for (int i = 0; i < kRecords; ++i) {
            m_producer->send("notes", "k" + std::to_string(i), "note " + std::to_string(i), 1.0,
                             [this](const sdk::MqSendResult& r) {
                                 if (r.status != sdk::MqStatus::Ok)
                                     return check("sdk.mq").fail("send failed");
                                 ++m_acked;
                             });
        }
        m_world.after(100 * sdk::kMillisecond, "sdk_probe.mq", m_client, [this] { pollMq(); });
    }
    void pollMq()
    {
        m_consumer->poll(100, [this](sdk::MqStatus status, const std::vector<sdk::MqRecord>& records) {
            if (status == sdk::MqStatus::Ok && !records.empty()) {
                for (const sdk::MqRecord& r : records)
                    m_consumed[{r.partition, r.offset}] = r.value;
                m_consumer->commit([this](sdk::MqStatus c) {
                    if (c == sdk::MqStatus::Ok)
                        ++m_commits;
                    afterCommit();
                });
                return;
            }
            afterCommit();
        });
    }
    void afterCommit()
    {
        if (static_cast<int>(m_consumed.size()) >= kRecords && m_commits > 0) {
            std::int64_t committed = 0;
            std::int64_t lag = 0;
            for (int p = 0; p < 2; ++p) {
                committed += std::max<std::int64_t>(0, m_mq->committed("probe", "notes", p));
                lag += m_mq->lag("probe", "notes", p);
            }
            if (committed != kRecords || lag != 0)
                return check("sdk.mq").fail("committed " + std::to_string(committed) + " of " + std::to_string(kRecords)
                                            + ", lag " + std::to_string(lag));
            step();
            return check("sdk.mq").pass(std::to_string(m_acked) + " acked, " + std::to_string(m_consumed.size())
                                        + " consumed, offsets committed on both partitions (lag 0)");
        }
        if (m_world.now() > 8 * sdk::kSecond)
            return check("sdk.mq").fail("consumed " + std::to_string(m_consumed.size()) + " of " + std::to_string(kRecords));
        m_world.after(100 * sdk::kMillisecond, "sdk_probe.mq", m_client, [this] { pollMq(); });
    }

    // ------------------------------------------------------------ breaker
    void probeBreaker()
    {
        const sdk::BreakerPermit permit = m_breaker->tryAcquire(1.0);
        if (!permit) {
            ++m_breakerRejected;
        } else {
            const sdk::Nanos sent = m_world.now();
            m_kv->get(m_client, "greeting", 1.0, [this, permit, sent](const sdk::KvReply& r) {
                if (r.ok())
                    m_breaker->onSuccess(permit, m_world.now() - sent);
                else if (r.status == sdk::KvStatus::Timeout)
                    m_breaker->onTimeout(permit);
                else
                    m_breaker->onError(permit, m_world.now() - sent);
                noteBreaker();
            });
        }
        noteBreaker();
        m_world.after(static_cast<sdk::Nanos>(m_s.probeMs * sdk::kMillisecond), "sdk_probe.breaker", m_client,
                      [this] { probeBreaker(); });
    }
    void noteBreaker()
    {
        const bool open = m_breaker->state() == sdk::BreakerState::Open;
        m_sawOpen = m_sawOpen || open;
        m_breakerOpen->set(open ? 1.0 : 0.0);
    }
    void finishBreaker()
    {
        Check& c = check("sdk.breaker");
        if (c.state != Check::State::Pending)
            return;
        const bool closed = m_breaker->state() == sdk::BreakerState::Closed;
        const std::string figures = std::to_string(m_breaker->transitions()) + " transitions, "
                                    + std::to_string(m_breakerRejected) + " calls refused while open";
        if (m_sawOpen && closed && m_breakerRejected > 0)
            c.pass("opened by failed reads, closed again; " + figures);
        else
            c.fail(std::string(m_sawOpen ? "opened but did not close again" : "never opened") + "; " + figures);
    }

    // ------------------------------------------------------------ limiters
    void startLimiters()
    {
        int window = 0;
        for (int i = 0; i < 7; ++i)
            window += m_window->tryAcquire(1.0) ? 1 : 0;
        int bucket = 0;
        for (int i = 0; i < 5; ++i)
            bucket += m_bucket->tryAcquire(1.0) ? 1 : 0;
        using A = sdk::Admission;
        const A a1 = m_bulkhead->acquire([](bool) {});
        const A a2 = m_bulkhead->acquire([](bool) {});
        const A a3 = m_bulkhead->acquire([this](bool admitted) { m_queuedAdmitted = admitted; });
        const A a4 = m_bulkhead->acquire([](bool) {});
        if (window != 5 || bucket != 3 || a1 != A::Admitted || a2 != A::Admitted || a3 != A::Queued || a4 != A::Rejected)
            return check("sdk.limiters").fail("window " + std::to_string(window) + "/7, bucket " + std::to_string(bucket)
                                              + "/5, bulkhead admissions out of order");
        step();
        // One holder leaves after 100 ms: the queued caller gets its permit.
        m_world.after(100 * sdk::kMillisecond, "sdk_probe.limiters", m_client, [this] {
            m_bulkhead->release();
            if (!m_queuedAdmitted || m_bulkhead->inFlight() != 2)
                return check("sdk.limiters").fail("the queued caller was not admitted on release");
            // A caller queued behind two holders times out after 500 ms.
            const sdk::Admission q = m_bulkhead->acquire([this](bool admitted) { m_timedOut = !admitted; });
            if (q != sdk::Admission::Queued)
                return check("sdk.limiters").fail("the bulkhead did not queue a caller");
            m_world.after(1200 * sdk::kMillisecond, "sdk_probe.limiters", m_client, [this] {
                // At 1.3 s, 70 % of the first second's five still count: 3.5 + 1 <= 5.
                const bool windowReopened = m_window->tryAcquire(1.0);
                if (!m_timedOut || !windowReopened)
                    return check("sdk.limiters").fail(m_timedOut ? "the window did not slide" : "the queued caller did not time out");
                step();
                check("sdk.limiters").pass("window 5 of 7, bucket 3 of 5, bulkhead admitted 2 / queued 1 / rejected 1, "
                                           "released to the queue, a waiter timed out, the window slid");
            });
        });
    }

    sdk::World& m_world;
    Settings m_s;
    sdk::Counter* m_steps = nullptr;
    sdk::Gauge* m_breakerOpen = nullptr;
    std::vector<Check> m_checks;
    sdk::ComponentId m_client = sdk::kNoComponent;
    std::unique_ptr<sdk::SqlShards> m_sql;
    std::unique_ptr<sdk::KvCache> m_kv;
    std::unique_ptr<sdk::RaftKv> m_raft;
    std::unique_ptr<sdk::MqBroker> m_mq;
    std::unique_ptr<sdk::MqProducer> m_producer; // destroyed before the broker (declared after it)
    std::unique_ptr<sdk::MqConsumer> m_consumer;
    std::unique_ptr<sdk::CircuitBreaker> m_breaker;
    std::unique_ptr<sdk::WindowLimiter> m_window;
    std::unique_ptr<sdk::RateLimiter> m_bucket;
    std::unique_ptr<sdk::ConcurrencyLimiter> m_bulkhead;
    int m_acked = 0;
    int m_commits = 0;
    std::map<std::pair<int, std::int64_t>, std::string> m_consumed;
    bool m_sawOpen = false;
    int m_breakerRejected = 0;
    bool m_queuedAdmitted = false;
    bool m_timedOut = false;
};

class Factory final : public sdk::EngineFactory {
public:
    sdk::EngineDescription describe() const override
    {
        sdk::EngineDescription d;
        d.name = "sdk_probe";
        d.title = "SDK probe";
        d.description = "uses every infrastructure and resilience factory of the plugin SDK";
        d.metrics = {{"sdk_probe.steps", sdk::MetricKind::Counter, "1/s", "probe steps that gave the expected answer",
                      sdk::MetricRole::Throughput},
                     {"sdk_probe.breaker_open", sdk::MetricKind::Gauge, "1", "the probe breaker is open",
                      sdk::MetricRole::State}};
        d.componentKinds = {{"sdk-probe-client", "the probe's calling component", {}, ""}};
        d.invariants = {{"sdk.sql", "SQL shards"},         {"sdk.kv", "KV pair"},
                        {"sdk.raft", "Raft KV"},           {"sdk.mq", "MQ broker, producer, consumer group"},
                        {"sdk.breaker", "circuit breaker"}, {"sdk.limiters", "limiters"},
                        {"sdk.refusals", "bad configurations refused"}};
        return d;
    }
    std::shared_ptr<const sdk::Settings> parseSettings(const sdk::Node& node, sdk::ParseError& error) const override
    {
        sdk::checkKeys(node, {"probe_ms"}, "engines.sdk_probe", error);
        auto s = std::make_shared<Settings>();
        s->probeMs = sdk::readNumber(node, "probe_ms", s->probeMs, 10, 1000, "engines.sdk_probe", error);
        if (error.failed())
            return nullptr;
        return s;
    }
    std::shared_ptr<const sdk::Settings> parseLoad(const std::string& profile, const sdk::Node& params,
                                                   sdk::ParseError& error) const override
    {
        error.set(params, "sdk_probe has no load profile '" + profile + "'");
        return nullptr;
    }
    std::unique_ptr<sdk::Engine> build(sdk::Context& context, const sdk::Settings& settings,
                                       std::string& error) const override
    {
        const auto* s = dynamic_cast<const Settings*>(&settings);
        if (!s) {
            error = "settings of another engine";
            return nullptr;
        }
        auto engine = std::make_unique<Engine>(context, *s);
        if (!engine->build(context.infra, error))
            return nullptr;
        return engine;
    }
};

bool registerEngines(livedeck::sdk::Registrar* registrar, std::string* error)
{
    return registrar->addEngine(std::make_shared<Factory>(), *error);
}

} // namespace probe

LIVEDECK_ENGINE_PLUGIN_EXPORT const LivedeckEnginePlugin* livedeck_engine_plugin()
{
    static const LivedeckEnginePlugin entry{LIVEDECK_SDK_API_VERSION, LIVEDECK_BUILD_ID, "tstplug_sdk_probe",
                                            TSTPLUG_SDK_PROBE_PLUGIN_VERSION, &probe::registerEngines};
    return &entry;
}
