// The console-plugin interface (Qt): a plugin adds dashboards (dock panels) and
// inspector views to the livedeck console. It sees the run only through the narrow
// ConsoleHost below — the run's engines and KPI tiles as plain data, the latest values
// of any series, component states, select-a-component, and a settings group of its own
// — never the main window and never the protobuf messages (a plugin must not link the
// generated code: two copies of a descriptor pool abort at load).
//
// A plugin is a Qt plugin (qt_add_plugin) whose class derives from QObject and
// ConsolePlugin, declares Q_INTERFACES(livedeck::console::ConsolePlugin) and
// Q_PLUGIN_METADATA(IID LivedeckConsolePlugin_iid FILE "<id>.json"); the JSON holds
// {"id", "name", "version", "api", "livedeck", "kind": "console"}. The console reads it
// with QPluginLoader::metaData() and refuses a wrong IID, API or livedeck version
// without loading the library (docs/PLUGINS.md).
//
// All calls on the GUI thread.
#pragma once

#include <QPair>
#include <QString>
#include <QStringList>
#include <QVariant>
#include <QVector>
#include <QtPlugin>

class QWidget;

#define LIVEDECK_CONSOLE_API_VERSION 1

namespace livedeck::console {

inline constexpr int kConsoleApiVersion = LIVEDECK_CONSOLE_API_VERSION;

enum class SeriesType { Rate, Total, Value, P50, P90, P99, P999 };
enum class Aggregate { Sum, Mean, Min, Max, Ratio };

// One engine's KPI tile, as the engine describes it.
struct KpiTile {
    QString engine;
    QString id;
    QString title;
    QString series;
    SeriesType type = SeriesType::Value;
    Aggregate aggregate = Aggregate::Sum;
    QString denominatorSeries; // Aggregate::Ratio
    QString unit;
    double scale = 1.0;
    bool higherIsBetter = true;
    double good = 0.0;         // good when value × scale >= good (higher is better) or <= good
    double warn = 0.0;
    QString targetText;
    int decimals = 0;
};

struct ComponentKind {
    QString engine;
    QString kind;
    QString description;
    QStringList headlineKeys;
    QString view;              // the inspector view that shows it ("danmaku.room"), may be empty
};

struct RunInfo {
    QString runId;
    qint64 durationNs = 0;     // the drill's length; 0 when unknown (no drill, a live cluster)
    QStringList engines;
    QStringList pluginEngines; // engines that came from engine plugins
    QVector<KpiTile> tiles;
    QVector<ComponentKind> componentKinds;
};

using ComponentState = QVector<QPair<QString, QString>>;

class ConsoleHost {
public:
    virtual ~ConsoleHost() = default;
    virtual RunInfo run() const = 0;
    virtual qint64 simTimeNs() const = 0;
    // The latest value of every series named `series` of that type, aggregated; NaN
    // when no series of that name has a value.
    virtual double value(const QString& series, SeriesType type, Aggregate how) const = 0;
    // A tile's value as the Overview computes it (before the tile's scale); NaN when absent.
    virtual double tileValue(const KpiTile& tile) const = 0;
    // Components of a kind, in the topology's order.
    virtual QStringList componentsOfKind(const QString& kind) const = 0;
    // The latest inspector state of a component the console receives (may be empty).
    virtual ComponentState componentState(const QString& path) const = 0;
    // Selects a component in every console view (the inspector, the map ...).
    virtual void selectComponent(const QString& path) = 0;
    // The plugin's own settings group (persisted by the console).
    virtual QVariant setting(const QString& key, const QVariant& fallback = {}) const = 0;
    virtual void setSetting(const QString& key, const QVariant& value) = 0;
};

// A dashboard the console docks. The host calls runReset() when a run starts (its
// engines and tiles are known), snapshot() after each snapshot was applied (the host's
// values are current), refresh() at most once per UI tick after a snapshot.
class Dashboard {
public:
    virtual ~Dashboard() = default;
    virtual QString id() const = 0;
    virtual QString title() const = 0;
    virtual QWidget* widget() = 0; // owned by the dashboard; the host docks it
    virtual void runReset(const RunInfo& run) = 0;
    virtual void snapshot(qint64 simTimeNs) = 0;
    virtual void refresh() {}
};

// A view of components whose kind descriptor names it (ComponentKind::view == id()).
class InspectorView {
public:
    virtual ~InspectorView() = default;
    virtual QString id() const = 0;
    virtual QString title() const = 0;
    virtual QWidget* widget() = 0;
    // The selected component and its latest state; called again on each snapshot.
    virtual void show(const QString& path, const ComponentState& state) = 0;
};

class ConsolePlugin {
public:
    virtual ~ConsolePlugin() = default;
    // False (with `error` set) refuses: the console lists the plugin with that error.
    virtual bool initialize(ConsoleHost* host, QString* error) = 0;
    virtual void aboutToShutdown() {}
    // Created by initialize(), owned by the plugin, valid until aboutToShutdown().
    virtual QVector<Dashboard*> dashboards() = 0;
    virtual QVector<InspectorView*> inspectorViews() = 0;
};

} // namespace livedeck::console

#define LivedeckConsolePlugin_iid "org.livedeck.ConsolePlugin/1"
Q_DECLARE_INTERFACE(livedeck::console::ConsolePlugin, LivedeckConsolePlugin_iid)
