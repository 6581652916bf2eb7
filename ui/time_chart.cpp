#include "ui/time_chart.h"

#include "ui/logging.h"
#include "ui/paint_util.h"
#include "ui/palette.h"

#include <QChart>
#include <QGraphicsItem>
#include <QGraphicsLayout>
#include <QLegend>
#include <QLineSeries>
#include <QMouseEvent>
#include <QPainter>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace livedeck::ui {
namespace {

// 1, 2, 5 × 10^k at or above v (v > 0).
double niceCeil(double v)
{
    if (!(v > 0.0))
        return 1.0;
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (m * p >= v * (1 - 1e-12))
            return m * p;
    }
    return 10.0 * p;
}

double niceFloor(double v)
{
    if (v >= 0.0)
        return 0.0;
    return -niceCeil(-v);
}

} // namespace

// The lines of a TimeChart, drawn over its chart's plot area (a child of the QChart,
// in chart coordinates, above the grid and below nothing else).
class PlotLayer final : public QGraphicsItem {
public:
    PlotLayer(TimeChart* owner, QChart* chart) : QGraphicsItem(chart), m_owner(owner), m_chart(chart)
    {
        setZValue(10); // over the grid and the (empty) series items
        setAcceptedMouseButtons(Qt::NoButton);
        setAcceptHoverEvents(false);
    }
    // The plot area and, below it, the time axis' labels (which may stick out sideways).
    QRectF boundingRect() const override { return m_chart->plotArea().adjusted(-60, -1, 60, 40); }
    void paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) override { m_owner->paintPlot(painter); }
    void plotAreaChanged() { prepareGeometryChange(); }

private:
    TimeChart* m_owner;
    QChart* m_chart;
};

TimeChart::TimeChart(const QString& title, const QString& unit, QWidget* parent, std::size_t capacity)
    : QChartView(parent), m_title(title), m_unit(unit), m_capacity(capacity)
{
    auto* chart = new QChart();
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setTitle(unit.isEmpty() ? title : title + QStringLiteral(" (") + unit + QLatin1Char(')'));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    QFont titleFont = font();
    titleFont.setBold(true);
    chart->setTitleFont(titleFont);
    chart->setMargins(QMargins(4, 0, 8, 0));
    chart->setBackgroundRoundness(0);
    // One background fill, the view's (white): the chart's own background item would fill
    // the same area again, antialiased, and Qt hands such fills to its thread pool.
    chart->setBackgroundVisible(false);
    setBackgroundRole(QPalette::Base);
    chart->legend()->setAlignment(Qt::AlignBottom);
    QFont legendFont = font();
    legendFont.setPointSizeF(std::max(7.0, legendFont.pointSizeF() * 0.9));
    chart->legend()->setFont(legendFont);
    chart->legend()->setMarkerShape(QLegend::MarkerShapeRectangle);

    // The time axis is drawn by the plot layer (grid lines, baseline and labels at round
    // times that scroll with the window). Qt Charts' x axis only reserves the row for its
    // labels (a blank title in the labels' font) and keeps a fixed range: moving a
    // QValueAxis re-creates and re-lays out every label (rich text) and grid item, a
    // tenth of a UI tick with 8 charts (bench_ui).
    m_axisX = new QValueAxis(chart);
    QFont axisFont = font();
    axisFont.setPointSizeF(std::max(7.0, axisFont.pointSizeF() * 0.85));
    m_axisFont = axisFont;
    m_axisX->setLabelsVisible(false);
    m_axisX->setGridLineVisible(false);
    m_axisX->setLineVisible(false);
    m_axisX->setTitleFont(axisFont);
    m_axisX->setTitleText(QStringLiteral(" "));
    m_axisX->setTitleBrush(Qt::transparent); // only its height counts
    m_axisX->setRange(0, 1);
    m_axisY = new QValueAxis(chart);
    m_axisY->setLabelFormat(QStringLiteral("%.5g")); // 10000, not 1e+04
    m_axisY->setTickCount(5);
    m_axisY->setLabelsFont(axisFont);
    m_axisY->setRange(0, 1);
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    setChart(chart);
    auto* layer = new PlotLayer(this, chart);
    m_layer = layer;
    connect(chart, &QChart::plotAreaChanged, this, [layer](const QRectF&) { layer->plotAreaChanged(); });
    setRenderHint(QPainter::Antialiasing, true);
    setMinimumSize(240, 130);
    setToolTip(tr("x: simulated time (s)"));
    setContextMenuPolicy(Qt::DefaultContextMenu);
}

