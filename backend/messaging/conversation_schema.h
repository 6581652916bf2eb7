// ConversationSchema: the conversation store on the SQL shards, in its legacy and its
// upgraded form (docs/MESSAGING.md "Conversation store"). Real SQL run by SQLite, so the
// differences show up in SQLite's own counters (VM steps, rows, page misses) and from
// there in the cost model:
//
//                         legacy                               upgraded
//   secondary indexes     nine (each write maintains them)     two: unique (owner, peer)
//                                                              + one covering the list
//   conversation list     (owner, last_msg_time) index, a      the covering index alone,
//                         table row per entry, OFFSET paging   keyset paging on
//                         (a deep page walks every row above)  (last_msg_time, peer)
//   total unread          SUM(unread) over the owner's rows    a stored counter per user,
//                         at query time                        updated in the same
//                                                              transaction as the row
//
// Both keep a total modification-time version per row (RowVersion, computed by the
// UPDATE itself) for the binlog sync. Every statement takes its times as parameters
// (replication is statement-based). Rows: one per (owner, peer) — write diffusion
// updates the sender's row and the receiver's (unread + 1) in one transaction.
// Value type; the SQL texts are constants.
#pragma once

#include "backend/infra/sql_batch.h"
#include "backend/infra/sql_result.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace livedeck::messaging {

enum class ConversationSchemaKind : std::uint8_t { Legacy, Upgraded };
const char* toString(ConversationSchemaKind kind);

// The kinds of private message (docs/MESSAGING.md "Model").
enum class MessageKind : std::uint8_t { OneToOne = 0, Bulk = 1, Group = 2, Assistant = 3 };

struct ConversationRow {
    std::int64_t peer = 0;
    std::int64_t kind = 0;
    std::int64_t lastMsgKey = 0;
    std::int64_t lastMsgTimeMs = 0;
    std::int64_t unread = 0;
    bool operator==(const ConversationRow&) const = default;
};

// Where the next page starts: legacy counts rows to skip, upgraded remembers the last
// (time, peer) it returned.
struct ListCursor {
    std::int64_t offset = 0;
    std::int64_t beforeTimeMs = std::numeric_limits<std::int64_t>::max();
    std::int64_t beforePeer = std::numeric_limits<std::int64_t>::max();
};

// One side of a send: the owner's row with `peer` (unreadDelta 1 for the receiver).
struct ConversationUpdate {
    std::int64_t owner = 0;
    std::int64_t peer = 0;
    MessageKind kind = MessageKind::OneToOne;
    std::int64_t msgKey = 0;
    std::int64_t msgTimeMs = 0;
    std::int64_t unreadDelta = 0;
    std::int64_t nowMs = 0; // the modification time
};

// The upgraded schema's mechanisms one at a time (a drill's sabotage switches
// no-covering-index and no-stored-counters; the legacy schema has neither).
struct UpgradedSchemaOptions {
    // The list query's covering index. Off: the table has only the unique (owner, peer)
    // index, so a list page reads the owner's rows through it, fetches each table row and
    // sorts them.
    bool coveringIndex = true;
    // The per-user unread counter (user_unread), kept in the send's and the read's
    // transaction. Off: no counter table; the total is summed over the owner's rows at
    // query time, as legacy does.
    bool storedCounters = true;
};

class ConversationSchema {
public:
    explicit ConversationSchema(ConversationSchemaKind kind, UpgradedSchemaOptions options = {})
        : m_kind(kind), m_options(options)
    {
    }

    ConversationSchemaKind kind() const { return m_kind; }
    const UpgradedSchemaOptions& options() const { return m_options; }
    // DDL for SqlClusterConfig::schema.
    std::vector<std::string> ddl() const;
    int secondaryIndexes() const
    {
        return m_kind == ConversationSchemaKind::Legacy ? 9 : (m_options.coveringIndex ? 2 : 1);
    }

    // Appends one side of a send (and, upgraded, the owner's stored unread counter).
    void addSend(infra::SqlBatch& batch, const ConversationUpdate& update) const;
    // Write diffusion of a one-to-one message: the sender's row and the receiver's.
    void addDirectSend(infra::SqlBatch& batch, std::int64_t sender, std::int64_t receiver, std::int64_t msgKey,
                       std::int64_t msgTimeMs, std::int64_t nowMs) const;
    // The owner read everything with `peer`: unread to 0 (upgraded: the counter too).
    void addMarkRead(infra::SqlBatch& batch, std::int64_t owner, std::int64_t peer, std::int64_t nowMs) const;

    // One page of the owner's list, newest first.
    infra::SqlQuery listPage(std::int64_t owner, const ListCursor& cursor, std::int64_t limit) const;
    ListCursor nextCursor(const ListCursor& cursor, const std::vector<ConversationRow>& page) const;
    // The owner's total unread (one row, one column).
    infra::SqlQuery totalUnread(std::int64_t owner) const;
    // One conversation's row with its version (for the binlog sync and checks).
    infra::SqlQuery conversation(std::int64_t owner, std::int64_t peer) const;

    static std::vector<ConversationRow> rows(const infra::SqlResult& result);
    static std::int64_t total(const infra::SqlResult& result); // 0 when no row
    // A binlog statement that addSend() wrote, read back (the canal's row change); false
    // for any other statement.
    static bool parseSend(const infra::SqlBatch& batch, const infra::SqlBatch::Step& step, ConversationUpdate& out);

private:
    // The upgraded schema with its stored counter (the legacy schema and the upgraded one
    // without counters sum at query time).
    bool storesCounters() const { return m_kind == ConversationSchemaKind::Upgraded && m_options.storedCounters; }

    ConversationSchemaKind m_kind;
    UpgradedSchemaOptions m_options;
};

// A conversation-list page and the unread total as one cache value:
// "<total>;<peer>,<last msgkey>,<last ms>,<unread>;…".
std::string encodeConversationList(const std::vector<ConversationRow>& rows, std::int64_t total);

} // namespace livedeck::messaging
