#include "backend/sim/event_log.h"

#include "backend/sim/strings.h"
#include "backend/sim/components.h"

#include <algorithm>

namespace livedeck::sim {

EventLog::EventLog(const Scheduler& scheduler, const ComponentRegistry& components, TraceHash& trace)
    : m_scheduler(scheduler), m_components(components), m_trace(trace)
{
}

std::uint64_t EventLog::raise(std::string_view kind, ComponentId component, v1::Severity severity,
                              std::string message, std::vector<Field> fields)
{
    v1::Event e;
    const std::uint64_t seq = m_nextSeq++;
    e.set_seq(seq);
    e.set_sim_time_ns(m_scheduler.now());
    e.set_kind(std::string(kind));
    e.set_component(component < m_components.size() ? m_components.get(component).path : std::string());
    e.set_severity(severity);
    e.set_event_index(m_scheduler.executed());
    m_trace.mix(0xE5E5E5E5ULL);
    m_trace.mix(kind);
    m_trace.mix(static_cast<std::uint64_t>(component));
    m_trace.mix(message);
    for (auto& [k, v] : fields) {
        m_trace.mix(k);
        m_trace.mix(v);
        auto* kv = e.add_fields();
        kv->set_key(std::move(k));
        kv->set_value(std::move(v));
    }
    e.set_message(std::move(message));

    auto it = std::find_if(m_counts.begin(), m_counts.end(), [&](const auto& c) { return c.first == kind; });
    if (it == m_counts.end())
        m_counts.emplace_back(std::string(kind), 1);
    else
        ++it->second;

    for (const auto& [token, subscriber] : m_subscribers)
        subscriber(e);
    m_recent.push_back(std::move(e));
    if (m_recent.size() > kRecentCapacity)
        m_recent.pop_front();
    return seq;
}

int EventLog::subscribe(Subscriber subscriber)
{
    const int token = m_nextToken++;
    m_subscribers.emplace_back(token, std::move(subscriber));
    return token;
}

void EventLog::unsubscribe(int token)
{
    std::erase_if(m_subscribers, [token](const auto& s) { return s.first == token; });
}

void EventLog::eventsAfter(std::uint64_t afterSeq, std::vector<v1::Event>& out) const
{
    auto it = std::upper_bound(m_recent.begin(), m_recent.end(), afterSeq,
                               [](std::uint64_t seq, const v1::Event& e) { return seq < e.seq(); });
    for (; it != m_recent.end(); ++it)
        out.push_back(*it);
}

std::uint64_t EventLog::count(std::string_view kind) const
{
    for (const auto& [k, n] : m_counts) {
        if (k == kind)
            return n;
    }
    return 0;
}

} // namespace livedeck::sim
