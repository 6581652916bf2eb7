#include "backend/resilience/hot_key_detector.h"

#include "backend/sim/strings.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

namespace livedeck::resilience {
namespace {

constexpr std::uint64_t kNameSeed = 0x686f746b65797331ULL; // fixed: ids are stable across runs
constexpr double kScaleLimit = 4294967296.0;               // renormalise past 2^32

// Stafford's variant 13 of the MurmurHash3 finaliser (also splitmix64's).
inline std::uint64_t fmix64(std::uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

} // namespace

HotKeyDetector::HotKeyDetector(const sim::Clock& clock, HotKeyConfig config)
    : m_clock(clock), m_config(config)
{
    assert(config.topK > 0 && config.depth > 0 && config.depth <= kMaxDepth && config.width > 0);
    assert(config.decayBase > 1.0 && config.halfLife > 0);
    assert(config.coolRatio > 0.0 && config.coolRatio <= 1.0);
    const std::uint32_t width = std::bit_ceil(std::max<std::uint32_t>(config.width, 2));
    m_config.width = width;
    m_widthBits = static_cast<std::uint32_t>(std::countr_zero(width));
    m_buckets.resize(static_cast<std::size_t>(width) * config.depth);

    std::uint64_t state = config.seed;
    for (std::uint32_t r = 0; r < config.depth; ++r)
        m_rowMultipliers[r] = fmix64(state += 0x9e3779b97f4a7c15ULL) | 1; // odd

    // b^−x for x in [0, limit], limit where b^−x < 1e−12 (beyond: no decay).
    m_decayTableLimit = std::ceil(std::log(1e12) / std::log(config.decayBase));
    const auto entries = static_cast<std::size_t>(m_decayTableLimit) * kDecayTableStep + 2;
    m_decayTable.resize(entries);
    for (std::size_t i = 0; i < entries; ++i)
        m_decayTable[i] = std::pow(config.decayBase, -static_cast<double>(i) / kDecayTableStep);

    m_slots.resize(config.topK);
    m_heap.reserve(config.topK);
    const std::uint64_t indexSize = std::bit_ceil(std::uint64_t{4} * config.topK);
    m_index.resize(indexSize);
    m_indexMask = indexSize - 1;

    m_tickLength = std::max<sim::Nanos>(1, config.halfLife / kTicksPerHalfLife);
    m_landmark = clock.now();
    m_nextTick = m_landmark + m_tickLength;
    m_weightToRate = std::log(2.0) / sim::toSeconds(config.halfLife);
    m_rateThreshold = config.hotRatePerSec / m_weightToRate;
    m_minTotal = config.minTotalRatePerSec / m_weightToRate;
}

std::uint64_t HotKeyDetector::keyOf(std::string_view name)
{
    return XXH3_64bits_withSeed(name.data(), name.size(), kNameSeed);
}

// The helpers marked always_inline run once or more per observe(); GCC -O2 left them as calls.
[[gnu::always_inline]] inline std::uint64_t HotKeyDetector::mix(std::uint64_t key) const
{
    return fmix64(key ^ m_config.seed);
}

[[gnu::always_inline]] inline double HotKeyDetector::decayFactor(double x) const
{
    if (x >= m_decayTableLimit)
        return 0.0;
    const double pos = x * kDecayTableStep;
    const auto i = static_cast<std::size_t>(pos);
    const double frac = pos - static_cast<double>(i);
    return m_decayTable[i] + (m_decayTable[i + 1] - m_decayTable[i]) * frac;
}

[[gnu::always_inline]] inline bool HotKeyDetector::passes(double count, double factor) const
{
    if (m_config.hotRatePerSec > 0.0 && count >= factor * m_rateThreshold)
        return true;
    return m_config.hotShare > 0.0 && m_total > 0.0 && m_total >= m_minTotal && count >= factor * m_config.hotShare * m_total;
}

void HotKeyDetector::emit(const Slot& slot, bool hot)
{
    if (hot)
        ++m_stats.hotEvents;
    else
        ++m_stats.coolEvents;
    if (!m_callback)
        return;
    HotKeyEvent e;
    e.key = slot.key;
    e.name = slot.name;
    e.hot = hot;
    e.ratePerSec = slot.count / m_scale * m_weightToRate;
    e.share = m_total > 0.0 ? slot.count / m_total : 0.0;
    e.at = m_clock.now();
    m_callback(e);
}

void HotKeyDetector::advanceTime(sim::Nanos now)
{
    assert(now >= m_landmark && "the clock went backwards");
    sim::Nanos ticks = (now - m_landmark) / m_tickLength;
    double scale = std::exp2(static_cast<double>(ticks) / kTicksPerHalfLife);
    if (scale > kScaleLimit) {
        // Renormalise: move the landmark to this tick and divide everything stored.
        const double inv = 1.0 / scale;
        for (Bucket& b : m_buckets)
            b.count *= inv;
        for (std::uint32_t s : m_heap)
            m_slots[s].count *= inv;
        m_total *= inv;
        m_landmark += ticks * m_tickLength;
        ticks = 0;
        scale = 1.0;
    }
    m_scale = scale;
    m_invScale = 1.0 / scale;
    m_nextTick = m_landmark + (ticks + 1) * m_tickLength;
    m_rateThreshold = m_config.hotRatePerSec / m_weightToRate * m_scale;
    m_minTotal = m_config.minTotalRatePerSec / m_weightToRate * m_scale;
    // Cool-downs (and late hot crossings) in slot order: deterministic.
    for (std::uint32_t pos = 0; pos < m_heap.size(); ++pos) {
        Slot& slot = m_slots[m_heap[pos]];
        if (slot.hot && !passes(slot.count, m_config.coolRatio)) {
            slot.hot = false;
            emit(slot, false);
        } else if (!slot.hot && passes(slot.count, 1.0)) {
            slot.hot = true;
            emit(slot, true);
        }
    }
}

double HotKeyDetector::scaleNow() const
{
    const sim::Nanos now = m_clock.now();
    if (now < m_nextTick)
        return m_scale;
    // Past the current step with no update yet: the decay still applies to queries.
    const sim::Nanos ticks = (now - m_landmark) / m_tickLength;
    return std::exp2(static_cast<double>(ticks) / kTicksPerHalfLife);
}

void HotKeyDetector::poll()
{
    const sim::Nanos now = m_clock.now();
    if (now >= m_nextTick)
        advanceTime(now);
}

// ---------------------------------------------------------------- index (key → slot)

[[gnu::always_inline]] inline std::uint32_t HotKeyDetector::indexFind(std::uint64_t key, std::uint64_t h) const
{
    for (std::uint64_t i = h & m_indexMask;; i = (i + 1) & m_indexMask) {
        const IndexEntry& e = m_index[i];
        if (e.slotPlusOne == 0)
            return kNil;
        if (e.key == key)
            return e.slotPlusOne - 1;
    }
}

void HotKeyDetector::indexInsert(std::uint64_t key, std::uint64_t h, std::uint32_t slot)
{
    std::uint64_t i = h & m_indexMask;
    while (m_index[i].slotPlusOne != 0)
        i = (i + 1) & m_indexMask;
    m_index[i] = IndexEntry{key, slot + 1};
}

void HotKeyDetector::indexErase(std::uint64_t key, std::uint64_t h)
{
    std::uint64_t i = h & m_indexMask;
    while (m_index[i].key != key || m_index[i].slotPlusOne == 0) {
        assert(m_index[i].slotPlusOne != 0 && "erasing a key that is not indexed");
        i = (i + 1) & m_indexMask;
    }
    // Backward-shift deletion keeps linear probing tombstone-free.
    std::uint64_t hole = i;
    for (std::uint64_t j = (i + 1) & m_indexMask; m_index[j].slotPlusOne != 0; j = (j + 1) & m_indexMask) {
        const std::uint64_t home = mix(m_index[j].key) & m_indexMask;
        // Move j into the hole when its home is not in (hole, j] cyclically.
        const bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            m_index[hole] = m_index[j];
            hole = j;
        }
    }
    m_index[hole] = IndexEntry{};
}

// ---------------------------------------------------------------- heap (min by count, then key)

[[gnu::always_inline]] inline bool HotKeyDetector::heapLess(std::uint32_t a, std::uint32_t b) const
{
    const Slot& x = m_slots[a];
    const Slot& y = m_slots[b];
    return x.count < y.count || (x.count == y.count && x.key > y.key);
}

[[gnu::always_inline]] inline void HotKeyDetector::heapSet(std::uint32_t pos, std::uint32_t slot)
{
    m_heap[pos] = slot;
    m_slots[slot].heapPos = pos;
}

void HotKeyDetector::siftUp(std::uint32_t pos)
{
    const std::uint32_t s = m_heap[pos];
    while (pos > 0) {
        const std::uint32_t parent = (pos - 1) / 2;
        if (!heapLess(s, m_heap[parent]))
            break;
        heapSet(pos, m_heap[parent]);
        pos = parent;
    }
    heapSet(pos, s);
}

void HotKeyDetector::siftDown(std::uint32_t pos)
{
    const std::uint32_t s = m_heap[pos];
    const auto n = static_cast<std::uint32_t>(m_heap.size());
    for (;;) {
        std::uint32_t child = 2 * pos + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heapLess(m_heap[child + 1], m_heap[child]))
            ++child;
        if (!heapLess(m_heap[child], s))
            break;
        heapSet(pos, m_heap[child]);
        pos = child;
    }
    heapSet(pos, s);
}

