#include "backend/messaging/content_router.h"

#include "backend/messaging/snowflake.h"
#include "backend/sim/calendar.h"
#include "backend/sim/strings.h"

#include <cassert>

namespace livedeck::messaging {

const char* toString(ContentRouting routing)
{
    switch (routing) {
    case ContentRouting::Legacy:
        return "legacy";
    case ContentRouting::Modulo:
        return "modulo";
    case ContentRouting::Hashed:
        return "hashed";
    }
    return "?";
}

ContentTableRouter::ContentTableRouter(ContentRouterConfig config) : m_config(config)
{
    assert(m_config.tablesPerDatabase > 0);
}

std::uint64_t ContentTableRouter::mix(std::uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint32_t ContentTableRouter::tablesPerMonth() const
{
    return m_config.routing == ContentRouting::Legacy ? 1 : m_config.tablesPerDatabase;
}

std::uint32_t ContentTableRouter::tableIndex(std::uint64_t msgkey) const
{
    switch (m_config.routing) {
    case ContentRouting::Legacy:
        return 0;
    case ContentRouting::Modulo:
        return static_cast<std::uint32_t>(msgkey % m_config.tablesPerDatabase);
    case ContentRouting::Hashed:
        return static_cast<std::uint32_t>(mix(msgkey) % m_config.tablesPerDatabase);
    }
    return 0;
}

int ContentTableRouter::monthOf(std::uint64_t msgkey) const
{
    const std::int64_t unixMs = SnowflakeGenerator::unixMs(msgkey, m_config.epochUnixMs);
    const sim::CivilTime t =
        sim::Calendar::civilFromUnixMs(unixMs + std::int64_t{m_config.utcOffsetMinutes} * 60'000);
    return t.year * 100 + t.month;
}

ContentRoute ContentTableRouter::route(std::uint64_t msgkey) const
{
    ContentRoute r;
    r.month = monthOf(msgkey);
    const int year = r.month / 100;
    const int quarter = (r.month % 100 - 1) / 3 + 1;
    r.quarter = year * 10 + quarter;
    r.table = tableIndex(msgkey);
    if (m_config.routing == ContentRouting::Legacy) {
        r.database = sim::strCat("content_", year, "q", quarter);
        r.tableName = sim::strCat("msg_", r.month);
    } else {
        r.database = sim::strCat("content_", r.month);
        r.tableName = sim::strCat("t_", r.table);
    }
    return r;
}

} // namespace livedeck::messaging
