// Group chat by read diffusion (docs/MESSAGING.md "Groups"): a group send takes one
// sequence of the group's inbox and writes one content row; the members get a
// transient push (counted, nothing stored per member); a member's unread is the
// group's max sequence − the member's read sequence.
#include "backend/messaging/messaging_engine.h"
#include "backend/messaging/messaging_internal.h"

#include <algorithm>
#include <iterator>

namespace livedeck::messaging {

namespace {
constexpr std::uint64_t kGroupInboxBase = std::uint64_t{1} << 40;
} // namespace

void MessagingEngine::buildGroups()
{
    const auto n = static_cast<std::uint32_t>(std::max<double>(1.0, std::llround(m_config.groups * m_config.dataScale)));
    const std::uint32_t members = std::min<std::uint32_t>(std::max<std::uint32_t>(2, m_config.membersPerGroup), m_users);
    sim::RandomStream rng = m_world.stream("messaging/groups");
    m_groups.resize(n);
    for (Group& g : m_groups) {
        std::set<std::uint32_t> chosen;
        while (chosen.size() < members)
            chosen.insert(static_cast<std::uint32_t>(rng.uniformInt(m_users)));
        g.members.assign(chosen.begin(), chosen.end());
        for (std::uint32_t m : g.members)
            g.readSeq[m] = 0;
    }
}

void MessagingEngine::nextGroupSend()
{
    if (m_loadStopped)
        return;
    const double real = m_config.groupSendsPerSec * m_config.loadMultiplier;
    const double discrete = std::min(real, m_config.minDiscreteGroupPerSec * m_config.scale);
    if (discrete > 0.0 && !m_groups.empty()) {
        const auto g = static_cast<std::uint32_t>(m_rng.uniformInt(m_groups.size()));
        const Group& group = m_groups[g];
        sendGroup(g, group.members[m_rng.uniformInt(group.members.size())], real / discrete);
        // A member opens the group now and then.
        if (m_rng.bernoulli(0.3))
            markGroupRead(g, group.members[m_rng.uniformInt(group.members.size())]);
    }
    const double gap = discrete > 0.0 ? m_rng.exponential(1.0 / discrete) : 0.1;
    m_world.after(std::max<sim::Nanos>(1, static_cast<sim::Nanos>(gap * 1e9)), m_groupKind, m_component,
                  [this] { nextGroupSend(); });
}

namespace {
struct GroupSendOp {
    std::uint32_t group = 0;
    std::uint32_t sender = 0;
    double weight = 1.0;
    std::uint64_t msgkey = 0;
    std::uint64_t seq = 0;
    std::string table;
};
} // namespace

void MessagingEngine::sendGroup(std::uint32_t group, std::uint32_t sender, double weight)
{
    if (group >= m_groups.size() || !m_groups[group].readSeq.contains(sender)) {
        m_totals.sendFailures += weight;
        m_errorsMetric->add(weight);
        return;
    }
    auto op = std::make_shared<GroupSendOp>(GroupSendOp{group, sender, weight, 0, 0, {}});
    Region& r = home(sender);
    r.requests += weight;
    ++m_inflightSends;
    auto fail = [this, op] {
        --m_inflightSends;
        m_totals.sendFailures += op->weight;
        m_errorsMetric->add(op->weight);
        home(op->sender).failures += op->weight;
    };
    r.queue->submit(
        weight, [this](bool&) { return m_config.bffCost; },
        [this, op, fail](infra::ServiceOutcome outcome, sim::Nanos) {
            if (outcome != infra::ServiceOutcome::Ok || !issueMsgkey(nowUnixMs(), op->msgkey)) {
                fail();
                return;
            }
            reserveSeq(kGroupInboxBase + op->group, home(op->sender), [this, op, fail](bool ok, std::uint64_t seq) {
                if (!ok) {
                    fail();
                    return;
                }
                // Written once: the content row; the group's timeline entry is its sequence.
                op->seq = seq;
                op->table = contentTable(m_router.route(op->msgkey));
                auto b = std::make_shared<infra::SqlBatch>();
                b->add(sim::strCat("INSERT INTO ", op->table,
                                   " (msgkey, sender, receiver, body, state) VALUES (?1, ?2, ?3, ?4, 0)"),
                       {static_cast<std::int64_t>(op->msgkey), static_cast<std::int64_t>(op->sender),
                        static_cast<std::int64_t>(kGroupInboxBase + op->group), std::string("hello group")},
                       static_cast<std::int64_t>(op->msgkey));
                const infra::SqlCall call{home(op->sender).bff, op->weight, 0};
                m_contentDb->write(0, std::move(b), call, [this, op, fail](infra::SqlResult& res) {
                    if (!res.ok() || res.changes == 0) {
                        fail();
                        return;
                    }
                    --m_inflightSends;
                    ++m_invariants[kNoLostSend].checked;
                    ++m_contentRows[op->table];
                    m_contentReal[op->table] += op->weight;
                    Group& g = m_groups[op->group];
                    g.maxSeq = std::max(g.maxSeq, op->seq);
                    g.seqs.insert(op->seq);
                    m_totals.groupSends += op->weight;
                    m_totals.groupPushes += op->weight * static_cast<double>(g.members.size() - 1);
                });
            });
        });
}

void MessagingEngine::markGroupRead(std::uint32_t group, std::uint32_t member)
{
    if (group >= m_groups.size())
        return;
    Group& g = m_groups[group];
    auto it = g.readSeq.find(member);
    if (it == g.readSeq.end())
        return;
    (void)groupUnread(group, member); // checked before the read moves
    it->second = g.maxSeq;
}

std::int64_t MessagingEngine::groupUnread(std::uint32_t group, std::uint32_t member)
{
    if (group >= m_groups.size())
        return -1;
    const Group& g = m_groups[group];
    auto it = g.readSeq.find(member);
    if (it == g.readSeq.end())
        return -1;
    const auto unread = static_cast<std::int64_t>(g.maxSeq) - static_cast<std::int64_t>(it->second);
    // The entries above the read sequence: equal to the unread count unless a lost
    // sequence cache left a gap (then fewer), never more.
    const auto above = static_cast<std::int64_t>(std::distance(g.seqs.upper_bound(it->second), g.seqs.end()));
    ++m_invariants[kGroupUnread].checked;
    if (unread < 0 || unread < above)
        violation(kGroupUnread, sim::strCat("group ", group, " member ", member, ": unread ", unread, " with ", above,
                                                 " entries above its read sequence ", it->second));
    return unread;
}

} // namespace livedeck::messaging
