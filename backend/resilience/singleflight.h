// Singleflight<Key, Value>: duplicate-call suppression. Concurrent calls for one key
// share one in-flight fetch: the first call (the leader) starts the fetch, callers
// arriving while it is in flight join it, and when the fetch completes every one of
// them receives the same value and learns whether it was shared. The result is not
// cached: once delivered the key is forgotten and the next call fetches again.
// forget(key) makes the next call start a fresh fetch even while one is in flight.
//
// Contract: asynchronous and single-threaded (the world's thread; nothing blocks).
// call(key, fetch, callback): when no fetch for `key` is in flight, `fetch(done)` is
// invoked at once with a Completion; it starts the work and must call done(value)
// exactly once, later or right away (a second call is ignored and returns false).
// Callbacks run in join order, leader first, inside done(); they may call call() or
// forget() again. Value may be an absl::StatusOr<T> to carry errors.
//
// Allocation: flights and waiters live in pooled slots (free lists) and callbacks are
// inline callables (sim::InlineFunction, captures ≤ CallbackBytes), so steady state
// allocates nothing per call; the pools grow only with the peak number of flights and
// waiters. The key index is an absl::flat_hash_map: its insert/erase per flight do not
// allocate once it has grown, but copying a Key that owns memory (a std::string longer
// than its small-string buffer) does, once per flight, not per joiner.
//
// Public counterpart: Go's golang.org/x/sync/singleflight (Group.Do, DoChan, Forget;
// Result{Val, Err, Shared}). Same semantics: one execution per key at a time,
// duplicates wait for and receive the same result, `shared` is true for every
// caller (leader included) when more than one caller received it, Forget lets later
// calls start a new execution while the old one still answers its own callers.
// Differences: Do blocks a goroutine and DoChan returns a channel; here the caller
// passes a callback (the world cannot block), and the fetch is itself asynchronous
// and completes through a Completion handle rather than by returning. Go delivers to
// waiting goroutines in an unspecified order; we deliver in join order, which keeps
// runs deterministic. Go recovers panics in fn and re-panics in the callers; here a
// fetch reports failure through its value (e.g. absl::StatusOr), and a fetch that
// never completes leaves its callers waiting — fetches must carry their own deadline.
#pragma once

