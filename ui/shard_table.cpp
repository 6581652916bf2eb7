#include "ui/shard_table.h"

#include <algorithm>

namespace livedeck::ui {

void ShardTable::clear()
{
    m_rows.clear();
    m_columns.clear();
    m_cells.clear();
    m_rowIndex.clear();
    m_columnIndex.clear();
    m_skews.clear();
    m_cellOfEntry.clear();
    std::fill(std::begin(m_max), std::end(m_max), 0.0);
}

int ShardTable::findRow(std::string_view cluster, std::uint32_t shard) const
{
    const auto c = m_rowIndex.find(cluster);
    if (c == m_rowIndex.end())
        return -1;
    const auto s = c->second.find(shard);
    return s == c->second.end() ? -1 : s->second;
}

int ShardTable::findColumn(std::string_view partition) const
{
    const auto it = m_columnIndex.find(partition);
    return it == m_columnIndex.end() ? -1 : it->second;
}

void ShardTable::rebuild(const v1::Snapshot& snapshot)
{
    // Union of what we had and what the snapshot brings, in sorted order.
    std::map<std::string, std::map<std::uint32_t, std::string>, std::less<>> rows;
    for (const ShardRow& r : m_rows)
        rows[r.cluster][r.shard] = r.region;
    std::map<std::string, int, std::less<>> columns;
    for (const std::string& c : m_columns)
        columns[c] = 0;
    for (const v1::ShardLoad& s : snapshot.shards()) {
        rows[s.cluster()][s.shard()] = s.region();
        columns[s.partition()] = 0;
    }
    m_rows.clear();
    m_rowIndex.clear();
    for (const auto& [cluster, shards] : rows) {
        auto& index = m_rowIndex[cluster];
        for (const auto& [shard, region] : shards) {
            index[shard] = static_cast<int>(m_rows.size());
            m_rows.push_back(ShardRow{cluster, shard, region, 0.0});
        }
    }
    m_columns.clear();
    m_columnIndex.clear();
    for (auto& [name, idx] : columns) {
        m_columnIndex[name] = static_cast<int>(m_columns.size());
        m_columns.push_back(name);
    }
    m_cells.assign(m_rows.size() * m_columns.size(), ShardCell{});
}

bool ShardTable::cellMatches(int cell, const v1::ShardLoad& s) const
{
    const std::size_t cols = m_columns.size();
    if (cell < 0 || cols == 0 || static_cast<std::size_t>(cell) >= m_cells.size())
        return false;
    const ShardRow& row = m_rows[static_cast<std::size_t>(cell) / cols];
    return row.shard == s.shard() && row.cluster == s.cluster() &&
           m_columns[static_cast<std::size_t>(cell) % cols] == s.partition();
}

bool ShardTable::resolveCells(const v1::Snapshot& snapshot)
{
    const int n = snapshot.shards_size();
    m_cellOfEntry.resize(static_cast<std::size_t>(n), -1);
    for (int i = 0; i < n; ++i) {
        const v1::ShardLoad& s = snapshot.shards(i);
        int& cell = m_cellOfEntry[static_cast<std::size_t>(i)];
        if (cellMatches(cell, s))
            continue; // the same shard at the same position as last time: no map lookups
        const int r = findRow(s.cluster(), s.shard());
        const int c = findColumn(s.partition());
        if (r < 0 || c < 0)
            return false;
        cell = r * static_cast<int>(m_columns.size()) + c;
    }
    return true;
}

bool ShardTable::apply(const v1::Snapshot& snapshot)
{
    bool grown = false;
    if (!resolveCells(snapshot)) {
        grown = true;
        rebuild(snapshot);
        m_cellOfEntry.assign(m_cellOfEntry.size(), -1);
        resolveCells(snapshot); // succeeds: the rebuilt table has every entry's row and column
    }
    for (ShardCell& c : m_cells)
        c.present = false;
    for (ShardRow& r : m_rows)
        r.totalQps = 0.0;
    std::fill(std::begin(m_max), std::end(m_max), 0.0);
    for (int i = 0; i < snapshot.shards_size(); ++i) {
        const int entryCell = m_cellOfEntry[static_cast<std::size_t>(i)];
        if (entryCell < 0)
            continue;
        const v1::ShardLoad& s = snapshot.shards(i);
        const std::size_t index = static_cast<std::size_t>(entryCell);
        const std::size_t r = index / m_columns.size();
        ShardCell& cell = m_cells[index];
        cell.present = true;
        cell.qps = s.qps();
        cell.rows = static_cast<double>(s.rows());
        cell.p99Ms = s.p99_ms();
        cell.queue = s.queue();
        ShardRow& row = m_rows[r];
        row.totalQps += s.qps();
        if (!s.region().empty() && row.region != s.region())
            row.region = s.region();
        m_max[0] = std::max(m_max[0], cell.qps);
        m_max[1] = std::max(m_max[1], cell.rows);
        m_max[2] = std::max(m_max[2], cell.p99Ms);
    }
    // Skew per cluster (rows are grouped by cluster).
    m_skews.clear();
    for (std::size_t i = 0; i < m_rows.size();) {
        ClusterSkew k;
        k.cluster = m_rows[i].cluster;
        double sum = 0.0;
        std::size_t j = i;
        for (; j < m_rows.size() && m_rows[j].cluster == k.cluster; ++j) {
            const ShardRow& r = m_rows[j];
            sum += r.totalQps;
            if (r.totalQps > k.maxQps || k.shards == 0) {
                k.maxQps = r.totalQps;
                k.hottestShard = r.shard;
            }
            ++k.shards;
        }
        k.meanQps = k.shards > 0 ? sum / k.shards : 0.0;
        k.skew = k.meanQps > 0.0 ? k.maxQps / k.meanQps : 0.0;
        m_skews.push_back(std::move(k));
        i = j;
    }
    return grown;
}

double ShardTable::value(int r, int c, Metric m) const
{
    const ShardCell& cell = this->cell(r, c);
    switch (m) {
    case Metric::Qps:
        return cell.qps;
    case Metric::Rows:
        return cell.rows;
    case Metric::P99:
        return cell.p99Ms;
    }
    return 0.0;
}

double ShardTable::maxValue(Metric m) const
{
    return m_max[static_cast<int>(m)];
}

const ClusterSkew* ShardTable::worstSkew() const
{
    const ClusterSkew* worst = nullptr;
    for (const ClusterSkew& k : m_skews) {
        if (!worst || k.skew > worst->skew)
            worst = &k;
    }
    return worst;
}

QString ShardTable::metricName(Metric m)
{
    switch (m) {
    case Metric::Qps:
        return QStringLiteral("QPS");
    case Metric::Rows:
        return QStringLiteral("rows");
    case Metric::P99:
        return QStringLiteral("p99");
    }
    return {};
}

} // namespace livedeck::ui
