// Logging categories of the console, one per module (docs/UI.md: a QLoggingCategory per
// module). Enable with QT_LOGGING_RULES="livedeck.ui.*=true".
#pragma once

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcSource)    // livedeck.ui.source: ClusterSource implementations
Q_DECLARE_LOGGING_CATEGORY(lcReplay)    // livedeck.ui.replay
Q_DECLARE_LOGGING_CATEGORY(lcHub)       // livedeck.ui.hub: snapshot fan-out, UI ticks
Q_DECLARE_LOGGING_CATEGORY(lcOverview)  // livedeck.ui.overview
Q_DECLARE_LOGGING_CATEGORY(lcBreakers)  // livedeck.ui.breakers
Q_DECLARE_LOGGING_CATEGORY(lcShards)    // livedeck.ui.shards
Q_DECLARE_LOGGING_CATEGORY(lcRegions)   // livedeck.ui.regions
Q_DECLARE_LOGGING_CATEGORY(lcCharts)    // livedeck.ui.charts
Q_DECLARE_LOGGING_CATEGORY(lcInspector) // livedeck.ui.inspector
Q_DECLARE_LOGGING_CATEGORY(lcEvents)    // livedeck.ui.events
Q_DECLARE_LOGGING_CATEGORY(lcFaults)    // livedeck.ui.faults
Q_DECLARE_LOGGING_CATEGORY(lcDeveloper) // livedeck.ui.developer
Q_DECLARE_LOGGING_CATEGORY(lcWindow)    // livedeck.ui.window
