#include "plugins/console_host/console_plugins.h"

#include "backend/plugins/sha256.h"

#include <QAction>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QPluginLoader>
#include <QSettings>
#include <QStatusBar>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>

Q_LOGGING_CATEGORY(lcPlugins, "livedeck.plugins")

namespace livedeck::consoleplugins {
namespace {

namespace fs = std::filesystem;
using console::Aggregate;
using console::SeriesType;

QString q(const std::string& s) { return QString::fromStdString(s); }

SeriesType seriesType(v1::MetricType t)
{
    switch (t) {
    case v1::METRIC_TYPE_COUNTER:
        return SeriesType::Rate;
    case v1::METRIC_TYPE_COUNTER_TOTAL:
        return SeriesType::Total;
    case v1::METRIC_TYPE_HISTOGRAM_P50:
        return SeriesType::P50;
    case v1::METRIC_TYPE_HISTOGRAM_P90:
        return SeriesType::P90;
    case v1::METRIC_TYPE_HISTOGRAM_P99:
        return SeriesType::P99;
    case v1::METRIC_TYPE_HISTOGRAM_P999:
        return SeriesType::P999;
    default:
        break;
    }
    return SeriesType::Value;
}

v1::MetricType metricType(SeriesType t)
{
    switch (t) {
    case SeriesType::Rate:
        return v1::METRIC_TYPE_COUNTER;
    case SeriesType::Total:
        return v1::METRIC_TYPE_COUNTER_TOTAL;
    case SeriesType::P50:
        return v1::METRIC_TYPE_HISTOGRAM_P50;
    case SeriesType::P90:
        return v1::METRIC_TYPE_HISTOGRAM_P90;
    case SeriesType::P99:
        return v1::METRIC_TYPE_HISTOGRAM_P99;
    case SeriesType::P999:
        return v1::METRIC_TYPE_HISTOGRAM_P999;
    case SeriesType::Value:
        break;
    }
    return v1::METRIC_TYPE_GAUGE;
}

Aggregate aggregate(v1::Aggregate a)
{
    switch (a) {
    case v1::AGGREGATE_MEAN:
        return Aggregate::Mean;
    case v1::AGGREGATE_MIN:
        return Aggregate::Min;
    case v1::AGGREGATE_MAX:
        return Aggregate::Max;
    case v1::AGGREGATE_RATIO:
        return Aggregate::Ratio;
    default:
        break;
    }
    return Aggregate::Sum;
}

ui::Aggregate catalogAggregate(Aggregate a)
{
    switch (a) {
    case Aggregate::Mean:
        return ui::Aggregate::Mean;
    case Aggregate::Min:
        return ui::Aggregate::Min;
    case Aggregate::Max:
        return ui::Aggregate::Max;
    case Aggregate::Sum:
    case Aggregate::Ratio:
        break;
    }
    return ui::Aggregate::Sum;
}

void logLine(const std::string& text) { qCWarning(lcPlugins).noquote() << QString::fromStdString(text); }

// The console's host for one plugin.
class Host final : public console::ConsoleHost {
public:
    Host(ui::DashboardHub& hub, QString id) : m_hub(hub), m_group(QStringLiteral("plugins/") + id) {}

    console::RunInfo run() const override { return m_run; }
    qint64 simTimeNs() const override { return m_hub.simTimeNs(); }
    double value(const QString& series, SeriesType type, Aggregate how) const override
    {
        return m_hub.catalog().aggregate(series.toStdString(), metricType(type), catalogAggregate(how));
    }
    double tileValue(const console::KpiTile& tile) const override
    {
        return consoleplugins::tileValue(m_hub.catalog(), tile);
    }
    QStringList componentsOfKind(const QString& kind) const override
    {
        QStringList out;
        const std::string k = kind.toStdString();
        for (const v1::Component& c : m_hub.topology().components()) {
            if (c.kind() == k)
                out << q(c.path());
        }
        return out;
    }
    console::ComponentState componentState(const QString& path) const override
    {
        console::ComponentState out;
        const ui::SnapshotPtr& s = m_hub.latestSnapshot();
        if (!s)
            return out;
        const std::string p = path.toStdString();
        for (const v1::ComponentState& c : s->components()) {
            if (c.path() != p)
                continue;
            for (const v1::KeyValue& kv : c.state())
                out.append({q(kv.key()), q(kv.value())});
        }
        return out;
    }
    void selectComponent(const QString& path) override { m_hub.selectComponent(path); }
    QVariant setting(const QString& key, const QVariant& fallback) const override
    {
        QSettings s;
        return s.value(m_group + QLatin1Char('/') + key, fallback);
    }
    void setSetting(const QString& key, const QVariant& value) override
    {
        QSettings s;
        s.setValue(m_group + QLatin1Char('/') + key, value);
    }

