#include "backend/cdn/content.h"

#include "backend/cdn/hashing.h"
#include "backend/sim/random.h"

#include <absl/strings/str_format.h>

#include <algorithm>
#include <cstring>

namespace livedeck::cdn {

std::uint64_t etagOf(ObjectId object, Version version)
{
    std::uint64_t s = object * 0x9E3779B97F4A7C15ull ^ (static_cast<std::uint64_t>(version) << 1 | 1);
    const std::uint64_t e = sim::splitmix64(s);
    return e == 0 ? 1 : e;
}

std::string etagString(std::uint64_t etag)
{
    return absl::StrFormat("\"%016x\"", etag);
}

namespace {

// The per-object part of a content word's seed, and one word from it.
struct WordSeed {
    std::uint64_t base;
    WordSeed(ObjectId object, Version version)
        : base((object * 0xD1B54A32D192ED03ull) ^ (static_cast<std::uint64_t>(version) * 0xABC98388FB8FAC03ull))
    {
    }
    std::uint64_t word(std::uint64_t wordIndex) const
    {
        std::uint64_t s = base ^ (wordIndex * 0x8CB92BA72F3D8DD7ull);
        return sim::splitmix64(s);
    }
};

} // namespace

std::uint64_t contentWord(ObjectId object, Version version, std::uint64_t wordIndex)
{
    return WordSeed(object, version).word(wordIndex);
}

void contentFill(ObjectId object, Version version, std::uint64_t offset, std::span<std::uint8_t> out)
{
    const WordSeed seed(object, version);
    std::size_t pos = 0;
    // A leading partial word, then whole words (the bulk of a body), then a trailing one;
    // a word's bytes are its memory image.
    auto partial = [&](std::uint64_t at, std::size_t n) {
        const std::uint64_t word = seed.word(at / 8);
        std::uint8_t bytes[8];
        std::memcpy(bytes, &word, 8);
        std::memcpy(out.data() + pos, bytes + at % 8, n);
        pos += n;
    };
    if (const std::uint64_t lead = offset % 8; lead != 0 && !out.empty())
        partial(offset, std::min<std::size_t>(8 - lead, out.size()));
    std::uint64_t index = (offset + pos) / 8;
    for (; out.size() - pos >= 8; pos += 8, ++index) {
        const std::uint64_t word = seed.word(index);
        std::memcpy(out.data() + pos, &word, 8);
    }
    if (pos < out.size())
        partial(offset + pos, out.size() - pos);
}

std::uint64_t bodyLength(const Body& body)
{
    std::uint64_t n = 0;
    for (const Extent& e : body)
        n += e.length;
    return n;
}

std::vector<std::uint8_t> materialize(const Body& body)
{
    std::vector<std::uint8_t> out(bodyLength(body));
    std::size_t pos = 0;
    for (const Extent& e : body) {
        contentFill(e.object, e.version, e.sourceOffset, std::span<std::uint8_t>(out.data() + pos, e.length));
        pos += e.length;
    }
    return out;
}

void appendTrimmed(Body& out, const Extent& e, std::uint64_t skip, std::uint64_t length)
{
    if (length == 0)
        return;
    Extent t = e;
    t.sourceOffset += skip;
    t.length = length;
    if (!out.empty()) {
        Extent& last = out.back();
        if (last.object == t.object && last.version == t.version && last.sourceOffset + last.length == t.sourceOffset) {
            last.length += t.length;
            return;
        }
    }
    out.push_back(t);
}

std::uint64_t blockDigest(std::span<const std::uint8_t> bytes)
{
    return XXH3_64bits(bytes.data(), bytes.size());
}

namespace {

// The client's check, block by block: `received(offset, n, scratch)` gives the received
// bytes of object offsets [offset, offset + n) (in scratch, or where they already are);
// each block's digest is compared with the digest of the bytes the version holds there.
template <typename Received>
DigestCheck verifyBlocks(ObjectId object, Version version, std::uint64_t rangeStart, std::uint64_t length,
                         std::uint64_t blockBytes, Received received)
{
    DigestCheck result;
    std::vector<std::uint8_t> scratch;
    std::vector<std::uint8_t> expected;
    std::uint64_t offset = rangeStart;
    const std::uint64_t end = rangeStart + length;
    while (offset < end) {
        const std::uint64_t blockEnd = std::min(end, (offset / blockBytes + 1) * blockBytes);
        const std::size_t n = static_cast<std::size_t>(blockEnd - offset);
        const std::span<const std::uint8_t> got = received(offset, n, scratch);
        expected.resize(n);
        contentFill(object, version, offset, expected);
        ++result.blocksChecked;
        if (blockDigest(got) != blockDigest(expected)) {
            result.ok = false;
            result.badOffset = offset;
            result.reason = absl::StrFormat("block at offset %d: digest differs from version %d", offset, version);
            return result;
        }
        offset = blockEnd;
    }
    return result;
}

} // namespace

DigestCheck verifyReceived(ObjectId object, Version version, std::uint64_t rangeStart,
                           std::span<const std::uint8_t> received, std::uint64_t blockBytes)
{
    return verifyBlocks(object, version, rangeStart, received.size(), blockBytes,
                        [&](std::uint64_t offset, std::size_t n, std::vector<std::uint8_t>&) {
                            return received.subspan(static_cast<std::size_t>(offset - rangeStart), n);
                        });
}

DigestCheck verifyBody(ObjectId object, Version version, std::uint64_t rangeStart, const Body& body,
                       std::uint64_t blockBytes)
{
    // The body's bytes are made one block at a time, in order, as they are checked (the
    // same bytes and blocks as materialize() and verifyReceived(), without holding the
    // whole body).
    std::size_t extent = 0;
    std::uint64_t intoExtent = 0;
    return verifyBlocks(object, version, rangeStart, bodyLength(body), blockBytes,
                        [&](std::uint64_t, std::size_t n, std::vector<std::uint8_t>& scratch) {
                            scratch.resize(n);
                            const std::span<std::uint8_t> out(scratch);
                            std::size_t filled = 0;
                            while (filled < out.size()) {
                                const Extent& e = body[extent];
                                const std::size_t take =
                                    static_cast<std::size_t>(std::min<std::uint64_t>(e.length - intoExtent, out.size() - filled));
                                contentFill(e.object, e.version, e.sourceOffset + intoExtent, out.subspan(filled, take));
                                filled += take;
                                intoExtent += take;
                                if (intoExtent == e.length) {
                                    ++extent;
                                    intoExtent = 0;
                                }
                            }
                            return std::span<const std::uint8_t>(scratch);
                        });
}

const char* toString(SliceCheck check)
{
    switch (check) {
    case SliceCheck::Ok:
        return "ok";
    case SliceCheck::NotPartial:
        return "unexpected status in slice response";
    case SliceCheck::EtagMismatch:
        return "etag mismatch in slice response";
    case SliceCheck::BadContentRange:
        return "unexpected range in slice response";
    case SliceCheck::NoCompleteLength:
        return "no complete length in slice response";
    }
    return "?";
}

SliceCheck checkSliceHeader(const SliceHeader& header, std::uint64_t expectedStart, std::uint64_t sliceBytes,
                            std::uint64_t firstEtag)
{
    if (header.status != kHttpPartial)
        return SliceCheck::NotPartial;
    if (firstEtag != 0 && header.etag != firstEtag)
        return SliceCheck::EtagMismatch;
    if (!header.hasContentRange)
        return SliceCheck::BadContentRange;
    if (header.range.complete < 0)
        return SliceCheck::NoCompleteLength;
    const auto complete = static_cast<std::uint64_t>(header.range.complete);
    const std::uint64_t end = std::min(expectedStart + sliceBytes, complete);
    if (header.range.first != expectedStart || header.range.last + 1 != end)
        return SliceCheck::BadContentRange;
    return SliceCheck::Ok;
}

} // namespace livedeck::cdn
