// ShardTable: the latest Snapshot.shards arranged as a grid — one row per (cluster,
// shard), one column per month partition — with stable row/column indexes, so the
// heatmap and the charts read a shard's load without searching the snapshot.
// Rows are ordered by cluster then shard number, columns by partition name; a new
// row or column rebuilds the order (rare), steady-state snapshots only overwrite
// cells. Each entry's cell is remembered by its position in the snapshot's list and
// checked against it (shard, cluster, partition), so a snapshot listing the same
// shards in the same order needs no map lookups; others fall back to std::map finds
// by string_view. No allocation per snapshot.
// Cells a snapshot does not mention are marked absent. GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QString>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace livedeck::ui {

struct ShardCell {
    bool present = false;
    double qps = 0.0;
    double rows = 0.0;
    double p99Ms = 0.0;
    std::uint32_t queue = 0;
};

struct ShardRow {
    std::string cluster;
    std::uint32_t shard = 0;
    std::string region;
    double totalQps = 0.0; // over the row's partitions
};

// Per-cluster skew: max shard QPS / mean shard QPS.
struct ClusterSkew {
    std::string cluster;
    double maxQps = 0.0;
    double meanQps = 0.0;
    double skew = 0.0;    // max / mean; 0 when the mean is 0
    std::uint32_t hottestShard = 0;
    int shards = 0;
};

class ShardTable {
public:
    enum class Metric { Qps, Rows, P99 };

    void clear();
    // Returns true when rows or columns were added (the layout changed).
    bool apply(const v1::Snapshot& snapshot);

    int rowCount() const { return static_cast<int>(m_rows.size()); }
    int columnCount() const { return static_cast<int>(m_columns.size()); }
    const ShardRow& row(int r) const { return m_rows[static_cast<std::size_t>(r)]; }
    const std::string& column(int c) const { return m_columns[static_cast<std::size_t>(c)]; }
    const ShardCell& cell(int r, int c) const { return m_cells[static_cast<std::size_t>(r) * m_columns.size() + static_cast<std::size_t>(c)]; }
    double value(int r, int c, Metric m) const;
    double maxValue(Metric m) const;
    const std::vector<ClusterSkew>& skews() const { return m_skews; }
    // The cluster with the largest skew (nullptr when there are no shards).
    const ClusterSkew* worstSkew() const;
    // Row index of (cluster, shard), -1 when absent.
    int findRow(std::string_view cluster, std::uint32_t shard) const;
    int findColumn(std::string_view partition) const;

    static QString metricName(Metric m);

private:
    void rebuild(const v1::Snapshot& snapshot);
    // Fills m_cellOfEntry for the snapshot; false when a shard or partition is new.
    bool resolveCells(const v1::Snapshot& snapshot);
    bool cellMatches(int cell, const v1::ShardLoad& s) const;

    std::vector<ShardRow> m_rows;
    std::vector<std::string> m_columns;
    std::vector<ShardCell> m_cells; // row-major
    std::map<std::string, std::map<std::uint32_t, int>, std::less<>> m_rowIndex;
    std::map<std::string, int, std::less<>> m_columnIndex;
    std::vector<ClusterSkew> m_skews;
    std::vector<int> m_cellOfEntry; // cell index of each entry of the last snapshot (-1: unknown)
    double m_max[3] = {0.0, 0.0, 0.0};
};

} // namespace livedeck::ui
