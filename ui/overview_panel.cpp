#include "ui/overview_panel.h"

#include "ui/dashboard_hub.h"
#include "ui/engine_descriptors.h"
#include "ui/format.h"
#include "ui/kpi_tile.h"
#include "ui/progress.h"
#include "ui/series_catalog.h"
#include "ui/shard_table.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QVBoxLayout>

#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace livedeck::ui {

OverviewPanel::OverviewPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(8);

    // Clock and pacing.
    auto* clockBox = new QGroupBox(tr("Simulated clock"), this);
    auto* clockLayout = new QVBoxLayout(clockBox);
    m_clock = new QLabel(formatSimTime(0), clockBox);
    QFont cf = m_clock->font();
    cf.setPointSizeF(cf.pointSizeF() * 1.9);
    cf.setBold(true);
    cf.setFamily(QStringLiteral("monospace"));
    cf.setStyleHint(QFont::Monospace);
    m_clock->setFont(cf);
    m_clock->setToolTip(tr("Simulated time since the start of the run"));
    m_calendar = new QLabel(QStringLiteral("—"), clockBox);
    m_calendar->setToolTip(tr("Calendar time of the simulated clock, in the run's own time zone"));
    m_runState = new QLabel(tr("waiting for data"), clockBox);
    clockLayout->addWidget(m_clock);
    clockLayout->addWidget(m_calendar);
    clockLayout->addWidget(m_runState);
    clockLayout->addStretch(1);
    layout->addWidget(clockBox);

    auto* gauges = new QGroupBox(tr("Speed"), this);
    auto* gl = new QHBoxLayout(gauges);
    m_eventsGauge = new GaugeWidget(tr("events / s"), 1.0, 1e8, gauges);
    m_eventsGauge->setToolTip(tr("Scheduler events executed per wall-clock second (log scale, 1 … 100 M)"));
    m_speedGauge = new GaugeWidget(tr("sim s / wall s"), 0.01, 1e4, gauges);
    m_speedGauge->setToolTip(tr("Simulated seconds per wall-clock second, measured (log scale, 0.01 … 10 000)"));
    gl->addWidget(m_eventsGauge);
    gl->addWidget(m_speedGauge);
    layout->addWidget(gauges);
    m_gaugeBox = gauges;

    // The engines' tiles: built from the descriptors when the topology arrives.
    m_engineArea = new QWidget(this);
    auto* el = new QHBoxLayout(m_engineArea);
    el->setContentsMargins(0, 0, 0, 0);
    el->setSpacing(8);
    m_noEngineTiles = new QLabel(tr("No engine tiles: the run's engines describe none"), m_engineArea);
    m_noEngineTiles->setStyleSheet(QStringLiteral("color: #50545c;"));
    el->addWidget(m_noEngineTiles);
    layout->addWidget(m_engineArea, 2);

    auto* cluster = new QGroupBox(tr("Cluster"), this);
    auto* cl = new QHBoxLayout(cluster);
    cl->setSpacing(6);
    cl->setContentsMargins(6, 4, 6, 6);
    m_regions = new KpiTile(tr("Regions up"), tr("Regions reporting up (RegionHealth), of all regions in the topology"), cluster);
    m_breakers = new KpiTile(tr("Breakers open"), tr("Circuit breakers open or forced open, of all breakers"), cluster);
    m_skew = new KpiTile(tr("Shard skew"), tr("Hottest shard's QPS over the mean shard's, for the most skewed cluster"), cluster);
    m_faults = new KpiTile(tr("Faults"), tr("Faults active now (and scheduled to start later)"), cluster);
    cl->addWidget(m_regions);
    cl->addWidget(m_breakers);
    cl->addWidget(m_skew);
    cl->addWidget(m_faults);
    layout->addWidget(cluster, 2);

    auto* drill = new QGroupBox(tr("Drill"), this);
    auto* dl = new QVBoxLayout(drill);
    m_drillTitle = new QLabel(tr("No drill loaded"), drill);
    QFont df = m_drillTitle->font();
    df.setBold(true);
    m_drillTitle->setFont(df);
    m_drillTitle->setWordWrap(true);
    m_drillProgress = new QProgressBar(drill);
    m_drillProgress->setRange(0, 1000);
    m_drillProgress->setValue(0);
    m_drillProgress->setTextVisible(true);
    m_drillProgress->setFormat(QStringLiteral("—"));
    m_drillProgress->setToolTip(tr("Simulated time elapsed of the drill's duration"));
    m_drillDetail = new QLabel(drill);
    m_drillDetail->setWordWrap(true);
    dl->addWidget(m_drillTitle);
    dl->addWidget(m_drillProgress);
    dl->addWidget(m_drillDetail);
    dl->addStretch(1);
    drill->setMinimumWidth(190);
    drill->setMaximumWidth(260);
    layout->addWidget(drill, 1);
    m_drillBox = drill;
    resetRun();
}

