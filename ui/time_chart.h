// TimeChart: one line chart over simulated time. Qt Charts frames it (QChart: title,
// y axis with its grid and labels, legend, plot area); the lines and the time axis
// (grid lines, ticks and labels at round times that scroll with the window, each label
// laid out once) are painted by PlotLayer, a graphics item in the chart's scene over
// the plot area. Qt Charts' own x axis keeps a fixed range and only reserves the row
// of the time labels. Built to the measured facts of Qt Charts 6.4 in docs/UI.md: every line
// keeps its own RingBuffer and is rebuilt at most once per UI tick (refresh(): a line
// without new points is not touched), holding only the points from the window's start
// on; above kDecimateAbove visible points a line is decimated to min/max per pixel
// column, and inside a run of equal values only the run's ends are kept;
// QChart::NoAnimation; the axes' ranges are set by this class (never auto-scaled by
// Qt), the y axis at round steps; no OpenGL (it crashes under the offscreen platform).
// Why the lines are not QLineSeries points (measured, bench_ui, docs/BENCHMARKS.md):
// on every replace() and every axis move Qt Charts 6.4 re-maps each point of a series
// and strokes an outline of the whole line for hit-testing
// (LineChartItem::updateGeometry, QPainterPathStroker::createStroke), and a moved
// QValueAxis re-creates its labels as rich text: 8 charts of 3 × 600 points took 18 ms
// per tick that way, 2 ms this way. Each line still has its (empty) QLineSeries, which
// gives the legend its entry.
// Lines are 1-px cosmetic pens on pixel centres: the raster engine's fast antialiased
// line path. Fault markers (fault.on/off events) are painted over the plot as red lines
// with a shaded span until the matching fault.off (green dashed), labelled with the
// fault's kind. Large values are shown with a unit prefix (K, M, G) chosen from the
// visible maximum, so axis labels stay short.
// Mouse presses on the view are swallowed (QTBUG-118669: clicking an empty chart
// area can crash 6.4); a click emits clicked() instead.
//
// Units: x is simulated seconds; y is whatever the chart's unit says. GUI thread.
#pragma once

#include "ui/ring_buffer.h"

