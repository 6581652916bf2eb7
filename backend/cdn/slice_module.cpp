#include "backend/cdn/slice_module.h"

#include <absl/strings/str_cat.h>

#include <algorithm>
#include <cassert>

namespace livedeck::cdn {

absl::Status validate(const SliceConfig& config)
{
    if (config.window < 1)
        return absl::InvalidArgumentError(absl::StrCat("slice window ", config.window, " must be >= 1"));
    if (config.sliceBytes == 0)
        return absl::InvalidArgumentError("slice size must be > 0");
    if (config.clientBytesPerSec < 0)
        return absl::InvalidArgumentError("client bandwidth must be >= 0");
    return absl::OkStatus();
}

const char* toString(SliceFailure failure)
{
    switch (failure) {
    case SliceFailure::None:
        return "none";
    case SliceFailure::RangeNotSatisfiable:
        return "range-not-satisfiable";
    case SliceFailure::Upstream:
        return "upstream-error";
    case SliceFailure::NotPartial:
        return "not-partial";
    case SliceFailure::EtagChanged:
        return "etag-changed";
    case SliceFailure::BadContentRange:
        return "bad-content-range";
    case SliceFailure::NoCompleteLength:
        return "no-complete-length";
    }
    return "?";
}

struct SliceModule::State {
    ClientRange range;
    Done done;
    SliceResult result;
    std::uint64_t start0 = 0;       // first slice's offset
    std::uint64_t endExclusive = 0; // one past the last byte promised
    std::size_t slices = 1;         // known after the first header
    bool lengthKnown = false;
    std::vector<SliceReply> replies;
    std::vector<bool> headerOk;
    std::vector<bool> bodyDone;
    std::size_t nextDeliver = 0;
    int inFlight = 0;
    std::uint64_t held = 0;
    bool finished = false;
};

SliceModule::SliceModule(sim::World& world, SliceSource& source, SliceConfig config, sim::ComponentId self)
    : m_world(world), m_source(source), m_config(config), m_self(self), m_deliverKind(world.kind("cdn.slice.deliver"))
{
    assert(validate(config).ok());
}

void SliceModule::integrate() const
{
    const sim::Nanos now = m_world.now();
    const auto dt = static_cast<double>(now - m_lastChange);
    m_stats.activeNs += dt * m_stats.activeRequests;
    m_stats.inFlightNs += dt * m_stats.inFlight;
    m_lastChange = now;
}

const SliceModuleStats& SliceModule::stats() const
{
    integrate();
    return m_stats;
}

void SliceModule::request(const ClientRange& range, Done done)
{
    ++m_stats.requests;
    integrate();
    ++m_stats.activeRequests;
    auto st = std::make_shared<State>();
    st->range = range;
    st->done = std::move(done);
    st->result.started = m_world.now();
    st->start0 = m_config.sliceBytes * (range.first / m_config.sliceBytes);
    createNext(st);
}

void SliceModule::createNext(const std::shared_ptr<State>& st)
{
    const std::size_t i = st->result.subrequests.size();
    SubrequestTrace trace;
    trace.first = st->start0 + i * m_config.sliceBytes;
    trace.last = trace.first + m_config.sliceBytes - 1;
    trace.created = m_world.now();
    st->result.subrequests.push_back(trace);
    st->replies.emplace_back();
    st->headerOk.push_back(false);
    st->bodyDone.push_back(false);
    ++st->inFlight;
    integrate();
    ++m_stats.inFlight;
    assert(st->inFlight <= m_config.window);
    st->result.maxInFlight = std::max(st->result.maxInFlight, st->inFlight);
    ++m_stats.subrequests;
    m_source.fetch(SliceFetch{st->range.object, trace.first, trace.last, m_self, st->range.flow},
                   [this, st, i](const SliceHeader& h) { onHeader(st, i, h); },
                   [this, st, i](const SliceReply& r) { onDone(st, i, r); });
}

void SliceModule::tryCreate(const std::shared_ptr<State>& st)
{
    while (!st->finished && st->lengthKnown && st->result.subrequests.size() < st->slices
           && st->inFlight < m_config.window && st->headerOk.back())
        createNext(st);
}

void SliceModule::onHeader(const std::shared_ptr<State>& st, std::size_t i, const SliceHeader& header)
{
    if (st->finished)
        return;
    SubrequestTrace& trace = st->result.subrequests[i];
    trace.header = m_world.now();
    if (header.status >= 500)
        st->result.causeAt = header.causeAt;
    if (i == 0) {
        if (header.status == kHttpRangeNotSatisfiable) {
            fail(st, SliceFailure::RangeNotSatisfiable, kHttpRangeNotSatisfiable,
                 header.reason.empty() ? "range not satisfiable" : header.reason);
            return;
        }
        if (header.status != kHttpPartial) {
            fail(st, header.status >= 500 ? SliceFailure::Upstream : SliceFailure::NotPartial,
                 header.status >= 500 ? header.status : kHttpBadGateway,
                 absl::StrCat("first slice: status ", header.status, header.reason.empty() ? "" : ": ", header.reason));
            return;
        }
    }
    const SliceCheck check = checkSliceHeader(header, trace.first, m_config.sliceBytes,
                                              i == 0 || !m_config.checkEtag ? 0 : st->result.etag);
    if (check != SliceCheck::Ok) {
        SliceFailure f = SliceFailure::BadContentRange;
        if (check == SliceCheck::EtagMismatch)
            f = SliceFailure::EtagChanged;
        else if (check == SliceCheck::NotPartial)
            f = header.status >= 500 ? SliceFailure::Upstream : SliceFailure::NotPartial;
        else if (check == SliceCheck::NoCompleteLength)
            f = SliceFailure::NoCompleteLength;
        fail(st, f, i == 0 ? kHttpBadGateway : st->result.status,
             absl::StrCat("slice ", i, " (bytes ", trace.first, "-", trace.last, "): ", toString(check),
                          header.reason.empty() ? "" : ": ", header.reason));
        return;
    }
    if (i == 0) {
        const auto size = static_cast<std::uint64_t>(header.range.complete);
        st->result.objectSize = header.range.complete;
        st->result.etag = header.etag;
        if (st->range.first >= size || (st->range.last && *st->range.last < st->range.first)) {
            fail(st, SliceFailure::RangeNotSatisfiable, kHttpRangeNotSatisfiable,
                 absl::StrCat("range ", st->range.first, "- outside object of ", size, " bytes"));
            return;
        }
        const std::uint64_t last = std::min(st->range.last.value_or(size - 1), size - 1);
        st->result.rangeFirst = st->range.first;
        st->result.rangeLast = last;
        st->endExclusive = last + 1;
        st->slices = static_cast<std::size_t>((st->endExclusive - st->start0 + m_config.sliceBytes - 1) / m_config.sliceBytes);
        st->lengthKnown = true;
        st->result.status = st->range.hasRangeHeader ? kHttpPartial : kHttpOk;
    }
    st->headerOk[i] = true;
    tryCreate(st);
}

void SliceModule::onDone(const std::shared_ptr<State>& st, std::size_t i, const SliceReply& reply)
{
    if (st->finished)
        return;
    if (!st->headerOk[i]) // its header failed the checks (the request is already over) or never came
        return;
    st->result.subrequests[i].done = m_world.now();
    st->replies[i] = reply;
    st->bodyDone[i] = true;
    const std::uint64_t bytes = bodyLength(reply.body);
    st->result.bytesFetched += bytes;
    m_stats.bytesFetched += bytes;
    if (!m_config.orderedDelivery) {
        // The sabotaged twin: sent as soon as it completes, whatever came before.
        appendSlice(*st, i);
        st->result.subrequests[i].delivered = m_world.now();
        --st->inFlight;
        integrate();
        --m_stats.inFlight;
        ++st->nextDeliver;
        if (st->nextDeliver == st->slices) {
            finish(st);
            return;
        }
        tryCreate(st);
        return;
    }
    if (i == st->nextDeliver) {
        startDelivery(st, i);
    } else {
        st->held += bytes;
        m_stats.heldBytes += bytes;
        st->result.maxHeldBytes = std::max(st->result.maxHeldBytes, st->held);
        m_stats.maxHeldBytes = std::max(m_stats.maxHeldBytes, st->held);
        assert(st->held <= static_cast<std::uint64_t>(m_config.window - 1) * m_config.sliceBytes);
    }
}

void SliceModule::startDelivery(const std::shared_ptr<State>& st, std::size_t i)
{
    sim::Nanos at = m_world.now();
    if (m_config.clientBytesPerSec > 0) {
        const SubrequestTrace& t = st->result.subrequests[i];
        const sim::Nanos prev = i == 0 ? st->result.started : st->result.subrequests[i - 1].delivered;
        const sim::Nanos sendStart = std::max(t.header, prev);
        const auto sendTime = static_cast<sim::Nanos>(
            static_cast<double>(bodyLength(st->replies[i].body)) / m_config.clientBytesPerSec * 1e9);
        at = std::max(at, sendStart + sendTime);
    }
    m_world.at(at, m_deliverKind, m_self, [this, st, i]() { delivered(st, i); });
}

void SliceModule::appendSlice(State& st, std::size_t i)
{
    const std::uint64_t sliceFirst = st.result.subrequests[i].first;
    std::uint64_t offset = sliceFirst;
    for (const Extent& e : st.replies[i].body) {
        const std::uint64_t from = std::max(offset, st.range.first);
        const std::uint64_t to = std::min(offset + e.length, st.endExclusive);
        if (to > from)
            appendTrimmed(st.result.body, e, from - offset, to - from);
        offset += e.length;
    }
    st.result.bytesDelivered = bodyLength(st.result.body);
}

void SliceModule::delivered(const std::shared_ptr<State>& st, std::size_t i)
{
    if (st->finished)
        return;
    appendSlice(*st, i);
    st->result.subrequests[i].delivered = m_world.now();
    --st->inFlight;
    integrate();
    --m_stats.inFlight;
    ++st->nextDeliver;
    if (st->nextDeliver == st->slices) {
        finish(st);
        return;
    }
    const std::size_t next = st->nextDeliver;
    if (next < st->bodyDone.size() && st->bodyDone[next]) {
        st->held -= bodyLength(st->replies[next].body);
        m_stats.heldBytes -= bodyLength(st->replies[next].body);
        startDelivery(st, next);
    }
    tryCreate(st);
}

void SliceModule::ended(State& st)
{
    // The request leaves: its sub-requests still in flight and its held bytes go with it.
    integrate();
    --m_stats.activeRequests;
    m_stats.inFlight -= st.inFlight;
    m_stats.heldBytes -= st.held;
    m_stats.bytesDelivered += st.result.bytesDelivered;
}

void SliceModule::finish(const std::shared_ptr<State>& st)
{
    st->finished = true;
    ended(*st);
    st->result.completed = true;
    st->result.finished = m_world.now();
    ++m_stats.completed;
    st->done(st->result);
}

void SliceModule::fail(const std::shared_ptr<State>& st, SliceFailure failure, int status, std::string reason)
{
    st->finished = true;
    ended(*st);
    st->result.failure = failure;
    st->result.reason = std::move(reason);
    st->result.finished = m_world.now();
    if (st->result.status == 0 || st->result.bytesDelivered == 0)
        st->result.status = status;
    if (failure == SliceFailure::RangeNotSatisfiable)
        ++m_stats.rangeNotSatisfiable;
    else if (failure == SliceFailure::Upstream && st->result.bytesDelivered == 0)
        ++m_stats.upstreamErrors;
    else
        ++m_stats.aborted;
    st->done(st->result);
}

} // namespace livedeck::cdn
