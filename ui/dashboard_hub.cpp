#include "ui/dashboard_hub.h"

#include "ui/logging.h"

#include <algorithm>

namespace livedeck::ui {

DashboardHub::DashboardHub(QObject* parent) : QObject(parent), m_topology(std::make_shared<const v1::Topology>())
{
    m_timer.setInterval(kDefaultTickMs);
    connect(&m_timer, &QTimer::timeout, this, &DashboardHub::tick);
    m_timer.start();
}

void DashboardHub::setSource(ClusterSource* source)
{
    for (const auto& c : m_connections)
        disconnect(c);
    m_connections.clear();
    m_source = source;
    resetRun();
    m_topology = std::make_shared<const v1::Topology>();
    if (!source)
        return;
    m_connections.push_back(connect(source, &ClusterSource::runReset, this, [this](const QString& id) { resetRun(id); }));
    m_connections.push_back(connect(source, &ClusterSource::topologyChanged, this, &DashboardHub::applyTopology));
    m_connections.push_back(connect(source, &ClusterSource::snapshotReady, this, &DashboardHub::applySnapshot));
    m_connections.push_back(connect(source, &ClusterSource::eventsReady, this, &DashboardHub::applyEvents));
}

void DashboardHub::addPanel(DashboardPanel* panel)
{
    m_panels.push_back(panel);
    if (m_topology)
        panel->applyTopology(*m_topology);
}

void DashboardHub::removePanel(DashboardPanel* panel)
{
    std::erase(m_panels, panel);
}

void DashboardHub::resetRun(const QString& runId)
{
    qCDebug(lcHub) << "run reset" << runId;
    m_catalog.clear();
    m_latest.reset();
    for (DashboardPanel* p : m_panels)
        p->resetRun();
    m_dirty = true;
    emit runWasReset();
}

void DashboardHub::applyTopology(TopologyPtr topology)
{
    if (!topology)
        return;
    m_topology = std::move(topology);
    for (DashboardPanel* p : m_panels)
        p->applyTopology(*m_topology);
    m_dirty = true;
    emit topologyApplied();
}

void DashboardHub::applySnapshot(SnapshotPtr snapshot)
{
    if (!snapshot)
        return;
    m_catalog.apply(*snapshot);
    for (DashboardPanel* p : m_panels)
        p->applySnapshot(*snapshot, m_catalog);
    m_latest = std::move(snapshot);
    ++m_snapshotsApplied;
    m_dirty = true;
    emit snapshotApplied(m_latest);
}

void DashboardHub::applyEvents(EventBatch events)
{
    if (!events || events->empty())
        return;
    for (DashboardPanel* p : m_panels)
        p->applyEvents(*events);
    m_dirty = true;
}

void DashboardHub::tick()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    ++m_ticksPainted;
    for (DashboardPanel* p : m_panels)
        p->refreshView();
    emit ticked();
}

} // namespace livedeck::ui
