// SequenceAllocator: per-key sequences (an inbox's or a conversation's) handed out from a
// fast volatile counter (the cache, Redis in production) under a ceiling reserved in
// durable storage in blocks (WeChat's seqsvr; OpenIM's seq_conversation reserves 50
// for one-to-one and 100 for groups, docs/MESSAGING.md "Sequences").
//
// Contract
// - next(key): while the key's current sequence is below its reserved ceiling, the next
//   sequence at once (Ok). At the ceiling it answers NeedsReservation with the ceiling
//   to store durably (current + block); the caller writes it (e.g. a Raft KV
//   compare-and-set) and calls confirm(key, ceiling), then asks again. Nothing is handed
//   out above a confirmed ceiling.
// - A key the cache does not know (never seen, or after loseCache()) answers
//   NeedsLoad: the caller reads the durable ceiling and calls load(key, ceiling). With
//   Reload::FromCeiling (the correct rule) the key restarts at that ceiling, so every
//   sequence handed out after a cache loss is above every sequence handed out before
//   it — a gap of at most one block, never a reuse. Reload::FromLastPersisted (the
//   sabotaged twin) restarts from the last sequence the slow path wrote back, which
//   lags: sequences are handed out twice.
// Deterministic (ordered map). Single-threaded.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>

namespace livedeck::messaging {

enum class SeqReload : std::uint8_t { FromCeiling, FromLastPersisted };

struct SequenceAllocatorConfig {
    std::uint64_t block = 50;                  // OpenIM's one-to-one block (groups: 100)
    SeqReload reload = SeqReload::FromCeiling;
};

class SequenceAllocator {
public:
    enum class Status : std::uint8_t { Ok, NeedsReservation, NeedsLoad };
    struct Next {
        Status status = Status::Ok;
        std::uint64_t seq = 0;     // Ok: the sequence
        std::uint64_t ceiling = 0; // NeedsReservation: the ceiling to store durably
    };

    explicit SequenceAllocator(SequenceAllocatorConfig config = {}) : m_config(config) {}

    Next next(std::uint64_t key);
    // The durable store now holds `ceiling` for `key` (≥ the one asked for).
    void confirm(std::uint64_t key, std::uint64_t ceiling);
    // After NeedsLoad: the durable ceiling and the last sequence written back (0 = none).
    void load(std::uint64_t key, std::uint64_t durableCeiling, std::uint64_t lastPersisted);
    // The cache lost everything (a flush, a failover to an empty replica).
    void loseCache();

    const SequenceAllocatorConfig& config() const { return m_config; }
    std::uint64_t reservations() const { return m_reservations; }
    std::uint64_t loads() const { return m_loads; }
    std::size_t cachedKeys() const { return m_keys.size(); }

private:
    struct State {
        std::uint64_t current = 0;
        std::uint64_t ceiling = 0;
    };
    SequenceAllocatorConfig m_config;
    absl::flat_hash_map<std::uint64_t, State> m_keys; // looked up only, never iterated
    std::uint64_t m_reservations = 0;
    std::uint64_t m_loads = 0;
};

} // namespace livedeck::messaging