// ---------------------------------------------------------------- update

template <std::uint32_t FixedDepth>
[[gnu::always_inline]] inline void HotKeyDetector::updateRows(std::uint64_t key, double weight, std::string_view name)
{
    const std::uint64_t h = mix(key);
    // Bucket addresses first, prefetched, so their loads overlap the index and heap work.
    Bucket* cells[kMaxDepth];
    const std::uint32_t shift = 64 - m_widthBits;
    const std::uint32_t depth = FixedDepth != 0 ? FixedDepth : m_config.depth;
    for (std::uint32_t r = 0; r < depth; ++r) {
        cells[r] = m_buckets.data() + static_cast<std::size_t>(r) * m_config.width + ((h * m_rowMultipliers[r]) >> shift);
        __builtin_prefetch(cells[r], 1);
    }
    const std::uint32_t fingerprint = static_cast<std::uint32_t>(h >> 32) | 1u;
    const double w = weight * m_scale;
    const double invW = weight == 1.0 ? m_invScale : m_invScale / weight; // no division per row
    const std::uint32_t member = indexFind(key, h);
    const bool full = m_heap.size() == m_config.topK;
    const double heapMin = full ? m_slots[m_heap[0]].count : 0.0;

    double estimate = 0.0;
    for (std::uint32_t r = 0; r < depth; ++r) {
        Bucket& b = *cells[r];
        if (b.fingerprint == fingerprint) {
            // Selective increment (paper §3.3): a non-member grows only up to the heap minimum.
            if (member != kNil || b.count <= heapMin)
                b.count += w;
            estimate = std::max(estimate, b.count);
        } else if (b.count <= 0.0) {
            b.fingerprint = fingerprint;
            b.count = w;
            estimate = std::max(estimate, w);
        } else {
            const double decay = w * decayFactor(b.count * invW);
            if (decay >= b.count) {
                const double left = w * (1.0 - b.count / decay);
                b.fingerprint = fingerprint;
                b.count = left;
                estimate = std::max(estimate, left);
            } else {
                b.count -= decay;
            }
        }
    }
    m_total += w;

    std::uint32_t s = member;
    if (s != kNil) {
        Slot& slot = m_slots[s];
        slot.count = std::max(slot.count + w, estimate);
        if (slot.name.empty() && !name.empty())
            slot.name.assign(name.data(), name.size());
        siftDown(slot.heapPos);
    } else if (!full) {
        if (estimate <= 0.0)
            return;
        s = static_cast<std::uint32_t>(m_heap.size());
        Slot& slot = m_slots[s];
        slot.key = key;
        slot.count = estimate;
        slot.hot = false;
        slot.name.assign(name.data(), name.size());
        m_heap.push_back(s);
        indexInsert(key, h, s);
        siftUp(static_cast<std::uint32_t>(m_heap.size() - 1));
    } else if (estimate > heapMin) {
        // Replace the smallest member.
        s = m_heap[0];
        Slot& slot = m_slots[s];
        if (slot.hot) {
            slot.hot = false;
            emit(slot, false);
        }
        indexErase(slot.key, mix(slot.key));
        slot.key = key;
        slot.count = estimate;
        slot.name.assign(name.data(), name.size());
        indexInsert(key, h, s);
        siftDown(0);
        ++m_stats.heapReplacements;
    } else {
        return;
    }
    Slot& slot = m_slots[s];
    if (!slot.hot && passes(slot.count, 1.0)) {
        slot.hot = true;
        emit(slot, true);
    }
}

