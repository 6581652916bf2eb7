// Histogram: log-linear buckets (HDR-like) over non-negative int64 values (e.g.
// nanoseconds), with weighted records (one discrete request may stand for many real
// ones, docs/ARCHITECTURE.md, property 3). 64 linear sub-buckets per power of two give a bucket
// width of at most 1/64 of its lower bound; quantiles report the bucket midpoint, so
// the relative error is at most 1/128 < 1 %. Values below 64 are exact.
// Buckets grow on demand up to the largest value seen: no allocation once warm.
#pragma once

#include <cstdint>
#include <vector>

namespace livedeck::telemetry {

class Histogram {
public:
    static constexpr int kSubBits = 6; // 64 sub-buckets per octave
    static constexpr std::int64_t kSubCount = 1 << kSubBits;

    // Negative values count as 0; a weight that is not > 0 records nothing.
    void record(std::int64_t value, double weight = 1.0);
    // Weighted nearest-rank quantile: the bucket holding the smallest value whose
    // cumulative weight reaches q * count(), reported as the bucket's midpoint (exact
    // below 64) and clamped to [min, max]. q in [0, 1] (q = 0 gives min()); 0 when empty.
    double quantile(double q) const;
    double count() const { return m_count; }   // summed weight
    double sum() const { return m_sum; }       // weighted sum of values
    double mean() const { return m_count > 0 ? m_sum / m_count : 0.0; }
    std::int64_t min() const { return m_count > 0 ? m_min : 0; }
    std::int64_t max() const { return m_count > 0 ? m_max : 0; }
    void reset();
    void merge(const Histogram& other);
    // The buckets as recorded (exporters): bucket i holds [bucketLow(i), bucketHigh(i)).
    std::size_t bucketCount() const { return m_buckets.size(); }
    double bucketWeight(std::size_t index) const { return index < m_buckets.size() ? m_buckets[index] : 0.0; }

    static std::size_t bucketIndex(std::int64_t value);
    static std::int64_t bucketLow(std::size_t index);
    static std::int64_t bucketHigh(std::size_t index); // exclusive; saturates at INT64_MAX

private:
    std::vector<double> m_buckets;
    double m_count = 0.0;
    double m_sum = 0.0;
    std::int64_t m_min = 0;
    std::int64_t m_max = 0;
};

} // namespace livedeck::telemetry
