#include "backend/infra/mq_consumer.h"

#include <algorithm>
#include <cassert>

namespace livedeck::infra {

// ---------------------------------------------------------------- MqBatch, MqAck

std::vector<MqOffsetCommit> MqBatch::nextOffsets() const
{
    std::vector<MqOffsetCommit> out;
    for (const MqConsumerRecord& r : records) {
        auto it = std::find_if(out.begin(), out.end(), [&](const MqOffsetCommit& c) {
            return c.partition == r.partition && c.topic == r.topic;
        });
        if (it == out.end())
            out.push_back(MqOffsetCommit{r.topic, r.partition, r.record.offset + 1});
        else
            it->offset = std::max(it->offset, r.record.offset + 1);
    }
    return out;
}

void MqAck::commit() const
{
    m_consumer->ack(m_token, true);
}

void MqAck::retry() const
{
    m_consumer->ack(m_token, false);
}

// ---------------------------------------------------------------- MqConsumer

const char* MqConsumer::toString(State state)
{
    switch (state) {
    case State::Idle:
        return "idle";
    case State::Joining:
        return "joining";
    case State::Member:
        return "member";
    case State::Crashed:
        return "crashed";
    case State::Closed:
        return "closed";
    }
    return "?";
}

MqConsumer::MqConsumer(sim::World& world, MqBroker& broker, std::string_view path, std::string_view group,
                       std::vector<std::string> topics, MqConsumerConfig config,
                       telemetry::MetricsRegistry* metrics, std::string_view dataCentre)
    : m_world(world),
      m_broker(broker),
      m_path(path),
      m_group(group),
      m_topics(std::move(topics)),
      m_config(config),
      m_component(world.components().mustAdd(path, "mq-consumer", dataCentre, this)),
      m_heartbeatKind(world.kind("mq.consumer.heartbeat")),
      m_requestKind(world.kind("mq.consumer.request")),
      m_timeoutKind(world.kind("mq.consumer.timeout")),
      m_loopKind(world.kind("mq.consumer.loop"))
{
    m_memberId = sim::strCat(m_path, "#", m_incarnation);
    if (metrics) {
        m_records = &metrics->counter("mq.consumer.records", m_path);
        m_commits = &metrics->counter("mq.consumer.commits", m_path);
        m_commitRejects = &metrics->counter("mq.consumer.commit_rejected", m_path);
        m_rebalances = &metrics->counter("mq.consumer.rebalances", m_path);
        m_crashes = &metrics->counter("mq.consumer.crashes", m_path);
    }
}

void MqConsumer::start()
{
    if (m_state != State::Idle && m_state != State::Closed)
        return;
    m_state = State::Joining;
    sendJoin();
    if (!m_heartbeating) {
        m_heartbeating = true;
        m_world.after(m_config.heartbeatInterval, m_heartbeatKind, m_component, [this] { heartbeatTick(); });
    }
}

bool MqConsumer::checkDown()
{
    const bool down = m_world.faults().anyActive(v1::FAULT_DOWN) && m_world.faults().isDown(m_path);
    if (down) {
        if (m_state != State::Crashed && m_state != State::Closed && m_state != State::Idle) {
            crash();
            m_crashedByFault = true;
        }
        return true;
    }
    if (m_state == State::Crashed && m_crashedByFault)
        restart(); // the supervisor brings the process back once the fault is gone
    return false;
}

void MqConsumer::heartbeatTick()
{
    if (m_state == State::Closed || m_state == State::Idle) {
        m_heartbeating = false;
        return;
    }
    m_world.after(m_config.heartbeatInterval, m_heartbeatKind, m_component, [this] { heartbeatTick(); });
    if (checkDown())
        return;
    if (m_state == State::Joining && (!m_joinInFlight || m_world.now() - m_joinSentAt > m_config.requestTimeout))
        sendJoin();
    else if (m_state == State::Member)
        sendHeartbeat();
}

// ---------------------------------------------------------------- group requests

std::uint32_t MqConsumer::groupSlot()
{
    for (std::size_t i = 0; i < m_groupSlots.size(); ++i) {
        if (!m_groupSlots[i].held && !m_groupSlots[i].active)
            return static_cast<std::uint32_t>(i);
    }
    m_groupSlots.emplace_back();
    return static_cast<std::uint32_t>(m_groupSlots.size() - 1);
}

void MqConsumer::sendJoin()
{
    const std::uint32_t slot = groupSlot();
    MqGroupExchange& ex = m_groupSlots[slot].exchange;
    ex.op = MqGroupOp::Join;
    ex.topics = m_topics;
    ex.sessionTimeout = m_config.sessionTimeout;
    ex.assignor = m_config.assignor;
    m_joinInFlight = true;
    m_joinSentAt = m_world.now();
    sendGroup(slot);
}

void MqConsumer::sendHeartbeat()
{
    const std::uint32_t slot = groupSlot();
    MqGroupExchange& ex = m_groupSlots[slot].exchange;
    ex.op = MqGroupOp::Heartbeat;
    ex.generation = m_generation;
    sendGroup(slot);
}

void MqConsumer::sendGroup(std::uint32_t slot)
{
    GroupSlot& s = m_groupSlots[slot];
    s.exchange.group = m_group;
    s.exchange.memberId = m_memberId;
    s.active = true;
    const std::uint64_t token = s.token = ++m_requestSeq;
    s.timeout = m_world.after(m_config.requestTimeout, m_timeoutKind, m_component,
                              [this, slot, token] { onGroupTimeout(slot, token); });
    const sim::Delivery d = m_world.network().send(m_component, m_broker.component());
    if (!d.delivered())
        return;
    s.held = true;
    m_world.after(d.latency, m_requestKind, m_component, [this, slot, token] {
        m_broker.groupRequest(m_component, m_groupSlots[slot].exchange,
                              [this, slot, token](const MqResponse& r) { onGroupResponse(slot, token, r); });
    });
}

void MqConsumer::onGroupResponse(std::uint32_t slot, std::uint64_t token, const MqResponse& response)
{
    GroupSlot& s = m_groupSlots[slot];
    s.held = false;
    if (response.lost || !s.active || s.token != token)
        return;
    m_world.scheduler().cancel(s.timeout);
    handleGroupResult(slot, response.error, response.generation);
}

void MqConsumer::onGroupTimeout(std::uint32_t slot, std::uint64_t token)
{
    GroupSlot& s = m_groupSlots[slot];
    if (s.active && s.token == token)
        handleGroupResult(slot, MqError::Timeout, 0);
}

void MqConsumer::handleGroupResult(std::uint32_t slot, MqError error, std::uint64_t generation)
{
    GroupSlot& s = m_groupSlots[slot];
    s.active = false;
    switch (s.exchange.op) {
    case MqGroupOp::Join:
        m_joinInFlight = false;
        if (error == MqError::Ok && m_state == State::Joining) {
            m_state = State::Member;
            adopt(generation, s.exchange.assignment);
            if (m_looping && !m_processing && !m_pollActive)
                scheduleLoopTick(0); // start consuming now, not at the next tick
        }
        break; // failures: the next heartbeat tick joins again
    case MqGroupOp::Heartbeat:
        if (m_state != State::Member)
            break;
        if (error == MqError::RebalanceInProgress)
            adopt(generation, s.exchange.assignment);
        else if (error == MqError::UnknownMember)
            lostMembership();
        break;
    case MqGroupOp::Commit: {
        if (error == MqError::Ok) {
            ++m_commitsOk;
            if (m_commits)
                m_commits->add(1.0);
            for (const MqOffsetCommit& c : s.exchange.commits) {
                if (Owned* o = owned(c.topic, c.partition))
                    o->committed = std::max(o->committed, c.offset);
            }
        } else if (error == MqError::NotOwner || error == MqError::UnknownMember) {
            ++m_commitsRejected;
            if (m_commitRejects)
                m_commitRejects->add(1.0);
            if (error == MqError::UnknownMember && m_state == State::Member)
                lostMembership();
        }
        CommitCallback callback = std::move(s.callback);
        if (callback)
            callback(error);
        break;
    }
    case MqGroupOp::Leave:
        break;
    }
}

void MqConsumer::lostMembership()
{
    m_assignment.clear();
    m_generation = 0;
    m_state = State::Joining;
    sendJoin();
}

void MqConsumer::adopt(std::uint64_t generation, const std::vector<MqAssignedPartition>& assignment)
{
    std::vector<Owned> next;
    next.reserve(assignment.size());
    for (const MqAssignedPartition& a : assignment) {
        Owned o;
        o.topic = a.topic;
        o.partition = a.partition;
        o.committed = a.committed;
        o.ownerSince = a.ownerSince;
        const Owned* before = owned(a.topic, a.partition);
        // Kept without a break since a generation this consumer already had: keep the
        // position. Otherwise start where the group committed (or reset at the broker).
        if (before && a.ownerSince <= m_generation && before->position >= 0)
            o.position = before->position;
        else
            o.position = a.committed;
        next.push_back(o);
    }
    m_assignment = std::move(next);
    m_generation = generation;
    if (m_rebalances)
        m_rebalances->add(1.0);
}

MqConsumer::Owned* MqConsumer::owned(std::string_view topic, int partition)
{
    for (Owned& o : m_assignment) {
        if (o.partition == partition && o.topic == topic)
            return &o;
    }
    return nullptr;
}

void MqConsumer::commit(const MqBatch& batch, CommitCallback callback)
{
    commitOffsets(batch.nextOffsets(), batch.generation, std::move(callback));
}

void MqConsumer::commitOffsets(std::vector<MqOffsetCommit> offsets, std::uint64_t generation, CommitCallback callback)
{
    if (m_state != State::Member || offsets.empty()) {
        const MqError error = m_state == State::Member ? MqError::Ok
            : m_state == State::Crashed                ? MqError::Crashed
                                                       : MqError::NotMember;
        if (callback) {
            // Never inside the caller's call.
            const std::uint32_t slot = groupSlot();
            GroupSlot& s = m_groupSlots[slot];
            s.exchange.op = MqGroupOp::Commit;
            s.exchange.commits.clear();
            s.active = true;
            s.callback = std::move(callback);
            const std::uint64_t token = s.token = ++m_requestSeq;
            s.timeout = m_world.after(0, m_timeoutKind, m_component, [this, slot, token, error] {
                GroupSlot& g = m_groupSlots[slot];
                if (g.active && g.token == token)
                    handleGroupResult(slot, error, 0);
            });
        }
        return;
    }
    const std::uint32_t slot = groupSlot();
    GroupSlot& s = m_groupSlots[slot];
    s.exchange.op = MqGroupOp::Commit;
    s.exchange.generation = generation;
    s.exchange.commits = std::move(offsets);
    s.callback = std::move(callback);
    sendGroup(slot);
}

void MqConsumer::seekToCommitted()
{
    for (Owned& o : m_assignment)
        o.position = o.committed;
}

void MqConsumer::close()
{
    if (m_state == State::Member || m_state == State::Joining) {
        const std::uint32_t slot = groupSlot();
        m_groupSlots[slot].exchange.op = MqGroupOp::Leave;
        sendGroup(slot);
    }
    stopLoop();
    m_state = State::Closed;
    m_assignment.clear();
    m_generation = 0;
    m_pollActive = false;
    m_pollCallback.reset();
    m_world.scheduler().cancel(m_pollTimeout);
}

void MqConsumer::crash()
{
    if (m_state == State::Crashed || m_state == State::Closed)
        return;
    m_state = State::Crashed;
    m_crashedByFault = false;
    ++m_crashCount;
    if (m_crashes)
        m_crashes->add(1.0);
    m_assignment.clear();
    m_generation = 0;
    m_joinInFlight = false;
    // Everything in the process's memory is gone: the outstanding poll, the batch in
    // hand (its ack is void), pending commits and their callbacks.
    m_pollActive = false;
    m_pollCallback.reset();
    m_world.scheduler().cancel(m_pollTimeout);
    m_processing = false;
    ++m_ackToken;
    for (GroupSlot& s : m_groupSlots) {
        if (s.active) {
            s.active = false;
            m_world.scheduler().cancel(s.timeout);
            s.callback.reset();
        }
    }
    m_world.events().raise("mq.consumer.crash", m_component, v1::SEVERITY_WARNING,
                           sim::strCat("consumer ", m_memberId, " of group ", m_group,
                                       " crashed: uncommitted records will be redelivered"),
                           {{"group", m_group}, {"member", m_memberId}});
}

void MqConsumer::restart()
{
    if (m_state != State::Crashed)
        return;
    ++m_incarnation;
    m_memberId = sim::strCat(m_path, "#", m_incarnation);
    m_crashedByFault = false;
    m_state = State::Joining;
    sendJoin();
    if (!m_heartbeating) {
        m_heartbeating = true;
        m_world.after(m_config.heartbeatInterval, m_heartbeatKind, m_component, [this] { heartbeatTick(); });
    }
    if (m_looping)
        scheduleLoopTick(m_config.pollInterval);
}

// ---------------------------------------------------------------- poll

void MqConsumer::failPollLater(MqError error)
{
    const std::uint64_t token = m_pollToken;
    m_pollTimeout = m_world.after(0, m_timeoutKind, m_component, [this, token, error] {
        if (m_pollActive && m_pollToken == token)
            finishPoll(error);
    });
}

void MqConsumer::poll(int maxRecords, PollCallback callback)
{
    assert(!m_pollActive && "one poll at a time");
    m_pollActive = true;
    m_pollCallback = std::move(callback);
    const std::uint64_t token = ++m_pollToken;
    if (m_state == State::Idle)
        start();
    if (m_state == State::Crashed || (m_world.faults().anyActive(v1::FAULT_DOWN) && m_world.faults().isDown(m_path))) {
        failPollLater(MqError::Crashed);
        return;
    }
    if (m_state != State::Member) {
        failPollLater(MqError::NotMember);
        return;
    }
    std::uint32_t slot = 0;
    while (slot < m_fetchSlots.size() && m_fetchSlots[slot].held)
        ++slot;
    if (slot == m_fetchSlots.size())
        m_fetchSlots.emplace_back();
    MqFetchExchange& ex = m_fetchSlots[slot].exchange;
    ex.group = m_group;
    ex.memberId = m_memberId;
    ex.generation = m_generation;
    ex.maxRecords = maxRecords > 0 ? maxRecords : m_config.maxPollRecords;
    ex.reset = m_config.reset;
    ex.partitions.clear();
    const std::size_t n = m_assignment.size();
    for (std::size_t i = 0; i < n; ++i) {
        const Owned& o = m_assignment[(m_rotation + i) % n];
        ex.partitions.push_back(MqFetchPartition{o.topic, o.partition, o.position, o.position});
    }
    ++m_rotation;
    m_pollTimeout = m_world.after(m_config.requestTimeout, m_timeoutKind, m_component, [this, token] {
        if (m_pollActive && m_pollToken == token)
            finishPoll(MqError::Timeout);
    });
    const sim::Delivery d = m_world.network().send(m_component, m_broker.component());
    if (!d.delivered())
        return;
    m_fetchSlots[slot].held = true;
    m_world.after(d.latency, m_requestKind, m_component, [this, slot, token] {
        m_broker.fetch(m_component, m_fetchSlots[slot].exchange,
                       [this, slot, token](const MqResponse& r) { onFetch(slot, token, r); });
    });
}

void MqConsumer::onFetch(std::uint32_t slot, std::uint64_t token, const MqResponse& response)
{
    FetchSlot& fs = m_fetchSlots[slot];
    fs.held = false;
    if (response.lost || !m_pollActive || token != m_pollToken)
        return; // the poll timed out, or the process crashed meanwhile
    m_world.scheduler().cancel(m_pollTimeout);
    MqFetchExchange& ex = fs.exchange;
    switch (response.error) {
    case MqError::Ok:
        if (ex.generation != m_generation) {
            // A heartbeat adopted a new assignment while this fetch was out: drop it;
            // positions did not move, so nothing is skipped.
            finishPoll(MqError::RebalanceInProgress);
            return;
        }
        for (const MqFetchPartition& fp : ex.partitions) {
            if (Owned* o = owned(fp.topic, fp.partition))
                o->position = fp.next;
        }
        m_batch.generation = ex.generation;
        m_batch.records.swap(ex.records);
        ex.records.clear();
        m_receivedCount += m_batch.records.size();
        if (m_records)
            m_records->add(ex.weight);
        finishPoll(MqError::Ok);
        return;
    case MqError::RebalanceInProgress:
        if (m_state == State::Member)
            adopt(response.generation, ex.assignment);
        finishPoll(MqError::RebalanceInProgress);
        return;
    case MqError::UnknownMember:
        if (m_state == State::Member)
            lostMembership();
        finishPoll(MqError::UnknownMember);
        return;
    default:
        finishPoll(response.error);
        return;
    }
}

void MqConsumer::finishPoll(MqError error)
{
    m_pollActive = false;
    if (error != MqError::Ok) {
        m_batch.records.clear();
        m_batch.generation = m_generation;
    }
    PollCallback callback = std::move(m_pollCallback);
    if (callback)
        callback(error, m_batch);
}

// ---------------------------------------------------------------- loop

void MqConsumer::runLoop(Handler handler, int maxRecords)
{
    m_handler = std::move(handler);
    m_loopMaxRecords = maxRecords > 0 ? maxRecords : m_config.maxPollRecords;
    m_looping = true;
    if (m_state == State::Idle || m_state == State::Closed)
        start();
    scheduleLoopTick(0);
}

void MqConsumer::stopLoop()
{
    m_looping = false;
    m_world.scheduler().cancel(m_loopTick);
}

void MqConsumer::scheduleLoopTick(sim::Nanos delay)
{
    m_world.scheduler().cancel(m_loopTick);
    m_loopTick = m_world.after(delay, m_loopKind, m_component, [this] { loopTick(); });
}

void MqConsumer::loopTick()
{
    if (!m_looping || m_processing || m_pollActive)
        return;
    if (checkDown() || m_state != State::Member) {
        scheduleLoopTick(m_config.pollInterval);
        return;
    }
    poll(m_loopMaxRecords, [this](MqError error, const MqBatch& batch) { onLoopBatch(error, batch); });
}

void MqConsumer::onLoopBatch(MqError error, const MqBatch& batch)
{
    if (!m_looping)
        return;
    if (error != MqError::Ok || batch.empty()) {
        scheduleLoopTick(m_config.pollInterval);
        return;
    }
    m_processing = true;
    const std::uint64_t token = ++m_ackToken;
    m_handler(batch, MqAck(this, token));
}

void MqConsumer::ack(std::uint64_t token, bool commitBatch)
{
    if (!m_processing || token != m_ackToken)
        return; // acked already, or the process crashed since
    m_processing = false;
    ++m_ackToken;
    if (checkDown()) {
        scheduleLoopTick(m_config.pollInterval);
        return;
    }
    if (commitBatch) {
        commit(m_batch);
    } else {
        for (const MqOffsetCommit& c : m_batch.nextOffsets()) {
            Owned* o = owned(c.topic, c.partition);
            if (!o)
                continue;
            std::int64_t first = c.offset;
            for (const MqConsumerRecord& r : m_batch.records) {
                if (r.partition == c.partition && r.topic == c.topic)
                    first = std::min(first, r.record.offset);
            }
            o->position = first;
        }
    }
    if (m_looping)
        scheduleLoopTick(0);
}

// ---------------------------------------------------------------- queries

std::vector<std::pair<std::string, int>> MqConsumer::assignment() const
{
    std::vector<std::pair<std::string, int>> out;
    for (const Owned& o : m_assignment)
        out.emplace_back(std::string(o.topic), o.partition);
    return out;
}

std::int64_t MqConsumer::position(std::string_view topic, int partition) const
{
    for (const Owned& o : m_assignment) {
        if (o.partition == partition && o.topic == topic)
            return o.position;
    }
    return -1;
}

void MqConsumer::inspect(sim::StateWriter& out) const
{
    out.add("state", toString(m_state));
    out.add("member", m_memberId);
    out.add("group", m_group);
    out.add("generation", m_generation);
    for (const Owned& o : m_assignment)
        out.add(sim::strCat(o.topic, "/", o.partition), sim::strCat("position=", o.position, " committed=", o.committed));
    out.add("received", m_receivedCount);
    out.add("commits", m_commitsOk);
    out.add("commits_rejected", m_commitsRejected);
    out.add("crashes", m_crashCount);
}

} // namespace livedeck::infra