void HotKeyDetector::update(std::uint64_t key, double weight, std::string_view name)
{
    if (!(weight > 0.0))
        return;
    const sim::Nanos now = m_clock.now();
    if (now >= m_nextTick)
        advanceTime(now);
    ++m_stats.updates;
    // Two rows is the default: a compile-time depth lets the row loop unroll.
    if (m_config.depth == 2)
        updateRows<2>(key, weight, name);
    else
        updateRows<0>(key, weight, name);
}

// ---------------------------------------------------------------- queries

double HotKeyDetector::estimate(std::uint64_t key) const
{
    const std::uint64_t h = mix(key);
    const std::uint32_t s = indexFind(key, h);
    if (s != kNil)
        return m_slots[s].count / scaleNow();
    const std::uint32_t fingerprint = static_cast<std::uint32_t>(h >> 32) | 1u;
    const std::uint32_t shift = 64 - m_widthBits;
    double best = 0.0;
    for (std::uint32_t r = 0; r < m_config.depth; ++r) {
        const Bucket& b = m_buckets[static_cast<std::size_t>(r) * m_config.width + ((h * m_rowMultipliers[r]) >> shift)];
        if (b.fingerprint == fingerprint)
            best = std::max(best, b.count);
    }
    return best / scaleNow();
}

