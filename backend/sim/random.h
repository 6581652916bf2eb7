// Seeded random streams (docs/ARCHITECTURE.md, property 1).
//
// A stream is derived from (master seed, component path): XXH64 of the path mixed
// with the master seed through splitmix64 seeds a xoshiro256** generator. Adding a
// component adds a stream and leaves every other stream's draws unchanged.
//
// The distributions are written here rather than taken from <random>: the standard
// library's distribution algorithms differ between implementations, and a run must
// be identical across processes and builds. Only IEEE-754 arithmetic and libm's
// log/exp/sqrt/cos are used.
#pragma once

#include <cstdint>
#include <string_view>

namespace livedeck::sim {

// Advances `state` and returns its next output (inline: CDN content bytes draw one per word).
inline std::uint64_t splitmix64(std::uint64_t& state)
{
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
std::uint64_t hashPath(std::string_view path); // XXH64, seed 0: stable across processes

class RandomStream {
public:
    RandomStream() : RandomStream(0) {}
    explicit RandomStream(std::uint64_t seed);
    // The stream for `path` under `masterSeed`.
    static RandomStream derive(std::uint64_t masterSeed, std::string_view path);

    std::uint64_t next();                       // 64 random bits
    double uniform01();                         // [0, 1), 53 bits
    double uniform(double lo, double hi);       // [lo, hi)
    std::uint64_t uniformInt(std::uint64_t n);  // [0, n), unbiased (Lemire); n > 0
    std::int64_t uniformRange(std::int64_t lo, std::int64_t hi); // [lo, hi]
    bool bernoulli(double p);                   // true with probability p
    double exponential(double mean);            // mean > 0
    double normal(double mean = 0.0, double stddev = 1.0); // Box-Muller
    double lognormal(double mu, double sigma);  // exp(N(mu, sigma))
    // Lognormal with the given median and 99th percentile (p99 >= median > 0).
    double lognormalMedianP99(double median, double p99);

private:
    std::uint64_t m_s[4];
    double m_spareNormal = 0.0;
    bool m_hasSpare = false;
};

// Zipf over ranks 1..n with exponent s > 0 (P(k) ∝ k^-s): hot rooms and hot keys.
// Rejection-inversion sampling (Hörmann & Derflinger 1996): O(1) per draw, no table.
class ZipfDistribution {
public:
    ZipfDistribution(std::uint64_t n, double exponent);
    std::uint64_t operator()(RandomStream& rng) const; // in [1, n]
    std::uint64_t n() const { return m_n; }
    double exponent() const { return m_s; }
    // Exact probability of rank k (for tests and expected-share computations).
    double probability(std::uint64_t k) const;

private:
    double h(double x) const;
    double hIntegral(double x) const;
    double hIntegralInverse(double x) const;

    std::uint64_t m_n;
    double m_s;
    double m_hIntegralX1;
    double m_hIntegralN;
    double m_sCut;
    double m_norm; // generalized harmonic number H(n, s)
};

} // namespace livedeck::sim
