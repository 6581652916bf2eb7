// RaftLinearizabilityChecker: decides whether a concurrent history of operations on one
// read/write/compare-and-set register is linearizable (Herlihy & Wing 1990), with the
// Wing & Gong search as improved by Lowe ("Testing for linearizability", 2017): walk
// the calls in time order, tentatively linearize any op whose call precedes the first
// pending return and that the register model accepts, backtrack when a return is
// reached first, and memoise (set of linearized ops, register value) so no
// configuration is explored twice (the Knossos/Porcupine approach).
//
// Operations with no definite answer (a client timeout: the write may or may not have
// taken effect) have their return at +infinity; linearizing one at the end has no
// effect on anything observed, so "did not happen" is covered. Reads without an
// answer say nothing and are dropped.
//
// Contract: pure function of its input, deterministic. Histories of a few hundred
// operations with modest concurrency check in milliseconds; `maxStates` bounds the
// memo (exhausted = true when hit, then the answer is unknown).
#pragma once

#include "backend/sim/time.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace livedeck::infra {

inline constexpr std::int64_t kRegisterAbsent = std::numeric_limits<std::int64_t>::min();

struct RegisterOp {
    enum class Kind : std::uint8_t { Read, Write, Cas };
    Kind kind = Kind::Read;
    int process = 0;
    std::int64_t value = 0;    // Read: the value returned; Write/Cas: the value written
    std::int64_t expected = 0; // Cas: the value required
    bool ok = true;            // Cas: whether it succeeded (when completed)
    bool completed = true;     // false: no definite answer (may or may not have taken effect)
    sim::Nanos invoke = 0;
    sim::Nanos response = 0;   // ignored when !completed
};

struct LinearizabilityResult {
    bool linearizable = false;
    bool exhausted = false;             // gave up at maxStates: unknown
    std::uint64_t statesExplored = 0;
    std::vector<std::size_t> order;     // a witness: history indices in linearization order
    std::size_t deepest = 0;            // most ops linearized on any path (for diagnosis)
    std::string explanation;
};

class RaftLinearizabilityChecker {
public:
    explicit RaftLinearizabilityChecker(std::uint64_t maxStates = 2'000'000) : m_maxStates(maxStates) {}

    LinearizabilityResult check(const std::vector<RegisterOp>& history, std::int64_t initial = kRegisterAbsent) const;

    // The register model: whether `op` may take effect on `state`, and the state after.
    static bool step(const RegisterOp& op, std::int64_t state, std::int64_t& next);

private:
    std::uint64_t m_maxStates;
};

} // namespace livedeck::infra
