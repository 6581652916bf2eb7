#include "backend/sim/random.h"

#include <xxhash.h>

#include <cassert>
#include <cmath>

namespace livedeck::sim {
namespace {

__extension__ typedef unsigned __int128 Uint128;

inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// log1p(x)/x, continuous at 0.
double helper1(double x)
{
    return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}
// expm1(x)/x, continuous at 0.
double helper2(double x)
{
    return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}

} // namespace

std::uint64_t hashPath(std::string_view path)
{
    return XXH64(path.data(), path.size(), 0);
}

RandomStream::RandomStream(std::uint64_t seed)
{
    std::uint64_t sm = seed;
    for (auto& s : m_s)
        s = splitmix64(sm);
}

RandomStream RandomStream::derive(std::uint64_t masterSeed, std::string_view path)
{
    std::uint64_t state = masterSeed ^ rotl(hashPath(path), 17);
    const std::uint64_t mixed = splitmix64(state);
    return RandomStream(mixed ^ hashPath(path));
}

std::uint64_t RandomStream::next()
{
    // xoshiro256** 1.0
    const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const std::uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
}

double RandomStream::uniform01()
{
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double RandomStream::uniform(double lo, double hi)
{
    return lo + (hi - lo) * uniform01();
}

std::uint64_t RandomStream::uniformInt(std::uint64_t n)
{
    assert(n > 0);
    // Lemire's nearly divisionless method.
    Uint128 m = static_cast<Uint128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = static_cast<Uint128>(next()) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

std::int64_t RandomStream::uniformRange(std::int64_t lo, std::int64_t hi)
{
    assert(hi >= lo);
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    if (span == 0)
        return static_cast<std::int64_t>(next()); // full 64-bit range
    return lo + static_cast<std::int64_t>(uniformInt(span));
}

bool RandomStream::bernoulli(double p)
{
    if (p <= 0.0)
        return false;
    if (p >= 1.0)
        return true;
    return uniform01() < p;
}

double RandomStream::exponential(double mean)
{
    return -mean * std::log1p(-uniform01());
}

double RandomStream::normal(double mean, double stddev)
{
    if (m_hasSpare) {
        m_hasSpare = false;
        return mean + stddev * m_spareNormal;
    }
    double u1 = uniform01();
    while (u1 <= 0.0)
        u1 = uniform01();
    const double u2 = uniform01();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    m_spareNormal = r * std::sin(theta);
    m_hasSpare = true;
    return mean + stddev * r * std::cos(theta);
}

double RandomStream::lognormal(double mu, double sigma)
{
    return std::exp(normal(mu, sigma));
}

double RandomStream::lognormalMedianP99(double median, double p99)
{
    assert(median > 0 && p99 >= median);
    constexpr double kZ99 = 2.3263478740408408; // standard normal 0.99 quantile
    const double sigma = std::log(p99 / median) / kZ99;
    return lognormal(std::log(median), sigma);
}

// ------------------------------------------------------------------ Zipf

ZipfDistribution::ZipfDistribution(std::uint64_t n, double exponent) : m_n(n), m_s(exponent)
{
    assert(n >= 1 && exponent > 0);
    m_hIntegralX1 = hIntegral(1.5) - 1.0;
    m_hIntegralN = hIntegral(static_cast<double>(n) + 0.5);
    m_sCut = 2.0 - hIntegralInverse(hIntegral(2.5) - h(2.0));
    // H(n, s): summed smallest-first for accuracy; closed-form tail beyond 1e6 terms.
    double norm = 0.0;
    const std::uint64_t exact = n < 1'000'000 ? n : 1'000'000;
    for (std::uint64_t k = exact; k >= 1; --k)
        norm += std::pow(static_cast<double>(k), -exponent);
    if (n > exact)
        norm += hIntegral(static_cast<double>(n) + 0.5) - hIntegral(static_cast<double>(exact) + 0.5);
    m_norm = norm;
}

double ZipfDistribution::h(double x) const
{
    return std::exp(-m_s * std::log(x));
}

double ZipfDistribution::hIntegral(double x) const
{
    const double logX = std::log(x);
    return helper2((1.0 - m_s) * logX) * logX;
}

double ZipfDistribution::hIntegralInverse(double x) const
{
    double t = x * (1.0 - m_s);
    if (t < -1.0)
        t = -1.0;
    return std::exp(helper1(t) * x);
}

std::uint64_t ZipfDistribution::operator()(RandomStream& rng) const
{
    for (;;) {
        const double u = m_hIntegralN + rng.uniform01() * (m_hIntegralX1 - m_hIntegralN);
        const double x = hIntegralInverse(u);
        double kd = std::floor(x + 0.5);
        if (kd < 1.0)
            kd = 1.0;
        else if (kd > static_cast<double>(m_n))
            kd = static_cast<double>(m_n);
        if (kd - x <= m_sCut || u >= hIntegral(kd + 0.5) - h(kd))
            return static_cast<std::uint64_t>(kd);
    }
}

double ZipfDistribution::probability(std::uint64_t k) const
{
    if (k < 1 || k > m_n)
        return 0.0;
    return std::pow(static_cast<double>(k), -m_s) / m_norm;
}

} // namespace livedeck::sim
