// DashboardPanel: what every dashboard implements so the DashboardHub can feed it.
// apply*() update the panel's models and ring buffers (cheap, no widgets created per
// snapshot); refreshView() repaints — the hub calls it at most once per UI tick and
// only after something was applied. resetRun() drops everything of the previous run.
// All calls on the GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <vector>

namespace livedeck::ui {

class SeriesCatalog;

class DashboardPanel {
public:
    virtual ~DashboardPanel() = default;
    virtual void resetRun() {}
    virtual void applyTopology(const v1::Topology& /*topology*/) {}
    virtual void applySnapshot(const v1::Snapshot& /*snapshot*/, const SeriesCatalog& /*catalog*/) {}
    virtual void applyEvents(const std::vector<v1::Event>& /*events*/) {}
    virtual void refreshView() {}
};

} // namespace livedeck::ui
