// CircuitBreaker: data-driven state-machine scripts (exactly-minimum calls, threshold
// equality under both comparisons, count and time window roll-over, slow calls and
// timeouts, half-open with several concurrent probes, forced states, weights), permits
// across transitions, automatic OPEN → HALF_OPEN on the world's scheduler, and the
// events and snapshot parts it produces. (The gift panel's breaker settings are tested
// with the panel: tests/unit/gifts/tst_panel_breaker.cpp.)
#include "tests/common/multi_test.h"

#include "backend/resilience/circuit_breaker.h"
#include "backend/sim/world.h"
#include "livedeck/v1/cluster.pb.h"

#include <QTest>

#include <deque>
#include <string>
#include <vector>

using namespace livedeck;
using resilience::BreakerState;
using resilience::CircuitBreaker;
using resilience::CircuitBreakerConfig;
using resilience::Permit;

namespace {

// A time-window breaker with timers: 10 s in 10 buckets, "exceeds 50 %" for failures and
// slow calls (50 ms), at least 20 calls, OPEN for 5 s, 5 probes within 2 s.
CircuitBreakerConfig timedConfig()
{
    CircuitBreakerConfig c;
    c.windowType = resilience::SlidingWindowType::TimeBased;
    c.windowDuration = 10 * sim::kSecond;
    c.windowBuckets = 10;
    c.comparison = resilience::ThresholdComparison::StrictlyAbove;
    c.failureRateThreshold = 0.5;
    c.slowCallDuration = 50 * sim::kMillisecond;
    c.slowCallRateThreshold = 0.5;
    c.minimumNumberOfCalls = 20;
    c.waitDurationInOpen = 5 * sim::kSecond;
    c.permittedCallsInHalfOpen = 5;
    c.maxWaitInHalfOpen = 2 * sim::kSecond;
    c.automaticTransitionFromOpenToHalfOpen = true;
    return c;
}

std::vector<std::string> split(const std::string& s)
{
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ' ') {
            if (!cur.empty())
                out.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty())
        out.push_back(cur);
    return out;
}

sim::Nanos parseDuration(const std::string& s)
{
    if (s.size() > 2 && s.compare(s.size() - 2, 2, "ms") == 0)
        return static_cast<sim::Nanos>(std::stod(s.substr(0, s.size() - 2)) * 1e6);
    if (s.size() > 1 && s.back() == 's')
        return static_cast<sim::Nanos>(std::stod(s.substr(0, s.size() - 1)) * 1e9);
    if (s.size() > 1 && s.back() == 'h')
        return static_cast<sim::Nanos>(std::stod(s.substr(0, s.size() - 1)) * 3600e9);
    return std::stoll(s);
}

// The scripts' base config: count window of 10, minimum 4, failure rate >= 50 %,
// slow-call rate 100 %, slow above 50 ms, 1 s in OPEN, 3 probes.
CircuitBreakerConfig parseConfig(const std::string& spec)
{
    CircuitBreakerConfig c;
    c.windowSize = 10;
    c.minimumNumberOfCalls = 4;
    c.failureRateThreshold = 0.5;
    c.slowCallRateThreshold = 1.0;
    c.slowCallDuration = 50 * sim::kMillisecond;
    c.waitDurationInOpen = sim::kSecond;
    c.permittedCallsInHalfOpen = 3;
    for (const std::string& kv : split(spec)) {
        const auto eq = kv.find('=');
        const std::string k = kv.substr(0, eq);
        const std::string v = kv.substr(eq + 1);
        if (k == "type")
            c.windowType = v == "time" ? resilience::SlidingWindowType::TimeBased : resilience::SlidingWindowType::CountBased;
        else if (k == "size")
            c.windowSize = static_cast<std::uint32_t>(std::stoul(v));
        else if (k == "window")
            c.windowDuration = parseDuration(v);
        else if (k == "buckets")
            c.windowBuckets = static_cast<std::uint32_t>(std::stoul(v));
        else if (k == "cmp")
            c.comparison = v == ">" ? resilience::ThresholdComparison::StrictlyAbove : resilience::ThresholdComparison::AtOrAbove;
        else if (k == "fail")
            c.failureRateThreshold = std::stod(v);
        else if (k == "slowth")
            c.slowCallRateThreshold = std::stod(v);
        else if (k == "min")
            c.minimumNumberOfCalls = std::stod(v);
        else if (k == "permitted")
            c.permittedCallsInHalfOpen = std::stod(v);
        else if (k == "wait")
            c.waitDurationInOpen = parseDuration(v);
        else if (k == "maxwait")
            c.maxWaitInHalfOpen = parseDuration(v);
        else
            qFatal("unknown config key %s", k.c_str());
    }
    return c;
}

