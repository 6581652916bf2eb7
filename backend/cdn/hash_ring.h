// HashRing: consistent hashing with virtual nodes (Karger et al.; ketama's 160 points
// per server), plus bounded loads (Mirrokni, Thorup, Zadimoghaddam 2017) — placement
// of VOD chunks onto cache nodes (docs/CDN.md, "Consistent hashing").
//
// Contract:
// - A node is a name with a weight; it owns round(vnodes × weight) points, the hashes of
//   (name, j). A key belongs to the node of the first point clockwise from the key's
//   hash (ties broken by node index, so the ring is a pure function of its members).
// - Removing one of N nodes moves only the keys that node owned (they go to the next
//   point's owner); re-adding it restores exactly the previous owners. Node indices are
//   stable: a removed node keeps its index and gets it back when re-added.
// - lookup() is a bucket index (the top bits of the hash → the first point of that
//   bucket) plus a short forward scan: O(1) expected, no binary search.
// - owners(key, k): the first k distinct active nodes clockwise (replicas, live slot
//   sets, "retry on the next owner").
// - BoundedLoad (below) places keys so that no node carries more than ⌈c·(m+w)/n⌉.
#pragma once

#include "backend/cdn/cdn_defaults.h"
#include "backend/cdn/hashing.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::cdn {

class HashRing {
public:
    static constexpr int kNone = -1;

    explicit HashRing(int vnodesPerNode = kRingVnodes);

    // Adds (or re-adds) a node; returns its stable index. Re-adding an active node only
    // updates its weight.
    int addNode(std::string_view name, double weight = 1.0);
    // Takes a node off the ring; false when it is unknown or already off.
    bool removeNode(std::string_view name);
    bool removeNode(int node);

    // The owner of a key hash; kNone on an empty ring.
    int lookup(std::uint64_t keyHash) const
    {
        if (m_points.empty())
            return kNone;
        std::uint32_t i = m_bucketStart[keyHash >> m_shift];
        const std::uint32_t n = static_cast<std::uint32_t>(m_points.size());
        while (i < n && m_points[i] < keyHash)
            ++i;
        return m_owners[i == n ? 0 : i];
    }
    int lookup(std::string_view key) const { return lookup(hashKey(key)); }

    // Up to k distinct active owners clockwise from the key, nearest first.
    void owners(std::uint64_t keyHash, int k, std::vector<int>& out) const;
    // Walks the distinct owners clockwise from the key and returns the first that
    // `accept(node)` takes (kNone when none does); `*passed` = owners passed over.
    template <class Accept>
    int firstOwner(std::uint64_t keyHash, Accept&& accept, int* passed = nullptr) const
    {
        int seen[64];
        int seenCount = 0;
        std::vector<int> seenMore;
        const std::size_t n = m_points.size();
        std::size_t i = n ? pointAt(keyHash) : 0;
        int passedCount = 0;
        for (std::size_t steps = 0; steps < n; ++steps, i = (i + 1 == n ? 0 : i + 1)) {
            const int owner = m_owners[i];
            bool dup = false;
            for (int s = 0; s < seenCount && !dup; ++s)
                dup = seen[s] == owner;
            for (std::size_t s = 0; s < seenMore.size() && !dup; ++s)
                dup = seenMore[s] == owner;
            if (dup)
                continue;
            if (accept(owner)) {
                if (passed)
                    *passed = passedCount;
                return owner;
            }
            ++passedCount;
            if (seenCount < 64)
                seen[seenCount++] = owner;
            else
                seenMore.push_back(owner);
            if (static_cast<std::size_t>(passedCount) == m_active)
                break;
        }
        if (passed)
            *passed = passedCount;
        return kNone;
    }

    int nodeIndex(std::string_view name) const; // kNone when unknown
    const std::string& nodeName(int node) const { return m_nodes[static_cast<std::size_t>(node)].name; }
    bool active(int node) const { return m_nodes[static_cast<std::size_t>(node)].active; }
    std::size_t nodeCount() const { return m_nodes.size(); } // including removed ones
    std::size_t activeCount() const { return m_active; }
    std::size_t pointCount() const { return m_points.size(); }
    int vnodesPerNode() const { return m_vnodes; }
    // Bumped on every membership change; users cache derived sets against it.
    std::uint64_t generation() const { return m_generation; }

private:
    struct Node {
        std::string name;
        double weight = 1.0;
        bool active = false;
    };
    void rebuild();
    // The index of the first point at or after position i that belongs to an active node.
    std::uint32_t pointAt(std::uint64_t keyHash) const;

    int m_vnodes;
    std::vector<Node> m_nodes;
    std::size_t m_active = 0;
    std::vector<std::uint64_t> m_points;     // sorted point hashes
    std::vector<int> m_owners;               // owner of each point
    std::vector<std::uint32_t> m_bucketStart; // first point >= bucket's lowest hash
    int m_shift = 63;
    std::uint64_t m_generation = 0;
};

// Bounded-load placement on a HashRing: a key goes to the first node clockwise whose
// load after taking it stays within cap = c × (total load + w) / active nodes (at
// least w), walking past full nodes. With c > 1 some node is always under the cap.
// Loads are weights (a request standing for w real requests counts w).
class BoundedLoad {
public:
    BoundedLoad(const HashRing& ring, double factor = kBoundedLoadFactor);

    // Places a unit of load `weight` for a key; returns the node (kNone on an empty ring).
    int acquire(std::uint64_t keyHash, double weight = 1.0);
    void release(int node, double weight = 1.0);
    // The cap a node may reach when `weight` more is placed.
    double cap(double weight = 1.0) const;
    double load(int node) const;
    double totalLoad() const { return m_total; }
    double factor() const { return m_factor; }
    // Keys that went past their ring owner because it was full.
    std::uint64_t spilled() const { return m_spilled; }

private:
    const HashRing& m_ring;
    double m_factor;
    std::vector<double> m_load;
    double m_total = 0.0;
    std::uint64_t m_spilled = 0;
};

} // namespace livedeck::cdn
