#include "backend/cdn/origin.h"

#include <absl/strings/str_cat.h>

#include <algorithm>

namespace livedeck::cdn {

Origin::Origin(sim::World& world, std::string_view path, OriginConfig config)
    : m_world(world), m_component(world.components().mustAdd(path, "cdn-origin")), m_config(config)
{
}

void Origin::put(ObjectId object, std::uint64_t size, Version version)
{
    m_objects.insert_or_assign(object, Object{size, version});
}

bool Origin::update(ObjectId object, Version version, std::uint64_t size)
{
    auto it = m_objects.find(object);
    if (it == m_objects.end())
        return false;
    it->second.version = version;
    if (size > 0)
        it->second.size = size;
    return true;
}

std::uint64_t Origin::size(ObjectId object) const
{
    auto it = m_objects.find(object);
    return it == m_objects.end() ? 0 : it->second.size;
}

Version Origin::version(ObjectId object) const
{
    auto it = m_objects.find(object);
    return it == m_objects.end() ? 0 : it->second.version;
}

SliceReply Origin::answer(ObjectId object, std::uint64_t first, std::uint64_t last) const
{
    ++m_requests;
    SliceReply reply;
    auto it = m_objects.find(object);
    if (it == m_objects.end()) {
        reply.header.status = kHttpNotFound;
        reply.header.reason = absl::StrCat("object ", object, " not at the origin");
        return reply;
    }
    const Object& o = it->second;
    if (first >= o.size || last < first) {
        reply.header.status = kHttpRangeNotSatisfiable;
        reply.header.hasContentRange = true; // Content-Range: bytes */size
        reply.header.range.complete = static_cast<std::int64_t>(o.size);
        reply.header.reason = absl::StrCat("range ", first, "-", last, " outside object of ", o.size, " bytes");
        return reply;
    }
    const std::uint64_t end = std::min(last, o.size - 1);
    reply.header.status = kHttpPartial;
    reply.header.etag = etagOf(object, o.version);
    reply.header.hasContentRange = true;
    reply.header.range = ContentRange{first, end, static_cast<std::int64_t>(o.size)};
    reply.body.push_back(Extent{object, o.version, first, end - first + 1});
    m_bytes += end - first + 1;
    return reply;
}

} // namespace livedeck::cdn