BreakerState parseState(const std::string& s)
{
    if (s == "C")
        return BreakerState::Closed;
    if (s == "O")
        return BreakerState::Open;
    if (s == "H")
        return BreakerState::HalfOpen;
    if (s == "FO")
        return BreakerState::ForcedOpen;
    if (s == "D")
        return BreakerState::Disabled;
    if (s == "M")
        return BreakerState::MetricsOnly;
    qFatal("unknown state %s", s.c_str());
}

// Records every transition for the checks.
struct RecordingSink final : resilience::BreakerTransitionSink {
    std::vector<resilience::BreakerTransition> transitions;
    std::vector<resilience::BreakerTransition> thresholds;
    void onTransition(const CircuitBreaker&, const resilience::BreakerTransition& t) override { transitions.push_back(t); }
    void onThresholdExceeded(const CircuitBreaker&, const resilience::BreakerTransition& t) override
    {
        thresholds.push_back(t);
    }
};

// Runs a script; returns "" or the first failed step.
//   s f l L t   acquire (must be granted) then success / error / slow success / slow
//               error / timeout; a "*w" suffix gives the call weight w
//   a           acquire a probe (must be granted) and keep it in flight
//   S F T R     complete the oldest in-flight permit: success / error / timeout / release
//   x           acquire (of weight w with "*w") must be rejected
//   +1s +20ms   advance the clock
//   =C =O =H =FO =D =M    the state must be this
//   !C !O !H !FO !D !M    operator transition
//   fr=0.5 sr=-1          failure / slow-call rate must be this
std::string runScript(CircuitBreaker& cb, sim::ManualClock& clock, const std::string& script)
{
    std::deque<Permit> inFlight;
    const sim::Nanos fast = sim::kMillisecond;
    const sim::Nanos slow = cb.config().slowCallDuration + sim::kMillisecond;
    int step = 0;
    for (const std::string& tok : split(script)) {
        ++step;
        auto fail = [&](const std::string& why) {
            return "step " + std::to_string(step) + " '" + tok + "': " + why + " (state " +
                   resilience::breakerStateName(cb.state()) + ")";
        };
        const char c = tok[0];
        if (c == '+') {
            clock.advance(parseDuration(tok.substr(1)));
        } else if (c == '=') {
            if (cb.state() != parseState(tok.substr(1)))
                return fail("wrong state");
        } else if (c == '!') {
            const BreakerState to = parseState(tok.substr(1));
            switch (to) {
            case BreakerState::Closed: cb.transitionToClosed(); break;
            case BreakerState::Open: cb.transitionToOpen(); break;
            case BreakerState::HalfOpen: cb.transitionToHalfOpen(); break;
            case BreakerState::ForcedOpen: cb.transitionToForcedOpen(); break;
            case BreakerState::Disabled: cb.transitionToDisabled(); break;
            case BreakerState::MetricsOnly: cb.transitionToMetricsOnly(); break;
            }
        } else if (tok.rfind("fr=", 0) == 0 || tok.rfind("sr=", 0) == 0) {
            const double want = std::stod(tok.substr(3));
            const double got = tok[0] == 'f' ? cb.failureRate() : cb.slowCallRate();
            if (std::abs(got - want) > 1e-9)
                return fail("rate is " + std::to_string(got));
        } else if (c == 'x') {
            double weight = 1.0;
            if (const auto star = tok.find('*'); star != std::string::npos)
                weight = std::stod(tok.substr(star + 1));
            if (cb.tryAcquire(weight))
                return fail("permitted, expected a rejection");
        } else if (c == 'S' || c == 'F' || c == 'T' || c == 'R') {
            if (inFlight.empty())
                return fail("no call in flight");
            const Permit p = inFlight.front();
            inFlight.pop_front();
            if (c == 'S')
                cb.onSuccess(p, fast);
            else if (c == 'F')
                cb.onError(p, fast);
            else if (c == 'T')
                cb.onTimeout(p);
            else
                cb.release(p);
        } else {
            double weight = 1.0;
            if (const auto star = tok.find('*'); star != std::string::npos)
                weight = std::stod(tok.substr(star + 1));
            const Permit p = cb.tryAcquire(weight);
            if (!p)
                return fail("rejected, expected a permit");
            switch (c) {
            case 's': cb.onSuccess(p, fast); break;
            case 'f': cb.onError(p, fast); break;
            case 'l': cb.onSuccess(p, slow); break;
            case 'L': cb.onError(p, slow); break;
            case 't': cb.onTimeout(p); break;
            case 'a': inFlight.push_back(p); break;
            default: return fail("unknown step");
            }
        }
    }
    return {};
}

} // namespace

