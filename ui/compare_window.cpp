#include "ui/compare_window.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "ui/charts_panel.h"
#include "ui/embedded_cluster.h"
#include "ui/engine_descriptors.h"
#include "ui/format.h"
#include "ui/logging.h"
#include "ui/palette.h"
#include "ui/region_map.h"
#include "ui/replay_cluster.h"
#include "ui/shard_heatmap.h"
#include "ui/time_chart.h"

#include <yaml-cpp/yaml.h>

#include <QButtonGroup>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPointer>
#include <QProgressDialog>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSlider>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace livedeck::ui {
namespace {

constexpr int kSliderSteps = 10; // slider positions per simulated second
constexpr std::size_t kMaxHeadlineSeries = 3;

// The metric type a headline series is drawn with: what the chart is about first, then
// whatever the run recorded under that name.
v1::MetricType lineType(const SeriesCatalog& catalog, const std::string& chart, const std::string& series)
{
    std::vector<v1::MetricType> order = {v1::METRIC_TYPE_COUNTER, v1::METRIC_TYPE_GAUGE, v1::METRIC_TYPE_HISTOGRAM_P99,
                                         v1::METRIC_TYPE_HISTOGRAM_P50, v1::METRIC_TYPE_COUNTER_TOTAL};
    if (chart == "latency")
        order.insert(order.begin(), v1::METRIC_TYPE_HISTOGRAM_P99);
    for (v1::MetricType t : order) {
        if (!catalog.idsNamed(series, t).empty())
            return t;
    }
    return v1::METRIC_TYPE_UNSPECIFIED;
}

Aggregate lineAggregate(v1::MetricType type)
{
    switch (type) {
    case v1::METRIC_TYPE_HISTOGRAM_P50:
    case v1::METRIC_TYPE_HISTOGRAM_P90:
    case v1::METRIC_TYPE_HISTOGRAM_P99:
    case v1::METRIC_TYPE_HISTOGRAM_P999:
        return Aggregate::Max;
    case v1::METRIC_TYPE_GAUGE:
        return Aggregate::Mean;
    default:
        return Aggregate::Sum;
    }
}

QString ratioText(double a, double b)
{
    if (std::isnan(a) || std::isnan(b) || a == 0.0)
        return QStringLiteral("—");
    return QStringLiteral("×") + formatCompact(b / a);
}

} // namespace

CompareWindow* CompareWindow::open(const QString& pathA, const QString& pathB, QString* error, QWidget* parent,
                                   const QString& labelA, const QString& labelB)
{
    ReplayOptions options;
    options.historyWindowNs = std::numeric_limits<std::int64_t>::max() / 4; // the whole run, no reset
    options.maxEventsOnReset = 100'000;
    auto a = ReplayCluster::open(pathA, error, options);
    if (!a)
        return nullptr;
    auto b = ReplayCluster::open(pathB, error, options);
    if (!b)
        return nullptr;
    const auto label = [](const ReplayCluster& r, const QString& path) {
        const telemetry::RecordingMetadata& m = r.metadata();
        return QStringLiteral("%1 (%2, seed %3)")
            .arg(QFileInfo(path).fileName(), QString::fromStdString(m.drillName))
            .arg(m.seed);
    };
    const QString la = labelA.isEmpty() ? label(*a, pathA) : labelA;
    const QString lb = labelB.isEmpty() ? label(*b, pathB) : labelB;
    return new CompareWindow(std::move(a), std::move(b), la, lb, parent);
}