bool HotKeyDetector::isHot(std::uint64_t key) const
{
    const std::uint32_t s = indexFind(key, mix(key));
    return s != kNil && m_slots[s].hot;
}

std::vector<HotKeyEntry> HotKeyDetector::topK() const
{
    std::vector<HotKeyEntry> out;
    out.reserve(m_heap.size());
    const double scale = scaleNow();
    for (std::uint32_t s : m_heap) {
        const Slot& slot = m_slots[s];
        HotKeyEntry e;
        e.key = slot.key;
        e.name = slot.name;
        e.weight = slot.count / scale;
        e.ratePerSec = e.weight * m_weightToRate;
        e.share = m_total > 0.0 ? slot.count / m_total : 0.0;
        e.hot = slot.hot;
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const HotKeyEntry& a, const HotKeyEntry& b) {
        return a.weight > b.weight || (a.weight == b.weight && a.key < b.key);
    });
    return out;
}

// ---------------------------------------------------------------- EventLog adapter

HotKeyDetector::EventCallback eventLogSink(sim::EventLog& log, sim::ComponentId component)
{
    return [&log, component](const HotKeyEvent& e) {
        const std::string key = e.name.empty() ? sim::strFormat("#%016llx", static_cast<unsigned long long>(e.key))
                                               : std::string(e.name);
        std::vector<sim::EventLog::Field> fields;
        fields.emplace_back("key", key);
        fields.emplace_back("rate_per_sec", sim::strFormat("%.1f", e.ratePerSec));
        fields.emplace_back("share", sim::strFormat("%.4f", e.share));
        if (e.hot) {
            log.raise("kv.hot_key", component, v1::SEVERITY_WARNING,
                      sim::strFormat("hot key %s: %.0f/s, %.1f %% of traffic; serving it from the local cache",
                                     key.c_str(), e.ratePerSec, e.share * 100.0),
                      std::move(fields));
        } else {
            log.raise("kv.hot_key_cooled", component, v1::SEVERITY_INFO,
                      sim::strFormat("key %s cooled down: %.0f/s, %.1f %% of traffic", key.c_str(), e.ratePerSec,
                                     e.share * 100.0),
                      std::move(fields));
        }
    };
}

} // namespace livedeck::resilience