class TstCircuitBreaker : public QObject {
    Q_OBJECT

private slots:
    void scripted_data()
    {
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("script");

        // Minimum number of calls and threshold equality.
        QTest::newRow("exactly minimum, at-or-above trips at 50%") << "cmp=>= min=4" << "s s f =C f =O fr=0.5 x";
        QTest::newRow("exactly minimum, strictly-above holds at 50%") << "cmp=> min=4" << "s s f f =C fr=0.5 f =O fr=0.6 x";
        QTest::newRow("below minimum: rate -1, no trip") << "min=5" << "f f f f =C fr=-1 sr=-1 f =O fr=1";
        QTest::newRow("equality at 25%, at-or-above") << "cmp=>= fail=0.25 min=8" << "s s s s s s f =C f =O fr=0.25";
        QTest::newRow("equality at 25%, strictly-above") << "cmp=> fail=0.25 min=8" << "s s s s s s f f =C fr=0.25 f =O";
        QTest::newRow("100% threshold strictly-above trips at 100% (Sentinel)") << "cmp=> fail=1 min=2" << "s f =C f =C f f =C fr=0.8";
        QTest::newRow("100% threshold strictly-above, all failed") << "cmp=> fail=1 min=2" << "f f =O fr=1";

        // Window roll-over.
        QTest::newRow("count window drops the oldest call") << "cmp=> size=4 min=4"
                                                            << "f f s s =C s s =C fr=0 f f =C fr=0.5 f =O fr=0.75";
        QTest::newRow("time window forgets a whole window") << "type=time window=1s buckets=10 min=4"
                                                            << "f f +1100ms s s =C fr=-1 s s =C fr=0";
        QTest::newRow("time window keeps calls inside it") << "type=time window=1s buckets=10 min=4"
                                                           << "f f +900ms s =C s =O fr=0.5";
        QTest::newRow("time window drops the oldest bucket only") << "cmp=> type=time window=1s buckets=10 min=4"
                                                                  << "f f +500ms s s =C +600ms f f =C fr=0.5 f =O fr=0.6";
        QTest::newRow("time window, bucket edge") << "type=time window=1s buckets=10 min=2"
                                                  << "f +999ms s =O";
        QTest::newRow("time window, exactly one window later") << "type=time window=1s buckets=10 min=2"
                                                               << "f +1s s =C fr=-1";

        // Slow calls and timeouts.
        QTest::newRow("slow-call rate trips") << "fail=1 slowth=0.5 min=4" << "l l s =C sr=-1 s =O sr=0.5 fr=0";
        QTest::newRow("slow-call rate strictly-above holds at equality") << "cmp=> fail=1 slowth=0.5 min=4"
                                                                         << "l l s s =C sr=0.5 L =O sr=0.6 fr=0.2";
        QTest::newRow("timeout counts as slow") << "fail=1 slowth=0.5 min=2" << "t s =O sr=0.5 fr=0.5";
        QTest::newRow("timeout counts as failed") << "cmp=> fail=0.4 min=2" << "t s =O fr=0.5";

        // OPEN and HALF_OPEN.
        QTest::newRow("open rejects until the wait elapses") << "min=2" << "f f =O x +999ms x +1ms a =H";
        QTest::newRow("half-open: three concurrent probes, one fails, closes")
            << "min=2 permitted=3" << "f f =O +1s a a a x =H S F =H S =C fr=-1 s";
        QTest::newRow("half-open: probes fail, reopens") << "min=2 permitted=3" << "f f =O +1s a a a F F S =O x +1s a =H";
        QTest::newRow("half-open waits for every probe") << "min=2 permitted=3" << "f f =O +1s a a a F F =H x S =O";
        QTest::newRow("half-open equality at-or-above reopens") << "cmp=>= min=2 permitted=2" << "f f =O +1s a a F S =O";
        QTest::newRow("half-open equality strictly-above closes") << "cmp=> min=2 permitted=2" << "f f =O +1s a a F S =C";
        QTest::newRow("half-open slow probes reopen") << "fail=1 slowth=0.5 min=2 permitted=2" << "l l =O +1s a a S T =O";
        QTest::newRow("release frees a probe slot") << "min=2 permitted=3" << "f f =O +1s a a a R a x S S S =C";
        QTest::newRow("half-open bounded wait reopens") << "min=2 permitted=2 maxwait=500ms" << "f f =O +1s a =H +499ms a x +1ms x =O";
        QTest::newRow("single probe like Sentinel") << "cmp=> min=2 permitted=1" << "f f =O +1s a x F =O +1s a S =C";

        // Weights.
        QTest::newRow("heavy call meets the minimum by weight") << "min=10" << "f*10 =O fr=1";
        QTest::newRow("rates are weighted") << "cmp=>= min=4" << "s*3 f =C fr=0.25 f*2 =O fr=0.5";
        QTest::newRow("light calls do not meet the minimum") << "min=4" << "f*0.5 f*0.5 f*0.5 f*0.5 f*0.5 f*0.5 f*0.5 =C fr=-1 f*0.5 =O";
        QTest::newRow("one heavy probe fills the half-open quota") << "min=2 permitted=10" << "f f =O +1s a*10 x S =C";

        // Operator states.
        QTest::newRow("forced open rejects until closed") << "min=2" << "!FO =FO x +1h x !C =C s s =C";
        QTest::newRow("disabled permits and records nothing") << "min=2" << "!D =D f f f f f =D fr=-1 !C =C fr=-1";
        QTest::newRow("metrics-only records but never trips") << "min=2" << "!M f f f f =M fr=1 !C =C fr=-1";
        QTest::newRow("forced open from open") << "min=2" << "f f =O !FO =FO +1h x !M =M s =M";
    }

