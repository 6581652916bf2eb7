// SliceSource: anything that answers a ranged GET for one slice on virtual time — a
// cache node, a back-origin, or a test double (docs/CDN.md, "Slice module").
//
// Contract: fetch() calls onHeader exactly once, when the response header arrives
// (status, ETag, Content-Range), then onDone exactly once, when the whole body has
// arrived (possibly at the same time). An error status (404, 416, 502, 503, 504) comes
// with an empty body. Callbacks run on the world's thread, never inside fetch() itself.
#pragma once

#include "backend/cdn/content.h"
#include "backend/sim/scheduler.h"

#include <functional>

namespace livedeck::cdn {

struct SliceFetch {
    ObjectId object = 0;
    std::uint64_t first = 0;  // Range: bytes=first-last
    std::uint64_t last = 0;   // inclusive; may lie past the object's end (the server clamps)
    sim::ComponentId from = sim::kNoComponent; // the requester, for network costs
    std::uint64_t flow = 0;   // the client request it serves (routing affinity); 0 = none
};

struct SliceReply {
    SliceHeader header;
    Body body;
    sim::Nanos headerAt = 0;
    sim::Nanos doneAt = 0;
};

class SliceSource {
public:
    using OnHeader = std::function<void(const SliceHeader&)>;
    using OnDone = std::function<void(const SliceReply&)>;

    virtual ~SliceSource() = default;
    virtual void fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone) = 0;
};

} // namespace livedeck::cdn
