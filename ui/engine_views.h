// Engine views: console views that belong to one engine (ui/engines/<engine>/) join the
// main window through this list. Each entry names its engine as its descriptor does
// (v1::EngineDescriptor.name); the window makes one dock per entry, offers it in the View
// menu and shows it only while the run's topology describes that engine. A view is a
// dashboard like every other: the DashboardHub feeds it topology, snapshots (with the
// components' inspector state) and events, so it reads nothing but the ClusterSource.
//
// Generic code never names an engine: the list is filled by engineViews() in
// ui/engines/engine_views.cpp, the one place that knows which engines have views.
//
// Thread: GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QString>
#include <QWidget>

#include <functional>
#include <string>
#include <vector>

namespace livedeck::ui {

class DashboardHub;

// The widget of an engine view; it is fed as a DashboardPanel.
class EngineViewPanel : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit EngineViewPanel(QWidget* parent = nullptr) : QWidget(parent) {}
};

struct EngineView {
    std::string engine;  // the engine's descriptor name
    QString title;       // dock title ("CDN caches")
    QString objectName;  // dock object name, stable for saved layouts ("dock.engine.cdn")
    QString tooltip;
    std::function<EngineViewPanel*(DashboardHub* hub)> make;
};

// Every engine view the console offers, in menu order.
std::vector<EngineView> engineViews();

} // namespace livedeck::ui
