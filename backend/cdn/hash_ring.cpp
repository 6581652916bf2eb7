#include "backend/cdn/hash_ring.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

namespace livedeck::cdn {

HashRing::HashRing(int vnodesPerNode) : m_vnodes(std::max(1, vnodesPerNode)) {}

int HashRing::nodeIndex(std::string_view name) const
{
    for (std::size_t i = 0; i < m_nodes.size(); ++i)
        if (m_nodes[i].name == name)
            return static_cast<int>(i);
    return kNone;
}

int HashRing::addNode(std::string_view name, double weight)
{
    int index = nodeIndex(name);
    if (index == kNone) {
        m_nodes.push_back(Node{std::string(name), weight, false});
        index = static_cast<int>(m_nodes.size()) - 1;
    }
    Node& node = m_nodes[static_cast<std::size_t>(index)];
    node.weight = weight;
    if (!node.active) {
        node.active = true;
        ++m_active;
    }
    rebuild();
    return index;
}

bool HashRing::removeNode(std::string_view name)
{
    return removeNode(nodeIndex(name));
}

bool HashRing::removeNode(int node)
{
    if (node < 0 || static_cast<std::size_t>(node) >= m_nodes.size() || !m_nodes[static_cast<std::size_t>(node)].active)
        return false;
    m_nodes[static_cast<std::size_t>(node)].active = false;
    --m_active;
    rebuild();
    return true;
}

void HashRing::rebuild()
{
    ++m_generation;
    struct Point {
        std::uint64_t hash;
        int owner;
    };
    std::vector<Point> points;
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        const Node& node = m_nodes[i];
        if (!node.active)
            continue;
        const int count = std::max(1, static_cast<int>(std::lround(m_vnodes * node.weight)));
        for (int j = 0; j < count; ++j)
            points.push_back(Point{hashKey(node.name, static_cast<std::uint64_t>(j) + 1), static_cast<int>(i)});
    }
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.owner < b.owner;
    });
    m_points.resize(points.size());
    m_owners.resize(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        m_points[i] = points[i].hash;
        m_owners[i] = points[i].owner;
    }
    // Buckets: the next power of two at or above the point count, indexed by the hash's top bits.
    const std::uint64_t buckets = std::bit_ceil(std::max<std::uint64_t>(points.size(), 1));
    const int bits = std::countr_zero(buckets);
    m_shift = 64 - bits;
    if (bits == 0) {
        m_shift = 63; // one bucket: keyHash >> 63 is 0 or 1
        m_bucketStart.assign(2, 0);
        return;
    }
    m_bucketStart.assign(buckets, 0);
    std::uint32_t p = 0;
    const auto n = static_cast<std::uint32_t>(m_points.size());
    for (std::uint64_t b = 0; b < buckets; ++b) {
        const std::uint64_t low = b << m_shift;
        while (p < n && m_points[p] < low)
            ++p;
        m_bucketStart[b] = p;
    }
}

std::uint32_t HashRing::pointAt(std::uint64_t keyHash) const
{
    std::uint32_t i = m_bucketStart[keyHash >> m_shift];
    const auto n = static_cast<std::uint32_t>(m_points.size());
    while (i < n && m_points[i] < keyHash)
        ++i;
    return i == n ? 0 : i;
}

void HashRing::owners(std::uint64_t keyHash, int k, std::vector<int>& out) const
{
    out.clear();
    if (m_points.empty() || k <= 0)
        return;
    const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(k), m_active);
    const std::size_t n = m_points.size();
    std::size_t i = pointAt(keyHash);
    for (std::size_t steps = 0; steps < n && out.size() < want; ++steps, i = (i + 1 == n ? 0 : i + 1)) {
        const int owner = m_owners[i];
        if (std::find(out.begin(), out.end(), owner) == out.end())
            out.push_back(owner);
    }
}

BoundedLoad::BoundedLoad(const HashRing& ring, double factor) : m_ring(ring), m_factor(factor)
{
    assert(factor > 1.0);
}

double BoundedLoad::cap(double weight) const
{
    const double n = static_cast<double>(std::max<std::size_t>(m_ring.activeCount(), 1));
    if (weight <= 0.0)
        return std::ceil(m_factor * m_total / n);
    // In units of the placed weight (the paper's integer cap ⌈c·(m+1)/n⌉ when every
    // unit weighs the same), so a node holding one unit can always take a second when
    // c·(m+w)/n exceeds one unit.
    const double units = std::ceil(m_factor * (m_total + weight) / (n * weight) - 1e-9);
    return std::max(weight, units * weight);
}

double BoundedLoad::load(int node) const
{
    return static_cast<std::size_t>(node) < m_load.size() ? m_load[static_cast<std::size_t>(node)] : 0.0;
}

int BoundedLoad::acquire(std::uint64_t keyHash, double weight)
{
    if (m_ring.activeCount() == 0)
        return HashRing::kNone;
    if (m_load.size() < m_ring.nodeCount())
        m_load.resize(m_ring.nodeCount(), 0.0);
    const double limit = cap(weight);
    int passed = 0;
    const int chosen = m_ring.firstOwner(
        keyHash, [&](int node) { return m_load[static_cast<std::size_t>(node)] + weight <= limit; }, &passed);
    if (passed > 0)
        ++m_spilled;
    assert(chosen != HashRing::kNone); // factor > 1 leaves some node under the cap
    if (chosen == HashRing::kNone)
        return HashRing::kNone;
    m_load[static_cast<std::size_t>(chosen)] += weight;
    m_total += weight;
    return chosen;
}

void BoundedLoad::release(int node, double weight)
{
    m_load[static_cast<std::size_t>(node)] -= weight;
    m_total -= weight;
}

} // namespace livedeck::cdn
