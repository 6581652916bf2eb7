#include "backend/telemetry/telemetry.h"

#include <google/protobuf/arena.h>

#include <algorithm>

namespace livedeck::telemetry {

Telemetry::Telemetry(sim::World& world) : m_world(world), m_rollupKind(world.kind("telemetry.rollup")) {}

void Telemetry::start()
{
    if (m_started)
        return;
    m_started = true;
    m_lastRollupTime = m_world.now();
    m_world.after(kRollupInterval, m_rollupKind, sim::kNoComponent, [this] { rollup(); });
}

void Telemetry::rollup()
{
    const sim::Nanos now = m_world.now();
    m_lastRollup.clear();
    m_metrics.rollup(now - m_lastRollupTime, m_lastRollup);
    m_lastRollupTime = now;
    m_world.network().takeCarried(m_carried);
    m_lastBySeries.assign(m_metrics.seriesCount(), 0.0);
    for (const Sample& s : m_lastRollup) {
        m_lastBySeries[s.series] = s.value;
        m_world.trace().mixDouble(s.value);
    }
    // A listener may add or remove listeners while it runs: removal only marks the slot
    // and additions wait in m_addedInRollup, so no std::function moves or dies mid-call.
    m_inRollup = true;
    for (const ListenerSlot& slot : m_listeners) {
        if (!slot.removed)
            slot.listener(now, m_lastRollup);
    }
    m_inRollup = false;
    std::erase_if(m_listeners, [](const ListenerSlot& l) { return l.removed; });
    for (ListenerSlot& added : m_addedInRollup) {
        if (!added.removed)
            m_listeners.push_back(std::move(added));
    }
    m_addedInRollup.clear();
    m_world.after(kRollupInterval, m_rollupKind, sim::kNoComponent, [this] { rollup(); });
}

void Telemetry::addContributor(const SnapshotContributor* contributor)
{
    m_contributors.push_back(contributor);
}

void Telemetry::removeContributor(const SnapshotContributor* contributor)
{
    std::erase(m_contributors, contributor);
}

int Telemetry::addRollupListener(RollupListener listener)
{
    const int token = m_nextListenerToken++;
    (m_inRollup ? m_addedInRollup : m_listeners).push_back(ListenerSlot{token, std::move(listener), false});
    return token;
}

void Telemetry::removeRollupListener(int token)
{
    for (auto* list : {&m_listeners, &m_addedInRollup}) {
        for (ListenerSlot& slot : *list) {
            if (slot.token == token)
                slot.removed = true;
        }
    }
    if (!m_inRollup)
        std::erase_if(m_listeners, [](const ListenerSlot& l) { return l.removed; });
}

double Telemetry::lastValue(std::int64_t seriesId, double fallback) const
{
    if (seriesId < 0 || static_cast<std::size_t>(seriesId) >= m_lastBySeries.size())
        return fallback;
    return m_lastBySeries[static_cast<std::size_t>(seriesId)];
}

void Telemetry::linksToProto(v1::Snapshot& out) const
{
    // What each link carried in the last rollup interval. A direction that carried
    // nothing reads as the network would decide a message sent now.
    const sim::Topology& topo = m_world.topology();
    for (std::size_t i = 0; i < topo.links().size(); ++i) {
        const sim::LinkSpec& spec = topo.links()[i];
        const sim::LinkCarried* c = i < m_carried.size() ? &m_carried[i] : nullptr;
        v1::LinkHealth& h = *out.add_links();
        h.set_a(topo.regions()[static_cast<std::size_t>(spec.a)].name);
        h.set_b(topo.regions()[static_cast<std::size_t>(spec.b)].name);
        const bool carriedAb = c && c->offeredAb > 0;
        const bool carriedBa = c && c->offeredBa > 0;
        h.set_partitioned_ab(carriedAb ? c->failedAb == c->offeredAb : !m_world.network().regionReachable(spec.a, spec.b));
        h.set_partitioned_ba(carriedBa ? c->failedBa == c->offeredBa : !m_world.network().regionReachable(spec.b, spec.a));
        h.set_latency_ms(c && c->p99Latency >= 0 ? sim::toMillis(c->p99Latency) : sim::toMillis(spec.latency));
        const std::uint64_t offered = c ? c->messages : 0;
        h.set_loss(offered > 0 ? static_cast<double>(c->failedAb + c->failedBa) / static_cast<double>(offered) : 0.0);
        h.set_messages(offered);
    }
}

void Telemetry::buildSnapshot(v1::Snapshot& out, const SnapshotOptions& options) const
{
    out.set_run_id(m_world.runId());
    out.set_sim_time_ns(m_world.now());
    out.set_calendar_unix_ms(m_world.calendar().unixMs(m_world.now()));
    out.set_events_executed(m_world.scheduler().executed());
    out.set_trace_hash(m_world.traceHash());
    out.set_last_event_seq(m_world.events().lastSeq());
    out.mutable_host()->set_pending_events(m_world.scheduler().pendingCount());

    if (options.includeSeriesDefs) {
        std::vector<v1::SeriesDef> defs;
        m_metrics.seriesDefs(options.seriesDefsFrom, defs);
        for (auto& d : defs)
            *out.add_series_defs() = std::move(d);
    }
    out.mutable_sample_ids()->Reserve(static_cast<int>(m_lastRollup.size()));
    out.mutable_sample_values()->Reserve(static_cast<int>(m_lastRollup.size()));
    for (const Sample& s : m_lastRollup) {
        out.add_sample_ids(s.series);
        out.add_sample_values(s.value);
    }
    for (const sim::Fault& f : m_world.faults().all())
        m_world.faults().toProto(f.id, *out.add_faults());
    linksToProto(out);
    for (const SnapshotContributor* c : m_contributors)
        c->contribute(out);
    if (options.includeComponents) {
        sim::StateWriter w;
        for (const sim::ComponentInfo& c : m_world.components().all()) {
            if (!c.inspectable)
                continue;
            w.clear();
            c.inspectable->inspect(w);
            auto* cs = out.add_components();
            cs->set_path(c.path);
            cs->mutable_state()->Reserve(static_cast<int>(w.entries().size()));
            for (auto& [k, v] : w.takeEntries()) {
                auto* kv = cs->add_state();
                kv->set_key(std::move(k));
                kv->set_value(std::move(v));
            }
        }
    }
}

std::shared_ptr<v1::Snapshot> newArenaSnapshot(std::size_t startBlock)
{
    constexpr std::size_t kMinBlock = std::size_t{4} << 10;
    constexpr std::size_t kMaxBlock = std::size_t{8} << 20;
    google::protobuf::ArenaOptions options;
    options.start_block_size = std::clamp(startBlock, kMinBlock, kMaxBlock);
    options.max_block_size = kMaxBlock;
    auto arena = std::make_shared<google::protobuf::Arena>(options);
    v1::Snapshot* snapshot = google::protobuf::Arena::CreateMessage<v1::Snapshot>(arena.get());
    return std::shared_ptr<v1::Snapshot>(std::move(arena), snapshot); // owns the arena
}

std::size_t arenaBytes(const v1::Snapshot& snapshot)
{
    const google::protobuf::Arena* arena = snapshot.GetArena();
    return arena != nullptr ? static_cast<std::size_t>(arena->SpaceAllocated()) : 0;
}

} // namespace livedeck::telemetry