TimeChart::~TimeChart() = default;

int TimeChart::addLine(const QString& label)
{
    auto line = std::make_unique<Line>(m_capacity);
    line->label = label;
    line->series = new QLineSeries(chart());
    line->series->setName(label);
    // A 1-px cosmetic pen: the raster engine draws it with its cosmetic line stroker
    // (antialiased), while a wider pen is turned into a filled outline per segment
    // (QStroker) on every repaint — the largest single cost of a repaint, bench_ui.
    QPen pen(palette::seriesColor(static_cast<int>(m_lines.size())));
    pen.setWidthF(1.0);
    pen.setCosmetic(true);
    line->series->setPen(pen); // the legend's colour, and the pen paintPlot() draws the line with
    chart()->addSeries(line->series);
    line->series->attachAxis(m_axisX);
    line->series->attachAxis(m_axisY);
    m_lines.push_back(std::move(line));
    return static_cast<int>(m_lines.size()) - 1;
}

void TimeChart::setLinePen(int line, const QPen& pen)
{
    m_lines[static_cast<std::size_t>(line)]->series->setPen(pen);
    viewport()->update();
}

QPen TimeChart::linePen(int line) const
{
    return m_lines[static_cast<std::size_t>(line)]->series->pen();
}

void TimeChart::setCursorTime(double tSeconds)
{
    if (tSeconds == m_cursorT || (std::isnan(tSeconds) && std::isnan(m_cursorT)))
        return;
    m_cursorT = tSeconds;
    viewport()->update();
}

void TimeChart::removeAllLines()
{
    for (auto& l : m_lines) {
        chart()->removeSeries(l->series);
        delete l->series;
    }
    m_lines.clear();
    m_layer->update();
}

QString TimeChart::lineLabel(int line) const
{
    return m_lines[static_cast<std::size_t>(line)]->label;
}

void TimeChart::addPoint(int line, double tSeconds, double value)
{
    if (std::isnan(value) || std::isnan(tSeconds))
        return;
    Line& l = *m_lines[static_cast<std::size_t>(line)];
    if (!l.ring.empty()) {
        TimePoint& last = l.ring.back();
        if (tSeconds < last.t)
            return;
        if (tSeconds == last.t) {
            if (last.v != value) {
                last.v = value;
                l.dirty = true;
            }
            return;
        }
    }
    l.ring.push(TimePoint{tSeconds, value});
    l.dirty = true;
}

void TimeChart::addFaultOn(std::uint64_t faultId, double tSeconds, const QString& label)
{
    for (const Span& s : m_spans) {
        if (s.id == faultId && s.on == tSeconds)
            return; // delivered twice (replay history)
    }
    m_spans.push_back(Span{faultId, tSeconds, -1.0, label});
    while (m_spans.size() > kMaxSpans)
        m_spans.pop_front();
    m_spansDirty = true;
}

void TimeChart::addFaultOff(std::uint64_t faultId, double tSeconds)
{
    for (auto it = m_spans.rbegin(); it != m_spans.rend(); ++it) {
        if (it->id == faultId && it->off < 0.0 && it->on <= tSeconds) {
            it->off = tSeconds;
            m_spansDirty = true;
            return;
        }
    }
}

void TimeChart::addMarker(double tSeconds, const QColor& color, const QString& label)
{
    m_markers.push_back(Marker{tSeconds, color, label});
    while (m_markers.size() > kMaxSpans)
        m_markers.pop_front();
    m_spansDirty = true;
}

void TimeChart::clearData()
{
    m_markers.clear();
    for (auto& l : m_lines) {
        l->ring.clear();
        l->shown.clear();
        l->shownFrom = std::numeric_limits<double>::infinity();
        l->dirty = true;
    }
    m_layer->update();
    m_spans.clear();
    m_spansDirty = true;
    m_now = 0.0;
}

void TimeChart::setYMode(YMode mode, double fixedMin, double fixedMax)
{
    m_yMode = mode;
    m_fixedMin = fixedMin;
    m_fixedMax = fixedMax;
}

