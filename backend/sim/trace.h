// TraceHash: a running 64-bit hash over every event of a run (time, kind, component)
// and whatever content engines mix in. Equal hashes for equal (drill, seed) across
// processes are the determinism proof (docs/ARCHITECTURE.md, property 1). XXH3 with the running
// value as seed: stable across processes and machines of one endianness.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace livedeck::sim {

class TraceHash {
public:
    void mix(std::uint64_t value);
    void mix(std::string_view bytes);
    void mixDouble(double value);
    void mixBytes(const void* data, std::size_t size);
    std::uint64_t value() const { return m_hash; }

private:
    std::uint64_t m_hash = 0x6c69766564656b31ULL; // "livedek1"
};

} // namespace livedeck::sim
