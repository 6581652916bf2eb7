#include "ui/region_panel.h"

#include "ui/dashboard_hub.h"
#include "ui/engine_descriptors.h"
#include "ui/format.h"
#include "ui/palette.h"
#include "ui/region_map.h"
#include "ui/time_chart.h"

#include <QChart>
#include <QComboBox>
#include <QLegend>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QVBoxLayout>

namespace livedeck::ui {

RegionDetailDialog::RegionDetailDialog(const QString& region, QWidget* parent) : QDialog(parent), m_region(region)
{
    setWindowTitle(tr("Region %1").arg(region));
    setAttribute(Qt::WA_DeleteOnClose);
    auto* grid = new QGridLayout(this);
    const QString titles[4] = {tr("Availability"), tr("p99 latency"), tr("Error rate"), tr("Requests")};
    const QString units[4] = {tr("%"), tr("ms"), tr("%"), tr("1/s")};
    for (int i = 0; i < 4; ++i) {
        m_charts[i] = new TimeChart(titles[i], units[i], this, 1200);
        m_charts[i]->addLine(region);
        m_charts[i]->setWindowSeconds(1200.0);
        m_charts[i]->chart()->legend()->hide();
        grid->addWidget(m_charts[i], i / 2, i % 2);
    }
    m_charts[0]->setValueScale(100.0);
    m_charts[0]->setYMode(TimeChart::YMode::Auto);
    m_charts[0]->setYLimits(0.0, 100.0);
    m_charts[2]->setValueScale(100.0);
    resize(860, 560);
}

void RegionDetailDialog::refresh(const RegionHistory& h, std::int64_t nowNs)
{
    const RingBuffer<TimePoint>* rings[4] = {&h.availability, &h.p99, &h.errors, &h.rps};
    for (int i = 0; i < 4; ++i) {
        for (std::size_t k = 0; k < rings[i]->size(); ++k)
            m_charts[i]->addPoint(0, (*rings[i])[k].t, (*rings[i])[k].v);
        m_charts[i]->refresh(static_cast<double>(nowNs) / 1e9);
    }
}

RegionPanel::RegionPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* bar = new QHBoxLayout();
    bar->addWidget(new QLabel(tr("Colour by:"), this));
    m_measure = new QComboBox(this);
    m_measure->addItem(tr("availability"), static_cast<int>(RegionMap::Measure::Availability));
    m_measure->addItem(tr("p99 latency"), static_cast<int>(RegionMap::Measure::P99));
    m_measure->addItem(tr("error rate"), static_cast<int>(RegionMap::Measure::Errors));
    m_measure->setToolTip(tr("Green: ≥ 99.99 % / ≤ 50 ms / ≤ 0.01 %; amber in between; red: ≤ 99 % / ≥ 1 s / ≥ 1 %"));
    bar->addWidget(m_measure);
    m_engine = new QComboBox(this);
    m_engine->setObjectName(QStringLiteral("regions.engine"));
    m_engine->addItem(tr("all engines"), QString());
    m_engine->setToolTip(tr("Whose probes the map shows: one engine's, or all (a region is up only when every engine's "
                            "probes see it up)"));
    m_engine->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    bar->addWidget(m_engine);
    m_status = new QLabel(this);
    m_status->setTextFormat(Qt::RichText);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // never widens the dock
    bar->addWidget(m_status, 1);
    layout->addLayout(bar);
    auto* legend = new QLabel(this);
    legend->setTextFormat(Qt::RichText);
    legend->setWordWrap(true);
    legend->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    legend->setText(tr("<span style='background:%1;color:white'>&nbsp;good&nbsp;</span> "
                       "<span style='background:%2'>&nbsp;degraded&nbsp;</span> "
                       "<span style='background:%3;color:white'>&nbsp;bad&nbsp;</span> "
                       "<span style='background:%4;color:white'>&nbsp;✕ down&nbsp;</span> "
                       "<span style='color:%5'><b>- - ✕ - -</b> partitioned link</span> "
                       "<span style='background:%6'>&nbsp;no data&nbsp;</span>")
                        .arg(palette::healthColor(1.0).name(), palette::healthColor(0.5).name(), palette::healthColor(0.0).name(),
                             palette::downRegionColor().name(), palette::partitionColor().name(), palette::noDataColor().name()));
    layout->addWidget(legend);
    m_map = new RegionMap(this);
    layout->addWidget(m_map, 1);

