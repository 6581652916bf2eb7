#include "backend/cdn/maglev.h"

#include <absl/strings/str_cat.h>

#include <algorithm>

namespace livedeck::cdn {

bool MaglevTable::isPrime(std::uint32_t n)
{
    if (n < 2)
        return false;
    for (std::uint64_t d = 2; d * d <= n; ++d)
        if (n % d == 0)
            return false;
    return true;
}

absl::StatusOr<MaglevTable> MaglevTable::build(const std::vector<std::string>& names,
                                               const std::vector<double>& weights, std::uint32_t size)
{
    if (!isPrime(size))
        return absl::InvalidArgumentError(absl::StrCat("maglev table size ", size, " is not prime"));
    if (names.size() >= kEmpty)
        return absl::InvalidArgumentError(absl::StrCat("maglev: ", names.size(), " backends, at most ", kEmpty - 1));
    if (names.size() > size)
        return absl::InvalidArgumentError(absl::StrCat("maglev: ", names.size(), " backends exceed table size ", size));
    if (!weights.empty() && weights.size() != names.size())
        return absl::InvalidArgumentError("maglev: one weight per backend");
    double maxWeight = 0.0;
    for (double w : weights) {
        if (!(w > 0.0))
            return absl::InvalidArgumentError("maglev: weights must be > 0");
        maxWeight = std::max(maxWeight, w);
    }

    MaglevTable table;
    table.m_size = size;
    table.m_backends = names.size();
    if (names.empty())
        return table;
    table.m_entries.assign(size, kEmpty);

    const std::size_t n = names.size();
    struct Cursor {
        std::uint32_t position; // current preferred slot: offset + j·skip mod M
        std::uint32_t skip;
        double share;           // weight / max weight
        double credit;          // turns earned minus turns taken
    };
    std::vector<Cursor> cursors(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t h1 = hashKey(names[i], 0x6d61676c6576ull);
        const std::uint64_t h2 = hashKey(names[i], 0x736b6970ull);
        cursors[i].position = static_cast<std::uint32_t>(h1 % size);
        cursors[i].skip = static_cast<std::uint32_t>(h2 % (size - 1)) + 1;
        cursors[i].share = weights.empty() ? 1.0 : weights[i] / maxWeight;
        cursors[i].credit = 0.0;
    }

    std::uint16_t* entries = table.m_entries.data();
    std::uint32_t filled = 0;
    while (true) {
        for (std::size_t i = 0; i < n; ++i) {
            Cursor& c = cursors[i];
            c.credit += c.share;
            if (c.credit < 1.0)
                continue;
            c.credit -= 1.0;
            std::uint32_t p = c.position;
            while (entries[p] != kEmpty) {
                p += c.skip;
                if (p >= size)
                    p -= size;
            }
            entries[p] = static_cast<std::uint16_t>(i);
            p += c.skip;
            if (p >= size)
                p -= size;
            c.position = p;
            if (++filled == size)
                return table;
        }
    }
}

std::vector<std::uint32_t> MaglevTable::entriesPerBackend() const
{
    std::vector<std::uint32_t> counts(m_backends, 0);
    for (std::uint16_t e : m_entries)
        if (e != kEmpty)
            ++counts[e];
    return counts;
}

} // namespace livedeck::cdn
