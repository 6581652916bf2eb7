#include "backend/messaging/conversation_schema.h"

#include "backend/sim/strings.h"

namespace livedeck::messaging {

namespace {

constexpr const char* kTable =
    "CREATE TABLE conversation ("
    "id INTEGER PRIMARY KEY, owner_uid INTEGER NOT NULL, peer_uid INTEGER NOT NULL, "
    "kind INTEGER NOT NULL DEFAULT 0, last_msg_key INTEGER NOT NULL, last_msg_time INTEGER NOT NULL, "
    "unread INTEGER NOT NULL DEFAULT 0, is_top INTEGER NOT NULL DEFAULT 0, is_deleted INTEGER NOT NULL DEFAULT 0, "
    "mute INTEGER NOT NULL DEFAULT 0, ctime INTEGER NOT NULL, mtime INTEGER NOT NULL, version INTEGER NOT NULL)";

// The legacy table's nine secondary indexes (the write-up: "nine non-clustered
// indexes already in place"); the names say what each served.
constexpr const char* kLegacyIndexes =
    "CREATE UNIQUE INDEX conv_owner_peer ON conversation(owner_uid, peer_uid);"
    "CREATE INDEX conv_owner_time ON conversation(owner_uid, last_msg_time);"
    "CREATE INDEX conv_peer ON conversation(peer_uid);"
    "CREATE INDEX conv_owner_unread ON conversation(owner_uid, unread);"
    "CREATE INDEX conv_owner_top ON conversation(owner_uid, is_top, last_msg_time);"
    "CREATE INDEX conv_owner_kind ON conversation(owner_uid, kind);"
    "CREATE INDEX conv_time ON conversation(last_msg_time);"
    "CREATE INDEX conv_mtime ON conversation(mtime);"
    "CREATE INDEX conv_owner_deleted ON conversation(owner_uid, is_deleted, mtime)";

// Upgraded: the unique key and one index that covers the list query.
constexpr const char* kUniqueIndex = "CREATE UNIQUE INDEX conv_owner_peer ON conversation(owner_uid, peer_uid)";
constexpr const char* kCoveringIndex =
    "CREATE INDEX conv_list ON conversation(owner_uid, is_deleted, last_msg_time, peer_uid, kind, last_msg_key, unread)";
constexpr const char* kUnreadTable = "CREATE TABLE user_unread (owner_uid INTEGER PRIMARY KEY, total INTEGER NOT NULL)";

constexpr const char* kUpsert =
    "INSERT INTO conversation (owner_uid, peer_uid, kind, last_msg_key, last_msg_time, unread, ctime, mtime, version) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7 << 20) "
    "ON CONFLICT (owner_uid, peer_uid) DO UPDATE SET "
    "last_msg_key = MAX(last_msg_key, excluded.last_msg_key), "
    "last_msg_time = MAX(last_msg_time, excluded.last_msg_time), "
    "unread = unread + excluded.unread, is_deleted = 0, mtime = excluded.mtime, "
    "version = MAX(excluded.mtime << 20, version + 1)";
constexpr const char* kAddUnread =
    "INSERT INTO user_unread (owner_uid, total) VALUES (?1, ?2) "
    "ON CONFLICT (owner_uid) DO UPDATE SET total = total + excluded.total";
constexpr const char* kSubtractRead =
    "UPDATE user_unread SET total = total - COALESCE((SELECT unread FROM conversation "
    "WHERE owner_uid = ?1 AND peer_uid = ?2), 0) WHERE owner_uid = ?1";
constexpr const char* kMarkRead =
    "UPDATE conversation SET unread = 0, mtime = ?3, version = MAX(?3 << 20, version + 1) "
    "WHERE owner_uid = ?1 AND peer_uid = ?2 AND unread > 0";

// Legacy list: the (owner, time) index walks newest first, each entry fetches its
// table row (is_deleted and the selected columns are not in the index), and OFFSET
// walks the skipped rows too. INDEXED BY pins the plan MySQL chose for it.
constexpr const char* kLegacyList =
    "SELECT peer_uid, kind, last_msg_key, last_msg_time, unread FROM conversation INDEXED BY conv_owner_time "
    "WHERE owner_uid = ?1 AND is_deleted = 0 ORDER BY last_msg_time DESC LIMIT ?2 OFFSET ?3";
// Upgraded list: keyset on (last_msg_time, peer_uid), answered from conv_list alone.
constexpr const char* kUpgradedList =
    "SELECT peer_uid, kind, last_msg_key, last_msg_time, unread FROM conversation "
    "WHERE owner_uid = ?1 AND is_deleted = 0 AND (last_msg_time, peer_uid) < (?2, ?3) "
    "ORDER BY last_msg_time DESC, peer_uid DESC LIMIT ?4";

constexpr const char* kLegacyTotal =
    "SELECT COALESCE(SUM(unread), 0) FROM conversation WHERE owner_uid = ?1 AND is_deleted = 0";
constexpr const char* kUpgradedTotal = "SELECT total FROM user_unread WHERE owner_uid = ?1";

constexpr const char* kOne =
    "SELECT peer_uid, kind, last_msg_key, last_msg_time, unread, version, mtime FROM conversation "
    "WHERE owner_uid = ?1 AND peer_uid = ?2";

} // namespace

const char* toString(ConversationSchemaKind kind)
{
    return kind == ConversationSchemaKind::Legacy ? "legacy" : "upgraded";
}

std::vector<std::string> ConversationSchema::ddl() const
{
    if (m_kind == ConversationSchemaKind::Legacy)
        return {kTable, kLegacyIndexes};
    std::vector<std::string> out{kTable, kUniqueIndex};
    if (m_options.coveringIndex)
        out.emplace_back(kCoveringIndex);
    if (m_options.storedCounters)
        out.emplace_back(kUnreadTable);
    return out;
}

void ConversationSchema::addSend(infra::SqlBatch& batch, const ConversationUpdate& u) const
{
    batch.add(kUpsert,
              {u.owner, u.peer, static_cast<std::int64_t>(u.kind), u.msgKey, u.msgTimeMs, u.unreadDelta, u.nowMs},
              u.owner);
    if (storesCounters() && u.unreadDelta != 0)
        batch.add(kAddUnread, {u.owner, u.unreadDelta}, u.owner);
}

void ConversationSchema::addDirectSend(infra::SqlBatch& batch, std::int64_t sender, std::int64_t receiver,
                                       std::int64_t msgKey, std::int64_t msgTimeMs, std::int64_t nowMs) const
{
    addSend(batch, ConversationUpdate{sender, receiver, MessageKind::OneToOne, msgKey, msgTimeMs, 0, nowMs});
    addSend(batch, ConversationUpdate{receiver, sender, MessageKind::OneToOne, msgKey, msgTimeMs, 1, nowMs});
}

void ConversationSchema::addMarkRead(infra::SqlBatch& batch, std::int64_t owner, std::int64_t peer,
                                     std::int64_t nowMs) const
{
    if (storesCounters())
        batch.add(kSubtractRead, {owner, peer}, owner);
    batch.add(kMarkRead, {owner, peer, nowMs}, owner);
}

infra::SqlQuery ConversationSchema::listPage(std::int64_t owner, const ListCursor& cursor, std::int64_t limit) const
{
    if (m_kind == ConversationSchemaKind::Legacy)
        return infra::SqlQuery{kLegacyList, {owner, limit, cursor.offset}};
    return infra::SqlQuery{kUpgradedList, {owner, cursor.beforeTimeMs, cursor.beforePeer, limit}};
}

ListCursor ConversationSchema::nextCursor(const ListCursor& cursor, const std::vector<ConversationRow>& page) const
{
    ListCursor next = cursor;
    next.offset += static_cast<std::int64_t>(page.size());
    if (!page.empty()) {
        next.beforeTimeMs = page.back().lastMsgTimeMs;
        next.beforePeer = page.back().peer;
    }
    return next;
}

infra::SqlQuery ConversationSchema::totalUnread(std::int64_t owner) const
{
    return infra::SqlQuery{storesCounters() ? kUpgradedTotal : kLegacyTotal, {owner}};
}

infra::SqlQuery ConversationSchema::conversation(std::int64_t owner, std::int64_t peer) const
{
    return infra::SqlQuery{kOne, {owner, peer}};
}

std::vector<ConversationRow> ConversationSchema::rows(const infra::SqlResult& r)
{
    std::vector<ConversationRow> out;
    if (r.columns < 5)
        return out;
    out.reserve(r.rowCount());
    for (std::size_t i = 0; i < r.rowCount(); ++i) {
        out.push_back(ConversationRow{infra::sqlInt(r.at(i, 0)), infra::sqlInt(r.at(i, 1)), infra::sqlInt(r.at(i, 2)),
                                      infra::sqlInt(r.at(i, 3)), infra::sqlInt(r.at(i, 4))});
    }
    return out;
}

std::int64_t ConversationSchema::total(const infra::SqlResult& r)
{
    return r.rowCount() > 0 ? infra::sqlInt(r.at(0, 0)) : 0;
}

bool ConversationSchema::parseSend(const infra::SqlBatch& batch, const infra::SqlBatch::Step& step,
                                   ConversationUpdate& out)
{
    static constexpr std::string_view kUpsertText = kUpsert; // length known: no strlen per step
    if (batch.sql(step) != kUpsertText)
        return false;
    const auto p = batch.params(step);
    if (p.size() != 7)
        return false;
    out.owner = infra::sqlInt(p[0]);
    out.peer = infra::sqlInt(p[1]);
    out.kind = static_cast<MessageKind>(infra::sqlInt(p[2]));
    out.msgKey = infra::sqlInt(p[3]);
    out.msgTimeMs = infra::sqlInt(p[4]);
    out.unreadDelta = infra::sqlInt(p[5]);
    out.nowMs = infra::sqlInt(p[6]);
    return true;
}

std::string encodeConversationList(const std::vector<ConversationRow>& rows, std::int64_t total)
{
    std::string s = std::to_string(total);
    for (const ConversationRow& r : rows)
        s += sim::strCat(";", r.peer, ",", r.lastMsgKey, ",", r.lastMsgTimeMs, ",", r.unread);
    return s;
}

} // namespace livedeck::messaging