CompareWindow::CompareWindow(std::unique_ptr<ClusterSource> a, std::unique_ptr<ClusterSource> b, const QString& labelA,
                             const QString& labelB, QWidget* parent)
    : QWidget(parent, Qt::Window)
{
    setWindowTitle(tr("Compare — A: %1 · B: %2").arg(labelA, labelB));
    setAttribute(Qt::WA_DeleteOnClose);
    m_sides[0].source = std::move(a);
    m_sides[0].label = labelA;
    m_sides[1].source = std::move(b);
    m_sides[1].label = labelB;

    auto* layout = new QVBoxLayout(this);
    m_header = new QLabel(this);
    m_header->setTextFormat(Qt::RichText);
    m_header->setText(tr("<b>A</b> (solid): %1 &nbsp;&nbsp; <b>B</b> (dashed): %2")
                          .arg(labelA.toHtmlEscaped(), labelB.toHtmlEscaped()));
    layout->addWidget(m_header);

    auto* cursorRow = new QHBoxLayout;
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setToolTip(tr("The time cursor: both runs at this simulated second (←/→ one second, PgUp/PgDn ten)"));
    m_slider->setSingleStep(kSliderSteps);
    m_slider->setPageStep(10 * kSliderSteps);
    m_cursorLabel = new QLabel(this);
    m_cursorLabel->setMinimumWidth(m_cursorLabel->fontMetrics().horizontalAdvance(QStringLiteral("t = 00:00:00.0")));
    cursorRow->addWidget(new QLabel(tr("Cursor"), this));
    cursorRow->addWidget(m_slider, 1);
    cursorRow->addWidget(m_cursorLabel);
    layout->addLayout(cursorRow);

    auto* split = new QSplitter(Qt::Horizontal, this);
    m_tabs = new QTabWidget(split);
    m_tabs->setObjectName(QStringLiteral("compare.tabs"));
    auto* scroll = new QScrollArea(m_tabs);
    scroll->setWidgetResizable(true);
    m_chartArea = new QWidget(scroll);
    new QGridLayout(m_chartArea);
    scroll->setWidget(m_chartArea);
    m_tabs->addTab(scroll, tr("Charts"));
    split->addWidget(m_tabs);

    auto* right = new QSplitter(Qt::Vertical, split);
    m_kpis = new QTableWidget(0, 4, right);
    m_kpis->setHorizontalHeaderLabels({tr("KPI"), tr("A"), tr("B"), tr("B/A")});
    m_kpis->verticalHeader()->hide();
    m_kpis->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_kpis->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_kpis->setToolTip(tr("Each KPI the engines describe, both runs at the cursor"));
    m_events = new QTableWidget(0, 5, right);
    m_events->setHorizontalHeaderLabels({tr("t (s)"), tr("run"), tr("kind"), tr("component"), tr("message")});
    m_events->verticalHeader()->hide();
    m_events->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_events->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_events->setWordWrap(false);
    m_events->horizontalHeader()->setSectionResizeMode(4, QHeaderView::Stretch);
    m_events->setToolTip(tr("Both runs' events merged by time; a click moves the cursor there"));
    right->addWidget(m_kpis);
    right->addWidget(m_events);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({960, 640});   // charts wider than the tables
    right->setSizes({260, 740});
    layout->addWidget(split, 1);

    connect(m_slider, &QSlider::valueChanged, this,
            [this](int v) { setCursorSeconds(static_cast<double>(v) / kSliderSteps); });
    connect(m_events, &QTableWidget::cellClicked, this, [this](int row, int) {
        if (QTableWidgetItem* item = m_events->item(row, 0))
            setCursorSeconds(item->data(Qt::UserRole).toDouble());
    });

    m_tabs->addTab(buildShardTab(), tr("Shards A | B"));
    m_tabs->setTabToolTip(1, tr("Each run's shard load at the cursor, on one colour scale"));
    m_tabs->addTab(buildRegionTab(), tr("Regions A | B"));
    m_tabs->setTabToolTip(2, tr("Each run's region health and links at the cursor"));

    for (int i = 0; i < 2; ++i)
        connectSide(i);
    // start() delivers each topology and the first snapshot (which carries the whole
    // series catalogue); the charts are built from both, then each run is read to its end.
    for (Side& s : m_sides)
        s.source->start();
    buildFromDescriptors();
    for (Side& s : m_sides)
        s.source->seek(s.source->timeRangeEnd());
    finishLoading();
}

CompareWindow::~CompareWindow() = default;

void CompareWindow::connectSide(int side)
{
    Side& s = m_sides[static_cast<std::size_t>(side)];
    connect(s.source.get(), &ClusterSource::topologyChanged, this, [this, side](TopologyPtr t) {
        m_sides[static_cast<std::size_t>(side)].topology = std::move(t);
    });
    connect(s.source.get(), &ClusterSource::snapshotReady, this, [this, side](SnapshotPtr snap) {
        Side& r = m_sides[static_cast<std::size_t>(side)];
        r.catalog.apply(*snap);
        if (m_built)
            onSnapshot(side, *snap);
        else
            r.pending.push_back(std::move(snap)); // drawn once the charts exist
    });
    connect(s.source.get(), &ClusterSource::eventsReady, this, [this, side](EventBatch batch) {
        auto& events = m_sides[static_cast<std::size_t>(side)].events;
        events.insert(events.end(), batch->begin(), batch->end());
    });
    connect(s.source.get(), &ClusterSource::runReset, this, [this, side](const QString&) {
        Side& r = m_sides[static_cast<std::size_t>(side)];
        r.catalog.clear();
        r.events.clear();
    });
}

void CompareWindow::keepFiles(std::unique_ptr<QTemporaryDir> files)
{
    m_files = std::move(files);
}

QWidget* CompareWindow::sideViewSwitch(QWidget* parent)
{
    auto* box = new QWidget(parent);
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(0);
    auto* group = new QButtonGroup(box);
    group->setExclusive(true);
    const std::array<std::pair<SideView, QString>, 3> choices{{{SideView::Both, tr("A | B")},
                                                                {SideView::A, tr("A")},
                                                                {SideView::B, tr("B")}}};
    for (const auto& [view, text] : choices) {
        auto* b = new QToolButton(box);
        b->setText(text);
        b->setCheckable(true);
        b->setChecked(view == m_sideView);
        b->setToolTip(view == SideView::Both ? tr("Both runs side by side")
                                             : tr("Only run %1, full width").arg(text));
        group->addButton(b, static_cast<int>(view));
        row->addWidget(b);
    }
    connect(group, &QButtonGroup::idClicked, this, [this](int id) { setSideView(static_cast<SideView>(id)); });
    m_viewSwitches.push_back(group);
    return box;
}

QWidget* CompareWindow::buildSideTab(SideTab which, QComboBox* colourBy, const std::function<QWidget*(std::size_t)>& makeView)
{
    auto* tab = new QWidget(m_tabs);
    auto* layout = new QVBoxLayout(tab);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Show:"), tab));
    bar->addWidget(sideViewSwitch(tab));
    bar->addSpacing(16);
    bar->addWidget(new QLabel(tr("Colour by:"), tab));
    colourBy->setParent(tab);
    bar->addWidget(colourBy);
    bar->addStretch(1);
    layout->addLayout(bar);
    auto* columns = new QHBoxLayout;
    for (std::size_t i = 0; i < 2; ++i) {
        auto* column = new QWidget(tab);
        auto* col = new QVBoxLayout(column);
        col->setContentsMargins(0, 0, 0, 0);
        auto* header = new QLabel(column);
        header->setTextFormat(Qt::RichText);
        header->setWordWrap(true);
        header->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        col->addWidget(header);
        QWidget* view = makeView(i);
        view->setParent(column);
        col->addWidget(view, 1);
        columns->addWidget(column, 1);
        m_sides[i].columns[static_cast<std::size_t>(which)] = column;
        m_sides[i].headers[static_cast<std::size_t>(which)] = header;
    }
    layout->addLayout(columns, 1);
    return tab;
}

