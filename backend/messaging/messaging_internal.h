// Internal to backend/messaging: the MessagingEngine's private records shared by its
// source files (messaging_engine.cpp, messaging_bulk.cpp, messaging_group.cpp,
// messaging_sync.cpp). Not part of the library's interface.
#pragma once

#include "backend/messaging/messaging_engine.h"
#include "backend/sim/strings.h"

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>
#include <absl/strings/str_cat.h>

#include <deque>
#include <vector>

namespace livedeck::messaging {

// The content table's name in the one content database of a drill: "<database>_<table>".
inline std::string contentTable(const ContentRoute& r) { return sim::strCat(r.database, "_", r.tableName); }

struct MessagingEngine::Region {
    int index = 0; // world region
    std::string name;
    std::string dataCentre;
    sim::ComponentId bff = sim::kNoComponent;
    std::unique_ptr<infra::ServiceQueue> queue;
    sim::ComponentId noticeBff = sim::kNoComponent;   // upgraded: the notification domain's BFF
    std::unique_ptr<infra::ServiceQueue> noticeQueue; // (legacy, shared-bff: none, `queue` serves them)
    std::unique_ptr<infra::KvPair> ownRedis;          // alone: the region's own pair
    infra::KvPair* redis = nullptr;                   // ownRedis, or the shared "redis/<dc>"
    std::unique_ptr<infra::RaftClient> seqClient;     // sequence ceilings (leader reads)
    std::unique_ptr<infra::RaftClient> taishanClient; // upgraded tier (RANDOM reads)
    // The last completed second, for RegionHealth.
    double requests = 0.0, failures = 0.0;
    telemetry::Histogram second;
    double lastRequests = 0.0, lastFailures = 0.0, lastP99Ms = 0.0;
};

struct MessagingEngine::SendOp {
    std::uint32_t sender = 0;
    std::uint32_t receiver = 0;
    double weight = 1.0;
    sim::Nanos startedAt = 0;
    std::uint64_t msgkey = 0;
    std::int64_t msgMs = 0;
    std::uint64_t seq[2] = {0, 0}; // sender's inbox, receiver's inbox
    int pending = 0;
    bool failed = false;
    std::string failure;
    std::string table;
    std::uint64_t convPosition = 0;    // binlog position of the sender's conversation row
    std::uint64_t contentPosition = 0; // of the content row
};

// The sender opens the conversation after a send: its message read back by msgkey.
struct MessagingEngine::DetailOp {
    std::uint32_t sender = 0;
    std::uint64_t msgkey = 0;
    std::string table;
    double weight = 1.0;
    WriteToken token; // the session's token when the read started
};

struct MessagingEngine::QueryOp {
    std::uint32_t user = 0;
    double weight = 1.0;
    sim::Nanos startedAt = 0;
    Region* region = nullptr;
    std::vector<ConversationRow> rows;
    std::int64_t total = 0;
    int tier = 0; // 0 Redis, 1 Taishan, 2 MySQL
    bool done = false;
    bool hedged = false;
    WriteToken token; // the session's read-your-writes token when the query started
};

// A consumer's batch in hand: committed when its last record is done.
struct BulkBatch {
    int remaining = 0;
    infra::MqAck ack;
};

struct MessagingEngine::BulkJob {
    std::uint64_t task = 0;
    std::uint64_t index = 0;    // the recipient's place in its task
    std::uint32_t user = 0;
    bool high = false;
    bool poison = false;
    sim::Nanos producedAt = 0;
    double weight = 1.0;
    int attempts = 0;
    sim::Nanos startedAt = 0;
    std::shared_ptr<BulkBatch> batch;
    Channel* channel = nullptr;
    int consumer = 0;
};

struct MessagingEngine::Channel {
    BulkChannelConfig config;
    std::string group;
    std::vector<std::unique_ptr<infra::MqConsumer>> consumers;
    struct Local {
        std::deque<std::shared_ptr<BulkJob>> queue; // records handed to the in-process workers
        int busy = 0;                                // workers holding a record
    };
    std::vector<Local> locals;
};

// The canal's row images: each user's conversations as the binlog has them, so each
// record carries the list as of its own entry (a row-based binlog's after-images).
// Rows are kept newest last in a B-tree keyed (last ms, peer), the order of the upgraded
// list query, so a page is the tree's last entries; each row keeps its page entry
// (";peer,msgkey,time,unread") formatted from the time it is first shown until it
// changes, so an image re-formats only the row its entry changed.
struct MessagingEngine::Mirror {
    struct Row {
        std::int64_t msgKey = 0;
        std::int64_t unread = 0;
        mutable std::string text; // the page entry; empty until formatted
    };
    struct User {
        absl::flat_hash_map<std::int64_t, std::int64_t> timeOf;            // peer → last ms (looked up only)
        absl::btree_map<std::pair<std::int64_t, std::int64_t>, Row> order; // (last ms, peer) → row
        std::int64_t total = 0;
    };
    std::vector<User> users; // by owner id