void OverviewPanel::resetRun()
{
    m_shards.clear();
    for (KpiTile* t : {m_regions, m_breakers, m_skew, m_faults})
        t->setValue(QStringLiteral("—"));
    for (EngineTile& t : m_engineTiles)
        t.tile->setValue(QStringLiteral("—"), tr("waiting for data"), KpiTile::Status::Unknown);
    m_clock->setText(formatSimTime(0));
    m_calendar->setText(QStringLiteral("—"));
    m_runState->setText(tr("waiting for data"));
    m_eventsGauge->setValue(0.0, QStringLiteral("—"));
    m_speedGauge->setValue(0.0, QStringLiteral("—"));
    m_drillTitle->setText(tr("No drill loaded"));
    setProgress(m_drillProgress, 0, QStringLiteral("—"));
    m_drillDetail->clear();
}

void OverviewPanel::applyTopology(const v1::Topology& topology)
{
    m_topologyRegions = topology.regions_size();
    m_utcOffsetMinutes = topology.calendar_utc_offset_minutes();
    rebuildEngineTiles(topology);
}

void OverviewPanel::rebuildEngineTiles(const v1::Topology& topology)
{
    std::string key;
    for (const v1::EngineDescriptor& e : topology.engines()) {
        for (const v1::KpiTile& t : e.tiles())
            key += t.SerializeAsString() + '\n';
    }
    if (key == m_engineTileKey && !m_engineGroups.empty())
        return;
    m_engineTileKey = key;
    for (QWidget* g : m_engineGroups)
        delete g;
    m_engineGroups.clear();
    m_engineTiles.clear();
    auto* el = static_cast<QBoxLayout*>(m_engineArea->layout());
    std::map<std::string, QGroupBox*> groups;
    // Several engines: one row of dense tiles per engine, stacked, so every engine's
    // tiles stay on screen (side by side they overflowed a 1920-pixel window).
    std::set<std::string> groupNames;
    for (const v1::EngineDescriptor& e : topology.engines()) {
        for (const v1::KpiTile& t : e.tiles())
            groupNames.insert(t.group().empty() ? e.name() : t.group());
    }
    m_stackedEngines = groupNames.size() >= 2;
    el->setDirection(m_stackedEngines ? QBoxLayout::TopToBottom : QBoxLayout::LeftToRight);
    el->setSpacing(m_stackedEngines ? 2 : 8);
    for (const v1::EngineDescriptor& e : topology.engines()) {
        for (const v1::KpiTile& t : e.tiles()) {
            const std::string groupName = t.group().empty() ? e.name() : t.group();
            QGroupBox*& box = groups[groupName];
            if (!box) {
                const bool own = groupName == e.name() && !e.title().empty();
                box = new QGroupBox(own ? QString::fromStdString(e.title()) : QString::fromStdString(groupName), m_engineArea);
                box->setObjectName(QStringLiteral("tiles.") + QString::fromStdString(groupName));
                auto* kl = new QHBoxLayout(box);
                kl->setSpacing(m_stackedEngines ? 4 : 6);
                kl->setContentsMargins(6, m_stackedEngines ? 2 : 4, 6, m_stackedEngines ? 3 : 6);
                el->addWidget(box, 1);
                m_engineGroups.push_back(box);
            }
            QString tip = QStringLiteral("%1 (%2").arg(QString::fromStdString(t.title()), QString::fromStdString(t.series()));
            if (t.aggregate() == v1::AGGREGATE_RATIO)
                tip += QStringLiteral(" / ") + QString::fromStdString(t.denominator_series());
            tip += QStringLiteral(") · ") + QString::fromStdString(e.title().empty() ? e.name() : e.title());
            auto* tile = new KpiTile(QString::fromStdString(t.title()), tip, box);
            tile->setObjectName(QStringLiteral("tile.") + QString::fromStdString(t.id()));
            tile->setValue(QStringLiteral("—"), tr("waiting for data"), KpiTile::Status::Unknown);
            tile->setNarrow(m_compact || m_stackedEngines);
            tile->setDense(m_stackedEngines);
            box->layout()->addWidget(tile);
            m_engineTiles.push_back(EngineTile{t, tile});
        }
    }
    m_noEngineTiles->setVisible(m_engineTiles.empty());
}