void TimeChart::visiblePoints(const RingBuffer<TimePoint>& ring, double from, double to, int columns,
                              std::size_t decimateAbove, QList<QPointF>& out, double scale)
{
    out.clear();
    const auto before = [](const TimePoint& p, double t) { return p.t < t; };
    std::size_t first = ring.lowerBound(from, before);
    if (first > 0)
        --first; // one point left of the window so the line reaches the edge
    std::size_t last = ring.lowerBound(to, before);
    if (last < ring.size())
        ++last; // and one at/after the right edge
    const std::size_t count = last - first;
    if (count <= decimateAbove || columns <= 0) {
        // Inside a run of equal values only the run's first and last points are kept: the
        // drawn line is the same, and Qt Charts re-maps and outlines (for hit-testing) every
        // point of a series on each update, so flat stretches cost nothing.
        out.reserve(static_cast<qsizetype>(count));
        for (std::size_t i = first; i < last; ++i) {
            const double v = ring[i].v;
            if (i > first && i + 1 < last && ring[i - 1].v == v && ring[i + 1].v == v)
                continue;
            out.append(QPointF(ring[i].t, v * scale));
        }
        return;
    }
    // Min/max per pixel column, in time order within the column.
    out.reserve(static_cast<qsizetype>(columns) * 2);
    const double width = std::max(to - from, 1e-9);
    std::size_t i = first;
    while (i < last) {
        const int col = std::clamp(static_cast<int>((ring[i].t - from) / width * columns), 0, columns - 1);
        std::size_t minI = i;
        std::size_t maxI = i;
        std::size_t j = i + 1;
        for (; j < last; ++j) {
            const int c = std::clamp(static_cast<int>((ring[j].t - from) / width * columns), 0, columns - 1);
            if (c != col)
                break;
            if (ring[j].v < ring[minI].v)
                minI = j;
            if (ring[j].v > ring[maxI].v)
                maxI = j;
        }
        const std::size_t a = std::min(minI, maxI);
        const std::size_t b = std::max(minI, maxI);
        out.append(QPointF(ring[a].t, ring[a].v * scale));
        if (b != a)
            out.append(QPointF(ring[b].t, ring[b].v * scale));
        i = j;
    }
}

TimeChart::AxisRanges TimeChart::computeAxes(double nowSeconds)
{
    AxisRanges a;
    double firstT = nowSeconds;
    for (const auto& l : m_lines) {
        if (!l->ring.empty())
            firstT = std::min(firstT, l->ring.front().t);
    }
    const double span = std::clamp(nowSeconds - firstT, std::min(m_minSpanS, m_windowS), m_windowS);
    a.xMax = std::max(nowSeconds, span);
    a.xMin = a.xMax - span;
    if (m_yMode == YMode::Fixed) {
        a.yMin = m_fixedMin;
        a.yMax = m_fixedMax;
        roundYTicks(a);
        return a;
    }
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    const auto before = [](const TimePoint& p, double t) { return p.t < t; };
    for (const auto& l : m_lines) {
        const RingBuffer<TimePoint>& r = l->ring;
        for (std::size_t i = r.lowerBound(a.xMin, before); i < r.size(); ++i) {
            lo = std::min(lo, r[i].v * m_scale);
            hi = std::max(hi, r[i].v * m_scale);
        }
    }
    if (!std::isfinite(lo)) {
        lo = 0.0;
        hi = 1.0;
    }
    applyPrefix(std::max(std::fabs(lo), std::fabs(hi)));
    lo /= m_prefix;
    hi /= m_prefix;
    if (m_yMode == YMode::FromZero) {
        a.yMin = niceFloor(std::min(lo, 0.0));
        a.yMax = hi > 0.0 ? niceCeil(hi * 1.08) : 1.0; // nothing above zero yet: 0 … 1, not 0 … 1e-09
    } else {
        const double pad = std::max((hi - lo) * 0.1, std::max(std::fabs(hi), 1e-9) * 1e-4);
        a.yMin = lo - pad;
        a.yMax = hi + pad;
        // Round to a step so the axis does not twitch every tick.
        const double step = niceCeil((a.yMax - a.yMin) / 4.0);
        a.yMin = std::floor(a.yMin / step) * step;
        a.yMax = std::ceil(a.yMax / step) * step;
    }
    a.yMin = std::max(a.yMin, m_limitLo);
    a.yMax = std::min(a.yMax, m_limitHi);
    if (a.yMax <= a.yMin)
        a.yMax = a.yMin + 1.0;
    roundYTicks(a);
    return a;
}