#include "backend/resilience/slot_pool.h"
#include "backend/sim/inline_callback.h"

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include <cassert>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace livedeck::resilience {

struct SingleflightStats {
    std::uint64_t calls = 0;       // every call()
    std::uint64_t fetches = 0;     // calls that started a fetch (leaders)
    std::uint64_t sharedJoins = 0; // calls that joined a fetch already in flight
    std::uint64_t completions = 0; // fetches completed
    std::uint64_t forgets = 0;     // forget() calls that detached an in-flight key
};

template <class Key, class Value, std::size_t CallbackBytes = 48, class Hash = absl::Hash<Key>,
          class Eq = std::equal_to<Key>>
class Singleflight {
public:
    using Callback = sim::InlineFunction<void(const Value&, bool shared), CallbackBytes>;

    // Handed to the fetch; completes the flight it belongs to. Small and trivially
    // copyable, so it fits in scheduler callbacks.
    class Completion {
    public:
        // Delivers `value` to every caller of this flight. False when the flight was
        // already completed (the value is dropped).
        bool operator()(Value value) const { return m_owner->complete(m_flight, m_generation, std::move(value)); }

    private:
        friend class Singleflight;
        Completion(Singleflight* owner, std::uint32_t flight, std::uint32_t generation)
            : m_owner(owner), m_flight(flight), m_generation(generation)
        {
        }
        Singleflight* m_owner;
        std::uint32_t m_flight;
        std::uint32_t m_generation;
    };

    Singleflight() = default;
    Singleflight(const Singleflight&) = delete;
    Singleflight& operator=(const Singleflight&) = delete;

    // Returns true when this call started a fetch, false when it joined one.
    template <class Fetch>
    bool call(const Key& key, Fetch&& fetch, Callback callback)
    {
        ++m_stats.calls;
        const std::uint32_t w = allocWaiter(std::move(callback));
        const auto it = m_index.find(key);
        if (it != m_index.end()) {
            Flight& f = m_flights[it->second];
            appendWaiter(f, w);
            ++f.joiners;
            ++m_stats.sharedJoins;
            return false;
        }
        const std::uint32_t fi = allocFlight();
        Flight& f = m_flights[fi];
        f.key = key;
        f.head = f.tail = kNil;
        f.joiners = 0;
        f.indexed = true;
        appendWaiter(f, w);
        m_index.emplace(key, fi);
        ++m_stats.fetches;
        // The fetch may complete synchronously: nothing of `f` is used after this.
        const Completion done(this, fi, m_flights.generation(fi));
        std::forward<Fetch>(fetch)(done);
        return true;
    }

    // Detaches the in-flight fetch for `key` (if any): it still answers the callers
    // that already joined it, and the next call() for `key` starts a new fetch.
    bool forget(const Key& key)
    {
        const auto it = m_index.find(key);
        if (it == m_index.end())
            return false;
        m_flights[it->second].indexed = false;
        m_index.erase(it);
        ++m_stats.forgets;
        return true;
    }

    bool inFlight(const Key& key) const { return m_index.contains(key); }
    // Callers waiting on the indexed flight for `key` (leader included); 0 if none.
    std::size_t waiters(const Key& key) const
    {
        const auto it = m_index.find(key);
        return it == m_index.end() ? 0 : m_flights[it->second].joiners + 1;
    }
    std::size_t flightsInFlight() const { return m_flights.liveCount(); } // forgotten ones included
    const SingleflightStats& stats() const { return m_stats; }

private:
    static constexpr std::uint32_t kNil = 0xFFFFFFFFu;

    struct Flight {
        Key key{};
        std::uint32_t head = kNil; // waiter list, join order
        std::uint32_t tail = kNil;
        std::uint32_t joiners = 0; // callers after the leader
        bool indexed = false; // still the flight m_index points to for `key`
    };
    struct Waiter {
        Callback callback;
        std::uint32_t next = kNil;
    };

    std::uint32_t allocFlight() { return m_flights.acquire(); }
    std::uint32_t allocWaiter(Callback callback)
    {
        std::uint32_t i;
        if (m_freeWaiter != kNil) {
            i = m_freeWaiter;
            m_freeWaiter = m_waiters[i].next;
        } else {
            i = static_cast<std::uint32_t>(m_waiters.size());
            m_waiters.emplace_back();
        }
        m_waiters[i].callback = std::move(callback);
        m_waiters[i].next = kNil;
        return i;
    }
    void appendWaiter(Flight& f, std::uint32_t w)
    {
        if (f.tail == kNil)
            f.head = w;
        else
            m_waiters[f.tail].next = w;
        f.tail = w;
    }

    bool complete(std::uint32_t fi, std::uint32_t generation, Value value)
    {
        if (!m_flights.current(fi, generation))
            return false;
        Flight& f = m_flights[fi];
        if (f.indexed) {
            const auto it = m_index.find(f.key);
            assert(it != m_index.end() && it->second == fi);
            m_index.erase(it);
        }
        const bool shared = f.joiners > 0;
        std::uint32_t w = f.head;
        // Retire the flight before any callback runs: callbacks may start new flights.
        f.indexed = false;
        f.head = f.tail = kNil;
        m_flights.release(fi);
        ++m_stats.completions;
        while (w != kNil) {
            Callback callback = std::move(m_waiters[w].callback);
            const std::uint32_t next = m_waiters[w].next;
            m_waiters[w].next = m_freeWaiter;
            m_freeWaiter = w;
            callback(value, shared);
            w = next;
        }
        return true;
    }

    SlotPool<Flight> m_flights;
    std::vector<Waiter> m_waiters;
    absl::flat_hash_map<Key, std::uint32_t, Hash, Eq> m_index;
    std::uint32_t m_freeWaiter = kNil;
    SingleflightStats m_stats;
};

} // namespace livedeck::resilience
