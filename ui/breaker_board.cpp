#include "ui/breaker_board.h"

#include "ui/format.h"
#include "ui/logging.h"
#include "ui/palette.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace livedeck::ui {
namespace {

QString shortTitle(const std::string& path)
{
    // "sh-a/gifts/panel/privileged" → "panel/privileged" (drop region and engine).
    const QString p = QString::fromStdString(path);
    const QStringList parts = p.split(QLatin1Char('/'));
    if (parts.size() <= 2)
        return p;
    return parts.mid(2).join(QLatin1Char('/'));
}

v1::BreakerStateKind parseState(const QString& s)
{
    static const std::pair<const char*, v1::BreakerStateKind> kNames[] = {
        {"closed", v1::BREAKER_CLOSED},         {"open", v1::BREAKER_OPEN},
        {"half-open", v1::BREAKER_HALF_OPEN},   {"half_open", v1::BREAKER_HALF_OPEN},
        {"forced-open", v1::BREAKER_FORCED_OPEN}, {"forced_open", v1::BREAKER_FORCED_OPEN},
        {"disabled", v1::BREAKER_DISABLED},     {"metrics-only", v1::BREAKER_METRICS_ONLY},
        {"metrics_only", v1::BREAKER_METRICS_ONLY}};
    const QString l = s.toLower();
    for (const auto& [name, kind] : kNames) {
        if (l == QLatin1String(name))
            return kind;
    }
    return v1::BREAKER_STATE_UNSPECIFIED;
}

} // namespace

BreakerBoard::BreakerBoard(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(false);
    setAttribute(Qt::WA_OpaquePaintEvent, true);
    QSizePolicy sp(QSizePolicy::Expanding, QSizePolicy::Preferred);
    sp.setHeightForWidth(true);
    setSizePolicy(sp);
    setToolTip(QString()); // tooltips come from event()
}

void BreakerBoard::clear()
{
    m_tiles.clear();
    m_index.clear();
    m_visible.clear();
    m_selected.clear();
    m_lastTimeNs = 0;
    updateGeometry();
    update();
}

const BreakerTile* BreakerBoard::tile(const QString& path) const
{
    const auto it = m_index.find(path.toStdString());
    return it == m_index.end() ? nullptr : m_tiles[static_cast<std::size_t>(it->second)].get();
}

void BreakerBoard::rebuildIndex()
{
    std::sort(m_tiles.begin(), m_tiles.end(), [](const auto& a, const auto& b) { return a->path < b->path; });
    m_index.clear();
    for (std::size_t i = 0; i < m_tiles.size(); ++i)
        m_index[m_tiles[i]->path] = static_cast<int>(i);
}

void BreakerBoard::refilter()
{
    m_visible.clear();
    for (std::size_t i = 0; i < m_tiles.size(); ++i) {
        const BreakerTile& t = *m_tiles[i];
        if (!m_filterText.isEmpty() && !t.pathText.contains(m_filterText, Qt::CaseInsensitive))
            continue;
        if (m_onlyNotClosed && t.state == v1::BREAKER_CLOSED)
            continue;
        m_visible.push_back(static_cast<int>(i));
    }
    updateGeometry();
    update();
}

void BreakerBoard::setFilter(const QString& text, bool onlyNotClosed)
{
    m_filterText = text;
    m_onlyNotClosed = onlyNotClosed;
    refilter();
}

