// RowVersion: the total modification-time version a conversation row carries into its
// binlog, for the compare-and-set that applies binlog records to Redis / the Raft KV
// (docs/MESSAGING.md "Binlog sync").
//
//   version = max(mtime_ms << 20, previous version + 1)
//
// A plain modification time (ms) is not a total order: two updates of one row in the
// same millisecond share it, so "apply if newer" (strict >) loses the second, and
// "apply if not older" (>=) lets a redelivered copy of the first overwrite the second
// (it resurrects). The version above keeps the time in its high bits (readable,
// comparable with other rows' times) and breaks ties with a per-row counter in the low
// 20 bits (a million updates of one row per millisecond), so every update of a row
// gets a strictly greater version and the sync applies a record iff its version is
// greater than the stored one (KvStore::setIfNewer, RaftClient::setIfNewer).
// The database computes it in the UPDATE itself ("version = MAX(?mtime << 20,
// version + 1)", ConversationSchema), inside the transaction that changes the row, so
// concurrent writers cannot repeat a version.
#pragma once

#include <algorithm>
#include <cstdint>

namespace livedeck::messaging {

inline constexpr int kVersionCounterBits = 20;

// The version after an update at `mtimeMs` of a row whose version was `previous`
// (0 for a new row).
constexpr std::uint64_t nextRowVersion(std::uint64_t previous, std::int64_t mtimeMs)
{
    return std::max(static_cast<std::uint64_t>(mtimeMs) << kVersionCounterBits, previous + 1);
}

// The modification time (ms) a version carries.
constexpr std::int64_t versionMtimeMs(std::uint64_t version)
{
    return static_cast<std::int64_t>(version >> kVersionCounterBits);
}

} // namespace livedeck::messaging