QWidget* CompareWindow::buildShardTab()
{
    m_shardMetric = new QComboBox;
    m_shardMetric->addItem(tr("QPS"), static_cast<int>(ShardTable::Metric::Qps));
    m_shardMetric->addItem(tr("rows"), static_cast<int>(ShardTable::Metric::Rows));
    m_shardMetric->addItem(tr("p99 latency"), static_cast<int>(ShardTable::Metric::P99));
    m_shardMetric->setToolTip(tr("What a cell's colour shows, in both runs on one scale (the higher run peak)"));
    connect(m_shardMetric, &QComboBox::currentIndexChanged, this, [this](int) {
        const auto m = static_cast<ShardTable::Metric>(m_shardMetric->currentData().toInt());
        for (Side& s : m_sides)
            s.heatmap->setMetric(m);
    });
    return buildSideTab(SideTab::Shards, m_shardMetric, [this](std::size_t i) {
        m_sides[i].heatmap = new ShardHeatmap;
        m_sides[i].heatmap->setObjectName(i == 0 ? QStringLiteral("compare.heatmapA") : QStringLiteral("compare.heatmapB"));
        return m_sides[i].heatmap;
    });
}

QWidget* CompareWindow::buildRegionTab()
{
    m_regionMeasure = new QComboBox;
    m_regionMeasure->addItem(tr("availability"), static_cast<int>(RegionMap::Measure::Availability));
    m_regionMeasure->addItem(tr("p99 latency"), static_cast<int>(RegionMap::Measure::P99));
    m_regionMeasure->addItem(tr("error rate"), static_cast<int>(RegionMap::Measure::Errors));
    m_regionMeasure->setToolTip(tr("Green: ≥ 99.99 % / ≤ 50 ms / ≤ 0.01 %; amber in between; red: ≤ 99 % / ≥ 1 s / ≥ 1 %"));
    connect(m_regionMeasure, &QComboBox::currentIndexChanged, this, [this](int) {
        const auto m = static_cast<RegionMap::Measure>(m_regionMeasure->currentData().toInt());
        for (Side& s : m_sides)
            s.map->setMeasure(m);
    });
    return buildSideTab(SideTab::Regions, m_regionMeasure, [this](std::size_t i) {
        m_sides[i].map = new RegionMap;
        m_sides[i].map->setObjectName(i == 0 ? QStringLiteral("compare.regionsA") : QStringLiteral("compare.regionsB"));
        return m_sides[i].map;
    });
}

void CompareWindow::setSideView(SideView view)
{
    m_sideView = view;
    for (QButtonGroup* g : m_viewSwitches) {
        if (QAbstractButton* b = g->button(static_cast<int>(view)))
            b->setChecked(true);
    }
    for (std::size_t i = 0; i < 2; ++i) {
        const bool visible = view == SideView::Both || (view == SideView::A) == (i == 0);
        for (QWidget* column : m_sides[i].columns)
            column->setVisible(visible);
    }
}

void CompareWindow::buildFromDescriptors()
{
    // Tiles and chart headlines of every engine either run describes, A's first.
    std::vector<std::string> tileIds;
    for (const Side& s : m_sides) {
        if (!s.topology)
            continue;
        for (const v1::EngineDescriptor& e : s.topology->engines()) {
            for (const v1::KpiTile& t : e.tiles()) {
                if (std::find(tileIds.begin(), tileIds.end(), t.id()) == tileIds.end()) {
                    tileIds.push_back(t.id());
                    m_tiles.push_back(t);
                }
            }
            for (const v1::ChartHeadline& h : e.charts()) {
                const auto same = [&](const Chart& c) { return c.engine == e.name() && c.headline == h.chart(); };
                if (std::any_of(m_charts.begin(), m_charts.end(), same))
                    continue;
                Chart c;
                c.engine = e.name();
                c.headline = h.chart();
                for (const std::string& series : h.series()) {
                    if (c.lines.size() == kMaxHeadlineSeries)
                        break;
                    const v1::MetricType type = lineType(m_sides[0].catalog, h.chart(), series);
                    const v1::MetricType typeB = lineType(m_sides[1].catalog, h.chart(), series);
                    ChartLine l;
                    l.series = series;
                    l.type = type != v1::METRIC_TYPE_UNSPECIFIED ? type : typeB;
                    if (l.type != v1::METRIC_TYPE_UNSPECIFIED)
                        c.lines.push_back(l);
                }
                if (!c.lines.empty())
                    m_charts.push_back(std::move(c));
            }
        }
    }
    auto* grid = static_cast<QGridLayout*>(m_chartArea->layout());
    const v1::Topology empty;
    const v1::Topology& topology = m_sides[0].topology ? *m_sides[0].topology : empty;
    for (std::size_t i = 0; i < m_charts.size(); ++i) {
        Chart& c = m_charts[i];
        c.chart = new TimeChart(QStringLiteral("%1 · %2").arg(QString::fromStdString(c.engine), QString::fromStdString(c.headline)),
                                {}, m_chartArea);
        c.chart->setMinimumSize(420, 260);
        for (std::size_t k = 0; k < c.lines.size(); ++k) {
            ChartLine& l = c.lines[k];
            const QString name = legendName(l.series, topology);
            l.line[0] = c.chart->addLine(QStringLiteral("A: %1").arg(name));
            l.line[1] = c.chart->addLine(QStringLiteral("B: %1").arg(name));
            QPen pen(palette::seriesColor(static_cast<int>(k)));
            pen.setWidthF(1.0);
            pen.setCosmetic(true);
            c.chart->setLinePen(l.line[0], pen);
            pen.setStyle(Qt::DashLine);
            c.chart->setLinePen(l.line[1], pen);
        }
        connect(c.chart, &TimeChart::clicked, this, [this](double t) { setCursorSeconds(t); });
        grid->addWidget(c.chart, static_cast<int>(i), 0); // one column: the legends need the width
    }
    if (m_charts.empty())
        grid->addWidget(new QLabel(tr("The runs' engines describe no charts."), m_chartArea), 0, 0);
    for (Side& s : m_sides) {
        if (s.topology)
            s.map->setTopology(*s.topology);
    }
    m_built = true;
    // The first snapshots arrived before the charts existed.
    for (int side = 0; side < 2; ++side) {
        Side& s = m_sides[static_cast<std::size_t>(side)];
        for (const SnapshotPtr& snap : s.pending)
            onSnapshot(side, *snap);
        s.pending.clear();
    }
}