void BreakerBoard::noteTransition(BreakerTile& t, std::int64_t timeNs, v1::BreakerStateKind from,
                                  v1::BreakerStateKind to, const QString& note)
{
    if (!t.transitions.empty()) {
        const BreakerTransition& last = t.transitions.back();
        if (last.to == to && to != v1::BREAKER_STATE_UNSPECIFIED && timeNs - last.timeNs < 2'000'000'000LL)
            return; // the event already told us; the snapshot confirms it
        if (timeNs < last.timeNs)
            return;
    }
    t.transitions.push_back(BreakerTransition{timeNs, from, to, note});
    if (t.transitions.size() > BreakerTile::kTransitions)
        t.transitions.erase(t.transitions.begin());
}

bool BreakerBoard::applySnapshot(const v1::Snapshot& snapshot)
{
    bool added = false;
    for (const v1::BreakerState& b : snapshot.breakers()) {
        if (m_index.find(b.path()) == m_index.end()) {
            auto t = std::make_unique<BreakerTile>();
            t->path = b.path();
            t->pathText = QString::fromStdString(b.path());
            t->title = shortTitle(b.path());
            t->region = t->pathText.section(QLatin1Char('/'), 0, 0);
            m_index[t->path] = static_cast<int>(m_tiles.size());
            m_tiles.push_back(std::move(t));
            added = true;
        }
    }
    if (added)
        rebuildIndex();
    for (auto& t : m_tiles)
        t->reported = false;
    const double second = std::floor(static_cast<double>(snapshot.sim_time_ns()) / 1e9);
    bool stateChanged = false;
    for (const v1::BreakerState& b : snapshot.breakers()) {
        BreakerTile& t = *m_tiles[static_cast<std::size_t>(m_index.find(b.path())->second)];
        if (t.state != b.state() && t.state != v1::BREAKER_STATE_UNSPECIFIED) {
            noteTransition(t, b.state_since_ns() > 0 ? b.state_since_ns() : snapshot.sim_time_ns(), t.state, b.state(), {});
            stateChanged = true;
        }
        t.state = b.state();
        t.failureRate = b.failure_rate();
        t.slowRate = b.slow_call_rate();
        t.windowCalls = b.window_calls();
        t.notPermitted = b.not_permitted();
        t.stateSinceNs = b.state_since_ns();
        t.reported = true;
        if (b.failure_rate() >= 0) {
            if (t.failureHistory.empty() || t.failureHistory.back().t < second)
                t.failureHistory.push(TimePoint{second, b.failure_rate()});
            else
                t.failureHistory.back().v = b.failure_rate();
        }
        if (b.slow_call_rate() >= 0) {
            if (t.slowHistory.empty() || t.slowHistory.back().t < second)
                t.slowHistory.push(TimePoint{second, b.slow_call_rate()});
            else
                t.slowHistory.back().v = b.slow_call_rate();
        }
    }
    m_lastTimeNs = snapshot.sim_time_ns();
    if (added || (stateChanged && m_onlyNotClosed))
        refilter();
    return snapshot.breakers_size() > 0 || added;
}

void BreakerBoard::applyEvents(const std::vector<v1::Event>& events)
{
    for (const v1::Event& e : events) {
        if (e.kind().rfind("breaker.", 0) != 0)
            continue;
        const auto it = m_index.find(e.component());
        if (it == m_index.end())
            continue;
        BreakerTile& t = *m_tiles[static_cast<std::size_t>(it->second)];
        v1::BreakerStateKind from = v1::BREAKER_STATE_UNSPECIFIED;
        v1::BreakerStateKind to = v1::BREAKER_STATE_UNSPECIFIED;
        for (const v1::KeyValue& kv : e.fields()) {
            if (kv.key() == "from")
                from = parseState(QString::fromStdString(kv.value()));
            else if (kv.key() == "to")
                to = parseState(QString::fromStdString(kv.value()));
        }
        noteTransition(t, e.sim_time_ns(), from, to, QString::fromStdString(e.message()));
    }
}

int BreakerBoard::columns(int width) const
{
    return std::max(1, (width - 2 * kMargin + kGap) / (kTileWidth + kGap));
}

int BreakerBoard::heightForWidth(int width) const
{
    const int cols = columns(width);
    const int rows = (static_cast<int>(m_visible.size()) + cols - 1) / cols;
    return std::max(kTileHeight + 2 * kMargin, 2 * kMargin + rows * kTileHeight + std::max(0, rows - 1) * kGap);
}

QSize BreakerBoard::sizeHint() const
{
    const int w = 4 * (kTileWidth + kGap) + 2 * kMargin;
    return QSize(w, heightForWidth(w));
}

void BreakerBoard::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    m_cols = columns(width());
}

