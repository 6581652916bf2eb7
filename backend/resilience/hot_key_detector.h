// HotKeyDetector: finds the heaviest keys of a request stream (top-K heavy hitters)
// over a decaying window on the world's clock, and raises an event when a key turns
// hot (and again when it cools down), so the owner can serve it from a LocalCache and
// raise "kv.hot_key" into the world's EventLog (eventLogSink() adapts the callback).
//
// Mechanism: HeavyKeeper (Gong et al., "HeavyKeeper: An Accurate Algorithm for Finding
// Top-k Elephant Flows", USENIX ATC 2018): `depth` rows of `width` buckets, each a
// (fingerprint, count) pair. A key adds to its buckets when the fingerprint matches
// or the bucket is empty; otherwise it decays the incumbent's count with
// probability b^−count ("count with exponential decay"), so mice lose their buckets
// quickly and elephants almost never. A min-heap of the K largest estimates plus a
// small open-addressing index (key → heap slot) is the top-K.
//
// Where we differ from the paper, and why:
// - Weighted, deterministic decay. Each observation carries a weight (one discrete
//   request stands for many real ones, docs/ARCHITECTURE.md, property 3). Instead of one coin
//   flip per unit of weight we subtract the expected decay w · b^(−C/w): for unit
//   weights this is the paper's expected decrement, it is invariant to scaling all
//   weights, and it needs no random draw (a run stays bit-for-bit reproducible and the
//   update stays fast). A decayed-out bucket goes to the newcomer with the weight left
//   over. b^−x comes from a table with linear interpolation.
// - Time decay. The paper counts over a fixed measurement period; we want "hot now",
//   so every count halves every `halfLife` of simulated time (exponential decay).
//   This is done by forward decay (Cormode et al. 2009): weights are multiplied by
//   2^(t/halfLife) as they arrive (in 1/16-half-life steps) and the table is
//   renormalised when the factor passes 2^32, so no per-update decay work is needed.
//   A key seen at a steady rate r has decayed weight r · halfLife / ln 2, which is
//   how counts convert to rates.
// - Heap counts. Once a key is in the top-K, its heap count grows by its exact weight
//   (it is no longer limited by bucket collisions); the paper re-reads the buckets.
//   The paper's "selective increment" (a non-member only grows a bucket up to the
//   heap minimum) is kept.
// - Hash and order. Keys are 64-bit ids (observe(name) hashes the name with XXH3 and
//   a fixed seed); bucket positions and fingerprints come from a seeded 64-bit mix,
//   so runs are reproducible. topK() is ordered by count, then key.
// Space-Saving (Metwally et al. 2005) was the alternative; HeavyKeeper needs no
// per-key counter list and reports no overestimates (its estimates are lower bounds
// barring 32-bit fingerprint collisions), which suits a threshold that raises alerts.
//
// Threshold: a key is hot when its decayed share of all traffic reaches `hotShare`
// (while total traffic is at least `minTotalRatePerSec`, so that the first requests
// of a run do not all look hot) or its rate reaches `hotRatePerSec` (0 = off). It
// cools when it falls below `coolRatio` times both thresholds (hysteresis), checked
// every 1/16 half-life and at poll(), or when it leaves the top-K.
//
// Contract: single-threaded; observe() reads the clock and allocates nothing (the
// one exception: a key whose name is longer than the small-string buffer copies its
// name when it enters the top-K). The event callback runs inside observe()/poll() and
// must not call back into the detector. Speed goal ≥ 20 M updates/s (issue;
// BM_HotKey_Update_Zipf). Defaults: K = 32 and 2 × 2048 buckets (64 KiB) keep
// precision and recall ≥ 0.95 on the Zipf tests (tst_hot_key_detector); b = 1.08 is
// the paper's; a 5 s half-life follows a room's surge within seconds; 1 % of all
// traffic on one key is hundreds of times a fair share when the key space is large,
// and 1000 req/s of total traffic is where a single key at 1 % starts to matter.
#pragma once

#include "backend/sim/event_log.h"
#include "backend/sim/scheduler.h"
#include "backend/sim/time.h"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::resilience {

struct HotKeyConfig {
    std::uint32_t topK = 32;
    std::uint32_t width = 2048;       // buckets per row; rounded up to a power of two
    std::uint32_t depth = 2;          // rows (at most 8)
    double decayBase = 1.08;          // HeavyKeeper's b
    sim::Nanos halfLife = 5 * sim::kSecond;
    double hotShare = 0.01;           // ≥ 1 % of all traffic (0 = off)
    double minTotalRatePerSec = 1000.0; // the share rule needs at least this much traffic
    double hotRatePerSec = 0.0;       // absolute rule (0 = off)
    double coolRatio = 0.5;           // cools below half the threshold
    std::uint64_t seed = 0x6c69766564656b31ULL;
};

struct HotKeyEvent {
    std::uint64_t key = 0;
    std::string_view name;  // empty when the key was observed by id only
    bool hot = false;       // true: turned hot; false: cooled down (or left the top-K)
    double ratePerSec = 0.0;
    double share = 0.0;     // of all traffic in the decaying window
    sim::Nanos at = 0;
};