    void scripted()
    {
        QFETCH(QString, config);
        QFETCH(QString, script);
        sim::ManualClock clock;
        RecordingSink sink;
        CircuitBreaker cb("test/breaker", parseConfig(config.toStdString()), clock, &sink);
        const std::string err = runScript(cb, clock, script.toStdString());
        QVERIFY2(err.empty(), err.c_str());
        // Every state change went to the sink, in order, each from the previous state.
        BreakerState prev = BreakerState::Closed;
        for (const auto& t : sink.transitions) {
            QCOMPARE(t.from, prev);
            QVERIFY(t.to != t.from);
            QVERIFY(!t.reason.empty());
            prev = t.to;
        }
        QCOMPARE(prev, cb.state());
        QCOMPARE(cb.stats().transitions, static_cast<std::uint64_t>(sink.transitions.size()));
    }

    void tripReasonCarriesFigures()
    {
        sim::ManualClock clock;
        RecordingSink sink;
        CircuitBreaker cb("test/breaker", parseConfig("cmp=>= min=4"), clock, &sink);
        QVERIFY(runScript(cb, clock, "s f s f =O").empty());
        QCOMPARE(sink.transitions.size(), std::size_t(1));
        const auto& t = sink.transitions[0];
        QCOMPARE(t.to, BreakerState::Open);
        QCOMPARE(t.figures.calls, 4.0);
        QCOMPARE(t.figures.failed, 2.0);
        QCOMPARE(t.figures.failureRate, 0.5);
        QVERIFY2(t.reason.find("failure rate 0.5 >= threshold 0.5") != std::string::npos, t.reason.c_str());
        QCOMPARE(cb.openUntil(), clock.now() + sim::kSecond);
    }