QRect BreakerBoard::rectForSlot(int slot, int cols) const
{
    // Stretch tiles to use the full width.
    const int avail = width() - 2 * kMargin - (cols - 1) * kGap;
    const int w = std::max(kTileWidth, avail / cols);
    const int row = slot / cols;
    const int col = slot % cols;
    return QRect(kMargin + col * (w + kGap), kMargin + row * (kTileHeight + kGap), w, kTileHeight);
}

int BreakerBoard::slotAt(const QPoint& pos) const
{
    const int cols = columns(width());
    for (int slot = 0; slot < static_cast<int>(m_visible.size()); ++slot) {
        const QRect r = rectForSlot(slot, cols);
        if (r.top() > pos.y())
            break;
        if (r.contains(pos))
            return slot;
    }
    return -1;
}

QRect BreakerBoard::tileRect(const QString& path) const
{
    const auto it = m_index.find(path.toStdString());
    if (it == m_index.end())
        return {};
    const auto v = std::find(m_visible.begin(), m_visible.end(), it->second);
    if (v == m_visible.end())
        return {};
    return rectForSlot(static_cast<int>(v - m_visible.begin()), columns(width()));
}

QString BreakerBoard::pathAt(const QPoint& pos) const
{
    const int slot = slotAt(pos);
    if (slot < 0)
        return {};
    return m_tiles[static_cast<std::size_t>(m_visible[static_cast<std::size_t>(slot)])]->pathText;
}

void BreakerBoard::setSelected(const QString& path)
{
    if (m_selected == path)
        return;
    m_selected = path;
    update();
}

void BreakerBoard::paintTile(QPainter& p, const BreakerTile& t, const QRect& r) const
{
    const QColor bg = palette::breakerColor(t.state);
    const QColor fg = palette::textOn(bg);
    p.setPen(Qt::NoPen);
    p.setBrush(bg);
    p.drawRoundedRect(r, 5, 5);
    if (!t.reported) {
        p.setBrush(QBrush(QColor(255, 255, 255, 110), Qt::BDiagPattern));
        p.drawRoundedRect(r, 5, 5);
    }
    if (t.pathText == m_selected) {
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(QColor(0x10, 0x10, 0x10), 3));
        p.drawRoundedRect(r.adjusted(1, 1, -1, -1), 5, 5);
        p.setPen(QPen(Qt::white, 1));
        p.drawRoundedRect(r.adjusted(3, 3, -3, -3), 4, 4);
    }
    const QRect inner = r.adjusted(7, 4, -7, -4);
    const QFontMetrics fm = p.fontMetrics();
    p.setPen(fg);
    // Line 1: name (bold) and region.
    t.regionText.draw(p, QRect(inner.left(), inner.top(), inner.width(), fm.height()), Qt::AlignRight, t.region);
    const int regionW = static_cast<int>(std::ceil(t.regionText.width())) + 6;
    p.save();
    QFont bold = p.font();
    bold.setBold(true);
    p.setFont(bold);
    const QFontMetrics bfm(bold);
    t.titleText.draw(p, QRect(inner.left(), inner.top(), inner.width() - regionW, bfm.height()), Qt::AlignLeft, t.title,
                     Qt::ElideMiddle);
    p.restore();
    // Line 2: state (left), rates (right; the slow-call rate only when it fits).
    const QString state = breakerStateName(t.state).toUpper();
    const QString fail = t.failureRate < 0 ? tr("fail —") : tr("fail %1%").arg(t.failureRate * 100.0, 0, 'f', 0);
    const QString slow = t.slowRate < 0 ? QString() : tr(" · slow %1%").arg(t.slowRate * 100.0, 0, 'f', 0);
    const QRect line2(inner.left(), inner.top() + fm.height() + 1, inner.width(), fm.height());
    t.stateText.draw(p, line2, Qt::AlignLeft, state);
    const int stateW = static_cast<int>(std::ceil(t.stateText.width())) + 8;
    const QString rates = fm.horizontalAdvance(fail + slow) <= inner.width() - stateW ? fail + slow : fail;
    t.ratesText.draw(p, QRect(line2.left() + stateW, line2.top(), std::max(0, inner.width() - stateW), line2.height()),
                     Qt::AlignRight, rates);
    // Sparkline of the failure rate over the last minute (0..100 %).
    const int sparkTop = inner.top() + 2 * fm.height() + 4;
    const QRectF spark(inner.left(), sparkTop, inner.width(), std::max(6, inner.bottom() - sparkTop));
    QColor line = fg;
    line.setAlpha(90);
    QPen baseline(line, 1, Qt::DotLine);
    baseline.setCosmetic(true); // 1-px cosmetic: the raster engine's own line path, dots included
    p.setPen(baseline);
    p.drawLine(spark.bottomLeft(), spark.bottomRight());
    const RingBuffer<TimePoint>& h = t.failureHistory;
    if (h.size() >= 2) {
        const double tEnd = h.back().t;
        const double tStart = tEnd - kSparkSeconds;
        const auto before = [](const TimePoint& pt, double x) { return pt.t < x; };
        std::size_t i = h.lowerBound(tStart, before);
        QPointF pts[kSparkSeconds + 2];
        int n = 0;
        for (; i < h.size() && n < kSparkSeconds + 2; ++i) {
            const double x = spark.left() + (h[i].t - tStart) / kSparkSeconds * spark.width();
            const double y = spark.bottom() - std::clamp(h[i].v, 0.0, 1.0) * spark.height();
            pts[n++] = QPointF(x, y);
        }
        if (n >= 2) {
            // A 1-px cosmetic pen: the raster engine draws it with its antialiased line
            // stroker; a wider pen makes it outline and fill every segment (bench_ui).
            QPen pen(fg, 1.0);
            pen.setCosmetic(true);
            p.setPen(pen);
            p.drawPolyline(pts, n);
        }
    }
}

