// The CDN engine's console state as its components report it (docs/CDN.md "Console"):
// Snapshot.components carries each part's inspect() key/value pairs; this reads the
// parts of one kind (cache nodes "cdn-cache", gateways "cdn-gateway", region control
// "cdn-control", the engine "cdn-engine", the legacy scheduler "cdn-scheduler") into
// small records the CDN views paint. Kinds come from the topology (path → kind), so
// nothing here guesses from a path's spelling. GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QString>
#include <QStringList>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace livedeck::ui::cdn {

struct Part {
    std::string path;   // "sh-a/cdn/cache-3"
    std::string region; // "sh-a"
    std::string name;   // "cache-3" (the path after "<region>/cdn/")
    std::map<std::string, std::string, std::less<>> kv;

    bool has(std::string_view key) const { return kv.find(key) != kv.end(); }
    QString text(std::string_view key) const;
    double num(std::string_view key, double otherwise = 0.0) const;
};

class PartIndex {
public:
    void setTopology(const v1::Topology& topology);
    bool hasEngine() const { return m_any; }
    // The parts of `kind` in the snapshot, in the snapshot's order (the world's
    // registration order: region by region, node by node).
    std::vector<Part> parts(const v1::Snapshot& snapshot, std::string_view kind) const;
    std::vector<std::string> regions() const { return m_regions; }

private:
    std::unordered_map<std::string, std::string> m_kind; // path → kind, CDN components only
    std::vector<std::string> m_regions;
    bool m_any = false;
};

// Cells of the slot × node heatmap of one gateway's live slot table: each listed slot's
// load split evenly over its members (the slot table's nodeFor spreads viewers by hash),
// as a share of the slot threshold.
struct SlotRow {
    int slot = 0;
    double load = 0.0;
    int width = 1;
    std::vector<int> nodes;
};
std::vector<SlotRow> slotRows(const Part& gateway);
// "load=12000 width=3 nodes=2,5,7" → fields; false when the text does not parse.
bool parseSlot(const std::string& text, SlotRow& row);
// "key=value key=value" → value of key ("" when absent).
std::string field(const std::string& text, std::string_view key);

} // namespace livedeck::ui::cdn
