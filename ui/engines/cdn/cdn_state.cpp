#include "ui/engines/cdn/cdn_state.h"

#include <algorithm>
#include <charconv>

namespace livedeck::ui::cdn {

QString Part::text(std::string_view key) const
{
    auto it = kv.find(key);
    return it == kv.end() ? QString() : QString::fromStdString(it->second);
}

double Part::num(std::string_view key, double otherwise) const
{
    auto it = kv.find(key);
    if (it == kv.end() || it->second.empty())
        return otherwise;
    bool ok = false;
    const double v = QString::fromStdString(it->second).toDouble(&ok);
    return ok ? v : otherwise;
}

void PartIndex::setTopology(const v1::Topology& topology)
{
    m_kind.clear();
    m_regions.clear();
    m_any = false;
    for (const v1::Component& c : topology.components()) {
        if (c.kind().rfind("cdn-", 0) != 0)
            continue;
        m_kind.emplace(c.path(), c.kind());
        m_any = true;
        const std::string region = c.path().substr(0, c.path().find('/'));
        if (std::find(m_regions.begin(), m_regions.end(), region) == m_regions.end())
            m_regions.push_back(region);
    }
}

std::vector<Part> PartIndex::parts(const v1::Snapshot& snapshot, std::string_view kind) const
{
    std::vector<Part> out;
    for (const v1::ComponentState& cs : snapshot.components()) {
        auto it = m_kind.find(cs.path());
        if (it == m_kind.end() || it->second != kind)
            continue;
        Part p;
        p.path = cs.path();
        p.region = p.path.substr(0, p.path.find('/'));
        const std::size_t at = p.path.find("/cdn/");
        p.name = at == std::string::npos ? p.path : p.path.substr(at + 5);
        for (const v1::KeyValue& kv : cs.state())
            p.kv.emplace(kv.key(), kv.value());
        out.push_back(std::move(p));
    }
    return out;
}

std::string field(const std::string& text, std::string_view key)
{
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find(' ', pos), text.size());
        const std::string_view token(text.data() + pos, end - pos);
        const std::size_t eq = token.find('=');
        if (eq != std::string_view::npos && token.substr(0, eq) == key)
            return std::string(token.substr(eq + 1));
        pos = end + 1;
    }
    return {};
}

bool parseSlot(const std::string& text, SlotRow& row)
{
    const std::string load = field(text, "load"), width = field(text, "width"), nodes = field(text, "nodes");
    if (load.empty() || width.empty())
        return false;
    row.load = QString::fromStdString(load).toDouble();
    row.width = QString::fromStdString(width).toInt();
    row.nodes.clear();
    for (const QString& n : QString::fromStdString(nodes).split(QLatin1Char(','), Qt::SkipEmptyParts))
        row.nodes.push_back(n.toInt());
    return true;
}

std::vector<SlotRow> slotRows(const Part& gateway)
{
    std::vector<SlotRow> rows;
    for (const auto& [key, value] : gateway.kv) {
        if (key.rfind("slot.", 0) != 0)
            continue;
        int slot = 0;
        const char* b = key.data() + 5;
        const char* e = key.data() + key.size();
        if (std::from_chars(b, e, slot).ptr != e)
            continue; // slot.threshold, slot.widenings, ...
        SlotRow row;
        row.slot = slot;
        if (parseSlot(value, row))
            rows.push_back(std::move(row));
    }
    // Busiest first (the order the engine chose them in), slot number on ties.
    std::sort(rows.begin(), rows.end(), [](const SlotRow& a, const SlotRow& b) {
        return a.load != b.load ? a.load > b.load : a.slot < b.slot;
    });
    return rows;
}

} // namespace livedeck::ui::cdn