void BreakerBoard::paintEvent(QPaintEvent* event)
{
    QPainter p(this);
    p.fillRect(event->rect(), palette().color(QPalette::Base));
    if (m_tiles.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(10, 10, -10, -10), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
                   tr("No circuit breakers in this run's snapshots."));
        return;
    }
    p.setRenderHint(QPainter::Antialiasing, true);
    const int cols = columns(width());
    const QRect exposed = event->rect();
    for (int slot = 0; slot < static_cast<int>(m_visible.size()); ++slot) {
        const QRect r = rectForSlot(slot, cols);
        if (r.top() > exposed.bottom())
            break;
        if (!r.intersects(exposed))
            continue;
        paintTile(p, *m_tiles[static_cast<std::size_t>(m_visible[static_cast<std::size_t>(slot)])], r);
    }
}

void BreakerBoard::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton) {
        QWidget::mousePressEvent(event);
        return;
    }
    const QString path = pathAt(event->position().toPoint());
    if (path.isEmpty())
        return;
    setSelected(path);
    emit tileClicked(path);
}

void BreakerBoard::contextMenuEvent(QContextMenuEvent* event)
{
    const QString path = pathAt(event->pos());
    if (path.isEmpty())
        return;
    setSelected(path);
    emit tileContextMenu(path, event->globalPos());
}

bool BreakerBoard::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const BreakerTile* t = tile(pathAt(help->pos()));
        if (!t) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        const QString text =
            tr("<b>%1</b><br>state: <b>%2</b> since %3<br>failure rate: %4 · slow calls: %5<br>"
               "calls in window: %6 · not permitted: %7%8<br><i>click for the history chart, right-click to inject a fault</i>")
                .arg(t->pathText.toHtmlEscaped(), breakerStateName(t->state), formatSimTime(t->stateSinceNs),
                     t->failureRate < 0 ? tr("— (below minimum calls)") : formatPercent(t->failureRate, 1),
                     t->slowRate < 0 ? QStringLiteral("—") : formatPercent(t->slowRate, 1))
                .arg(t->windowCalls)
                .arg(t->notPermitted)
                .arg(t->reported ? QString() : tr("<br><i>not in the latest snapshot</i>"));
        QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

} // namespace livedeck::ui