    connect(m_engine, &QComboBox::currentIndexChanged, this, [this](int) {
        m_map->setEngine(m_engine->currentData().toString().toStdString());
        if (m_hub && m_hub->latestSnapshot())
            applySnapshot(*m_hub->latestSnapshot(), m_hub->catalog());
    });
    connect(m_measure, &QComboBox::currentIndexChanged, this,
            [this](int) { m_map->setMeasure(static_cast<RegionMap::Measure>(m_measure->currentData().toInt())); });
    connect(m_map, &RegionMap::regionClicked, this, [this](const QString& region) {
        openDetail(region);
        if (m_hub)
            m_hub->selectComponent(region);
    });
    connect(m_map, &RegionMap::regionContextMenu, this, [this](const QString& region, const QPoint& globalPos) {
        QMenu menu(this);
        menu.addAction(tr("Show charts…"), this, [this, region] { openDetail(region); });
        menu.addAction(tr("Show in inspector"), this, [this, region] { m_hub->selectComponent(region); });
        menu.addSeparator();
        menu.addAction(tr("Inject fault on %1…").arg(region), this, [this, region] { m_hub->requestFault(region); });
        menu.exec(globalPos);
    });
    if (m_hub)
        connect(m_hub, &DashboardHub::regionDetailRequested, this, [this](const QString& r) { openDetail(r); });
}

RegionDetailDialog* RegionPanel::openDetail(const QString& region)
{
    if (m_detail && m_detail->region() != region)
        m_detail->close();
    if (!m_detail)
        m_detail = new RegionDetailDialog(region, this);
    if (const RegionHistory* h = m_map->history(region))
        m_detail->refresh(*h, m_map->lastTimeNs());
    m_detail->show();
    m_detail->raise();
    return m_detail;
}

void RegionPanel::setEngine(const QString& engine)
{
    const int i = m_engine->findData(engine);
    if (i >= 0)
        m_engine->setCurrentIndex(i);
}

QStringList RegionPanel::engineChoices() const
{
    QStringList out;
    for (int i = 0; i < m_engine->count(); ++i)
        out.push_back(m_engine->itemData(i).toString());
    return out;
}

void RegionPanel::syncEngines()
{
    if (static_cast<int>(m_map->engines().size()) + 1 == m_engine->count())
        return;
    QSignalBlocker block(m_engine);
    for (const std::string& e : m_map->engines()) {
        const QString name = QString::fromStdString(e);
        if (m_engine->findData(name) < 0)
            m_engine->addItem(tr("%1's probes").arg(name), name);
    }
}

void RegionPanel::resetRun()
{
    m_map->clear();
    {
        QSignalBlocker block(m_engine);
        while (m_engine->count() > 1)
            m_engine->removeItem(1);
        m_engine->setCurrentIndex(0);
    }
    m_map->setEngine({});
    if (m_detail)
        m_detail->close();
    m_status->clear();
    m_dirty = true;
}

void RegionPanel::applyTopology(const v1::Topology& topology)
{
    m_map->setTopology(topology);
    m_dirty = true;
}

void RegionPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog&)
{
    m_map->applySnapshot(snapshot);
    syncEngines();
    const std::vector<v1::RegionHealth> regions = regionHealthFor(snapshot, m_map->engine());
    int down = 0;
    int unreachable = 0;
    for (const v1::RegionHealth& r : regions) {
        down += r.up() ? 0 : 1;
        unreachable += r.up() && r.unreachable_from_size() > 0 ? 1 : 0;
    }
    int cut = 0;
    for (const v1::LinkHealth& l : snapshot.links())
        cut += (l.partitioned_ab() || l.partitioned_ba()) ? 1 : 0;
    const QString text = regions.empty()
                             ? tr("<i>no region health reported by %1</i>")
                                   .arg(m_map->engine().empty() ? tr("any engine") : QString::fromStdString(m_map->engine()))
                             : tr("%1 regions · down: <b style='color:%2'>%3</b> · partitioned: %6 · links cut: <b style='color:%4'>%5</b>")
                                   .arg(regions.size())
                                   .arg(down > 0 ? QStringLiteral("#c0141c") : QStringLiteral("#1e7a34"))
                                   .arg(down)
                                   .arg(cut > 0 ? QStringLiteral("#c0141c") : QStringLiteral("#1e7a34"))
                                   .arg(cut)
                                   .arg(unreachable);
    if (text != m_status->text())
        m_status->setText(text);
    m_dirty = true;
}

void RegionPanel::refreshView()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    if (m_detail) {
        if (const RegionHistory* h = m_map->history(m_detail->region()))
            m_detail->refresh(*h, m_map->lastTimeNs());
    }
}

} // namespace livedeck::ui