    void stalePermitIsIgnored()
    {
        sim::ManualClock clock;
        CircuitBreaker cb("test/breaker", parseConfig("min=2 permitted=1"), clock);
        const Permit early = cb.tryAcquire(); // admitted while CLOSED, answers late
        QVERIFY(runScript(cb, clock, "f f =O +1s").empty());
        const Permit probe = cb.tryAcquire();
        QVERIFY(probe);
        QCOMPARE(cb.state(), BreakerState::HalfOpen);
        cb.onSuccess(early, sim::kMillisecond); // must not count as the probe
        QCOMPARE(cb.state(), BreakerState::HalfOpen);
        QCOMPARE(cb.stats().staleOutcomes, std::uint64_t(1));
        cb.onError(probe, sim::kMillisecond);
        QCOMPARE(cb.state(), BreakerState::Open);
    }

    void configValidation_data()
    {
        QTest::addColumn<QString>("config");
        QTest::addColumn<bool>("ok");
        QTest::newRow("base") << "" << true;
        QTest::newRow("zero threshold") << "fail=0" << false;
        QTest::newRow("threshold above 1") << "slowth=1.5" << false;
        QTest::newRow("zero minimum") << "min=0" << false;
        QTest::newRow("zero probes") << "permitted=0" << false;
        QTest::newRow("window not a multiple of buckets") << "type=time window=1000ns buckets=3" << false;
        QTest::newRow("empty count window") << "size=0" << false;
    }

    void configValidation()
    {
        QFETCH(QString, config);
        QFETCH(bool, ok);
        const auto st = parseConfig(config.toStdString()).validate();
        QCOMPARE(st.ok(), ok);
        if (!ok)
            QVERIFY(!st.message().empty());
    }

    void worldEventsAndAutomaticHalfOpen()
    {
        sim::World world;
        const sim::ComponentId id = world.components().mustAdd("sh-a/gifts/panel/privileged-breaker", "breaker");
        resilience::WorldBreakerEvents events(world, id);
        CircuitBreakerConfig c = timedConfig();
        CircuitBreaker cb("sh-a/gifts/panel/privileged-breaker", c, world.clock(), &events);
        cb.enableTimers(world.scheduler(), world.kind("breaker.timer"), id);

        for (int i = 0; i < 20; ++i) {
            const Permit p = cb.tryAcquire();
            if (i < 15)
                cb.onTimeout(p);
            else
                cb.onSuccess(p, sim::kMillisecond);
        }
        QCOMPARE(cb.state(), BreakerState::Open);
        QCOMPARE(world.events().count("breaker.transition"), std::uint64_t(1));
        const v1::Event& e = world.events().recent().back();
        QCOMPARE(e.component(), std::string("sh-a/gifts/panel/privileged-breaker"));
        QCOMPARE(e.severity(), v1::SEVERITY_WARNING);
        auto field = [&](const char* key) {
            for (const auto& kv : e.fields())
                if (kv.key() == key)
                    return kv.value();
            return std::string("<missing>");
        };
        QCOMPARE(field("from"), std::string("CLOSED"));
        QCOMPARE(field("to"), std::string("OPEN"));
        QCOMPARE(field("failure_rate"), std::string("0.75"));
        QCOMPARE(field("slow_call_rate"), std::string("0.75"));
        QCOMPARE(field("calls"), std::string("20"));
        QVERIFY(field("reason").find("failure rate 0.75 > threshold 0.5") != std::string::npos);

        // No traffic: the timer moves it to HALF_OPEN after the 5 s wait...
        world.scheduler().runUntil(5 * sim::kSecond - 1);
        QCOMPARE(cb.state(), BreakerState::Open);
        world.scheduler().runUntil(5 * sim::kSecond);
        QCOMPARE(cb.state(), BreakerState::HalfOpen);
        QCOMPARE(world.events().count("breaker.transition"), std::uint64_t(2));
        QCOMPARE(world.events().recent().back().severity(), v1::SEVERITY_INFO);
        // ...and, probes never completing, back to OPEN after the 2 s half-open bound.
        const Permit stuck = cb.tryAcquire();
        QVERIFY(stuck);
        world.scheduler().runUntil(7 * sim::kSecond);
        QCOMPARE(cb.state(), BreakerState::Open);
        QCOMPARE(world.events().count("breaker.transition"), std::uint64_t(3));
        // The next automatic HALF_OPEN, then five good probes close it.
        world.scheduler().runUntil(12 * sim::kSecond);
        QCOMPARE(cb.state(), BreakerState::HalfOpen);
        for (int i = 0; i < 5; ++i) {
            const Permit p = cb.tryAcquire();
            QVERIFY(p);
            cb.onSuccess(p, sim::kMillisecond);
        }
        QCOMPARE(cb.state(), BreakerState::Closed);
        QCOMPARE(world.events().count("breaker.transition"), std::uint64_t(5));
        // The half-open bound's timer was cancelled with the transition.
        world.scheduler().runUntil(30 * sim::kSecond);
        QCOMPARE(cb.state(), BreakerState::Closed);
        QCOMPARE(world.events().count("breaker.transition"), std::uint64_t(5));
    }