void CompareWindow::onSnapshot(int side, const v1::Snapshot& snapshot)
{
    Side& s = m_sides[static_cast<std::size_t>(side)];
    const double t = ChartsPanel::pointTime(snapshot.sim_time_ns());
    s.endS = std::max(s.endS, static_cast<double>(snapshot.sim_time_ns()) / 1e9);
    for (Chart& c : m_charts) {
        for (const ChartLine& l : c.lines)
            c.chart->addPoint(l.line[static_cast<std::size_t>(side)], t,
                              s.catalog.aggregate(l.series, l.type, lineAggregate(l.type)));
    }
    std::vector<double> values;
    values.reserve(m_tiles.size());
    for (const v1::KpiTile& tile : m_tiles)
        values.push_back(tileValue(tile, s.catalog));
    auto kept = std::make_shared<const v1::Snapshot>(snapshot);
    if (!s.times.empty() && s.times.back() == t) {
        s.kpis.back() = std::move(values);
        s.snapshots.back() = std::move(kept);
    } else {
        s.times.push_back(t);
        s.kpis.push_back(std::move(values));
        s.snapshots.push_back(std::move(kept));
    }
}

void CompareWindow::finishLoading()
{
    m_endS = std::max(m_sides[0].endS, m_sides[1].endS);
    for (Chart& c : m_charts) {
        c.chart->setMinSpanSeconds(std::max(1.0, std::ceil(m_endS)));
        c.chart->setWindowSeconds(std::max(1.0, std::ceil(m_endS)));
        c.chart->refresh(std::ceil(m_endS));
    }
    m_kpis->setRowCount(static_cast<int>(m_tiles.size()));
    for (std::size_t i = 0; i < m_tiles.size(); ++i) {
        auto* item = new QTableWidgetItem(QString::fromStdString(m_tiles[i].title()));
        item->setToolTip(QString::fromStdString(m_tiles[i].target_text()));
        m_kpis->setItem(static_cast<int>(i), 0, item);
        for (int col = 1; col < 4; ++col)
            m_kpis->setItem(static_cast<int>(i), col, new QTableWidgetItem);
    }
    fillEvents();
    // One heatmap scale for both runs: each metric's peak over both runs.
    std::array<double, 3> peaks{};
    bool anyShards = false;
    for (const Side& s : m_sides) {
        for (const SnapshotPtr& snap : s.snapshots) {
            for (const v1::ShardLoad& l : snap->shards()) {
                anyShards = true;
                peaks[0] = std::max(peaks[0], l.qps());
                peaks[1] = std::max(peaks[1], static_cast<double>(l.rows()));
                peaks[2] = std::max(peaks[2], l.p99_ms());
            }
        }
    }
    for (Side& s : m_sides)
        s.heatmap->raisePeaks(peaks);
    if (!anyShards)
        m_tabs->setTabToolTip(1, tr("Neither run reports shard load"));
    m_slider->setRange(0, static_cast<int>(std::ceil(m_endS * kSliderSteps)));
    m_slider->setValue(m_slider->maximum());
    setCursorSeconds(m_endS);
}

void CompareWindow::fillEvents()
{
    struct Row {
        double t;
        int side;
        const v1::Event* e;
    };
    std::vector<Row> rows;
    for (int side = 0; side < 2; ++side) {
        for (const v1::Event& e : m_sides[static_cast<std::size_t>(side)].events) {
            if (e.severity() >= v1::SEVERITY_INFO)
                rows.push_back({static_cast<double>(e.sim_time_ns()) / 1e9, side, &e});
        }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
        return x.t != y.t ? x.t < y.t : x.side < y.side;
    });
    m_events->setRowCount(static_cast<int>(rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        const int row = static_cast<int>(i);
        auto* t = new QTableWidgetItem(QString::number(r.t, 'f', 3));
        t->setData(Qt::UserRole, r.t);
        m_events->setItem(row, 0, t);
        auto* side = new QTableWidgetItem(r.side == 0 ? QStringLiteral("A") : QStringLiteral("B"));
        side->setToolTip(m_sides[static_cast<std::size_t>(r.side)].label);
        m_events->setItem(row, 1, side);
        auto* kind = new QTableWidgetItem(QString::fromStdString(r.e->kind()));
        kind->setToolTip(severityName(r.e->severity()));
        m_events->setItem(row, 2, kind);
        m_events->setItem(row, 3, new QTableWidgetItem(QString::fromStdString(r.e->component())));
        m_events->setItem(row, 4, new QTableWidgetItem(QString::fromStdString(r.e->message())));
    }
    m_events->resizeColumnsToContents();
    m_events->setColumnWidth(0, m_events->fontMetrics().horizontalAdvance(QStringLiteral("00000.000")) + 12);
    m_events->setColumnWidth(1, m_events->fontMetrics().horizontalAdvance(QStringLiteral("run")) + 16);
}