void TimeChart::roundYTicks(AxisRanges& a) const
{
    // Grid lines and labels at multiples of a round step (1, 2, 2.5, 5 × 10^k), about
    // m_yIntervals of them: 0 / 50 / 100, not 0 / 33.333 / 66.667. The range is widened
    // to whole steps unless a limit (100 % …) is in the way.
    const double step = niceCeil((a.yMax - a.yMin) / m_yIntervals);
    const double lo = std::max(std::floor(a.yMin / step + 1e-9) * step, m_limitLo);
    const double hi = std::min(std::ceil(a.yMax / step - 1e-9) * step, m_limitHi);
    const double n = (hi - lo) / step;
    if (hi > lo && std::fabs(n - std::round(n)) < 1e-6 && std::round(n) <= 10) {
        a.yMin = lo;
        a.yMax = hi;
        a.yTicks = static_cast<int>(std::round(n)) + 1;
    } else {
        a.yTicks = m_yIntervals + 1;
    }
}

void TimeChart::applyPrefix(double absMax)
{
    double prefix = 1.0;
    QString name;
    if (absMax >= 2e9) {
        prefix = 1e9;
        name = QStringLiteral("G");
    } else if (absMax >= 2e6) {
        prefix = 1e6;
        name = QStringLiteral("M");
    } else if (absMax >= 2e4) {
        prefix = 1e3;
        name = QStringLiteral("K");
    }
    if (prefix == m_prefix)
        return;
    m_prefix = prefix;
    for (auto& l : m_lines)
        l->dirty = true; // the series hold scaled points
    QString unit = m_unit;
    if (!name.isEmpty()) {
        if (unit == QStringLiteral("1/s"))
            unit = name + QStringLiteral("/s");
        else
            unit = unit.isEmpty() ? name : name + QLatin1Char(' ') + unit;
    }
    chart()->setTitle(unit.isEmpty() ? m_title : m_title + QStringLiteral(" (") + unit + QLatin1Char(')'));
}

void TimeChart::refresh(double nowSeconds)
{
    const bool moved = nowSeconds != m_now;
    m_now = nowSeconds;
    const AxisRanges a = computeAxes(nowSeconds); // may mark every line dirty (new unit prefix)
    const bool xChanged = a.xMin != m_xMin || a.xMax != m_xMax;
    const bool yChanged = a.yMin != m_yMin || a.yMax != m_yMax || a.yTicks != m_yTicks;
    if (xChanged) {
        m_xMin = a.xMin;
        m_xMax = a.xMax;
    }
    if (yChanged) {
        m_yMin = a.yMin;
        m_yMax = a.yMax;
        m_yTicks = a.yTicks;
        m_axisY->setRange(a.yMin, a.yMax);
        m_axisY->setTickCount(a.yTicks);
    }
    const int columns = std::max(1, static_cast<int>(chart()->plotArea().width()));
    bool rebuilt = false;
    for (auto& l : m_lines) {
        // A line is rebuilt for new data, for a decimated line whose window moved, or for a
        // window reaching left of what the line holds (a wider window, a shorter history).
        // A line holds the points from the window's start on (one more to its left, so it
        // reaches the edge): moving the window forward needs no rebuild for a line without
        // new data; points scrolling out on the left are clipped. Decimated lines hold
        // exactly the window, re-decimated when it moves.
        const bool decimated = l->ring.size() > kDecimateAbove;
        const bool rebuild = l->dirty || (decimated && (moved || xChanged)) ||
                             (m_xMin < l->shownFrom && !l->ring.empty() && l->ring.front().t < l->shownFrom);
        if (!rebuild)
            continue;
        visiblePoints(l->ring, m_xMin, decimated ? m_xMax : std::numeric_limits<double>::infinity(), columns,
                      kDecimateAbove, l->shown, m_scale / m_prefix);
        l->shownFrom = l->shown.isEmpty() ? std::numeric_limits<double>::infinity() : l->shown.front().x();
        ++m_rebuildCount;
        l->dirty = false;
        rebuilt = true;
    }
    if (rebuilt || xChanged || yChanged)
        m_layer->update();
    if (m_spansDirty || moved) {
        m_spansDirty = false;
        viewport()->update();
    }
}

double TimeChart::timeStep(double span, double pixels)
{
    const double minStep = 45.0 * span / std::max(pixels, 1.0);
    static constexpr double kSteps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400};
    for (double s : kSteps) {
        if (s >= minStep)
            return s;
    }
    return niceCeil(minStep);
}