    explicit Mirror(std::uint32_t userCount) : users(userCount) {}

    void upsert(const ConversationUpdate& u)
    {
        if (u.owner < 0 || u.owner >= static_cast<std::int64_t>(users.size()))
            return;
        User& user = users[static_cast<std::size_t>(u.owner)];
        auto [t, inserted] = user.timeOf.try_emplace(u.peer, u.msgTimeMs);
        Row row{u.msgKey, 0, {}};
        if (!inserted) {
            auto it = user.order.find(std::pair{t->second, u.peer});
            row.msgKey = std::max(it->second.msgKey, u.msgKey);
            row.unread = it->second.unread;
            row.text = std::move(it->second.text); // its buffer, re-formatted when shown
            row.text.clear();
            if (u.msgTimeMs <= t->second) {
                // Same place in the order: the row changes in place.
                it->second.msgKey = row.msgKey;
                it->second.unread += u.unreadDelta;
                it->second.text.clear();
                user.total += u.unreadDelta;
                return;
            }
            user.order.erase(it);
            t->second = u.msgTimeMs;
        }
        row.unread += u.unreadDelta;
        user.total += u.unreadDelta;
        user.order.emplace(std::pair{t->second, u.peer}, std::move(row));
    }
    // Appends the first page and the total, as the upgraded list query answers them
    // (encodeConversationList's format).
    void appendImage(std::string& out, std::int64_t owner, std::int64_t pageSize) const
    {
        if (owner < 0 || owner >= static_cast<std::int64_t>(users.size())) {
            out += '0';
            return;
        }
        const User& u = users[static_cast<std::size_t>(owner)];
        absl::StrAppend(&out, u.total);
        std::int64_t n = 0;
        for (auto o = u.order.rbegin(); o != u.order.rend() && n < pageSize; ++o, ++n) {
            const Row& r = o->second;
            if (r.text.empty())
                absl::StrAppend(&r.text, ";", o->first.second, ",", r.msgKey, ",", o->first.first, ",", r.unread);
            out += r.text;
        }
    }
    std::string image(std::int64_t owner, std::int64_t pageSize) const
    {
        std::string out;
        appendImage(out, owner, pageSize);
        return out;
    }
};

// The canal's work on its mirror for one binlog entry (or one drain's or restore's
// resync): the entry's row changes into the mirror, then each touched user's image
// appended to its record's value (begun by stampSync with the user's version). It may run
// on the world's helper (sim::Offload): the mirror is touched by nothing else once the
// engine runs, the works run one at a time in the order posted (m_canalStrand), and the
// world reads the values only in flushCanal, after waiting for every work posted before.
struct MessagingEngine::CanalWork final : sim::OffloadTask {
    Mirror* mirror = nullptr;
    std::int64_t pageSize = 0;
    std::vector<ConversationUpdate> updates;
    std::vector<std::pair<std::int64_t, std::string>> images; // (user, record value)

    void clear()
    {
        updates.clear();
        images.clear();
    }

private:
    void run() override
    {
        for (const ConversationUpdate& u : updates)
            mirror->upsert(u);
        for (auto& [user, value] : images)
            mirror->appendImage(value, user, pageSize);
    }
};

} // namespace livedeck::messaging