    console::RunInfo m_run;

private:
    ui::DashboardHub& m_hub;
    QString m_group;
};

// Feeds one plugin dashboard like a built-in panel.
class Panel final : public ui::DashboardPanel {
public:
    Panel(console::Dashboard& dashboard, Host& host) : m_dashboard(dashboard), m_host(host) {}
    void resetRun() override { m_started = false; }
    void applyTopology(const v1::Topology& topology) override
    {
        m_topology = topology;
        m_started = false;
    }
    void applySnapshot(const v1::Snapshot& snapshot, const ui::SeriesCatalog&) override
    {
        if (!m_started) {
            // The drill's length arrives with the snapshots, not the topology.
            m_host.m_run = runInfo(m_topology, snapshot.has_drill() ? snapshot.drill().duration_ns() : 0);
            m_dashboard.runReset(m_host.m_run);
            m_started = true;
        }
        m_dashboard.snapshot(snapshot.sim_time_ns());
    }
    void refreshView() override { m_dashboard.refresh(); }

private:
    console::Dashboard& m_dashboard;
    Host& m_host;
    v1::Topology m_topology;
    bool m_started = false;
};

bool hasEngineSidecar(const fs::path& library)
{
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(library.parent_path(), ec)) {
        const std::string name = e.path().filename().string();
        if (!name.ends_with(".livedeck-plugin.json"))
            continue;
        plugins::PluginMetadata meta;
        std::string error;
        if (plugins::readMetadata(e.path().string(), meta, error) && meta.library == library.filename().string())
            return true;
    }
    return false;
}

std::vector<std::string> libraries(const std::string& dir)
{
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return out;
    auto scan = [&out](const fs::path& d) {
        std::error_code e;
        for (const fs::directory_entry& entry : fs::directory_iterator(d, e)) {
            if (entry.is_regular_file(e) && entry.path().extension() == ".so" && !hasEngineSidecar(entry.path()))
                out.push_back(entry.path().string());
        }
    };
    scan(dir);
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
        std::error_code e;
        if (entry.is_directory(e))
            scan(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

struct ConsolePlugins::Loaded {
    std::unique_ptr<QPluginLoader> loader;
    console::ConsolePlugin* plugin = nullptr;
    std::unique_ptr<Host> host;
    std::vector<std::unique_ptr<Panel>> panels;
    std::vector<console::Dashboard*> dashboards;
    std::vector<console::InspectorView*> views;
    std::vector<QPointer<QDockWidget>> viewDocks; // parallel to views (after dock())
};

console::RunInfo runInfo(const v1::Topology& topology, qint64 durationNs)
{
    console::RunInfo r;
    r.runId = q(topology.run_id());
    r.durationNs = durationNs;
    for (const v1::EngineDescriptor& e : topology.engines()) {
        r.engines << q(e.name());
        if (!e.plugin_id().empty())
            r.pluginEngines << q(e.name());
        for (const v1::KpiTile& t : e.tiles()) {
            console::KpiTile k;
            k.engine = q(e.name());
            k.id = q(t.id());
            k.title = q(t.title());
            k.series = q(t.series());
            k.type = seriesType(t.type());
            k.aggregate = aggregate(t.aggregate());
            k.denominatorSeries = q(t.denominator_series());
            k.unit = q(t.unit());
            k.scale = t.scale() == 0.0 ? 1.0 : t.scale();
            k.higherIsBetter = t.higher_is_better();
            k.good = t.good();
            k.warn = t.warn();
            k.targetText = q(t.target_text());
            k.decimals = t.decimals();
            r.tiles.append(k);
        }
        for (const v1::ComponentKindDescriptor& c : e.component_kinds()) {
            console::ComponentKind k;
            k.engine = q(e.name());
            k.kind = q(c.kind());
            k.description = q(c.description());
            for (const std::string& h : c.headline_keys())
                k.headlineKeys << q(h);
            k.view = q(c.view());
            r.componentKinds.append(k);
        }
    }
    return r;
}

double tileValue(const ui::SeriesCatalog& catalog, const console::KpiTile& tile)
{
    const std::string series = tile.series.toStdString();
    const v1::MetricType type = metricType(tile.type);
    if (tile.aggregate == Aggregate::Ratio) {
        const double num = catalog.aggregate(series, type, ui::Aggregate::Sum);
        const double den = catalog.aggregate(tile.denominatorSeries.toStdString(), type, ui::Aggregate::Sum);
        if (!std::isnan(num) && den > 0)
            return num / den;
        if (!std::isnan(num) && num == 0)
            return 0.0;
        return std::numeric_limits<double>::quiet_NaN();
    }
    return catalog.aggregate(series, type, catalogAggregate(tile.aggregate));
}

ConsolePlugins::ConsolePlugins(ui::DashboardHub& hub, QObject* parent) : QObject(parent), m_hub(hub)
{
    connect(&m_hub, &ui::DashboardHub::componentSelected, this, &ConsolePlugins::onSelected);
    connect(&m_hub, &ui::DashboardHub::snapshotApplied, this, [this] { showInspectors(); });
}

ConsolePlugins::~ConsolePlugins() { shutdown(); }

const std::vector<plugins::PluginRecord>& ConsolePlugins::load(const plugins::PluginHostOptions& options)
{
    const std::string hostVersion = options.hostVersion.empty() ? plugins::livedeckVersion() : options.hostVersion;
    const std::string stateDir = plugins::stateDirectory(options);
    std::vector<std::string> seenFiles; // a directory and its parent both searched: one record per file
    for (const std::string& dir : plugins::searchPath(options)) {
        for (const std::string& file : libraries(dir)) {
            std::error_code ec;
            std::string canonical = fs::weakly_canonical(fs::path(file), ec).string();
            if (ec)
                canonical = file;
            if (std::find(seenFiles.begin(), seenFiles.end(), canonical) != seenFiles.end())
                continue;
            seenFiles.push_back(std::move(canonical));
            plugins::PluginRecord r;
            r.kind = "console";
            r.libraryFile = file;
            r.metadataFile = file;
            r.id = fs::path(file).stem().string();
            auto loader = std::make_unique<QPluginLoader>(q(file));
            loader->setLoadHints(QLibrary::ResolveAllSymbolsHint);
            // Metadata first: metaData() reads the library's metadata section without loading it.
            const QJsonObject meta = loader->metaData();
            const QJsonObject data = meta.value(QStringLiteral("MetaData")).toObject();
            const QString iid = meta.value(QStringLiteral("IID")).toString();
            if (!data.value(QStringLiteral("id")).toString().isEmpty())
                r.id = data.value(QStringLiteral("id")).toString().toStdString();
            r.version = data.value(QStringLiteral("version")).toString().toStdString();
            bool shadowed = false;
            for (const plugins::PluginRecord& earlier : m_records)
                shadowed = shadowed || (earlier.id == r.id && earlier.state != plugins::PluginState::Shadowed);
            const int api = data.value(QStringLiteral("api")).toInt(-1);
            const std::string livedeck = data.value(QStringLiteral("livedeck")).toString().toStdString();
            if (meta.isEmpty()) {
                r.state = plugins::PluginState::Failed;
                r.error = "not a console plugin: " + loader->errorString().toStdString();
            } else if (iid != QLatin1String(LivedeckConsolePlugin_iid)) {
                r.state = plugins::PluginState::Refused;
                r.error = "plugin interface '" + iid.toStdString() + "', this console takes '" LivedeckConsolePlugin_iid "'";
            } else if (shadowed) {
                r.state = plugins::PluginState::Shadowed;
                r.error = "a plugin with this id was found earlier in the search path";
            } else if (data.value(QStringLiteral("kind")).toString() != QLatin1String("console")) {
                r.state = plugins::PluginState::Refused;
                r.error = "metadata kind is not 'console'";
            } else if (api != console::kConsoleApiVersion) {
                r.state = plugins::PluginState::Refused;
                r.error = "built for console plugin API " + std::to_string(api) + ", this console has API "
                          + std::to_string(console::kConsoleApiVersion);
            } else if (livedeck != hostVersion) {
                r.state = plugins::PluginState::Refused;
                r.error = "was compiled for livedeck " + livedeck + ", this is livedeck " + hostVersion;
            } else if (options.safeMode) {
                r.state = plugins::PluginState::Skipped;
                r.error = "safe mode (--no-plugins)";
            } else {
                r.sha256 = plugins::sha256File(file);
                std::string marker;
                if (plugins::crashMarked(stateDir, r.id, r.sha256, &marker)) {
                    r.state = plugins::PluginState::Disabled;
                    r.error = "it crashed while loading at an earlier start (marker " + marker
                              + "); remove the marker or replace the library to try again";
                } else {
                    plugins::writeCrashMarker(stateDir, r.id, file, r.sha256);
                    QObject* instance = loader->instance();
                    plugins::clearCrashMarker(stateDir, r.id);
                    auto* plugin = qobject_cast<console::ConsolePlugin*>(instance);
                    if (!instance) {
                        r.state = plugins::PluginState::Failed;
                        r.error = "cannot load the library: " + loader->errorString().toStdString();
                    } else if (!plugin) {
                        r.state = plugins::PluginState::Refused;
                        r.error = "the plugin object does not implement the console plugin interface";
                    } else {
                        auto loaded = std::make_unique<Loaded>();
                        loaded->host = std::make_unique<Host>(m_hub, q(r.id));
                        QString error;
                        bool ok = false;
                        try {
                            ok = plugin->initialize(loaded->host.get(), &error);
                        } catch (const std::exception& e) {
                            error = QStringLiteral("initialize() threw: ") + QString::fromUtf8(e.what());
                        } catch (...) {
                            error = QStringLiteral("initialize() threw");
                        }
                        if (!ok) {
                            r.state = plugins::PluginState::Refused;
                            r.error = "initialize() failed: "
                                      + (error.isEmpty() ? std::string("no reason given") : error.toStdString());
                        } else {
                            r.state = plugins::PluginState::Loaded;
                            loaded->plugin = plugin;
                            for (console::Dashboard* d : plugin->dashboards()) {
                                if (!d)
                                    continue;
                                loaded->dashboards.push_back(d);
                                loaded->panels.push_back(std::make_unique<Panel>(*d, *loaded->host));
                                m_hub.addPanel(loaded->panels.back().get());
                            }
                            for (console::InspectorView* v : plugin->inspectorViews()) {
                                if (v)
                                    loaded->views.push_back(v);
                            }
                            loaded->loader = std::move(loader);
                            m_loaded.push_back(std::move(loaded));
                        }
                    }
                }
            }
            if (r.state != plugins::PluginState::Loaded && r.state != plugins::PluginState::Skipped)
                logLine(r.id + " " + r.version + " (" + file + "): " + plugins::toString(r.state) + ": " + r.error);
            m_records.push_back(std::move(r));
        }
    }
    return m_records;
}

void ConsolePlugins::dock(QMainWindow& window)
{
    QDockWidget* first = nullptr;
    auto add = [&](QWidget* w, const QString& title, const QString& name) {
        auto* dock = new QDockWidget(title, &window);
        dock->setObjectName(name);
        dock->setWidget(w);
        window.addDockWidget(Qt::RightDockWidgetArea, dock);
        if (first)
            window.tabifyDockWidget(first, dock);
        else
            first = dock;
        return dock;
    };
    for (auto& l : m_loaded) {
        for (console::Dashboard* d : l->dashboards)
            add(d->widget(), d->title(), QStringLiteral("plugin.") + d->id());
        l->viewDocks.clear();
        for (console::InspectorView* v : l->views)
            l->viewDocks.push_back(add(v->widget(), v->title(), QStringLiteral("plugin.") + v->id()));
    }
}

void ConsolePlugins::shutdown()
{
    if (m_shutDown)
        return;
    m_shutDown = true;
    for (auto& l : m_loaded) {
        for (auto& p : l->panels)
            m_hub.removePanel(p.get());
        if (l->plugin)
            l->plugin->aboutToShutdown();
    }
    // The libraries stay loaded (Qt keeps plugin instances until exit).
}

std::vector<console::Dashboard*> ConsolePlugins::dashboards() const
{
    std::vector<console::Dashboard*> out;
    for (const auto& l : m_loaded)
        out.insert(out.end(), l->dashboards.begin(), l->dashboards.end());
    return out;
}

std::vector<console::InspectorView*> ConsolePlugins::inspectorViews() const
{
    std::vector<console::InspectorView*> out;
    for (const auto& l : m_loaded)
        out.insert(out.end(), l->views.begin(), l->views.end());
    return out;
}

void ConsolePlugins::onSelected(const QString& path)
{
    m_selected = path;
    showInspectors();
    // Bring the view forward when the selection is one of its components.
    for (auto& l : m_loaded) {
        for (std::size_t i = 0; i < l->views.size() && i < l->viewDocks.size(); ++i) {
            if (l->viewDocks[i] && !path.isEmpty()) {
                const std::string p = path.toStdString();
                for (const v1::Component& c : m_hub.topology().components()) {
                    if (c.path() != p)
                        continue;
                    for (const v1::EngineDescriptor& e : m_hub.topology().engines()) {
                        for (const v1::ComponentKindDescriptor& k : e.component_kinds()) {
                            if (k.kind() == c.kind() && q(k.view()) == l->views[i]->id())
                                l->viewDocks[i]->raise();
                        }
                    }
                }
            }
        }
    }
}

void ConsolePlugins::showInspectors()
{
    if (m_selected.isEmpty())
        return;
    const std::string p = m_selected.toStdString();
    std::string kind;
    for (const v1::Component& c : m_hub.topology().components()) {
        if (c.path() == p)
            kind = c.kind();
    }
    if (kind.empty())
        return;
    QString view;
    for (const v1::EngineDescriptor& e : m_hub.topology().engines()) {
        for (const v1::ComponentKindDescriptor& k : e.component_kinds()) {
            if (k.kind() == kind)
                view = q(k.view());
        }
    }
    if (view.isEmpty())
        return;
    for (auto& l : m_loaded) {
        for (console::InspectorView* v : l->views) {
            if (v->id() == view)
                v->show(m_selected, l->host->componentState(m_selected));
        }
    }
}

QWidget* createPluginTable(const std::vector<plugins::PluginRecord>& records, QWidget* parent)
{
    auto* table = new QTableWidget(static_cast<int>(records.size()), 6, parent);
    table->setObjectName(QStringLiteral("pluginTable"));
    table->setHorizontalHeaderLabels({QStringLiteral("Id"), QStringLiteral("Version"), QStringLiteral("Kind"),
                                      QStringLiteral("State"), QStringLiteral("Error"), QStringLiteral("File")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    int row = 0;
    for (const plugins::PluginRecord& r : records) {
        const QStringList cells = {q(r.id), q(r.version), q(r.kind), QString::fromUtf8(plugins::toString(r.state)),
                                   q(r.error), q(r.libraryFile.empty() ? r.metadataFile : r.libraryFile)};
        for (int c = 0; c < cells.size(); ++c)
            table->setItem(row, c, new QTableWidgetItem(cells[c]));
        ++row;
    }
    table->horizontalHeader()->setStretchLastSection(true);
    return table;
}

QString pluginProblems(const std::vector<plugins::PluginRecord>& records)
{
    QStringList problems;
    for (const plugins::PluginRecord& r : records) {
        if (r.state == plugins::PluginState::Refused || r.state == plugins::PluginState::Failed
            || r.state == plugins::PluginState::Disabled)
            problems << QStringLiteral("%1: %2").arg(q(r.id), q(r.error));
    }
    if (problems.isEmpty())
        return {};
    return QStringLiteral("%1 plugin%2 not loaded (%3) — see Help → Plugins")
        .arg(problems.size())
        .arg(problems.size() == 1 ? QString() : QStringLiteral("s"))
        .arg(problems.join(QStringLiteral("; ")));
}

QAction* installPluginsView(QMainWindow& window, std::function<std::vector<plugins::PluginRecord>()> records)
{
    QMenu* help = nullptr;
    for (QAction* a : window.menuBar()->actions()) {
        if (a->menu() && a->text() == QObject::tr("&Help"))
            help = a->menu();
    }
    if (!help)
        help = window.menuBar()->addMenu(QObject::tr("&Help"));
    QAction* action = help->addAction(QObject::tr("&Plugins…"));
    action->setObjectName(QStringLiteral("livedeck.plugins.action"));
    QObject::connect(action, &QAction::triggered, &window, [&window, records] {
        if (auto* open = window.findChild<QDialog*>(QStringLiteral("livedeck.plugins.dialog")))
            delete open; // rebuilt: the records may have changed
        auto* dialog = new QDialog(&window);
        dialog->setObjectName(QStringLiteral("livedeck.plugins.dialog"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setWindowTitle(QObject::tr("Plugins"));
        auto* layout = new QVBoxLayout(dialog);
        layout->addWidget(createPluginTable(records(), dialog));
        dialog->resize(900, 300);
        dialog->show();
    });
    if (const QString problems = pluginProblems(records()); !problems.isEmpty())
        window.statusBar()->showMessage(problems);
    return action;
}

} // namespace livedeck::consoleplugins
