#include "ui/cluster_source.h"

#include <QTimer>

namespace livedeck::ui {

QString connectionStateName(ConnectionState state)
{
    switch (state) {
    case ConnectionState::Disconnected:
        return QStringLiteral("disconnected");
    case ConnectionState::Connecting:
        return QStringLiteral("connecting");
    case ConnectionState::Live:
        return QStringLiteral("live");
    case ConnectionState::Stale:
        return QStringLiteral("stale");
    case ConnectionState::Replay:
        return QStringLiteral("replay");
    case ConnectionState::Failed:
        return QStringLiteral("failed");
    }
    return QStringLiteral("unknown");
}

std::uint64_t ClusterSource::injectFault(const v1::FaultSpec& fault)
{
    v1::Command c;
    *c.mutable_inject_fault()->mutable_fault() = fault;
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::clearFault(std::uint64_t faultId)
{
    v1::Command c;
    c.mutable_clear_fault()->set_fault_id(faultId);
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::pause()
{
    v1::Command c;
    c.mutable_pause();
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::resume()
{
    v1::Command c;
    c.mutable_resume();
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::step(std::uint64_t events)
{
    v1::Command c;
    c.mutable_step()->set_events(events);
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::stepToKind(const QString& kind, const QString& componentTarget, std::uint64_t count)
{
    v1::Command c;
    auto* s = c.mutable_step();
    s->set_events(count);
    s->set_until_kind(kind.toStdString());
    s->set_until_component(componentTarget.toStdString());
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::runUntil(std::int64_t simTimeNs)
{
    v1::Command c;
    c.mutable_run_until()->set_sim_time_ns(simTimeNs);
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::setSpeed(double factor)
{
    v1::Command c;
    c.mutable_set_speed()->set_factor(factor);
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::setLoad(const QString& engine, const QString& profile, double multiplier)
{
    v1::Command c;
    auto* l = c.mutable_set_load();
    l->set_engine(engine.toStdString());
    l->set_profile(profile.toStdString());
    l->set_multiplier(multiplier);
    return sendCommand(std::move(c));
}

std::uint64_t ClusterSource::operatorAction(const QString& action, const QString& target, double value)
{
    v1::Command c;
    auto* a = c.mutable_operator_action();
    a->set_action(action.toStdString());
    a->set_target(target.toStdString());
    a->set_value(value);
    return sendCommand(std::move(c));
}

void ClusterSource::requestPendingEvents(int /*limit*/) {}
void ClusterSource::requestEventKinds() {}
void ClusterSource::seek(std::int64_t /*simTimeNs*/) {}

QString ClusterSource::commandName(const v1::Command& command)
{
    switch (command.action_case()) {
    case v1::Command::kInjectFault:
        return QStringLiteral("inject fault");
    case v1::Command::kClearFault:
        return QStringLiteral("clear fault");
    case v1::Command::kRenewLease:
        return QStringLiteral("renew lease");
    case v1::Command::kSetLoad:
        return QStringLiteral("set load");
    case v1::Command::kOperatorAction:
        return QStringLiteral("operator action");
    case v1::Command::kPause:
        return QStringLiteral("pause");
    case v1::Command::kResume:
        return QStringLiteral("resume");
    case v1::Command::kStep:
        return command.step().until_kind().empty() ? QStringLiteral("step") : QStringLiteral("step to kind");
    case v1::Command::kRunUntil:
        return QStringLiteral("run until");
    case v1::Command::kSetSpeed:
        return QStringLiteral("set speed");
    default:
        return QStringLiteral("command");
    }
}

void ClusterSource::setConnectionState(ConnectionState state, const QString& detail)
{
    if (state == m_state && detail == m_stateDetail)
        return;
    m_state = state;
    m_stateDetail = detail;
    emit connectionStateChanged(state, detail);
}

void ClusterSource::publishSnapshot(SnapshotPtr snapshot)
{
    if (snapshot->has_drill()) {
        const v1::DrillState& d = snapshot->drill();
        const bool changed = !m_lastDrill || m_lastDrill->phase() != d.phase() || m_lastDrill->sim_time_ns() != d.sim_time_ns() ||
                             m_lastDrill->score() != d.score() || m_lastDrill->name() != d.name();
        if (changed) {
            m_lastDrill = std::make_shared<const v1::DrillState>(d);
            emit drillStateChanged(m_lastDrill);
        }
    }
    emit snapshotReady(std::move(snapshot));
}

void ClusterSource::finishLater(std::uint64_t token, bool ok, const QString& message)
{
    QMetaObject::invokeMethod(
        this, [this, token, ok, message] { emit commandFinished(token, ok, message); }, Qt::QueuedConnection);
}

void registerSourceMetaTypes()
{
    qRegisterMetaType<SnapshotPtr>();
    qRegisterMetaType<TopologyPtr>();
    qRegisterMetaType<EventBatch>();
    qRegisterMetaType<DrillStatePtr>();
}

QString ClusterSource::displayName() const
{
    const SourceInfo i = info();
    return i.location.isEmpty() ? i.kind : i.location;
}

} // namespace livedeck::ui
