#include "backend/infra/sql_cluster.h"

#include <sqlite3.h>

#include <algorithm>

namespace livedeck::infra {

const char* toString(ReplicationMode mode)
{
    return mode == ReplicationMode::SemiSync ? "semi-sync" : "async";
}

std::string sqlInstancePath(const sim::Topology& topology, const SqlClusterConfig& config, std::uint32_t shard,
                            std::size_t placement)
{
    auto regionOf = [&](std::size_t k) {
        const int dc = topology.dataCentreIndex(config.placement[k]);
        return dc < 0 ? -1 : topology.dataCentres()[static_cast<std::size_t>(dc)].region;
    };
    const int region = regionOf(placement);
    if (region < 0)
        return {};
    int same = 0;
    for (std::size_t k = 0; k < placement; ++k)
        same += regionOf(k) == region ? 1 : 0;
    const std::string& regionName = topology.regions()[static_cast<std::size_t>(region)].name;
    return same == 0 ? sim::strCat(regionName, "/", config.name, "/", shard)
                     : sim::strCat(regionName, "/", config.name, "/", shard, ".", same);
}

namespace {

std::string replaceAll(std::string text, std::string_view from, std::string_view to)
{
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

std::string knownDataCentres(const sim::Topology& topology)
{
    std::string out;
    for (const sim::DataCentreSpec& dc : topology.dataCentres())
        out += sim::strCat(out.empty() ? "" : ", ", dc.name);
    return out;
}

} // namespace

absl::StatusOr<std::unique_ptr<SqlCluster>> SqlCluster::create(sim::World& world, SqlClusterConfig config,
                                                               telemetry::Telemetry* telemetry)
{
    const std::string& name = config.name;
    if (name.empty() || name.front() == '/' || name.back() == '/' || name.find("//") != std::string::npos
        || name.find('*') != std::string::npos)
        return absl::InvalidArgumentError(
            sim::strCat("SQL cluster name '", name, "' is malformed: expected segments like orders/db"));
    if (world.components().find(name))
        return absl::AlreadyExistsError(sim::strCat("a component named '", name, "' already exists"));
    if (config.shards == 0)
        return absl::InvalidArgumentError(sim::strCat("SQL cluster ", name, " needs at least one shard"));
    if (config.placement.empty())
        return absl::InvalidArgumentError(
            sim::strCat("SQL cluster ", name, " needs a placement: at least the primary's data centre"));
    for (const std::string& dc : config.placement) {
        if (world.topology().dataCentreIndex(dc) < 0)
            return absl::InvalidArgumentError(sim::strCat("SQL cluster ", name, ": unknown data centre '", dc,
                                                          "' in the placement; known: ", knownDataCentres(world.topology())));
    }
    if (config.semiSyncTimeout <= 0 || config.connectRetry <= 0 || config.failoverDetection < 0 || config.applyDelay < 0)
        return absl::InvalidArgumentError(sim::strCat(
            "SQL cluster ", name, ": semiSyncTimeout and connectRetry must be positive, failoverDetection and applyDelay not negative"));

    if (std::string problem = SqlConnection::checkPageCache(config.pageCache); !problem.empty())
        return absl::InvalidArgumentError(sim::strCat("SQL cluster ", name, ": ", problem));

    // Check every DDL on a scratch database before anything is registered.
    {
        auto scratch = SqlConnection::open(":memory:");
        if (!scratch.ok())
            return scratch.status();
        for (const std::string& ddl : config.schema) {
            if (absl::Status st = (*scratch)->exec(ddl); !st.ok())
                return absl::InvalidArgumentError(sim::strCat("SQL cluster ", name, ": schema DDL failed: ", std::string(st.message())));
        }
        for (const PartitionFamily& f : config.partitions) {
            if (f.name.empty() || f.ddl.find("{table}") == std::string::npos)
                return absl::InvalidArgumentError(sim::strCat(
                    "SQL cluster ", name, ": partition family '", f.name, "' needs a name and DDL containing {table}"));
            const std::string ddl = replaceAll(f.ddl, "{table}", ShardRouter::tableName(f.name, 190001));
            if (absl::Status st = (*scratch)->exec(ddl); !st.ok())
                return absl::InvalidArgumentError(
                    sim::strCat("SQL cluster ", name, ": partition DDL of '", f.name, "' failed: ", std::string(st.message())));
        }
    }

    std::vector<std::vector<std::unique_ptr<SqlConnection>>> connections(config.shards);
    for (std::uint32_t s = 0; s < config.shards; ++s) {
        for (std::size_t k = 0; k < config.placement.size(); ++k) {
            std::string location = ":memory:";
            if (!config.storageDir.empty()) {
                std::string file = sqlInstancePath(world.topology(), config, s, k);
                std::replace(file.begin(), file.end(), '/', '_');
                location = sim::strCat(config.storageDir, "/", file, ".db");
            }
            auto c = SqlConnection::open(location, config.pageCache);
            if (!c.ok())
                return c.status();
            if (!config.storageDir.empty()) {
                // A run starts from empty databases (determinism): refuse leftovers.
                auto tables = (*c)->prepare("SELECT COUNT(*) FROM sqlite_schema");
                if (!tables.ok())
                    return tables.status();
                const int rc = sqlite3_step(*tables);
                const std::int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(*tables, 0) : 0;
                sqlite3_reset(*tables);
                if (n > 0)
                    return absl::FailedPreconditionError(sim::strCat(
                        "SQL storage file ", location, " already holds a database: choose an empty storage directory"));
            }
            for (const std::string& ddl : config.schema) {
                if (absl::Status st = (*c)->exec(ddl); !st.ok())
                    return st;
            }
            connections[s].push_back(std::move(*c));
        }
    }
    return std::unique_ptr<SqlCluster>(new SqlCluster(world, std::move(config), telemetry, std::move(connections)));
}

SqlCluster::SqlCluster(sim::World& world, SqlClusterConfig config, telemetry::Telemetry* telemetry,
                       std::vector<std::vector<std::unique_ptr<SqlConnection>>> connections)
    : m_world(world),
      m_config(std::move(config)),
      m_telemetry(telemetry),
      m_router(m_config.shards, m_config.shardKey, world.calendar()),
      m_id(world.components().mustAdd(m_config.name, "sql-cluster", {}, this)),
      m_slowLog(world, m_config.slowQuery, telemetry ? &telemetry->metrics() : nullptr, m_config.name),
      m_alive(std::make_shared<bool>(true))
{
    telemetry::MetricsRegistry* metrics = telemetry ? &telemetry->metrics() : nullptr;
    for (std::uint32_t s = 0; s < m_config.shards; ++s) {
        m_shards.push_back(std::make_unique<SqlShard>(world, m_config, s, std::move(connections[s]), metrics, m_slowLog));
        m_shards.back()->setFailoverListener([this](const FailoverReport& report) {
            for (const FailoverListener& l : m_failoverListeners)
                l(report);
        });
    }
    world.faults().addListener([alive = m_alive, this](const sim::Fault& /*fault*/, bool /*active*/) {
        if (!*alive)
            return;
        for (const auto& shard : m_shards)
            shard->onFaultsChanged();
    });
    if (m_telemetry)
        m_telemetry->addContributor(this);
}

SqlCluster::~SqlCluster()
{
    *m_alive = false;
    if (m_telemetry)
        m_telemetry->removeContributor(this);
    m_world.components().setInspectable(m_id, nullptr);
}

absl::StatusOr<SqlRoute> SqlCluster::route(std::uint64_t key, std::string_view family)
{
    SqlRoute r;
    r.shard = m_router.shardOf(key);
    const bool partitioned = std::any_of(m_config.partitions.begin(), m_config.partitions.end(),
                                         [&](const PartitionFamily& f) { return f.name == family; });
    if (!partitioned) {
        r.table = std::string(family);
        return r;
    }
    r.partition = m_router.partitionOf(m_world.now());
    if (absl::Status st = ensurePartition(r.partition); !st.ok())
        return st;
    r.table = ShardRouter::tableName(family, r.partition);
    return r;
}

absl::Status SqlCluster::ensurePartition(int partition)
{
    if (m_partitions.contains(partition))
        return absl::OkStatus();
    std::string tables;
    for (const PartitionFamily& f : m_config.partitions) {
        const std::string table = ShardRouter::tableName(f.name, partition);
        const std::string ddl = replaceAll(f.ddl, "{table}", table);
        for (const auto& shard : m_shards) {
            if (absl::Status st = shard->applyDdl(ddl); !st.ok())
                return st;
        }
        tables += sim::strCat(tables.empty() ? "" : ", ", table);
    }
    m_partitions.insert(partition);
    m_world.events().raise("sql.partition.created", m_id, v1::SEVERITY_INFO,
                           sim::strCat(m_config.name, ": created month partition ", partition, " (", tables,
                                       ") on every shard"),
                           {{"partition", sim::strCat(partition)}, {"tables", tables}});
    return absl::OkStatus();
}

void SqlCluster::contribute(v1::Snapshot& snapshot) const
{
    for (const auto& shard : m_shards)
        shard->contributeLoad(snapshot);
}

void SqlCluster::inspect(sim::StateWriter& out) const
{
    out.add("shards", static_cast<std::uint64_t>(m_shards.size()));
    out.add("replication", toString(m_config.replication));
    out.add("instances_per_shard", static_cast<std::uint64_t>(m_config.placement.size()));
    std::uint64_t down = 0;
    std::uint64_t failovers = 0;
    for (const auto& shard : m_shards) {
        down += shard->primary().down() ? 1 : 0;
        failovers += shard->failovers().size();
    }
    out.add("primaries_down", down);
    out.add("failovers", failovers);
    std::string partitions;
    for (int p : m_partitions)
        partitions += sim::strCat(partitions.empty() ? "" : ",", p);
    out.add("partitions", partitions);
    out.add("slow_queries", m_slowLog.total());
    out.add("slow_alerts", m_slowLog.alerts());
    out.add("slow_threshold_ms", sim::toMillis(m_slowLog.config().threshold));
}

} // namespace livedeck::infra
