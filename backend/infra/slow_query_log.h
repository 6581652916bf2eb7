// SlowQueryLog: MySQL's slow query log for one SQL cluster.
//
// A statement (or write transaction) whose virtual execution time — the service
// time on its instance, from SQLite's counters × noise × active faults, not counting
// the wait for a worker, as MySQL's Query_time — exceeds the threshold is recorded in
// a bounded ring and raises an "alert.slow_sql" event (severity ALERT) with the SQL
// text, the time and the counters behind it. Alerts are rate-limited per statement
// text (one per `alertInterval`; the next alert reports how many were suppressed).
//
// Defaults: threshold 100 ms (a usual production long_query_time for an order path;
// MySQL's own default of 10 s would miss everything interesting), 1,000 entries,
// one alert per statement per 60 s.
// Single-threaded (the world's thread).
#pragma once

#include "backend/infra/sql_result.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <absl/container/flat_hash_map.h>

#include <deque>
#include <string>
#include <string_view>

namespace livedeck::infra {

struct SlowQueryConfig {
    sim::Nanos threshold = 100 * sim::kMillisecond;
    std::size_t capacity = 1'000;
    sim::Nanos alertInterval = 60 * sim::kSecond;
};

struct SlowQuery {
    sim::Nanos time = 0;
    sim::ComponentId instance = sim::kNoComponent;
    std::string sql;
    sim::Nanos execution = 0;
    SqlStats stats;
    double weight = 1.0;
};

class SlowQueryLog {
public:
    SlowQueryLog(sim::World& world, SlowQueryConfig config, telemetry::MetricsRegistry* metrics,
                 std::string_view component);

    // Records the statement when `execution` exceeds the threshold; returns whether it did.
    bool consider(sim::ComponentId instance, std::string_view sql, sim::Nanos execution, const SqlStats& stats,
                  double weight);

    const SlowQueryConfig& config() const { return m_config; }
    const std::deque<SlowQuery>& entries() const { return m_entries; }
    std::uint64_t total() const { return m_total; }
    std::uint64_t alerts() const { return m_alerts; }

private:
    struct AlertState {
        sim::Nanos last = 0;
        std::uint64_t suppressed = 0;
    };

    sim::World& m_world;
    SlowQueryConfig m_config;
    std::deque<SlowQuery> m_entries;
    absl::flat_hash_map<std::string, AlertState, sim::StringHash, sim::StringEq> m_alertState;
    std::uint64_t m_total = 0;
    std::uint64_t m_alerts = 0;
    telemetry::Counter* m_slowCounter = nullptr;
};

} // namespace livedeck::infra