struct HotKeyEntry {
    std::uint64_t key = 0;
    std::string name;
    double weight = 0.0;     // decayed weight as of now
    double ratePerSec = 0.0;
    double share = 0.0;
    bool hot = false;
};

struct HotKeyStats {
    std::uint64_t updates = 0;
    std::uint64_t hotEvents = 0;
    std::uint64_t coolEvents = 0;
    std::uint64_t heapReplacements = 0;
};

class HotKeyDetector {
public:
    using EventCallback = std::function<void(const HotKeyEvent&)>;

    HotKeyDetector(const sim::Clock& clock, HotKeyConfig config = {});
    HotKeyDetector(const HotKeyDetector&) = delete;
    HotKeyDetector& operator=(const HotKeyDetector&) = delete;

    void setEventCallback(EventCallback callback) { m_callback = std::move(callback); }

    void observe(std::uint64_t key, double weight = 1.0) { update(key, weight, {}); }
    void observe(std::string_view name, double weight = 1.0) { update(keyOf(name), weight, name); }
    // The id observe(name) uses for `name`.
    static std::uint64_t keyOf(std::string_view name);

    // Runs the time-based checks (decay step, cool-downs) as of now; observe() does
    // this lazily, call it when traffic may have stopped altogether.
    void poll();

    // Decayed weight of `key` as of now (a lower bound); 0 when unknown.
    double estimate(std::uint64_t key) const;
    double ratePerSec(std::uint64_t key) const { return estimate(key) * m_weightToRate; }
    bool isHot(std::uint64_t key) const;
    double totalWeight() const { return m_total / scaleNow(); }
    double totalRatePerSec() const { return totalWeight() * m_weightToRate; }
    // The top-K, heaviest first (ties: smaller key first). Allocates: for reports.
    std::vector<HotKeyEntry> topK() const;

    const HotKeyStats& stats() const { return m_stats; }
    const HotKeyConfig& config() const { return m_config; }

private:
    static constexpr std::uint32_t kNil = 0xFFFFFFFFu;
    static constexpr int kTicksPerHalfLife = 16;
    static constexpr int kDecayTableStep = 8; // table entries per unit of C/w
    static constexpr std::uint32_t kMaxDepth = 8;

    struct Bucket {
        std::uint32_t fingerprint = 0; // 0 = never used
        double count = 0.0;            // forward-decayed weight
    };
    struct Slot {
        std::uint64_t key = 0;
        double count = 0.0;            // forward-decayed weight
        std::uint32_t heapPos = 0;
        bool hot = false;
        std::string name;
    };
    struct IndexEntry {
        std::uint64_t key = 0;
        std::uint32_t slotPlusOne = 0; // 0 = empty
    };

    std::uint64_t mix(std::uint64_t key) const;
    void update(std::uint64_t key, double weight, std::string_view name);
    template <std::uint32_t FixedDepth> // 0 = m_config.depth
    void updateRows(std::uint64_t key, double weight, std::string_view name);
    void advanceTime(sim::Nanos now);
    double decayFactor(double x) const; // b^−x
    double scaleNow() const;            // forward-decay factor at the clock's time (queries)
    bool passes(double count, double factor) const;
    void emit(const Slot& slot, bool hot);

    std::uint32_t indexFind(std::uint64_t key, std::uint64_t h) const;
    void indexInsert(std::uint64_t key, std::uint64_t h, std::uint32_t slot);
    void indexErase(std::uint64_t key, std::uint64_t h);

    bool heapLess(std::uint32_t a, std::uint32_t b) const;
    void siftUp(std::uint32_t pos);
    void siftDown(std::uint32_t pos);
    void heapSet(std::uint32_t pos, std::uint32_t slot);

    const sim::Clock& m_clock;
    HotKeyConfig m_config;
    std::uint32_t m_widthBits;
    std::vector<Bucket> m_buckets;
    std::array<std::uint64_t, kMaxDepth> m_rowMultipliers{};
    std::vector<double> m_decayTable;
    double m_decayTableLimit;
    std::vector<Slot> m_slots;          // up to topK, in arrival order
    std::vector<std::uint32_t> m_heap;  // slot ids, min-heap by count
    std::vector<IndexEntry> m_index;
    std::uint64_t m_indexMask;

    sim::Nanos m_landmark;
    sim::Nanos m_tickLength;
    sim::Nanos m_nextTick;
    double m_scale = 1.0;         // forward-decay factor of the current tick
    double m_invScale = 1.0;
    double m_total = 0.0;         // forward-decayed weight of everything
    double m_weightToRate;        // decayed weight → per-second rate (ln 2 / halfLife)
    double m_rateThreshold = 0.0; // hotRatePerSec in stored units (this tick)
    double m_minTotal = 0.0;      // minTotalRatePerSec in stored units (this tick)

    EventCallback m_callback;
    HotKeyStats m_stats;
};

// Adapts hot-key events to the world's EventLog: "kv.hot_key" (warning) when a key
// turns hot and "kv.hot_key_cooled" (info) when it cools, with key, rate and share.
HotKeyDetector::EventCallback eventLogSink(sim::EventLog& log, sim::ComponentId component);

} // namespace livedeck::resilience
