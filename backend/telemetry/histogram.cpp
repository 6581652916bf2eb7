#include "backend/telemetry/histogram.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace livedeck::telemetry {

std::size_t Histogram::bucketIndex(std::int64_t value)
{
    if (value < kSubCount)
        return static_cast<std::size_t>(value < 0 ? 0 : value);
    const auto v = static_cast<std::uint64_t>(value);
    const int msb = 63 - std::countl_zero(v);          // >= kSubBits
    const int shift = msb - kSubBits;                  // bits below the sub-bucket bits
    const auto sub = static_cast<std::size_t>((v >> shift) & (kSubCount - 1));
    return static_cast<std::size_t>(shift + 1) * kSubCount + sub;
}

std::int64_t Histogram::bucketLow(std::size_t index)
{
    if (index < static_cast<std::size_t>(kSubCount))
        return static_cast<std::int64_t>(index);
    const auto shift = static_cast<int>(index / kSubCount) - 1;
    const auto sub = static_cast<std::int64_t>(index % kSubCount);
    return (kSubCount + sub) << shift;
}

std::int64_t Histogram::bucketHigh(std::size_t index)
{
    if (index < static_cast<std::size_t>(kSubCount))
        return static_cast<std::int64_t>(index) + 1;
    const auto shift = static_cast<int>(index / kSubCount) - 1;
    // The top bucket's end (2^63) does not fit: saturate (values are <= INT64_MAX anyway).
    const auto high = static_cast<std::uint64_t>(bucketLow(index)) + (std::uint64_t{1} << shift);
    return high > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
        ? std::numeric_limits<std::int64_t>::max()
        : static_cast<std::int64_t>(high);
}

void Histogram::record(std::int64_t value, double weight)
{
    if (!(weight > 0.0))
        return; // zero, negative or NaN weight: nothing to count
    if (value < 0)
        value = 0;
    const std::size_t i = bucketIndex(value);
    if (i >= m_buckets.size())
        m_buckets.resize(i + 1, 0.0);
    m_buckets[i] += weight;
    if (m_count == 0.0) {
        m_min = value;
        m_max = value;
    } else {
        m_min = std::min(m_min, value);
        m_max = std::max(m_max, value);
    }
    m_count += weight;
    m_sum += static_cast<double>(value) * weight;
}

double Histogram::quantile(double q) const
{
    if (m_count <= 0.0)
        return 0.0;
    q = std::clamp(q, 0.0, 1.0);
    if (q == 0.0)
        return static_cast<double>(m_min);
    const double rank = q * m_count;
    double seen = 0.0;
    for (std::size_t i = 0; i < m_buckets.size(); ++i) {
        seen += m_buckets[i];
        if (seen >= rank && m_buckets[i] > 0.0) {
            if (i < static_cast<std::size_t>(kSubCount))
                return static_cast<double>(i);
            // Midpoint of [low, high - 1], in double so the top bucket cannot overflow.
            const double low = static_cast<double>(bucketLow(i));
            const double width = static_cast<double>(std::uint64_t{1} << (i / kSubCount - 1));
            const double mid = low + (width - 1.0) / 2.0;
            return std::clamp(mid, static_cast<double>(m_min), static_cast<double>(m_max));
        }
    }
    return static_cast<double>(m_max);
}

void Histogram::reset()
{
    std::fill(m_buckets.begin(), m_buckets.end(), 0.0);
    m_count = 0.0;
    m_sum = 0.0;
    m_min = 0;
    m_max = 0;
}

void Histogram::merge(const Histogram& other)
{
    if (other.m_count <= 0.0)
        return;
    if (other.m_buckets.size() > m_buckets.size())
        m_buckets.resize(other.m_buckets.size(), 0.0);
    for (std::size_t i = 0; i < other.m_buckets.size(); ++i)
        m_buckets[i] += other.m_buckets[i];
    if (m_count == 0.0) {
        m_min = other.m_min;
        m_max = other.m_max;
    } else {
        m_min = std::min(m_min, other.m_min);
        m_max = std::max(m_max, other.m_max);
    }
    m_count += other.m_count;
    m_sum += other.m_sum;
}

} // namespace livedeck::telemetry
