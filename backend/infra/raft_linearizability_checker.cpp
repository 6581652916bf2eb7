#include "backend/infra/raft_linearizability_checker.h"

#include "backend/sim/strings.h"

#include <absl/container/flat_hash_set.h>
#include <xxhash.h>

#include <algorithm>

namespace livedeck::infra {

namespace {

struct Entry {
    bool call = false;
    std::size_t op = 0;       // index into the kept ops
    sim::Nanos time = 0;
    std::size_t match = 0;    // list node of the other half (call ↔ return)
    std::size_t prev = 0;
    std::size_t next = 0;
};

struct MemoKey {
    std::vector<std::uint64_t> bits;
    std::int64_t state;
    bool operator==(const MemoKey& o) const { return state == o.state && bits == o.bits; }
};

struct MemoHash {
    std::size_t operator()(const MemoKey& k) const
    {
        return XXH3_64bits_withSeed(k.bits.data(), k.bits.size() * sizeof(std::uint64_t),
                                    static_cast<std::uint64_t>(k.state));
    }
};

} // namespace

bool RaftLinearizabilityChecker::step(const RegisterOp& op, std::int64_t state, std::int64_t& next)
{
    next = state;
    switch (op.kind) {
    case RegisterOp::Kind::Read:
        return state == op.value;
    case RegisterOp::Kind::Write:
        next = op.value;
        return true;
    case RegisterOp::Kind::Cas:
        if (!op.completed) {
            // Unknown outcome: takes effect when it can, is a failed cas otherwise.
            if (state == op.expected)
                next = op.value;
            return true;
        }
        if (op.ok) {
            if (state != op.expected)
                return false;
            next = op.value;
            return true;
        }
        return state != op.expected;
    }
    return false;
}

LinearizabilityResult RaftLinearizabilityChecker::check(const std::vector<RegisterOp>& history,
                                                        std::int64_t initial) const
{
    LinearizabilityResult result;
    std::vector<std::size_t> kept; // history indices
    for (std::size_t i = 0; i < history.size(); ++i) {
        const RegisterOp& op = history[i];
        if (op.kind == RegisterOp::Kind::Read && !op.completed)
            continue;
        kept.push_back(i);
    }
    const std::size_t n = kept.size();
    if (n == 0) {
        result.linearizable = true;
        return result;
    }

    // Node 0 is the head sentinel; nodes 1..2n are calls and returns in time order
    // (calls before returns at equal times: such ops are concurrent).
    std::vector<Entry> nodes(2 * n + 1);
    {
        std::vector<Entry> sorted;
        sorted.reserve(2 * n);
        for (std::size_t k = 0; k < n; ++k) {
            const RegisterOp& op = history[kept[k]];
            sorted.push_back(Entry{true, k, op.invoke, 0, 0, 0});
            sorted.push_back(Entry{false, k, op.completed ? op.response : sim::kNever, 0, 0, 0});
        }
        std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
            if (a.time != b.time)
                return a.time < b.time;
            return a.call && !b.call;
        });
        std::vector<std::size_t> callNode(n), returnNode(n);
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            nodes[i + 1] = sorted[i];
            (sorted[i].call ? callNode : returnNode)[sorted[i].op] = i + 1;
        }
        for (std::size_t k = 0; k < n; ++k) {
            if (history[kept[k]].completed && history[kept[k]].response < history[kept[k]].invoke) {
                result.explanation = sim::strCat("operation ", kept[k], " returns before it is invoked");
                return result;
            }
            nodes[callNode[k]].match = returnNode[k];
            nodes[returnNode[k]].match = callNode[k];
        }
        for (std::size_t i = 0; i <= 2 * n; ++i) {
            nodes[i].prev = i == 0 ? 0 : i - 1;
            nodes[i].next = i == 2 * n ? 0 : i + 1; // 0 = end of list
        }
    }
    const auto lift = [&](std::size_t call) {
        Entry& c = nodes[call];
        nodes[c.prev].next = c.next;
        if (c.next)
            nodes[c.next].prev = c.prev;
        Entry& r = nodes[c.match];
        nodes[r.prev].next = r.next;
        if (r.next)
            nodes[r.next].prev = r.prev;
    };
    const auto unlift = [&](std::size_t call) {
        Entry& c = nodes[call];
        Entry& r = nodes[c.match];
        nodes[r.prev].next = c.match;
        if (r.next)
            nodes[r.next].prev = c.match;
        nodes[c.prev].next = call;
        if (c.next)
            nodes[c.next].prev = call;
    };

    const std::size_t words = (n + 63) / 64;
    MemoKey key{std::vector<std::uint64_t>(words, 0), initial};
    absl::flat_hash_set<MemoKey, MemoHash> memo;
    struct Frame {
        std::size_t call;
        std::int64_t state;
    };
    std::vector<Frame> stack;
    std::int64_t state = initial;
    std::size_t cur = nodes[0].next;
    while (nodes[0].next != 0) {
        if (cur == 0) {
            // Ran off the end: cannot happen (every remaining op has a return after its call).
            break;
        }
        const Entry& e = nodes[cur];
        if (e.call) {
            const RegisterOp& op = history[kept[e.op]];
            std::int64_t next;
            if (step(op, state, next)) {
                key.bits[e.op / 64] |= std::uint64_t{1} << (e.op % 64);
                key.state = next;
                if (memo.insert(key).second) {
                    ++result.statesExplored;
                    if (result.statesExplored >= m_maxStates) {
                        result.exhausted = true;
                        result.explanation = sim::strCat("gave up after ", result.statesExplored, " states");
                        return result;
                    }
                    stack.push_back(Frame{cur, state});
                    result.deepest = std::max(result.deepest, stack.size());
                    state = next;
                    lift(cur);
                    cur = nodes[0].next;
                    continue;
                }
                key.bits[e.op / 64] &= ~(std::uint64_t{1} << (e.op % 64));
            }
            cur = e.next;
            continue;
        }
        // A return reached with its op not linearized: backtrack.
        if (stack.empty()) {
            result.explanation = sim::strCat("no linearization: at most ", result.deepest, " of ", n,
                                             " operations could be ordered");
            return result;
        }
        const Frame f = stack.back();
        stack.pop_back();
        const std::size_t op = nodes[f.call].op;
        key.bits[op / 64] &= ~(std::uint64_t{1} << (op % 64));
        state = f.state;
        unlift(f.call);
        cur = nodes[f.call].next;
    }
    result.linearizable = nodes[0].next == 0;
    for (const Frame& f : stack)
        result.order.push_back(kept[nodes[f.call].op]);
    if (!result.linearizable)
        result.explanation = "search ended early";
    return result;
}

} // namespace livedeck::infra
