// The timeline model (docs/MESSAGING.md "Timeline model"): one time axis used for sync,
// index and storage, as in Tablestore's Timeline model and WeChat's per-user sequence.
//
// - Timeline: an inbox — send sequence → content id. Sequences start at 1, strictly
//   increase and are never reused; an append that repeats a (sender, client message
//   id) already in the timeline gets the first append's sequence back (a duplicate from
//   MQ redelivery or a client retry: exactly one sequence per (timeline, client
//   message id)).
// - TimelineModel: the diffusion rules.
//   * One-to-one chat, write diffusion: a send appends to both sides' timelines of the
//     pair (the sender's view and the receiver's), and the receiver's stored unread
//     counter grows by one.
//   * Group chat, read diffusion: a send appends once to the group's timeline; the
//     members get a transient push (counted, nothing stored per member) and
//     unread = group max sequence − the member's read sequence. The sender has read
//     up to its own message.
//   Unread counts never go negative; the stored one-to-one counter always equals the
//   peer's entries above the read sequence (unreadRecount() counts them, for checks).
// Deterministic (ordered maps; the hash map is looked up, never iterated).
// Single-threaded. Not copyable (timelines are large).
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <utility>
#include <vector>

namespace livedeck::messaging {

struct TimelineEntry {
    std::uint64_t seq = 0;
    std::uint64_t contentId = 0;  // the message's msgkey (snowflake)
    std::uint64_t sender = 0;
    std::uint64_t clientMsgId = 0;
};

class Timeline {
public:
    struct Append {
        std::uint64_t seq = 0;
        bool duplicate = false; // the client message id was already here: seq is the first one's
    };

    // The next sequence (max + 1).
    Append append(std::uint64_t contentId, std::uint64_t sender, std::uint64_t clientMsgId);
    // A sequence handed out elsewhere (SequenceAllocator): must exceed maxSeq() unless the
    // (sender, client message id) is already here (then the first sequence comes back).
    // Gaps are allowed (a sequence cache that lost its state skips ahead, never back).
    absl::StatusOr<Append> appendAt(std::uint64_t seq, std::uint64_t contentId, std::uint64_t sender,
                                    std::uint64_t clientMsgId);
    std::uint64_t maxSeq() const { return m_entries.empty() ? 0 : m_entries.back().seq; }
    // Entries with sequence > `seq`, at most `limit`, in order.
    std::span<const TimelineEntry> after(std::uint64_t seq, std::size_t limit) const;
    // The last `limit` entries (the newest page), in order.
    std::span<const TimelineEntry> latest(std::size_t limit) const;
    const TimelineEntry* find(std::uint64_t seq) const;
    std::size_t size() const { return m_entries.size(); }

private:
    std::vector<TimelineEntry> m_entries; // by strictly increasing sequence
    bool m_dense = true;                  // entry i has sequence i + 1 (no gaps so far)
    absl::flat_hash_map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> m_seqByClientMsg; // (sender, id)
};

class TimelineModel {
public:
    struct DirectSend {
        std::uint64_t senderSeq = 0;   // in the sender's timeline of the pair
        std::uint64_t receiverSeq = 0; // in the receiver's
        bool duplicate = false;
    };
    struct GroupSend {
        std::uint64_t seq = 0;
        bool duplicate = false;
        std::size_t pushed = 0; // members sent a transient push (all but the sender)
    };

    // One-to-one (write diffusion): two timeline writes. Refused for sender == receiver.
    absl::StatusOr<DirectSend> sendDirect(std::uint64_t sender, std::uint64_t receiver, std::uint64_t contentId,
                          std::uint64_t clientMsgId);
    // The owner has read its timeline with `peer` up to `seq` (clamped to what exists;
    // a read sequence never goes back).
    void markRead(std::uint64_t owner, std::uint64_t peer, std::uint64_t seq);
    std::uint64_t unread(std::uint64_t owner, std::uint64_t peer) const;        // the stored counter
    std::uint64_t unreadRecount(std::uint64_t owner, std::uint64_t peer) const; // counted from the timeline
    std::uint64_t readSeq(std::uint64_t owner, std::uint64_t peer) const;
    const Timeline* direct(std::uint64_t owner, std::uint64_t peer) const;

    // Groups (read diffusion).
    absl::Status createGroup(std::uint64_t group, std::span<const std::uint64_t> members);
    absl::Status addMember(std::uint64_t group, std::uint64_t member); // reads from the group's current max
    absl::StatusOr<GroupSend> sendGroup(std::uint64_t group, std::uint64_t sender, std::uint64_t contentId,
                                        std::uint64_t clientMsgId);
    absl::Status markGroupRead(std::uint64_t member, std::uint64_t group, std::uint64_t seq);
    std::uint64_t groupUnread(std::uint64_t member, std::uint64_t group) const; // max seq − read seq
    const Timeline* group(std::uint64_t group) const;

    // The owner's unread over every one-to-one conversation and group.
    std::uint64_t totalUnread(std::uint64_t owner) const;

    // Work done, for the diffusion comparison: timeline entries written, pushes sent.
    std::uint64_t entriesWritten() const { return m_entriesWritten; }
    std::uint64_t pushes() const { return m_pushes; }

private:
    struct Direct {
        Timeline timeline;
        std::uint64_t readSeq = 0;
        std::uint64_t unread = 0;
    };
    struct Group {
        Timeline timeline;
        std::map<std::uint64_t, std::uint64_t> readSeq; // member → read sequence
    };

    Direct& direct(std::uint64_t owner, std::uint64_t peer, bool& created);

    std::map<std::pair<std::uint64_t, std::uint64_t>, Direct> m_direct; // (owner, peer)
    std::map<std::uint64_t, std::set<std::uint64_t>> m_peers;           // owner → peers
    std::map<std::uint64_t, Group> m_groups;
    std::map<std::uint64_t, std::set<std::uint64_t>> m_groupsOf;        // member → groups
    std::uint64_t m_entriesWritten = 0;
    std::uint64_t m_pushes = 0;
};

} // namespace livedeck::messaging