KpiTile* OverviewPanel::engineTile(const QString& id) const
{
    const std::string want = id.toStdString();
    for (const EngineTile& t : m_engineTiles) {
        if (t.descriptor.id() == want)
            return t.tile;
    }
    return nullptr;
}

QStringList OverviewPanel::engineGroupTitles() const
{
    QStringList titles;
    for (QWidget* g : m_engineGroups)
        titles.push_back(static_cast<QGroupBox*>(g)->title());
    return titles;
}

QString OverviewPanel::clockText() const
{
    return m_clock->text();
}

void OverviewPanel::setCompact(bool compact)
{
    m_compact = compact;
    m_gaugeBox->setVisible(!compact);
    m_drillBox->setVisible(!compact);
    for (KpiTile* t : {m_regions, m_breakers, m_skew, m_faults})
        t->setNarrow(compact);
    for (EngineTile& t : m_engineTiles)
        t.tile->setNarrow(compact || m_stackedEngines);
}

QString OverviewPanel::runStateText() const
{
    return m_runState->text();
}

void OverviewPanel::setStale(bool stale, const QString& detail)
{
    if (stale == m_stale && detail == m_staleDetail)
        return;
    const bool changed = stale != m_stale;
    m_stale = stale;
    m_staleDetail = detail;
    if (changed) {
        QFont f = m_clock->font();
        f.setStrikeOut(stale);
        m_clock->setFont(f);
        m_clock->setStyleSheet(stale ? QStringLiteral("color: #8a8d93;") : QString());
        m_runState->setStyleSheet(stale ? QStringLiteral("color: white; background: #c0141c; font-weight: bold; padding: 2px;")
                                        : QString());
    }
    if (stale)
        m_runState->setText(detail);
    else if (changed)
        m_runState->setText(tr("waiting for data"));
}