void CompareWindow::setCursorSeconds(double t)
{
    t = std::clamp(t, 0.0, m_endS);
    m_cursorS = t;
    {
        const QSignalBlocker block(m_slider);
        m_slider->setValue(static_cast<int>(std::lround(t * kSliderSteps)));
    }
    m_cursorLabel->setText(QStringLiteral("t = %1 s").arg(t, 0, 'f', 1));
    for (Chart& c : m_charts)
        c.chart->setCursorTime(t);
    updateKpis();
    updateSideViews();
    selectEventNear(t);
}

std::ptrdiff_t CompareWindow::snapshotIndexAt(int side, double t) const
{
    const Side& s = m_sides[static_cast<std::size_t>(side)];
    if (s.times.empty())
        return -1;
    const auto it = std::upper_bound(s.times.begin(), s.times.end(), t);
    return it == s.times.begin() ? 0 : std::distance(s.times.begin(), it) - 1;
}

SnapshotPtr CompareWindow::shownSnapshot(int side) const
{
    const Side& s = m_sides[static_cast<std::size_t>(side)];
    return s.shown < 0 ? nullptr : s.snapshots[static_cast<std::size_t>(s.shown)];
}

void CompareWindow::updateSideViews()
{
    for (int side = 0; side < 2; ++side) {
        Side& s = m_sides[static_cast<std::size_t>(side)];
        const std::ptrdiff_t at = snapshotIndexAt(side, m_cursorS);
        if (at == s.shown)
            continue;
        s.shown = at;
        if (at >= 0) {
            const v1::Snapshot& snap = *s.snapshots[static_cast<std::size_t>(at)];
            s.heatmap->applySnapshot(snap);
            s.heatmap->update();
            s.map->applySnapshot(snap);
        }
        updateSideHeaders(side);
    }
}

void CompareWindow::updateSideHeaders(int side)
{
    Side& s = m_sides[static_cast<std::size_t>(side)];
    const QString mark = side == 0 ? QStringLiteral("A") : QStringLiteral("B");
    const SnapshotPtr snap = shownSnapshot(side);
    const QString when = snap ? tr("t = %1 s").arg(static_cast<double>(snap->sim_time_ns()) / 1e9, 0, 'f', 1) : tr("no data");
    const QString head = QStringLiteral("<b>%1</b> %2 · %3").arg(mark, s.label.toHtmlEscaped(), when);
    // Shards: the worst cluster's skew.
    QString shards;
    if (!snap || snap->shards_size() == 0) {
        shards = tr("no shard load reported");
    } else if (const ClusterSkew* k = s.heatmap->table().worstSkew()) {
        shards = tr("%1 shards · skew max/mean %2× (%3, shard %4)")
                     .arg(s.heatmap->table().rowCount())
                     .arg(k->skew, 0, 'f', 2)
                     .arg(QString::fromStdString(k->cluster).toHtmlEscaped())
                     .arg(k->hottestShard);
    }
    s.headers[static_cast<std::size_t>(SideTab::Shards)]->setText(head + QStringLiteral("<br>") + shards);
    // Regions: which are down, how many links are cut.
    QString regions;
    if (!snap) {
        regions = tr("no region health reported");
    } else {
        const std::vector<v1::RegionHealth> health = regionHealthFor(*snap, {});
        QStringList down;
        for (const v1::RegionHealth& r : health) {
            if (!r.up())
                down << QString::fromStdString(r.region()).toHtmlEscaped();
        }
        int cut = 0;
        for (const v1::LinkHealth& l : snap->links())
            cut += (l.partitioned_ab() || l.partitioned_ba()) ? 1 : 0;
        regions = health.empty() ? tr("no region health reported")
                                 : tr("%1 regions · down: %2 · links cut: %3")
                                       .arg(health.size())
                                       .arg(down.isEmpty() ? tr("none") : down.join(QStringLiteral(", ")))
                                       .arg(cut);
    }
    s.headers[static_cast<std::size_t>(SideTab::Regions)]->setText(head + QStringLiteral("<br>") + regions);
}

void CompareWindow::updateKpis()
{
    std::array<const std::vector<double>*, 2> at{nullptr, nullptr};
    for (std::size_t side = 0; side < 2; ++side) {
        const Side& s = m_sides[side];
        const auto it = std::upper_bound(s.times.begin(), s.times.end(), m_cursorS);
        if (it != s.times.begin())
            at[side] = &s.kpis[static_cast<std::size_t>(std::distance(s.times.begin(), it) - 1)];
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < m_tiles.size(); ++i) {
        const v1::KpiTile& tile = m_tiles[i];
        std::array<double, 2> v{nan, nan};
        for (std::size_t side = 0; side < 2; ++side) {
            if (at[side] && i < at[side]->size())
                v[side] = (*at[side])[i];
            QTableWidgetItem* item = m_kpis->item(static_cast<int>(i), static_cast<int>(side) + 1);
            if (std::isnan(v[side])) {
                item->setText(QStringLiteral("—"));
                item->setForeground(palette().color(QPalette::PlaceholderText));
                continue;
            }
            const double scaled = tileScaled(tile, v[side]);
            item->setText(tileText(tile, scaled));
            const int grade = tileGrade(tile, scaled);
            item->setForeground(grade == 0 ? palette().color(QPalette::Text)
                                           : palette::severityColor(grade == 1 ? v1::SEVERITY_WARNING
                                                                               : v1::SEVERITY_ALERT));
        }
        m_kpis->item(static_cast<int>(i), 3)->setText(ratioText(v[0], v[1]));
    }
}

