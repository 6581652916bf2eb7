// SliceModule: the gateway's range-slicing module (docs/CDN.md, "Slice module"): a
// client's range is fetched as aligned slice sub-requests and delivered in order.
//
// Contract (nginx's ngx_http_slice_module, plus the write-up's prefetch window):
// - The first slice starts at sliceBytes × ⌊first / sliceBytes⌋; every sub-request asks
//   `bytes=s-(s+sliceBytes−1)`; the first answer's Content-Range gives the object's
//   length, which fixes the client's range (clamped to the end) and the slice count.
// - Window W: a new sub-request is created only when fewer than W are in flight (a
//   sub-request is in flight from its creation until its bytes are delivered to the
//   client) and the newest one's header has arrived (its Content-Range validated — the
//   next range follows from it). W = 1 is nginx's strictly sequential module: slice i+1
//   is created when slice i has been delivered. W = 2 is the write-up's prefetch[2]:
//   the next sub-request starts while the current one streams.
// - Every slice header is checked as nginx does (checkSliceHeader): 206, the first
//   slice's ETag, the expected Content-Range, a known length. A failure aborts the
//   request: no further byte is delivered, so a body never splices two versions.
// - Bytes are delivered in slice order: a slice that completes before its predecessor
//   is held until the predecessor has been delivered, so bytes held out of order never
//   exceed (W − 1) × sliceBytes. `orderedDelivery = false` (the sabotaged twin) sends
//   each slice as soon as it completes.
// - A range that starts at or past the object's end gets 416 (counted), never a crash.
// - The client's connection drains at clientBytesPerSec (0 = unlimited): a slice's
//   bytes leave no earlier than its header and its predecessor's last byte allow.
// Defaults: 1 MiB slices (nginx docs example), window 2 (write-up).
#pragma once

#include "backend/cdn/slice_source.h"
#include "backend/sim/world.h"

#include <absl/status/status.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::cdn {

struct SliceConfig {
    std::uint64_t sliceBytes = kSliceBytes;
    int window = kPrefetchWindow;
    double clientBytesPerSec = 0.0;
    bool orderedDelivery = true;
    bool checkEtag = true;
};
absl::Status validate(const SliceConfig& config);

struct ClientRange {
    ObjectId object = 0;
    std::uint64_t first = 0;
    std::optional<std::uint64_t> last; // inclusive; empty = to the end
    bool hasRangeHeader = true;        // false: a plain GET (200 on success)
    std::uint64_t flow = 0;            // copied into every sub-request (SliceFetch::flow)
};

enum class SliceFailure { None, RangeNotSatisfiable, Upstream, NotPartial, EtagChanged, BadContentRange, NoCompleteLength };
const char* toString(SliceFailure failure);

struct SubrequestTrace {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    sim::Nanos created = -1;
    sim::Nanos header = -1;
    sim::Nanos done = -1;
    sim::Nanos delivered = -1;
};

struct SliceResult {
    int status = 0;
    SliceFailure failure = SliceFailure::None;
    std::string reason;
    sim::Nanos causeAt = -1;         // an upstream failure: when its cause was met (SliceHeader::causeAt)
    bool completed = false;          // every promised byte delivered
    std::uint64_t etag = 0;
    std::uint64_t rangeFirst = 0;    // the range promised to the client
    std::uint64_t rangeLast = 0;
    std::int64_t objectSize = -1;
    Body body;                       // what was delivered, in delivery order
    std::uint64_t bytesDelivered = 0;
    std::uint64_t bytesFetched = 0;  // slice bytes received (read amplification = fetched / delivered)
    sim::Nanos started = 0;
    sim::Nanos finished = 0;
    std::vector<SubrequestTrace> subrequests;
    int maxInFlight = 0;
    std::uint64_t maxHeldBytes = 0;
    sim::Nanos duration() const { return finished - started; }
};

struct SliceModuleStats {
    std::uint64_t requests = 0;
    std::uint64_t completed = 0;
    std::uint64_t rangeNotSatisfiable = 0;
    std::uint64_t aborted = 0; // ETag / Content-Range / status failures after the start
    std::uint64_t upstreamErrors = 0;
    std::uint64_t subrequests = 0;
    // Right now, over the requests in progress.
    int activeRequests = 0;
    int inFlight = 0;               // sub-requests created and not yet delivered
    std::uint64_t heldBytes = 0;    // completed out of order, waiting for a predecessor
    std::uint64_t maxHeldBytes = 0; // most bytes held by one request
    // Totals: slice bytes received and bytes delivered (read amplification), and the
    // integrals over time (ns) of requests in progress and sub-requests in flight (the
    // window's occupancy = inFlightNs ÷ (activeNs × window)).
    std::uint64_t bytesFetched = 0;
    std::uint64_t bytesDelivered = 0;
    double activeNs = 0.0;
    double inFlightNs = 0.0;
};

class SliceModule {
public:
    using Done = std::function<void(const SliceResult&)>;

    // `self` is the gateway component sub-requests are sent from (kNoComponent: none).
    SliceModule(sim::World& world, SliceSource& source, SliceConfig config, sim::ComponentId self = sim::kNoComponent);

    void request(const ClientRange& range, Done done);

    const SliceConfig& config() const { return m_config; }
    // The statistics with the time integrals brought up to now.
    const SliceModuleStats& stats() const;

private:
    struct State;
    void createNext(const std::shared_ptr<State>& st);
    void tryCreate(const std::shared_ptr<State>& st);
    void onHeader(const std::shared_ptr<State>& st, std::size_t i, const SliceHeader& header);
    void onDone(const std::shared_ptr<State>& st, std::size_t i, const SliceReply& reply);
    void startDelivery(const std::shared_ptr<State>& st, std::size_t i);
    void delivered(const std::shared_ptr<State>& st, std::size_t i);
    void appendSlice(State& st, std::size_t i);
    void finish(const std::shared_ptr<State>& st);
    void fail(const std::shared_ptr<State>& st, SliceFailure failure, int status, std::string reason);
    void integrate() const;
    void ended(State& st); // adds the time since the last change to the integrals

    sim::World& m_world;
    SliceSource& m_source;
    SliceConfig m_config;
    sim::ComponentId m_self;
    sim::EventKindId m_deliverKind;
    mutable SliceModuleStats m_stats;
    mutable sim::Nanos m_lastChange = 0;
};

} // namespace livedeck::cdn
