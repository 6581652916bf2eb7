// MaglevTable: the Maglev consistent lookup table (Eisenbud et al., NSDI'16, §3.4),
// as used by an L4 balancer to map flows onto backends.
//
// Contract:
// - Each backend has a name; its preference list over the M slots (M prime) is
//   offset + j·skip mod M with offset and skip from two hashes of the name. Backends
//   take turns claiming their next free preferred slot until all M slots are filled,
//   so every backend holds ⌊M/N⌋ or ⌈M/N⌉ slots when weights are equal. A weight
//   w_i makes backend i take a turn in w_i / max(w) of the rounds (Envoy's weighted
//   Maglev does the same by turn skipping).
// - Removing a backend changes mostly the slots it held: the others keep their
//   preferred slots except where the fill order shifts (the paper's ~1–2 % extra).
// - lookup(hash) maps a 64-bit flow hash onto a slot with a multiply-shift (no division).
// - Backend indices are positions in the list given to build().
// Default size 65 537: Maglev paper and Envoy (docs/CDN.md).
#pragma once

#include "backend/cdn/cdn_defaults.h"
#include "backend/cdn/hashing.h"

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace livedeck::cdn {

class MaglevTable {
public:
    static constexpr std::uint16_t kEmpty = 0xFFFF;

    MaglevTable() = default;
    // Builds the table over `names` (distinct, at most 65 534) with optional positive
    // integer-like weights (empty = all 1). `size` must be prime and >= names.size().
    static absl::StatusOr<MaglevTable> build(const std::vector<std::string>& names,
                                             const std::vector<double>& weights = {},
                                             std::uint32_t size = kMaglevTableSize);

    // The backend index for a flow hash; kEmpty when the table has no backends.
    std::uint16_t lookup(std::uint64_t flowHash) const
    {
        return m_entries.empty() ? kEmpty : m_entries[reduce(flowHash, m_size)];
    }

    std::uint32_t size() const { return m_size; }
    std::size_t backendCount() const { return m_backends; }
    const std::vector<std::uint16_t>& entries() const { return m_entries; }
    // Slots held by each backend (the table's balance: min/max entries per host).
    std::vector<std::uint32_t> entriesPerBackend() const;

    static bool isPrime(std::uint32_t n);

private:
    std::vector<std::uint16_t> m_entries;
    std::uint32_t m_size = 0;
    std::size_t m_backends = 0;
};

} // namespace livedeck::cdn