void OverviewPanel::applySnapshot(const v1::Snapshot& s, const SeriesCatalog& catalog)
{
    using Status = KpiTile::Status;
    // Clock and pacing.
    m_clock->setText(formatSimTime(s.sim_time_ns()));
    m_calendar->setText(formatCalendar(s.calendar_unix_ms(), m_utcOffsetMinutes));
    const v1::HostState& h = s.host();
    if (!m_stale)
        m_runState->setText(h.paused() ? tr("paused · speed %1").arg(formatSpeed(h.speed()))
                                       : tr("running · speed %1").arg(formatSpeed(h.speed())));
    m_eventsGauge->setValue(h.events_per_sec(), formatCompact(h.events_per_sec()));
    m_speedGauge->setValue(h.sim_per_wall(), QStringLiteral("×") + formatCompact(h.sim_per_wall()));

    // The engines' tiles.
    for (EngineTile& et : m_engineTiles) {
        const v1::KpiTile& t = et.descriptor;
        const double v = tileValue(t, catalog);
        if (std::isnan(v)) {
            et.tile->setValue(QStringLiteral("—"), tr("no such series"), Status::Unknown);
            continue;
        }
        const double scaled = tileScaled(t, v);
        const int grade = tileGrade(t, scaled);
        et.tile->setValue(tileText(t, scaled), QString::fromStdString(t.target_text()),
                          grade == 0 ? Status::Good : grade == 1 ? Status::Warning : Status::Bad);
    }

    // Cluster summary.
    if (s.regions_size() > 0) {
        // Every engine's probes merged: a region is up when all of them see it up.
        const std::vector<v1::RegionHealth> regions = regionHealthFor(s, {});
        int up = 0;
        for (const v1::RegionHealth& r : regions)
            up += r.up() ? 1 : 0;
        const int total = std::max(m_topologyRegions, static_cast<int>(regions.size()));
        m_regions->setValue(QStringLiteral("%1 / %2").arg(up).arg(total), tr("up"),
                            up == total ? Status::Good : up == 0 ? Status::Bad : Status::Warning);
    } else {
        m_regions->setValue(m_topologyRegions > 0 ? QStringLiteral("? / %1").arg(m_topologyRegions) : QStringLiteral("—"),
                            tr("no region health in snapshots"), Status::Unknown);
    }
    if (s.breakers_size() > 0) {
        int open = 0;
        int half = 0;
        for (const v1::BreakerState& b : s.breakers()) {
            open += (b.state() == v1::BREAKER_OPEN || b.state() == v1::BREAKER_FORCED_OPEN) ? 1 : 0;
            half += b.state() == v1::BREAKER_HALF_OPEN ? 1 : 0;
        }
        m_breakers->setValue(QStringLiteral("%1 / %2").arg(open).arg(s.breakers_size()), tr("%1 half-open").arg(half),
                             open > 0 ? Status::Bad : half > 0 ? Status::Warning : Status::Good);
    } else {
        m_breakers->setValue(QStringLiteral("—"), tr("no breakers in this run"), Status::Unknown);
    }
    if (s.shards_size() > 0) {
        m_shards.apply(s);
        const ClusterSkew* k = m_shards.worstSkew();
        const double worst = k ? k->skew : 0.0;
        const QString where = k ? tr("shard %1").arg(k->hottestShard) : QString();
        m_skew->setToolTip(k ? tr("Hottest shard's QPS over the mean shard's in %1 (the most skewed cluster)")
                                   .arg(QString::fromStdString(k->cluster))
                             : tr("Hottest shard's QPS over the mean shard's, for the most skewed cluster"));
        m_skew->setValue(worst > 0 ? QStringLiteral("%1×").arg(worst, 0, 'f', 2) : QStringLiteral("—"),
                         worst > 0 ? tr("max/mean · %1").arg(where) : tr("no shard traffic"),
                         worst <= 0 ? Status::Unknown : worst < 1.5 ? Status::Good : worst < 3 ? Status::Warning : Status::Bad);
    } else {
        m_skew->setValue(QStringLiteral("—"), tr("no shards in this run"), Status::Unknown);
    }
    int active = 0;
    for (const v1::FaultSpec& f : s.faults())
        active += f.active() ? 1 : 0;
    const int scheduled = s.faults_size() - active;
    m_faults->setValue(QString::number(active), scheduled > 0 ? tr("active · %1 scheduled").arg(scheduled) : tr("active"),
                       active > 0 ? Status::Warning : Status::Good);
    applyDrill(s);
}

void OverviewPanel::applyDrill(const v1::Snapshot& s)
{
    if (!s.has_drill() || s.drill().name().empty()) {
        if (m_drillTitle->text() != tr("No drill loaded")) {
            m_drillTitle->setText(tr("No drill loaded"));
            setProgress(m_drillProgress, 0, QStringLiteral("—"));
            m_drillDetail->clear();
        }
        return;
    }
    const v1::DrillState& d = s.drill();
    static const char* const kPhases[] = {"—", "loaded", "running", "paused", "finished", "halted"};
    const int phase = d.phase() >= 0 && d.phase() < 6 ? d.phase() : 0;
    m_drillTitle->setText(QString::fromStdString(d.name()) + QStringLiteral(" · ") + QLatin1String(kPhases[phase]));
    const double frac = d.duration_ns() > 0 ? std::clamp(static_cast<double>(d.sim_time_ns()) / static_cast<double>(d.duration_ns()), 0.0, 1.0) : 0.0;
    setProgress(m_drillProgress, static_cast<int>(frac * 1000),
                QStringLiteral("%1 / %2").arg(formatSimTime(d.sim_time_ns(), false).mid(2), formatSimTime(d.duration_ns(), false).mid(2)));
    int passed = 0;
    for (const v1::ExpectationStatus& e : d.expectations())
        passed += e.passed() ? 1 : 0;
    int held = 0;
    for (const v1::InvariantStatus& i : d.invariants())
        held += i.passed() ? 1 : 0;
    m_drillDetail->setText(tr("expectations %1/%2 · invariants %3/%4 · score %5 · seed %6")
                               .arg(passed)
                               .arg(d.expectations_size())
                               .arg(held)
                               .arg(d.invariants_size())
                               .arg(d.score(), 0, 'f', 1)
                               .arg(d.seed()));
}

} // namespace livedeck::ui
