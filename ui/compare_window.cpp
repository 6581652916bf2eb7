#include "ui/compare_window.h"

#include "ui/charts_panel.h"
#include "ui/engine_descriptors.h"
#include "ui/format.h"
#include "ui/palette.h"
#include "ui/replay_cluster.h"
#include "ui/time_chart.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QScrollArea>
#include <QSlider>
#include <QSplitter>
#include <QTableWidget>
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

CompareWindow* CompareWindow::open(const QString& pathA, const QString& pathB, QString* error, QWidget* parent)
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
    const QString la = label(*a, pathA);
    const QString lb = label(*b, pathB);
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
    auto* scroll = new QScrollArea(split);
    scroll->setWidgetResizable(true);
    m_chartArea = new QWidget(scroll);
    new QGridLayout(m_chartArea);
    scroll->setWidget(m_chartArea);
    split->addWidget(scroll);

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
    if (!s.times.empty() && s.times.back() == t) {
        s.kpis.back() = std::move(values);
    } else {
        s.times.push_back(t);
        s.kpis.push_back(std::move(values));
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
    selectEventNear(t);
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

} // namespace livedeck::ui
