// EventLog: the world's log of notable happenings (fault on/off, breaker transitions,
// alerts, invariant violations) as livedeck.v1.Event messages. Not to be confused with
// scheduler events: those are the world's steps; these are what a person reads.
//
// Each raised event gets a sequence number, is mixed into the trace hash, is handed to
// subscribers synchronously (recorder, snapshot builder, drill checks) and kept in a
// bounded ring of recent events. Single-threaded, like the world.
#pragma once

#include "backend/sim/scheduler.h"
#include "backend/sim/trace.h"
#include "livedeck/v1/cluster.pb.h"

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livedeck::sim {

class ComponentRegistry;

class EventLog {
public:
    static constexpr std::size_t kRecentCapacity = 20'000;
    using Field = std::pair<std::string, std::string>;
    using Subscriber = std::function<void(const v1::Event&)>;

    EventLog(const Scheduler& scheduler, const ComponentRegistry& components, TraceHash& trace);

    std::uint64_t raise(std::string_view kind, ComponentId component, v1::Severity severity, std::string message,
                        std::vector<Field> fields = {});

    int subscribe(Subscriber subscriber);
    void unsubscribe(int token);

    std::uint64_t lastSeq() const { return m_nextSeq - 1; }
    const std::deque<v1::Event>& recent() const { return m_recent; }
    // Appends recent events with seq > afterSeq (as many as the ring still holds).
    void eventsAfter(std::uint64_t afterSeq, std::vector<v1::Event>& out) const;
    // Count of raised events of a kind (for tests and drill expectations).
    std::uint64_t count(std::string_view kind) const;

private:
    const Scheduler& m_scheduler;
    const ComponentRegistry& m_components;
    TraceHash& m_trace;
    std::uint64_t m_nextSeq = 1;
    std::deque<v1::Event> m_recent;
    std::vector<std::pair<int, Subscriber>> m_subscribers;
    std::vector<std::pair<std::string, std::uint64_t>> m_counts; // kind → count, in first-seen order
    int m_nextToken = 1;
};

} // namespace livedeck::sim