    void metricsOnlyRaisesThresholdOnce()
    {
        sim::World world;
        const sim::ComponentId id = world.components().mustAdd("sh-a/gifts/panel/b", "breaker");
        resilience::WorldBreakerEvents events(world, id);
        CircuitBreaker cb("sh-a/gifts/panel/b", parseConfig("min=2"), world.clock(), &events);
        cb.transitionToMetricsOnly("observe first");
        for (int i = 0; i < 5; ++i)
            cb.onError(cb.tryAcquire(), sim::kMillisecond);
        QCOMPARE(cb.state(), BreakerState::MetricsOnly);
        QCOMPARE(world.events().count("breaker.threshold"), std::uint64_t(1)); // edge-triggered
        QCOMPARE(world.events().count("breaker.transition"), std::uint64_t(1)); // the operator's
    }

    void resetClearsEverything()
    {
        sim::ManualClock clock;
        RecordingSink sink;
        CircuitBreaker cb("b", parseConfig("min=2"), clock, &sink);
        QVERIFY(runScript(cb, clock, "f f =O x").empty());
        cb.reset();
        QCOMPARE(cb.state(), BreakerState::Closed);
        QCOMPARE(cb.failureRate(), -1.0);
        QCOMPARE(cb.stats().rejected, 0.0);
        QCOMPARE(sink.transitions.back().reason, std::string("reset"));
        QVERIFY(cb.tryAcquire());
    }

    void snapshotAndInspect()
    {
        sim::ManualClock clock(42);
        CircuitBreaker cb("sh-a/gifts/panel/privileged", parseConfig("min=4 cmp=>="), clock);
        QVERIFY(runScript(cb, clock, "s f s f =O x*3 x").empty());
        v1::BreakerState s;
        cb.toProto(s);
        QCOMPARE(s.path(), std::string("sh-a/gifts/panel/privileged"));
        QCOMPARE(s.state(), v1::BREAKER_OPEN);
        QCOMPARE(s.failure_rate(), 0.5);
        QCOMPARE(s.slow_call_rate(), 0.0);
        QCOMPARE(s.window_calls(), std::uint64_t(4));
        QCOMPARE(s.not_permitted(), std::uint64_t(4)); // weighted: 3 + 1
        QCOMPARE(cb.stats().rejectedCalls, std::uint64_t(2));
        QCOMPARE(s.state_since_ns(), std::int64_t(42));

        sim::StateWriter w;
        cb.inspect(w);
        bool sawState = false;
        for (const auto& [k, v] : w.entries())
            if (k == "state") {
                QCOMPARE(v, std::string("OPEN"));
                sawState = true;
            }
        QVERIFY(sawState);
    }

    void slowBoundaryIsStrict()
    {
        // Slow means duration > slowCallDuration (as in Resilience4j and Sentinel).
        sim::ManualClock clock;
        CircuitBreaker cb("b", parseConfig("fail=1 slowth=0.5 min=2"), clock);
        cb.onSuccess(cb.tryAcquire(), 50 * sim::kMillisecond);
        cb.onSuccess(cb.tryAcquire(), 50 * sim::kMillisecond);
        QCOMPARE(cb.slowCallRate(), 0.0);
        cb.onSuccess(cb.tryAcquire(), 50 * sim::kMillisecond + 1);
        QCOMPARE(cb.slowCallRate(), 1.0 / 3.0);
    }
};

LIVEDECK_TEST_CLASS(TstCircuitBreaker)
#include "tst_circuit_breaker.moc"