void CompareWindow::selectEventNear(double t)
{
    // The last event at or before the cursor.
    int lo = 0;
    int hi = m_events->rowCount();
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (m_events->item(mid, 0)->data(Qt::UserRole).toDouble() <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return;
    const QSignalBlocker block(m_events);
    m_events->selectRow(lo - 1);
    m_events->scrollToItem(m_events->item(lo - 1, 0));
}

void CompareWindow::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Left:
        setCursorSeconds(m_cursorS - 1.0);
        return;
    case Qt::Key_Right:
        setCursorSeconds(m_cursorS + 1.0);
        return;
    case Qt::Key_PageUp:
        setCursorSeconds(m_cursorS - 10.0);
        return;
    case Qt::Key_PageDown:
        setCursorSeconds(m_cursorS + 10.0);
        return;
    case Qt::Key_Home:
        setCursorSeconds(0.0);
        return;
    case Qt::Key_End:
        setCursorSeconds(m_endS);
        return;
    default:
        QWidget::keyPressEvent(event);
    }
}

// ------------------------------------------------------------------ re-running in another mode

namespace {

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

// engines.<engine>.<setting> as the drill's text writes it; empty when it does not.
std::string writtenSetting(const std::string& text, const std::string& engine, const std::string& setting)
{
    try {
        const YAML::Node root = YAML::Load(text);
        const YAML::Node engines = root["engines"];
        if (!engines || !engines.IsMap())
            return {};
        const YAML::Node section = engines[engine];
        if (!section || !section.IsMap())
            return {};
        const YAML::Node value = section[setting];
        return value && value.IsScalar() ? value.Scalar() : std::string();
    } catch (const YAML::Exception&) {
        return {};
    }
}

} // namespace

absl::StatusOr<DrillToCompare> drillOf(const ClusterSource& source)
{
    if (const auto* replay = qobject_cast<const ReplayCluster*>(&source)) {
        const telemetry::RecordingMetadata& meta = replay->metadata();
        if (meta.drillText.empty())
            return absl::FailedPreconditionError("this recording stores no drill (it is not a drill's run)");
        absl::StatusOr<drills::DrillSpec> spec =
            drills::loadDrill(meta.drillText, meta.drillName.empty() ? std::string("recorded drill") : meta.drillName);
        if (!spec.ok())
            return spec.status();
        return DrillToCompare{std::move(*spec), meta.seed};
    }
    if (qobject_cast<const EmbeddedCluster*>(&source)) {
        const SourceInfo info = source.info();
        if (info.location.isEmpty() || !info.seedKnown)
            return absl::FailedPreconditionError("the live world runs no drill");
        absl::StatusOr<drills::DrillSpec> spec = drills::resolveDrill(info.location.toStdString());
        if (!spec.ok())
            return spec.status();
        return DrillToCompare{std::move(*spec), info.seed};
    }
    return absl::FailedPreconditionError("the console shows a remote cluster, not a drill it can re-run");
}

QString ModeSwitch::text() const
{
    return QObject::tr("Re-run this drill with %1 in %2 %3 (it runs %4)").arg(qs(engine), qs(setting), qs(to), qs(from));
}

std::vector<ModeSwitch> modeSwitches(const drills::DrillSpec& spec)
{
    std::vector<ModeSwitch> out;
    for (const drills::EngineEntry& e : spec.engines) {
        if (!e.factory)
            continue;
        for (const engine::ModeOffer& m : e.factory->modes()) {
            std::string current = writtenSetting(spec.text, e.name, m.setting);
            if (current.empty())
                current = m.defaultValue;
            for (const std::string& v : m.values) {
                if (v != current)
                    out.push_back(ModeSwitch{e.name, m.setting, current, v, m.description});
            }
        }
    }
    return out;
}

QString noModeSwitchReason(const drills::DrillSpec& spec)
{
    if (!modeSwitches(spec).empty())
        return {};
    QStringList names;
    for (const drills::EngineEntry& e : spec.engines)
        names << qs(e.name);
    if (names.isEmpty())
        return QObject::tr("The drill %1 runs no engine: there is no mode to switch.").arg(qs(spec.name));
    return QObject::tr("The drill %1's engines (%2) describe no mode to switch: it can only be compared with a recording.")
        .arg(qs(spec.name), names.join(QStringLiteral(", ")));
}

