#include "backend/infra/mq_sequence_tracker.h"

namespace livedeck::infra {

namespace {
// Bounds memory when a stream jumps far ahead (a producer restarted with a fresh
// sequence space would otherwise open millions of gaps).
constexpr std::int64_t kMaxGapsPerJump = 100'000;
} // namespace

MqSequenceTracker::Verdict MqSequenceTracker::observe(const MqConsumerRecord& record, sim::Nanos now)
{
    const std::int64_t seq = record.record.sequence;
    if (seq < 0)
        return Verdict::Unsequenced;
    const std::tuple<std::uint64_t, std::string_view, int> probe{record.record.producerId, record.topic,
                                                                 record.partition};
    auto it = m_streams.find(probe);
    if (it == m_streams.end())
        it = m_streams.emplace(Key{record.record.producerId, std::string(record.topic), record.partition}, Stream{}).first;
    Stream& s = it->second;
    if (seq > s.highest) {
        const std::int64_t from = std::max(s.highest + 1, seq - kMaxGapsPerJump);
        for (std::int64_t missing = from; missing < seq; ++missing) {
            s.gaps.emplace(missing, now);
            ++m_missing;
        }
        s.highest = seq;
        return Verdict::New;
    }
    const auto gap = s.gaps.find(seq);
    if (gap != s.gaps.end()) {
        s.gaps.erase(gap);
        --m_missing;
        ++m_late;
        return Verdict::New;
    }
    ++m_duplicates;
    return Verdict::Duplicate;
}

std::vector<MqSequenceTracker::Gap> MqSequenceTracker::lost(sim::Nanos now, sim::Nanos grace) const
{
    std::vector<Gap> out;
    for (const auto& [key, stream] : m_streams) {
        for (const auto& [seq, noticed] : stream.gaps) {
            if (noticed + grace <= now)
                out.push_back(Gap{std::get<0>(key), std::get<1>(key), std::get<2>(key), seq, noticed});
        }
    }
    return out;
}

} // namespace livedeck::infra
