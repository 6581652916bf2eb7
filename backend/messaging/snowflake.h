// SnowflakeGenerator: time-ordered 64-bit message ids for one worker (Twitter's
// snowflake layout, docs/MESSAGING.md "Ids"):
//
//   id = (ms since epoch) << 22 | datacentre << 17 | worker << 12 | sequence
//         41 bits                  5 bits            5 bits         12 bits
//
// Contract
// - Time comes from the caller as Unix milliseconds of the worker's own clock (the
//   world's time through its Calendar, plus any clock-skew fault on the worker): the
//   generator never reads a clock itself. Ids of one generator strictly increase.
// - The clock going back: an id is refused (FailedPrecondition, counted) while the
//   time is below the last millisecond used — as Twitter's snowflake refuses until the
//   clock has caught up; never an id that could repeat or go back.
// - The sequence: `ResetEachMillisecond` (Twitter's) starts each millisecond at 0, so
//   a worker issuing under one id per millisecond only ever issues sequence 0 (the
//   reason a plain `id % 100` routes to 25 tables, see ContentTableRouter);
//   `Continuous` keeps counting across milliseconds (wrapping at 4 096). Either way at
//   most 4 096 ids per millisecond: the 4 097th is refused (ResourceExhausted, counted)
//   until the next millisecond (Twitter waits for it; a simulated worker retries).
// - Defaults: epoch 1288834974657 (Twitter's, 2010-11-04 01:42:54.657 UTC); the layout
//   gives 4 096 ids per ms per worker (4.1 M/s) and ids until the year 2080.
// Single-threaded; value type.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>

namespace livedeck::messaging {

enum class SnowflakeSequence : std::uint8_t {
    ResetEachMillisecond, // Twitter's snowflake
    Continuous,           // counts on across milliseconds
};

struct SnowflakeConfig {
    std::int64_t epochUnixMs = 1'288'834'974'657;
    std::uint32_t datacentre = 0; // 0..31
    std::uint32_t worker = 0;     // 0..31
    SnowflakeSequence sequence = SnowflakeSequence::ResetEachMillisecond;
};

class SnowflakeGenerator {
public:
    static constexpr int kSequenceBits = 12;
    static constexpr int kWorkerBits = 5;
    static constexpr int kDatacentreBits = 5;
    static constexpr int kTimestampShift = kSequenceBits + kWorkerBits + kDatacentreBits; // 22
    static constexpr std::uint64_t kSequenceMask = (1u << kSequenceBits) - 1;
    static constexpr std::int64_t kMaxMillis = (std::int64_t{1} << 41) - 1;

    // Fails on a datacentre or worker out of range.
    static absl::StatusOr<SnowflakeGenerator> create(const SnowflakeConfig& config);

    // The next id at Unix time `unixMs` of the worker's clock.
    absl::StatusOr<std::uint64_t> next(std::int64_t unixMs);
    // The same without building a status: false when refused (see lastRefusal()).
    bool tryNext(std::int64_t unixMs, std::uint64_t& id);

    enum class Refusal : std::uint8_t { None, ClockBackwards, SequenceExhausted, OutOfRange };
    Refusal lastRefusal() const { return m_lastRefusal; }

    const SnowflakeConfig& config() const { return m_config; }
    std::uint64_t issued() const { return m_issued; }
    std::uint64_t refusedBackwards() const { return m_refusedBackwards; }
    std::uint64_t refusedExhausted() const { return m_refusedExhausted; }
    // The last millisecond (since the epoch) an id was issued in; -1 before the first.
    std::int64_t lastMillis() const { return m_lastMs; }

    // Fields of an id.
    static std::int64_t millis(std::uint64_t id) { return static_cast<std::int64_t>(id >> kTimestampShift); }
    static std::int64_t unixMs(std::uint64_t id, std::int64_t epochUnixMs) { return millis(id) + epochUnixMs; }
    static std::uint32_t datacentre(std::uint64_t id)
    {
        return static_cast<std::uint32_t>((id >> (kSequenceBits + kWorkerBits)) & ((1u << kDatacentreBits) - 1));
    }
    static std::uint32_t worker(std::uint64_t id)
    {
        return static_cast<std::uint32_t>((id >> kSequenceBits) & ((1u << kWorkerBits) - 1));
    }
    static std::uint32_t sequence(std::uint64_t id) { return static_cast<std::uint32_t>(id & kSequenceMask); }

private:
    explicit SnowflakeGenerator(const SnowflakeConfig& config);

    SnowflakeConfig m_config;
    std::uint64_t m_node = 0; // datacentre and worker bits, in place
    std::int64_t m_lastMs = -1;
    std::uint64_t m_seq = kSequenceMask; // the last sequence issued
    std::uint32_t m_inMs = 0;             // ids issued in m_lastMs
    Refusal m_lastRefusal = Refusal::None;
    std::uint64_t m_issued = 0;
    std::uint64_t m_refusedBackwards = 0;
    std::uint64_t m_refusedExhausted = 0;
};

const char* toString(SnowflakeGenerator::Refusal refusal);

} // namespace livedeck::messaging