absl::StatusOr<std::string> drillTextWith(const drills::DrillSpec& spec, const ModeSwitch& change)
{
    YAML::Node root;
    try {
        root = YAML::Load(spec.text);
    } catch (const YAML::Exception& e) {
        return absl::InvalidArgumentError(std::string("the drill's text does not parse: ") + e.what());
    }
    const YAML::Node& croot = root;
    if (!croot["engines"] || !croot["engines"].IsMap() || !croot["engines"][change.engine])
        return absl::InvalidArgumentError("the drill has no section engines." + change.engine);
    const YAML::Node section = croot["engines"][change.engine];
    if (section.IsMap()) {
        const YAML::Node& csection = section;
        const YAML::Node value = csection[change.setting];
        if (value && value.IsScalar()) {
            // Replace the written value where it stands: comments and positions stay.
            const YAML::Mark mark = value.Mark();
            const std::string& written = value.Scalar();
            if (mark.pos >= 0 && spec.text.compare(static_cast<std::size_t>(mark.pos), written.size(), written) == 0) {
                std::string text = spec.text;
                text.replace(static_cast<std::size_t>(mark.pos), written.size(), change.to);
                return text;
            }
        } else if (value) {
            return absl::InvalidArgumentError("engines." + change.engine + "." + change.setting + " is not a plain value");
        }
    } else if (!section.IsNull()) {
        return absl::InvalidArgumentError("engines." + change.engine + " is not a map");
    }
    // Not written (or quoted): set it and write the drill out again.
    YAML::Node engines = root["engines"];
    if (!section.IsMap())
        engines[change.engine] = YAML::Node(YAML::NodeType::Map);
    YAML::Node target = engines[change.engine];
    target[change.setting] = change.to;
    YAML::Emitter out;
    out << root;
    if (!out.good())
        return absl::InternalError("cannot write the drill again: " + out.GetLastError());
    return std::string(out.c_str());
}

ModeComparison::ModeComparison(DrillToCompare drill, ModeSwitch change, QObject* parent)
    : QObject(parent), m_drill(std::move(drill)), m_change(std::move(change))
{
    const QString base = QStringLiteral("%1, %2 %3 ").arg(qs(m_drill.spec.name), qs(m_change.engine), qs(m_change.setting));
    m_labels[0] = base + QStringLiteral("%1 (seed %2)").arg(qs(m_change.from)).arg(m_drill.seed);
    m_labels[1] = base + QStringLiteral("%1 (seed %2)").arg(qs(m_change.to)).arg(m_drill.seed);
    m_tick = new QTimer(this);
    m_tick->setInterval(100);
    connect(m_tick, &QTimer::timeout, this, [this] { emit progressed(progress()); });
}

ModeComparison::~ModeComparison()
{
    m_cancel = true;
    for (Job& j : m_jobs) {
        if (j.worker.joinable())
            j.worker.join();
    }
}

bool ModeComparison::start(QString* error)
{
    const auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return false;
    };
    if (m_running > 0 || m_jobs[0].run)
        return fail(tr("the comparison has already started"));
    absl::StatusOr<std::string> textB = drillTextWith(m_drill.spec, m_change);
    if (!textB.ok())
        return fail(qs(std::string(textB.status().message())));
    const std::string nameB = m_drill.spec.fileName + " (" + m_change.engine + " " + m_change.setting + " " + m_change.to + ")";
    absl::StatusOr<drills::DrillSpec> specB = drills::loadDrill(*textB, nameB);
    if (!specB.ok())
        return fail(qs(std::string(specB.status().message())));
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid())
        return fail(tr("cannot make a temporary directory for the recordings: %1").arg(m_dir->errorString()));
    drills::DrillRunOptions options;
    options.seed = m_drill.seed;
    const std::array<const drills::DrillSpec*, 2> specs{&m_drill.spec, &*specB};
    for (std::size_t i = 0; i < 2; ++i) {
        absl::StatusOr<std::unique_ptr<drills::DrillRun>> run = drills::DrillRun::create(*specs[i], options);
        if (!run.ok())
            return fail(qs(std::string(run.status().message())));
        m_jobs[i].path = m_dir->filePath(i == 0 ? QStringLiteral("a.sqlite") : QStringLiteral("b.sqlite"));
        if (absl::Status st = (*run)->startRecording(m_jobs[i].path.toStdString()); !st.ok())
            return fail(qs(std::string(st.message())));
        m_jobs[i].run = std::move(*run);
    }
    m_running = 2;
    for (int i = 0; i < 2; ++i)
        m_jobs[static_cast<std::size_t>(i)].worker = std::thread([this, i] { work(i); });
    m_tick->start();
    return true;
}

void ModeComparison::work(int side)
{
    Job& job = m_jobs[static_cast<std::size_t>(side)];
    drills::DrillRun& run = *job.run;
    sim::Scheduler& scheduler = run.world().scheduler();
    const double stop = std::max<double>(1.0, static_cast<double>(run.stopTime()));
    std::uint64_t steps = 0;
    while (!run.done() && !m_cancel.load(std::memory_order_relaxed)) {
        if (!scheduler.step())
            break;
        if ((++steps & 1023u) == 0)
            job.fraction.store(std::min(1.0, static_cast<double>(run.world().now()) / stop), std::memory_order_relaxed);
    }
    if (!m_cancel.load()) {
        if (!run.done())
            job.error = "the run ran out of events before its end";
        else if (!run.recordingStatus().ok())
            job.error = std::string(run.recordingStatus().message());
    }
    job.run.reset(); // closes the recording, on the thread that ran it
    job.fraction.store(1.0);
    QMetaObject::invokeMethod(this, [this] { onJobEnded(); }, Qt::QueuedConnection);
}

void ModeComparison::onJobEnded()
{
    if (--m_running > 0)
        return;
    m_tick->stop();
    for (Job& j : m_jobs) {
        if (j.worker.joinable())
            j.worker.join();
    }
    emit progressed(1.0);
    if (m_cancel.load()) {
        emit finished(false, tr("cancelled"));
        return;
    }
    for (std::size_t i = 0; i < 2; ++i) {
        if (!m_jobs[i].error.empty()) {
            m_failed = true;
            emit finished(false, tr("run %1 (%2): %3").arg(i == 0 ? QStringLiteral("A") : QStringLiteral("B"), m_labels[i],
                                                            qs(m_jobs[i].error)));
            return;
        }
    }
    emit finished(true, {});
}

