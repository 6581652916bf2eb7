// The console's side of console plugins (plugins/sdk/console/livedeck_console): finds
// Qt plugins on the plugin search path (backend/plugins/plugin_host.h searchPath()),
// reads each one's metadata with QPluginLoader::metaData() — which does not load the
// library — and refuses a wrong IID, API version, livedeck version or kind before any
// load; loads with QLibrary::ResolveAllSymbolsHint (a missing symbol fails the load, not
// the first call); remembers a crash while loading with the same marker as engine
// plugins; calls initialize() (false or an exception: error state, the console keeps
// running). Each plugin gets a ConsoleHost over the DashboardHub and a settings group
// "plugins/<id>"; its dashboards are fed like the built-in panels and docked by
// dock(); its inspector views show the selected component when the component's kind
// names the view.
//
// Thread: GUI thread.
#pragma once

#include "backend/plugins/plugin_host.h"
#include "livedeck_console/console_plugin.h"
#include "ui/dashboard_hub.h"

#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>
#include <vector>

class QAction;
class QMainWindow;
class QPluginLoader;
class QWidget;

namespace livedeck::consoleplugins {

// A RunInfo from a topology (engines, plugin engines, tiles, component kinds).
console::RunInfo runInfo(const v1::Topology& topology, qint64 durationNs);
// A tile's value the way the Overview computes it (NaN when absent).
double tileValue(const ui::SeriesCatalog& catalog, const console::KpiTile& tile);

class ConsolePlugins final : public QObject {
    Q_OBJECT
public:
    explicit ConsolePlugins(ui::DashboardHub& hub, QObject* parent = nullptr);
    ~ConsolePlugins() override;

    // Discovers and loads console plugins; every library seen gets a record (engine
    // plugins' libraries, named by their sidecar metadata, are left to the engine loader).
    const std::vector<plugins::PluginRecord>& load(const plugins::PluginHostOptions& options);
    const std::vector<plugins::PluginRecord>& records() const { return m_records; }

    // Docks every dashboard and inspector view of the loaded plugins (right area, tabbed).
    void dock(QMainWindow& window);
    // Calls aboutToShutdown() on every loaded plugin (also done by the destructor).
    void shutdown();

    std::vector<console::Dashboard*> dashboards() const;
    std::vector<console::InspectorView*> inspectorViews() const;

private:
    struct Loaded;
    void onSelected(const QString& path);
    void showInspectors();

    ui::DashboardHub& m_hub;
    std::vector<plugins::PluginRecord> m_records;
    std::vector<std::unique_ptr<Loaded>> m_loaded;
    QString m_selected;
    bool m_shutDown = false;
};

// A table of plugin records (id, version, kind, state, error, file) for Help → Plugins.
QWidget* createPluginTable(const std::vector<plugins::PluginRecord>& records, QWidget* parent = nullptr);

// Help → Plugins in `window` (the Help menu is created when the menu bar has none): a
// dialog (object name "livedeck.plugins.dialog") with the table of `records()`, read when
// it opens. When a plugin was refused, failed or is disabled, the status bar says so
// and points there. Returns the menu action.
QAction* installPluginsView(QMainWindow& window, std::function<std::vector<plugins::PluginRecord>()> records);
// "2 plugins not loaded (danmaku: ...; x: ...) — see Help → Plugins", or empty.
QString pluginProblems(const std::vector<plugins::PluginRecord>& records);

} // namespace livedeck::consoleplugins