void TimeChart::paintPlot(QPainter* painter)
{
    const QRectF plot = chart()->plotArea();
    if (plot.isEmpty() || m_xMax <= m_xMin || m_yMax <= m_yMin)
        return;
    // Data -> chart coordinates: the axes' linear map, moved half a pixel onto pixel
    // centres so a level stretch of a 1-px line is one crisp row, not two half-tone ones.
    const double sx = plot.width() / (m_xMax - m_xMin);
    const double sy = plot.height() / (m_yMax - m_yMin);
    const double x0 = plot.left() - m_xMin * sx + 0.5;
    const double y0 = plot.bottom() + m_yMin * sy + 0.5;
    painter->save();

    // The time axis: a grid line, a tick and a label at every multiple of the step.
    QPen gridPen = m_axisY->gridLinePen();
    gridPen.setCosmetic(true);
    QPen axisPen = m_axisY->linePen();
    axisPen.setCosmetic(true);
    painter->setFont(m_axisFont);
    const double step = timeStep(m_xMax - m_xMin, plot.width());
    const double bottom = std::floor(plot.bottom()) + 0.5;
    const QRectF chartRect = chart()->rect();
    if (m_timeLabels.size() > 256)
        m_timeLabels.clear();
    for (double t = std::ceil(m_xMin / step) * step; t <= m_xMax + 1e-9; t += step) {
        const double x = std::floor(x0 - 0.5 + t * sx) + 0.5;
        painter->setPen(gridPen);
        painter->drawLine(QPointF(x, plot.top()), QPointF(x, bottom));
        painter->setPen(axisPen);
        painter->drawLine(QPointF(x, bottom), QPointF(x, bottom + 3));
        const auto key = static_cast<long long>(std::llround(t));
        auto it = m_timeLabels.find(key);
        if (it == m_timeLabels.end()) {
            it = m_timeLabels.emplace(key, QStaticText(QString::number(key))).first;
            it->second.setTextFormat(Qt::PlainText);
            it->second.prepare(QTransform(), m_axisFont);
        }
        const QSizeF size = it->second.size();
        // A label at the chart's edge is moved inside it rather than cut.
        const double left = std::clamp(x - size.width() / 2.0, chartRect.left(), chartRect.right() - size.width());
        painter->setPen(m_axisY->labelsColor());
        painter->drawStaticText(QPointF(left, bottom + 3), it->second);
    }
    painter->setPen(axisPen);
    painter->drawLine(QPointF(plot.left(), bottom), QPointF(plot.right(), bottom));

    // The lines.
    painter->setClipRect(plot.adjusted(-1, -1, 1, 1));
    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setBrush(Qt::NoBrush);
    for (const auto& l : m_lines) {
        const QList<QPointF>& pts = l->shown;
        if (pts.isEmpty())
            continue;
        m_scratch.resize(pts.size());
        for (qsizetype i = 0; i < pts.size(); ++i)
            m_scratch[i] = QPointF(x0 + pts[i].x() * sx, y0 - pts[i].y() * sy);
        painter->setPen(l->series->pen());
        if (m_scratch.size() == 1)
            painter->drawPoint(m_scratch.front());
        else
            painter->drawPolyline(m_scratch);
    }
    painter->restore();
}

QPointF TimeChart::toChart(double tSeconds, double shownValue) const
{
    const QRectF plot = chart()->plotArea();
    const double x = plot.left() + (tSeconds - m_xMin) / (m_xMax - m_xMin) * plot.width();
    const double y = plot.bottom() - (shownValue - m_yMin) / (m_yMax - m_yMin) * plot.height();
    return {x, y};
}

double TimeChart::timeAtChartX(double x) const
{
    const QRectF plot = chart()->plotArea();
    return m_xMin + (x - plot.left()) / std::max(plot.width(), 1.0) * (m_xMax - m_xMin);
}

QPointF TimeChart::mapToWidget(double tSeconds, double value) const
{
    return mapFromScene(chart()->mapToScene(toChart(tSeconds, value * m_scale / m_prefix)));
}

