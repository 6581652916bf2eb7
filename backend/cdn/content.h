// Checkable content and the HTTP range vocabulary the slice module speaks
// (docs/CDN.md, "Checkable content").
//
// - An object's bytes are a pure function of (object, version, offset): the 8-byte word
//   at offset 8k is a mix of (object, version, k). Every party — origin, cache, client —
//   can regenerate any range, so nothing stores payloads.
// - A body is a sequence of Extents: "length bytes of (object, version) starting at
//   sourceOffset", appended in the order they were sent. materialize() turns a body into
//   the bytes a client would receive.
// - The client check: split the received range into digest blocks aligned on object
//   offsets (kDigestBlockBytes), digest each block of received bytes, and compare with the
//   digest of the bytes the origin's version holds there. A spliced body (two versions)
//   or a reordered one (a slice in the wrong place) fails at the first bad block.
// - ETag: a strong validator derived from (object, version). ContentRange follows RFC 9110
//   (`bytes first-last/complete`); checkSliceHeader() applies nginx's slice checks.
#pragma once

#include "backend/cdn/cdn_defaults.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace livedeck::cdn {

using ObjectId = std::uint64_t;
using Version = std::uint32_t;

// HTTP status codes the CDN uses.
inline constexpr int kHttpOk = 200;
inline constexpr int kHttpPartial = 206;
inline constexpr int kHttpNotFound = 404;
inline constexpr int kHttpRangeNotSatisfiable = 416;
inline constexpr int kHttpBadGateway = 502;
inline constexpr int kHttpUnavailable = 503;
inline constexpr int kHttpGatewayTimeout = 504;

std::uint64_t etagOf(ObjectId object, Version version);
std::string etagString(std::uint64_t etag); // "\"5f3a…\""

// The 8-byte word covering offset 8k of (object, version).
std::uint64_t contentWord(ObjectId object, Version version, std::uint64_t wordIndex);
// Writes the bytes [offset, offset + out.size()) of (object, version) into out.
void contentFill(ObjectId object, Version version, std::uint64_t offset, std::span<std::uint8_t> out);

struct Extent {
    ObjectId object = 0;
    Version version = 0;
    std::uint64_t sourceOffset = 0;
    std::uint64_t length = 0;
};
using Body = std::vector<Extent>;

std::uint64_t bodyLength(const Body& body);
// The bytes a body carries, in order.
std::vector<std::uint8_t> materialize(const Body& body);
// Appends `length` bytes of an extent starting `skip` bytes into it (a trimmed copy).
void appendTrimmed(Body& out, const Extent& e, std::uint64_t skip, std::uint64_t length);

struct DigestCheck {
    bool ok = true;
    std::uint64_t badOffset = 0; // object offset of the first block that differs
    std::uint64_t blocksChecked = 0;
    std::string reason;
};
// The client's check of a received range: `received` holds the bytes of object offsets
// [rangeStart, rangeStart + received.size()) of (object, version) — the version named by
// the response's ETag.
DigestCheck verifyReceived(ObjectId object, Version version, std::uint64_t rangeStart,
                           std::span<const std::uint8_t> received, std::uint64_t blockBytes = kDigestBlockBytes);
// verifyBody: the same check of a body's bytes, made one block at a time (what
// verifyReceived(materialize(body)) answers, without holding the whole body).
DigestCheck verifyBody(ObjectId object, Version version, std::uint64_t rangeStart, const Body& body,
                       std::uint64_t blockBytes = kDigestBlockBytes);
std::uint64_t blockDigest(std::span<const std::uint8_t> bytes);

struct ContentRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;          // inclusive
    std::int64_t complete = -1;      // -1: "*" (unknown)
};

// A response's header as the slice module sees it.
struct SliceHeader {
    int status = 0;
    std::uint64_t etag = 0;          // 0: no ETag header
    bool hasContentRange = false;
    ContentRange range;
    std::string reason;              // for error statuses: why (a person can act on it)
    sim::Nanos causeAt = -1;         // for error statuses: when its cause was met (a node found down, a message
                                     // that could not be delivered); -1 unknown. A waiter that joined the fetch
                                     // later gets the same moment.
};

enum class SliceCheck { Ok, NotPartial, EtagMismatch, BadContentRange, NoCompleteLength };
const char* toString(SliceCheck check);
// nginx's checks on a slice response: status 206, the same ETag as the first slice
// (`firstEtag` 0 = this is the first), a Content-Range that starts at `expectedStart`
// and ends at min(expectedStart + sliceBytes, complete) − 1, and a known complete length.
SliceCheck checkSliceHeader(const SliceHeader& header, std::uint64_t expectedStart, std::uint64_t sliceBytes,
                            std::uint64_t firstEtag);

} // namespace livedeck::cdn