void ModeComparison::cancel()
{
    m_cancel = true;
}

double ModeComparison::progress() const
{
    return (m_jobs[0].fraction.load() + m_jobs[1].fraction.load()) / 2.0;
}

CompareWindow* ModeComparison::openWindow(QString* error, QWidget* parent)
{
    if (m_running > 0 || m_cancel.load() || m_failed || !m_dir) {
        if (error)
            *error = tr("the runs have not both finished");
        return nullptr;
    }
    CompareWindow* w = CompareWindow::open(m_jobs[0].path, m_jobs[1].path, error, parent, m_labels[0], m_labels[1]);
    if (w)
        w->keepFiles(std::move(m_dir));
    return w;
}

ModeComparison* ModeComparison::runWithProgress(DrillToCompare drill, ModeSwitch change, QWidget* parent, QString* error)
{
    auto* comparison = new ModeComparison(std::move(drill), std::move(change), parent);
    if (!comparison->start(error)) {
        delete comparison;
        return nullptr;
    }
    auto* dialog = new QProgressDialog(tr("Simulating A: %1\nand B: %2…").arg(comparison->labelA(), comparison->labelB()),
                                       tr("Cancel"), 0, 1000, parent);
    dialog->setObjectName(QStringLiteral("compare.progress"));
    dialog->setWindowTitle(tr("Compare modes"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setMinimumDuration(0);
    dialog->setAutoClose(false);
    dialog->setAutoReset(false);
    dialog->setValue(0);
    connect(dialog, &QProgressDialog::canceled, comparison, &ModeComparison::cancel);
    connect(comparison, &ModeComparison::progressed, dialog,
            [dialog](double f) { dialog->setValue(static_cast<int>(std::lround(f * 1000.0))); });
    const QPointer<QWidget> owner(parent);
    // Not modal: the message must not hold up the event loop inside this slot.
    const auto warn = [owner](const QString& why) {
        qCWarning(lcWindow) << "cannot compare:" << why;
        if (!owner)
            return;
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Cannot compare"), why, QMessageBox::Ok, owner);
        box->setObjectName(QStringLiteral("compare.error"));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    };
    connect(comparison, &ModeComparison::finished, comparison, [comparison, dialog, owner, warn](bool ok, const QString& why) {
        dialog->disconnect(comparison); // closing a progress dialog emits canceled()
        dialog->close();
        comparison->deleteLater();
        if (!ok) {
            if (!comparison->cancelled())
                warn(why);
            return;
        }
        QString error;
        CompareWindow* w = comparison->openWindow(&error, owner);
        if (!w) {
            warn(error);
            return;
        }
        const QScreen* screen = owner ? owner->screen() : nullptr;
        w->resize(std::min(1600, screen ? screen->availableGeometry().width() : 1600),
                  std::min(1000, screen ? screen->availableGeometry().height() : 1000));
        w->show();
        emit comparison->windowOpened(w);
    });
    dialog->show();
    return comparison;
}

CompareChooser::CompareChooser(const ClusterSource* source, QWidget* parent) : QDialog(parent)
{
    setWindowTitle(tr("Compare"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Compare two runs on one time axis:"), this));
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("compare.choices"));
    auto* recordings = new QListWidgetItem(tr("Two recordings…"), m_list);
    recordings->setData(Qt::UserRole, -1);
    recordings->setToolTip(tr("Pick recording A (solid), then B (dashed)"));
    QString note;
    absl::StatusOr<DrillToCompare> drill =
        source ? drillOf(*source) : absl::StatusOr<DrillToCompare>(absl::FailedPreconditionError("no source"));
    if (!drill.ok()) {
        note = tr("No drill to re-run in another mode: %1.").arg(qs(std::string(drill.status().message())));
    } else {
        m_drill = std::move(*drill);
        m_switches = livedeck::ui::modeSwitches(m_drill.spec);
        note = noModeSwitchReason(m_drill.spec);
        for (std::size_t i = 0; i < m_switches.size(); ++i) {
            const ModeSwitch& s = m_switches[i];
            auto* item = new QListWidgetItem(s.text(), m_list);
            item->setData(Qt::UserRole, static_cast<int>(i));
            item->setToolTip(tr("%1 at seed %2: A as it is (%3), B with %4 %5 — %6. Both are simulated now.")
                                 .arg(qs(m_drill.spec.name))
                                 .arg(m_drill.seed)
                                 .arg(qs(s.from), qs(s.setting), qs(s.to), qs(s.description)));
        }
    }
    m_list->setCurrentRow(m_switches.empty() ? 0 : 1);
    layout->addWidget(m_list, 1);
    m_note = new QLabel(note, this);
    m_note->setObjectName(QStringLiteral("compare.note"));
    m_note->setWordWrap(true);
    m_note->setVisible(!note.isEmpty());
    layout->addWidget(m_note);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Compare"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_list, &QListWidget::itemDoubleClicked, this, &QDialog::accept);
    layout->addWidget(buttons);
    resize(560, 300);
}

QString CompareChooser::note() const
{
    return m_note->text();
}

int CompareChooser::chosen() const
{
    const QListWidgetItem* item = m_list->currentItem();
    return item ? item->data(Qt::UserRole).toInt() : -1;
}

} // namespace livedeck::ui
