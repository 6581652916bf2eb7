// ContentTableRouter: where a message's content row lives, from its msgkey (a snowflake
// id, whose timestamp is the send time). docs/MESSAGING.md "Content tables".
//
// - Legacy: quarter databases with monthly tables — the month of the msgkey's time
//   picks the table ("msg_202612") in its quarter's database ("content_2026q4"), so
//   one table holds a whole month of messages (the write-up: hundreds of millions of
//   rows per monthly table).
// - Upgraded: monthly databases with `tablesPerDatabase` tables each (the write-up:
//   100): the month picks the database ("content_202612"), then the table index
//   ("t_37"). `Modulo` takes msgkey % tables as the write-up states it; with
//   Twitter's sequence, a worker issuing under one id per millisecond only issues
//   sequence 0 and the standard layout makes msgkey % 100 = (4·ms + 72·dc + 96·worker)
//   % 100 — a multiple of 4 plus a constant, so only 25 of 100 tables get rows.
//   `Hashed` (the default, ours) takes a 64-bit mix of the msgkey (splitmix64's
//   finalizer) % tables, which fills the tables evenly whatever the id's low bits.
// Months are the local calendar months at the calendar's UTC offset (sim::Calendar).
// Pure functions of the key; value type.
#pragma once

#include <cstdint>
#include <string>

namespace livedeck::messaging {

enum class ContentRouting : std::uint8_t {
    Legacy, // quarter database, monthly table
    Modulo, // monthly database, msgkey % tables
    Hashed, // monthly database, mix(msgkey) % tables
};

const char* toString(ContentRouting routing);

struct ContentRouterConfig {
    ContentRouting routing = ContentRouting::Hashed;
    std::uint32_t tablesPerDatabase = 100; // the write-up
    std::int64_t epochUnixMs = 1'288'834'974'657; // the snowflake epoch of the msgkeys
    int utcOffsetMinutes = 8 * 60;                // Beijing time, as sim::Calendar's default
};

struct ContentRoute {
    int month = 0;            // yyyymm of the msgkey's local time
    int quarter = 0;          // yyyyq
    std::uint32_t table = 0;  // Legacy: 0 (the month's one table); else 0..tablesPerDatabase-1
    std::string database;     // "content_2026q4" (legacy) or "content_202612"
    std::string tableName;    // "msg_202612" (legacy) or "t_37"
};

class ContentTableRouter {
public:
    explicit ContentTableRouter(ContentRouterConfig config = {});

    ContentRoute route(std::uint64_t msgkey) const;
    // The table index alone (no strings): what the hot path and the balance counts use.
    std::uint32_t tableIndex(std::uint64_t msgkey) const;
    int monthOf(std::uint64_t msgkey) const;
    // Tables per month: 1 (legacy) or tablesPerDatabase.
    std::uint32_t tablesPerMonth() const;
    const ContentRouterConfig& config() const { return m_config; }

    // splitmix64's finalizer: a bijective 64-bit mix.
    static std::uint64_t mix(std::uint64_t x);

private:
    ContentRouterConfig m_config;
};

} // namespace livedeck::messaging
