#include "backend/messaging/timeline.h"

#include "backend/sim/strings.h"

#include <absl/status/statusor.h>

#include <algorithm>
#include <cassert>

namespace livedeck::messaging {

// ---------------------------------------------------------------- Timeline

Timeline::Append Timeline::append(std::uint64_t contentId, std::uint64_t sender, std::uint64_t clientMsgId)
{
    const std::uint64_t seq = maxSeq() + 1;
    const auto [it, inserted] = m_seqByClientMsg.try_emplace(std::pair{sender, clientMsgId}, seq);
    if (!inserted)
        return Append{it->second, true};
    m_entries.push_back(TimelineEntry{seq, contentId, sender, clientMsgId});
    return Append{seq, false};
}

absl::StatusOr<Timeline::Append> Timeline::appendAt(std::uint64_t seq, std::uint64_t contentId, std::uint64_t sender,
                                                    std::uint64_t clientMsgId)
{
    if (const auto it = m_seqByClientMsg.find(std::pair{sender, clientMsgId}); it != m_seqByClientMsg.end())
        return Append{it->second, true};
    if (seq <= maxSeq())
        return absl::FailedPreconditionError(sim::strCat("sequence ", seq, " is not above the timeline's max ",
                                                         maxSeq(), ": a sequence is never reused or moved back"));
    m_seqByClientMsg.emplace(std::pair{sender, clientMsgId}, seq);
    m_dense = m_dense && seq == m_entries.size() + 1;
    m_entries.push_back(TimelineEntry{seq, contentId, sender, clientMsgId});
    return Append{seq, false};
}

std::span<const TimelineEntry> Timeline::after(std::uint64_t seq, std::size_t limit) const
{
    std::size_t from;
    if (m_dense) {
        from = static_cast<std::size_t>(std::min<std::uint64_t>(seq, m_entries.size()));
    } else {
        from = static_cast<std::size_t>(
            std::upper_bound(m_entries.begin(), m_entries.end(), seq,
                             [](std::uint64_t s, const TimelineEntry& e) { return s < e.seq; })
            - m_entries.begin());
    }
    if (from >= m_entries.size())
        return {};
    return std::span<const TimelineEntry>(m_entries).subspan(from, std::min(limit, m_entries.size() - from));
}

std::span<const TimelineEntry> Timeline::latest(std::size_t limit) const
{
    const std::size_t n = std::min(limit, m_entries.size());
    return std::span<const TimelineEntry>(m_entries).subspan(m_entries.size() - n, n);
}

const TimelineEntry* Timeline::find(std::uint64_t seq) const
{
    if (m_dense)
        return seq >= 1 && seq <= m_entries.size() ? &m_entries[static_cast<std::size_t>(seq - 1)] : nullptr;
    const auto it = std::lower_bound(m_entries.begin(), m_entries.end(), seq,
                                     [](const TimelineEntry& e, std::uint64_t s) { return e.seq < s; });
    return it != m_entries.end() && it->seq == seq ? &*it : nullptr;
}

// ---------------------------------------------------------------- one-to-one

TimelineModel::Direct& TimelineModel::direct(std::uint64_t owner, std::uint64_t peer, bool& created)
{
    const auto [it, inserted] = m_direct.try_emplace({owner, peer});
    created = inserted;
    if (inserted)
        m_peers[owner].insert(peer);
    return it->second;
}

absl::StatusOr<TimelineModel::DirectSend> TimelineModel::sendDirect(std::uint64_t sender, std::uint64_t receiver,
                                                                    std::uint64_t contentId, std::uint64_t clientMsgId)
{
    if (sender == receiver)
        return absl::InvalidArgumentError(sim::strCat("a one-to-one message needs two users; got ", sender, " twice"));
    bool created = false;
    Direct& mine = direct(sender, receiver, created);
    Direct& theirs = direct(receiver, sender, created);
    const Timeline::Append a = mine.timeline.append(contentId, sender, clientMsgId);
    const Timeline::Append b = theirs.timeline.append(contentId, sender, clientMsgId);
    assert(a.duplicate == b.duplicate);
    DirectSend out{a.seq, b.seq, a.duplicate && b.duplicate};
    if (!a.duplicate)
        ++m_entriesWritten;
    if (!b.duplicate) {
        ++m_entriesWritten;
        ++theirs.unread;
    }
    // The sender's own messages are never unread for it; its read sequence stays.
    (void)created;
    return out;
}

void TimelineModel::markRead(std::uint64_t owner, std::uint64_t peer, std::uint64_t seq)
{
    const auto it = m_direct.find({owner, peer});
    if (it == m_direct.end())
        return;
    Direct& d = it->second;
    const std::uint64_t to = std::min(seq, d.timeline.maxSeq());
    if (to <= d.readSeq)
        return;
    // The stored counter drops by the peer's entries now read.
    for (const TimelineEntry& e : d.timeline.after(d.readSeq, static_cast<std::size_t>(to - d.readSeq))) {
        if (e.seq > to)
            break; // a gap: fewer entries than sequences
        if (e.sender != owner) {
            assert(d.unread > 0);
            --d.unread;
        }
    }
    d.readSeq = to;
}

std::uint64_t TimelineModel::unread(std::uint64_t owner, std::uint64_t peer) const
{
    const auto it = m_direct.find({owner, peer});
    return it == m_direct.end() ? 0 : it->second.unread;
}

std::uint64_t TimelineModel::unreadRecount(std::uint64_t owner, std::uint64_t peer) const
{
    const auto it = m_direct.find({owner, peer});
    if (it == m_direct.end())
        return 0;
    const Direct& d = it->second;
    std::uint64_t n = 0;
    for (const TimelineEntry& e : d.timeline.after(d.readSeq, d.timeline.size()))
        n += e.sender != owner ? 1 : 0;
    return n;
}

std::uint64_t TimelineModel::readSeq(std::uint64_t owner, std::uint64_t peer) const
{
    const auto it = m_direct.find({owner, peer});
    return it == m_direct.end() ? 0 : it->second.readSeq;
}

const Timeline* TimelineModel::direct(std::uint64_t owner, std::uint64_t peer) const
{
    const auto it = m_direct.find({owner, peer});
    return it == m_direct.end() ? nullptr : &it->second.timeline;
}

// ---------------------------------------------------------------- groups

absl::Status TimelineModel::createGroup(std::uint64_t group, std::span<const std::uint64_t> members)
{
    if (m_groups.contains(group))
        return absl::AlreadyExistsError(sim::strCat("group ", group, " already exists"));
    Group& g = m_groups[group];
    for (std::uint64_t m : members) {
        g.readSeq.emplace(m, 0);
        m_groupsOf[m].insert(group);
    }
    return absl::OkStatus();
}

absl::Status TimelineModel::addMember(std::uint64_t group, std::uint64_t member)
{
    const auto it = m_groups.find(group);
    if (it == m_groups.end())
        return absl::NotFoundError(sim::strCat("no group ", group));
    it->second.readSeq.try_emplace(member, it->second.timeline.maxSeq());
    m_groupsOf[member].insert(group);
    return absl::OkStatus();
}

absl::StatusOr<TimelineModel::GroupSend> TimelineModel::sendGroup(std::uint64_t group, std::uint64_t sender,
                                                                 std::uint64_t contentId, std::uint64_t clientMsgId)
{
    const auto it = m_groups.find(group);
    if (it == m_groups.end())
        return absl::NotFoundError(sim::strCat("no group ", group));
    Group& g = it->second;
    const auto member = g.readSeq.find(sender);
    if (member == g.readSeq.end())
        return absl::PermissionDeniedError(sim::strCat("user ", sender, " is not a member of group ", group));
    const Timeline::Append a = g.timeline.append(contentId, sender, clientMsgId);
    GroupSend out{a.seq, a.duplicate, 0};
    if (a.duplicate)
        return out;
    ++m_entriesWritten; // written once, whatever the group's size
    member->second = std::max(member->second, a.seq);
    out.pushed = g.readSeq.size() - 1;
    m_pushes += out.pushed;
    return out;
}

absl::Status TimelineModel::markGroupRead(std::uint64_t member, std::uint64_t group, std::uint64_t seq)
{
    const auto it = m_groups.find(group);
    if (it == m_groups.end())
        return absl::NotFoundError(sim::strCat("no group ", group));
    const auto m = it->second.readSeq.find(member);
    if (m == it->second.readSeq.end())
        return absl::NotFoundError(sim::strCat("user ", member, " is not a member of group ", group));
    m->second = std::max(m->second, std::min(seq, it->second.timeline.maxSeq()));
    return absl::OkStatus();
}

std::uint64_t TimelineModel::groupUnread(std::uint64_t member, std::uint64_t group) const
{
    const auto it = m_groups.find(group);
    if (it == m_groups.end())
        return 0;
    const auto m = it->second.readSeq.find(member);
    if (m == it->second.readSeq.end())
        return 0;
    return it->second.timeline.maxSeq() - m->second; // read seq never exceeds max seq
}

const Timeline* TimelineModel::group(std::uint64_t group) const
{
    const auto it = m_groups.find(group);
    return it == m_groups.end() ? nullptr : &it->second.timeline;
}

std::uint64_t TimelineModel::totalUnread(std::uint64_t owner) const
{
    std::uint64_t total = 0;
    if (const auto p = m_peers.find(owner); p != m_peers.end()) {
        for (std::uint64_t peer : p->second)
            total += unread(owner, peer);
    }
    if (const auto g = m_groupsOf.find(owner); g != m_groupsOf.end()) {
        for (std::uint64_t group : g->second)
            total += groupUnread(owner, group);
    }
    return total;
}

} // namespace livedeck::messaging