#include <QChartView>
#include <QList>
#include <QPen>
#include <QPolygonF>
#include <QStaticText>
#include <QPointF>
#include <QString>

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QGraphicsItem;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace livedeck::ui {

class PlotLayer;

struct TimePoint {
    double t = 0.0; // simulated seconds
    double v = 0.0;
};

class TimeChart : public QChartView {
    Q_OBJECT
public:
    static constexpr std::size_t kDefaultCapacity = 3600;  // one hour of 1 s points
    static constexpr double kDefaultWindowS = 600.0;        // 10 min
    static constexpr double kMinSpanS = 60.0;               // the x axis spans at least this by default
    static constexpr std::size_t kDecimateAbove = 10'000;   // docs/UI.md: ~10 K points
    static constexpr std::size_t kMaxSpans = 256;           // fault markers kept

    enum class YMode { FromZero, Auto, Fixed };

    explicit TimeChart(const QString& title, const QString& unit = {}, QWidget* parent = nullptr,
                       std::size_t capacity = kDefaultCapacity);
    ~TimeChart() override;

    int addLine(const QString& label);
    // Another pen for a line (a compared run's dashed twin); the legend follows.
    void setLinePen(int line, const QPen& pen);
    QPen linePen(int line) const;
    // Removes every line (a new run brings new names).
    void removeAllLines();
    int lineCount() const { return static_cast<int>(m_lines.size()); }
    QString lineLabel(int line) const;
    const RingBuffer<TimePoint>& lineData(int line) const { return m_lines[static_cast<std::size_t>(line)]->ring; }
    // Appends (t, v); a point at the line's last t replaces it; an earlier t is ignored.
    // NaN values are skipped.
    void addPoint(int line, double tSeconds, double value);

    void addFaultOn(std::uint64_t faultId, double tSeconds, const QString& label);
    void addFaultOff(std::uint64_t faultId, double tSeconds);
    int faultSpanCount() const { return static_cast<int>(m_spans.size()); }
    // A point marker (a breaker transition, a selected moment): a coloured vertical line.
    void addMarker(double tSeconds, const QColor& color, const QString& label);
    int markerCount() const { return static_cast<int>(m_markers.size()); }
    // A time cursor: one vertical line that moves (NaN: none).
    void setCursorTime(double tSeconds);
    double cursorTime() const { return m_cursorT; }

    void clearData();
    void setWindowSeconds(double seconds) { m_windowS = seconds; }
    double windowSeconds() const { return m_windowS; }
    // The shortest span the x axis shows (a finished short run fills the plot).
    void setMinSpanSeconds(double seconds) { m_minSpanS = seconds; }
    void setYMode(YMode mode, double fixedMin = 0.0, double fixedMax = 1.0);
    void setValueScale(double scale) { m_scale = scale; } // shown value = stored × scale (ratio → %)
    // Bounds the automatic y range (in shown units), e.g. [0, 100] for percentages.
    void setYLimits(double lo, double hi)
    {
        m_limitLo = lo;
        m_limitHi = hi;
    }

    // One UI tick: sets the axes for the window ending at `nowSeconds` and rebuilds
    // every changed line's shown points once (lines without new points keep theirs;
    // the plot layer maps them through the new axes when it paints).
    void refresh(double nowSeconds);
    // The points line `line` shows (data coordinates, shown units), as of the last refresh().
    const QList<QPointF>& shownPoints(int line) const { return m_lines[static_cast<std::size_t>(line)]->shown; }

    // Widget coordinates of a data point under the current axes (tests, overlays).
    QPointF mapToWidget(double tSeconds, double value) const;
    double xMin() const { return m_xMin; }
    double xMax() const { return m_xMax; }
    double yMin() const { return m_yMin; }
    double yMax() const { return m_yMax; }
    // How many line rebuilds refresh() has done (at most one per changed line per tick).
    std::uint64_t rebuildCount() const { return m_rebuildCount; }

    // Visible points of `ring` in [from, to], decimated to min/max per column when more
    // than `decimateAbove` fall inside. `out` is cleared first.
    static void visiblePoints(const RingBuffer<TimePoint>& ring, double from, double to, int columns,
                              std::size_t decimateAbove, QList<QPointF>& out, double scale = 1.0);

signals:
    void clicked(double tSeconds);

protected:
    void drawForeground(QPainter* painter, const QRectF& rect) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    friend class PlotLayer;
    struct Line {
        explicit Line(std::size_t capacity) : ring(capacity) {}
        QString label;
        RingBuffer<TimePoint> ring;
        QLineSeries* series = nullptr; // empty: the legend entry (and the line's pen)
        QList<QPointF> shown; // data coordinates in shown units, rebuilt by refresh()
        bool dirty = true;
        bool replace = false; // refresh(): gets new points this tick
        double shownFrom = std::numeric_limits<double>::infinity(); // t of the first shown point
    };
    struct Span {
        std::uint64_t id = 0;
        double on = 0.0;
        double off = -1.0; // < 0: still active
        QString label;
    };
    struct Marker {
        double t = 0.0;
        QColor color;
        QString label;
    };
    struct AxisRanges {
        double xMin = 0.0;
        double xMax = 0.0;
        double yMin = 0.0;
        double yMax = 1.0;
        int yTicks = 5;
    };
    void roundYTicks(AxisRanges& a) const;
    // Paints the time axis (grid, baseline, labels) and every line (PlotLayer::paint).
    void paintPlot(QPainter* painter);
    // Chart coordinates of (t, value in shown units) under the current ranges, and back.
    QPointF toChart(double tSeconds, double shownValue) const;
    double timeAtChartX(double x) const;
    // The time axis' label step for `span` seconds over `pixels` (1, 2, 5 × 10^k s, or
    // whole minutes), at least ~45 px apart.
    static double timeStep(double span, double pixels);

    // The axes' ranges for the window ending at `nowSeconds` (not applied yet).
    AxisRanges computeAxes(double nowSeconds);

    void applyPrefix(double absMax);

    QString m_title;
    QString m_unit;
    double m_prefix = 1.0;        // shown = value × m_scale / m_prefix (K, M, G for big numbers)
    double m_limitLo = -std::numeric_limits<double>::infinity();
    double m_limitHi = std::numeric_limits<double>::infinity();
    std::size_t m_capacity;
    std::vector<std::unique_ptr<Line>> m_lines;
    std::deque<Span> m_spans;
    std::deque<Marker> m_markers;
    double m_cursorT = std::numeric_limits<double>::quiet_NaN();
    QGraphicsItem* m_layer = nullptr; // PlotLayer, owned by the chart
    QPolygonF m_scratch;              // pixel coordinates of one line while painting
    QFont m_axisFont;
    int m_yIntervals = 4; // wanted y intervals (by height)
    int m_yTicks = 5;     // y ticks in effect
    std::map<long long, QStaticText> m_timeLabels; // laid-out time-axis labels by second
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    double m_windowS = kDefaultWindowS;
    YMode m_yMode = YMode::FromZero;
    double m_fixedMin = 0.0;
    double m_fixedMax = 1.0;
    double m_scale = 1.0;
    double m_xMin = 0.0;
    double m_xMax = kMinSpanS;
    double m_minSpanS = kMinSpanS;
    double m_yMin = 0.0;
    double m_yMax = 1.0;
    double m_now = 0.0;
    bool m_spansDirty = false;
    std::uint64_t m_rebuildCount = 0;
};

} // namespace livedeck::ui
