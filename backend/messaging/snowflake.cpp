#include "backend/messaging/snowflake.h"

#include "backend/sim/strings.h"

namespace livedeck::messaging {

const char* toString(SnowflakeGenerator::Refusal refusal)
{
    switch (refusal) {
    case SnowflakeGenerator::Refusal::None:
        return "none";
    case SnowflakeGenerator::Refusal::ClockBackwards:
        return "clock-backwards";
    case SnowflakeGenerator::Refusal::SequenceExhausted:
        return "sequence-exhausted";
    case SnowflakeGenerator::Refusal::OutOfRange:
        return "out-of-range";
    }
    return "?";
}

absl::StatusOr<SnowflakeGenerator> SnowflakeGenerator::create(const SnowflakeConfig& config)
{
    if (config.datacentre >= (1u << kDatacentreBits) || config.worker >= (1u << kWorkerBits))
        return absl::InvalidArgumentError(sim::strCat("snowflake datacentre ", config.datacentre, " / worker ",
                                                      config.worker, " out of range: each must be 0..31"));
    return SnowflakeGenerator(config);
}

SnowflakeGenerator::SnowflakeGenerator(const SnowflakeConfig& config)
    : m_config(config),
      m_node((std::uint64_t{config.datacentre} << (kSequenceBits + kWorkerBits))
             | (std::uint64_t{config.worker} << kSequenceBits))
{
}

bool SnowflakeGenerator::tryNext(std::int64_t unixMs, std::uint64_t& id)
{
    const std::int64_t ms = unixMs - m_config.epochUnixMs;
    if (ms < 0 || ms > kMaxMillis) [[unlikely]] {
        m_lastRefusal = Refusal::OutOfRange;
        return false;
    }
    if (ms == m_lastMs) {
        if (m_inMs > kSequenceMask) [[unlikely]] {
            ++m_refusedExhausted;
            m_lastRefusal = Refusal::SequenceExhausted;
            return false;
        }
        m_seq = (m_seq + 1) & kSequenceMask;
        ++m_inMs;
    } else if (ms > m_lastMs) {
        m_seq = m_config.sequence == SnowflakeSequence::ResetEachMillisecond ? 0 : (m_seq + 1) & kSequenceMask;
        m_inMs = 1;
        m_lastMs = ms;
    } else [[unlikely]] {
        ++m_refusedBackwards;
        m_lastRefusal = Refusal::ClockBackwards;
        return false;
    }
    ++m_issued;
    id = (static_cast<std::uint64_t>(ms) << kTimestampShift) | m_node | m_seq;
    return true;
}

absl::StatusOr<std::uint64_t> SnowflakeGenerator::next(std::int64_t unixMs)
{
    std::uint64_t id = 0;
    if (tryNext(unixMs, id))
        return id;
    switch (m_lastRefusal) {
    case Refusal::ClockBackwards:
        return absl::FailedPreconditionError(sim::strCat(
            "snowflake worker ", m_config.datacentre, "/", m_config.worker, ": the clock moved backwards by ",
            m_lastMs + m_config.epochUnixMs - unixMs, " ms (now ", unixMs, ", last id at ", m_lastMs + m_config.epochUnixMs,
            "); refusing ids until the clock has caught up"));
    case Refusal::SequenceExhausted:
        return absl::ResourceExhaustedError(sim::strCat("snowflake worker ", m_config.datacentre, "/", m_config.worker,
                                                        ": 4096 ids already issued in millisecond ", unixMs,
                                                        "; retry in the next millisecond"));
    case Refusal::OutOfRange:
    case Refusal::None:
        break;
    }
    return absl::OutOfRangeError(sim::strCat("snowflake: time ", unixMs, " ms is outside the 41-bit range from epoch ",
                                             m_config.epochUnixMs));
}

} // namespace livedeck::messaging