void TimeChart::drawForeground(QPainter* painter, const QRectF& rect)
{
    QChartView::drawForeground(painter, rect);
    if (m_spans.empty() && m_markers.empty() && std::isnan(m_cursorT))
        return;
    const QRectF plot = chart()->mapRectToScene(chart()->plotArea());
    const auto xOf = [&](double t) {
        const QPointF p = chart()->mapToScene(toChart(t, m_yMin));
        return p.x();
    };
    painter->save();
    painter->setClipRect(plot);
    QFont f = font();
    f.setPointSizeF(std::max(7.0, f.pointSizeF() * 0.8));
    painter->setFont(f);
    int labelRow = 0;
    for (const Span& s : m_spans) {
        const double end = s.off < 0.0 ? m_now : s.off;
        if (end < m_xMin || s.on > m_xMax)
            continue;
        const double x0 = std::max(xOf(s.on), plot.left());
        const double x1 = std::min(xOf(end), plot.right());
        if (x1 > x0)
            fillBands(*painter, QRectF(x0, plot.top(), x1 - x0, plot.height()), palette::faultSpanColor());
        if (s.on >= m_xMin) {
            QPen on(palette::faultOnColor());
            on.setWidthF(1.0); // cosmetic 1 px: the raster engine's fast line path
            on.setCosmetic(true);
            painter->setPen(on);
            painter->drawLine(QPointF(xOf(s.on), plot.top()), QPointF(xOf(s.on), plot.bottom()));
            if (!s.label.isEmpty()) {
                const double y = plot.top() + 2 + (labelRow % 3) * (painter->fontMetrics().height());
                painter->drawText(QPointF(xOf(s.on) + 3, y + painter->fontMetrics().ascent()), s.label);
                ++labelRow;
            }
        }
        if (s.off >= 0.0 && s.off >= m_xMin && s.off <= m_xMax) {
            QPen off(palette::faultOffColor());
            off.setWidthF(1.0);
            off.setCosmetic(true);
            off.setStyle(Qt::DashLine);
            painter->setPen(off);
            painter->drawLine(QPointF(xOf(s.off), plot.top()), QPointF(xOf(s.off), plot.bottom()));
        }
    }
    for (const Marker& m : m_markers) {
        if (m.t < m_xMin || m.t > m_xMax)
            continue;
        QPen pen(m.color);
        pen.setWidthF(1.0);
        pen.setCosmetic(true);
        painter->setPen(pen);
        const double x = xOf(m.t);
        painter->drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        if (!m.label.isEmpty()) {
            const double y = plot.bottom() - 3 - (labelRow % 3) * painter->fontMetrics().height();
            painter->drawText(QPointF(x + 3, y), m.label);
            ++labelRow;
        }
    }
    if (!std::isnan(m_cursorT) && m_cursorT >= m_xMin && m_cursorT <= m_xMax) {
        QPen pen(palette().color(QPalette::WindowText));
        pen.setWidthF(1.0);
        pen.setCosmetic(true);
        painter->setPen(pen);
        const double x = xOf(m_cursorT);
        painter->drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
    }
    painter->restore();
}

// QTBUG-118669: a press on an empty area of a QChartView can crash Qt Charts 6.4, so
// mouse input never reaches the chart's scene. A left click reports the time under it.
void TimeChart::mousePressEvent(QMouseEvent* event)
{
    event->accept();
    if (event->button() != Qt::LeftButton)
        return;
    const QPointF inChart = chart()->mapFromScene(mapToScene(event->position().toPoint()));
    if (!chart()->plotArea().contains(inChart))
        return;
    emit clicked(timeAtChartX(inChart.x()));
}

void TimeChart::mouseReleaseEvent(QMouseEvent* event)
{
    event->accept();
}

void TimeChart::mouseMoveEvent(QMouseEvent* event)
{
    event->accept();
}

void TimeChart::mouseDoubleClickEvent(QMouseEvent* event)
{
    event->accept();
}

void TimeChart::resizeEvent(QResizeEvent* event)
{
    QChartView::resizeEvent(event);
    // Fewer y ticks on short charts, so labels are never squeezed into "…".
    const int h = height();
    const int intervals = h < 190 ? 2 : h < 280 ? 3 : 4;
    if (intervals != m_yIntervals) {
        m_yIntervals = intervals;
        m_yTicks = -1; // re-applied by the next refresh()
        refresh(m_now);
    }
}

void TimeChart::wheelEvent(QWheelEvent* event)
{
    // Let the scroll area around the chart scroll; the chart itself does not zoom.
    event->ignore();
}

} // namespace livedeck::ui
