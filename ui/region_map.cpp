#include "ui/region_map.h"

#include "ui/engine_descriptors.h"
#include "ui/format.h"
#include "ui/logging.h"
#include "ui/palette.h"

#include <QContextMenuEvent>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QMouseEvent>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>

namespace livedeck::ui {

namespace {

double goodnessLog(double bad, double good, double badAt, double goodAt)
{
    // Maps `bad` (a badness figure: 1 - availability, p99, error rate) on a log scale:
    // goodAt → 1, badAt → 0.
    (void)good;
    if (!(bad > goodAt))
        return 1.0;
    return std::clamp(1.0 - std::log10(bad / goodAt) / std::log10(badAt / goodAt), 0.0, 1.0);
}

} // namespace

class RegionItem final : public QGraphicsItem {
public:
    RegionItem(const v1::Region& region) : m_name(QString::fromStdString(region.name())), m_city(QString::fromStdString(region.city()))
    {
        m_hintX = region.map_x();
        m_hintY = region.map_y();
        for (const v1::DataCentre& dc : region.data_centres())
            m_dcs.push_back(QString::fromStdString(dc.name()));
        setZValue(2);
        setAcceptHoverEvents(false);
    }

    QRectF boundingRect() const override
    {
        const double r = RegionMap::kRadius + 4;
        return QRectF(-1.6 * r, -r, 3.2 * r, 2 * r + 22);
    }

    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override
    {
        p->setRenderHint(QPainter::Antialiasing);
        const double r = RegionMap::kRadius;
        const QRectF disc(-r, -r, 2 * r, 2 * r);
        const QColor fill = this->fill();
        p->setPen(QPen(m_selected ? QColor(0x10, 0x10, 0x10) : QColor(0x30, 0x30, 0x38), m_selected ? 4 : 1.5));
        p->setBrush(fill);
        p->drawEllipse(disc);
        const QColor fg = palette::textOn(fill);
        QFont f = p->font();
        f.setBold(true);
        f.setPointSizeF(f.pointSizeF() * 1.15);
        p->setFont(f);
        p->setPen(fg);
        p->drawText(QRectF(-r, -r * 0.62, 2 * r, r * 0.5), Qt::AlignCenter, m_name);
        QFont v = p->font();
        v.setPointSizeF(v.pointSizeF() / 1.15);
        p->setFont(v);
        p->drawText(QRectF(-r, -r * 0.12, 2 * r, r * 0.45), Qt::AlignCenter, m_down ? QStringLiteral("DOWN") : m_valueText);
        QFont s = p->font();
        s.setBold(false);
        s.setPointSizeF(std::max(7.0, s.pointSizeF() * 0.85));
        p->setFont(s);
        if (!m_down)
            p->drawText(QRectF(-r, r * 0.33, 2 * r, r * 0.4), Qt::AlignCenter, m_secondText);
        if (!m_unreachable.isEmpty() && !m_down) {
            // Partitioned, not down: some regions' probes time out, others' are answered.
            // (A region that is down is unreachable from everyone: its cross says so.)
            QFont u = p->font();
            u.setBold(true);
            p->setFont(u);
            p->setPen(palette::partitionColor());
            p->drawText(QRectF(-1.6 * r, r + 2, 3.2 * r, 18), Qt::AlignCenter, unreachableText());
        }
        if (m_down) {
            QPen cross(palette::partitionColor(), 5, Qt::SolidLine, Qt::RoundCap);
            p->setPen(cross);
            const double d = r * 0.72;
            p->drawLine(QPointF(-d, -d), QPointF(d, d));
            p->drawLine(QPointF(-d, d), QPointF(d, -d));
            // Repaint the label over the cross so it stays legible.
            p->setPen(Qt::NoPen);
            p->setBrush(QColor(0x26, 0x26, 0x2b, 230));
            p->drawRoundedRect(QRectF(-r * 0.62, -r * 0.14, r * 1.24, r * 0.48), 4, 4);
            QFont b = p->font();
            b.setBold(true);
            b.setPointSizeF(b.pointSizeF() / 0.85);
            p->setFont(b);
            p->setPen(QColor(0xff, 0x6b, 0x6b));
            p->drawText(QRectF(-r, -r * 0.12, 2 * r, r * 0.45), Qt::AlignCenter, QStringLiteral("DOWN"));
        }
    }

    QColor fill() const
    {
        if (m_down)
            return palette::downRegionColor();
        if (!m_hasHealth)
            return palette::noDataColor();
        return m_color;
    }

    void setHealth(const v1::RegionHealth& h, RegionMap::Measure m)
    {
        m_health = h;
        m_hasHealth = true;
        m_down = !h.up();
        QStringList from;
        for (const std::string& f : h.unreachable_from())
            from.push_back(QString::fromStdString(f));
        if (from != m_unreachable) {
            prepareGeometryChange();
            m_unreachable = from;
        }
        refreshLook(m);
    }
    QString unreachableText() const
    {
        return m_unreachable.isEmpty() ? QString()
                                       : QObject::tr("unreachable from %1").arg(m_unreachable.join(QStringLiteral(", ")));
    }
    void clearHealth()
    {
        m_hasHealth = false;
        m_down = false;
        m_unreachable.clear();
        m_valueText = QStringLiteral("no data");
        m_secondText = m_city;
        update();
    }
    void refreshLook(RegionMap::Measure m)
    {
        if (!m_hasHealth) {
            m_valueText = QStringLiteral("no data");
            m_secondText = m_city;
            setToolTip(QObject::tr("<b>%1</b> (%2)<br>no region health in the snapshots%3")
                           .arg(m_name, m_city, m_down ? QObject::tr("<br><b>down</b> (a down fault is active)") : QString()));
            update();
            return;
        }
        const QColor old = m_color;
        const QString oldValue = m_valueText;
        m_color = RegionMap::measureColor(m, m_health);
        switch (m) {
        case RegionMap::Measure::Availability:
            m_valueText = formatPercent(m_health.availability(), 2);
            break;
        case RegionMap::Measure::P99:
            m_valueText = QStringLiteral("p99 ") + formatMillis(m_health.p99_ms());
            break;
        case RegionMap::Measure::Errors:
            m_valueText = QStringLiteral("err ") + formatPercent(m_health.error_rate(), 2);
            break;
        }
        m_secondText = formatRate(m_health.rps());
        setToolTip(QObject::tr("<b>%1</b> (%2) — %3%4<br>availability %5 · p99 %6<br>errors %7 · %8 requests<br>"
                               "probes answered %9 of %10 (last second)%11<br>data centres: %12"
                               "<br><i>click for charts, right-click to inject a fault</i>")
                       .arg(m_name, m_city, m_down ? QObject::tr("<b>DOWN</b>") : QObject::tr("up"),
                            m_unreachable.isEmpty() ? QString() : QStringLiteral(" · <b>") + unreachableText() + QStringLiteral("</b>"),
                            formatPercent(m_health.availability(), 3), formatMillis(m_health.p99_ms()),
                            formatPercent(m_health.error_rate(), 3), formatRate(m_health.rps()))
                       .arg(m_health.probes_answered())
                       .arg(m_health.probes_sent())
                       .arg(m_health.engine().empty() ? QObject::tr(", all engines")
                                                      : QObject::tr(", %1's probes").arg(QString::fromStdString(m_health.engine())),
                            m_dcs.join(QStringLiteral(", "))));
        if (old != m_color || oldValue != m_valueText)
            update();
        else
            update();
    }

    const QString& name() const { return m_name; }
    double hintX() const { return m_hintX; }
    double hintY() const { return m_hintY; }
    bool down() const { return m_down; }
    bool hasHealth() const { return m_hasHealth; }
    void setSelected(bool s)
    {
        if (s != m_selected) {
            m_selected = s;
            update();
        }
    }

private:
    QString m_name;
    QString m_city;
    QStringList m_dcs;
    double m_hintX = 0.5;
    double m_hintY = 0.5;
    v1::RegionHealth m_health;
    bool m_hasHealth = false;
    bool m_down = false;
    bool m_selected = false;
    QStringList m_unreachable;
    QColor m_color = palette::noDataColor();
    QString m_valueText = QStringLiteral("no data");
    QString m_secondText;
};

class LinkItem final : public QGraphicsItem {
public:
    LinkItem(const v1::Link& link, RegionItem* a, RegionItem* b)
        : m_a(a), m_b(b), m_aName(link.a()), m_bName(link.b()), m_baseLatency(link.latency_ms()), m_latency(link.latency_ms()),
          m_loss(link.loss())
    {
        setZValue(1);
        updateTip();
    }

    QRectF boundingRect() const override
    {
        return QRectF(m_a->pos(), m_b->pos()).normalized().adjusted(-60, -30, 60, 30);
    }

    void geometryChanged()
    {
        prepareGeometryChange();
    }

    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override
    {
        p->setRenderHint(QPainter::Antialiasing);
        const QPointF a = m_a->pos();
        const QPointF b = m_b->pos();
        const QLineF full(a, b);
        if (full.length() < 1)
            return;
        const QPointF mid = (a + b) / 2.0;
        const bool cut = m_ab || m_ba;
        if (cut) {
            QPen pen(palette::partitionColor(), 4, Qt::DashLine, Qt::FlatCap);
            p->setPen(pen);
            p->drawLine(full);
            if (m_ab != m_ba) {
                // One-way: arrow toward the side that cannot be reached.
                const QPointF from = m_ab ? a : b;
                const QPointF to = m_ab ? b : a;
                const QLineF dir(from, to);
                const QPointF tip = dir.pointAt(std::clamp(1.0 - (RegionMap::kRadius + 4) / dir.length(), 0.5, 1.0));
                const QLineF back = QLineF(tip, from).unitVector();
                const QPointF v(back.dx(), back.dy());
                const QPointF n(-v.y(), v.x());
                QPolygonF arrow;
                arrow << tip << tip + v * 16 + n * 8 << tip + v * 16 - n * 8;
                p->setPen(Qt::NoPen);
                p->setBrush(palette::partitionColor());
                p->drawPolygon(arrow);
            }
            // The cut: a red disc with a white ✕.
            p->setPen(QPen(Qt::white, 2));
            p->setBrush(palette::partitionColor());
            p->drawEllipse(mid, 11, 11);
            QPen x(Qt::white, 3, Qt::SolidLine, Qt::RoundCap);
            p->setPen(x);
            p->drawLine(mid + QPointF(-5, -5), mid + QPointF(5, 5));
            p->drawLine(mid + QPointF(-5, 5), mid + QPointF(5, -5));
            label(p, mid, m_ab && m_ba ? QObject::tr("PARTITIONED") : QObject::tr("PARTITIONED one way"), palette::partitionColor(), true);
            return;
        }
        const bool slow = m_latency > m_baseLatency * 1.5 + 0.5;
        QPen pen(slow ? QColor(0xe0, 0x8a, 0x00) : QColor(0x70, 0x76, 0x80), slow ? 3.5 : 2.5);
        p->setPen(pen);
        p->drawLine(full);
        QString text = formatMillis(m_latency);
        if (m_loss > 0)
            text += QStringLiteral(" · loss ") + formatPercent(m_loss, 1);
        label(p, mid, text, slow ? QColor(0xa0, 0x5a, 0x00) : QColor(0x30, 0x34, 0x3c), false);
    }

    void setHealth(const v1::LinkHealth& h)
    {
        const bool sameOrder = h.a() == m_aName;
        const bool ab = sameOrder ? h.partitioned_ab() : h.partitioned_ba();
        const bool ba = sameOrder ? h.partitioned_ba() : h.partitioned_ab();
        m_hasHealth = true;
        if (ab != m_ab || ba != m_ba || h.latency_ms() != m_latency || h.loss() != m_loss) {
            m_ab = ab;
            m_ba = ba;
            m_latency = h.latency_ms();
            m_loss = h.loss();
            updateTip();
            update();
        }
    }
    void clearHealth()
    {
        m_hasHealth = false;
        m_ab = m_ba = false;
        m_latency = m_baseLatency;
        updateTip();
        update();
    }
    bool connects(std::string_view x, std::string_view y) const
    {
        return (m_aName == x && m_bName == y) || (m_aName == y && m_bName == x);
    }
    bool partitioned() const { return m_ab || m_ba; }
    const std::string& aName() const { return m_aName; }
    const std::string& bName() const { return m_bName; }
    QPointF midpoint() const { return (m_a->pos() + m_b->pos()) / 2.0; }

private:
    void label(QPainter* p, const QPointF& mid, const QString& text, const QColor& color, bool bold)
    {
        QFont f = p->font();
        f.setBold(bold);
        f.setPointSizeF(std::max(7.5, f.pointSizeF() * 0.9));
        p->setFont(f);
        const QFontMetricsF fm(f);
        const QLineF dir(m_a->pos(), m_b->pos());
        // Place the label beside the line (perpendicular offset) so it never hides it.
        QPointF n(-dir.dy(), dir.dx());
        const double len = std::hypot(n.x(), n.y());
        n = len > 0 ? n / len : QPointF(0, -1);
        if (n.y() > 0)
            n = -n;
        const double w = fm.horizontalAdvance(text) + 8;
        const double h = fm.height() + 2;
        const QPointF c = mid + n * (bold ? 24.0 : 14.0);
        const QRectF box(c.x() - w / 2, c.y() - h / 2, w, h);
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(255, 255, 255, 225));
        p->drawRoundedRect(box, 3, 3);
        p->setPen(color);
        p->drawText(box, Qt::AlignCenter, text);
    }
    void updateTip()
    {
        const QString a = QString::fromStdString(m_aName);
        const QString b = QString::fromStdString(m_bName);
        QString tip = QObject::tr("<b>%1 ↔ %2</b><br>latency %3 (base %4) · loss %5")
                          .arg(a, b, formatMillis(m_latency), formatMillis(m_baseLatency), formatPercent(m_loss, 2));
        if (m_ab)
            tip += QObject::tr("<br><b style='color:#d01010'>%1 cannot reach %2</b>").arg(a, b);
        if (m_ba)
            tip += QObject::tr("<br><b style='color:#d01010'>%1 cannot reach %2</b>").arg(b, a);
        setToolTip(tip);
    }

    RegionItem* m_a;
    RegionItem* m_b;
    std::string m_aName;
    std::string m_bName;
    double m_baseLatency;
    double m_latency;
    double m_loss;
    bool m_ab = false;
    bool m_ba = false;
    bool m_hasHealth = false;
};

QColor RegionMap::measureColor(Measure m, const v1::RegionHealth& h)
{
    if (!h.up())
        return palette::downRegionColor();
    switch (m) {
    case Measure::Availability:
        return palette::healthColor(goodnessLog(1.0 - h.availability(), 0, 1e-2, 1e-4));
    case Measure::P99:
        return palette::healthColor(goodnessLog(h.p99_ms(), 0, 1000.0, 50.0));
    case Measure::Errors:
        return palette::healthColor(goodnessLog(h.error_rate(), 0, 1e-2, 1e-4));
    }
    return palette::noDataColor();
}

RegionMap::RegionMap(QWidget* parent) : QGraphicsView(parent), m_scene(new QGraphicsScene(this))
{
    setScene(m_scene);
    setRenderHint(QPainter::Antialiasing, true);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setFrameShape(QFrame::NoFrame);
    setBackgroundBrush(QColor(0xf3, 0xf5, 0xf8));
    setViewportUpdateMode(QGraphicsView::MinimalViewportUpdate);
    setAlignment(Qt::AlignLeft | Qt::AlignTop);
    setMinimumSize(260, 200);
}

RegionMap::~RegionMap() = default;

void RegionMap::clear()
{
    for (auto& [name, item] : m_regions)
        item->clearHealth();
    for (LinkItem* l : m_links)
        l->clearHealth();
    m_history.clear();
    m_engines.clear();
    m_lastTimeNs = 0;
}

void RegionMap::setTopology(const v1::Topology& topology)
{
    // Same regions and links as before: keep the items (a replay reset re-sends it).
    bool same = static_cast<int>(m_regions.size()) == topology.regions_size() && static_cast<int>(m_links.size()) <= topology.links_size();
    if (same) {
        for (const v1::Region& r : topology.regions())
            same = same && m_regions.count(r.name()) != 0;
    }
    if (same && !m_regions.empty())
        return;
    m_scene->clear();
    m_regions.clear();
    m_links.clear();
    for (const v1::Region& r : topology.regions()) {
        auto* item = new RegionItem(r);
        m_scene->addItem(item);
        m_regions.emplace(r.name(), item);
    }
    for (const v1::Link& l : topology.links()) {
        const auto a = m_regions.find(l.a());
        const auto b = m_regions.find(l.b());
        if (a == m_regions.end() || b == m_regions.end() || findLink(l.a(), l.b()))
            continue; // data-centre links are drawn inside regions, not on the map
        auto* item = new LinkItem(l, a->second, b->second);
        m_scene->addItem(item);
        m_links.push_back(item);
    }
    qCDebug(lcRegions) << "map with" << m_regions.size() << "regions," << m_links.size() << "links";
    relayout();
}

void RegionMap::relayout()
{
    const QSizeF size = viewport()->size();
    m_scene->setSceneRect(QRectF(QPointF(0, 0), size));
    const double m = kMargin;
    const double w = std::max(1.0, size.width() - 2 * m);
    const double h = std::max(1.0, size.height() - 2 * m);
    std::vector<RegionItem*> items;
    std::vector<QPointF> pos;
    for (auto& [name, item] : m_regions) {
        items.push_back(item);
        pos.emplace_back(m + item->hintX() * w, m + item->hintY() * h);
    }
    // Push overlapping discs apart (a few relaxation rounds), staying inside the view.
    const double minDist = 2 * kRadius + 34;
    for (int round = 0; round < 40; ++round) {
        bool moved = false;
        for (std::size_t i = 0; i < pos.size(); ++i) {
            for (std::size_t j = i + 1; j < pos.size(); ++j) {
                QPointF d = pos[j] - pos[i];
                double dist = std::hypot(d.x(), d.y());
                if (dist >= minDist)
                    continue;
                if (dist < 1e-6) {
                    d = QPointF(1, 0);
                    dist = 1;
                }
                const QPointF push = d / dist * ((minDist - dist) / 2 + 0.5);
                pos[i] -= push;
                pos[j] += push;
                moved = true;
            }
        }
        for (QPointF& p : pos) {
            p.setX(std::clamp(p.x(), kRadius + 6, std::max(kRadius + 6, size.width() - kRadius - 6)));
            p.setY(std::clamp(p.y(), kRadius + 6, std::max(kRadius + 6, size.height() - kRadius - 6)));
        }
        if (!moved)
            break;
    }
    for (LinkItem* l : m_links)
        l->geometryChanged();
    for (std::size_t i = 0; i < items.size(); ++i)
        items[i]->setPos(pos[i]);
    m_scene->update();
}

void RegionMap::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    relayout();
}

LinkItem* RegionMap::findLink(const std::string& a, const std::string& b) const
{
    for (LinkItem* l : m_links) {
        if (l->connects(a, b))
            return l;
    }
    return nullptr;
}

bool RegionMap::applySnapshot(const v1::Snapshot& s)
{
    const double second = std::floor(static_cast<double>(s.sim_time_ns()) / 1e9);
    m_lastTimeNs = s.sim_time_ns();
    // The engines whose probes report region health (the panel offers them).
    for (const std::string& e : regionHealthEngines(s)) {
        if (std::find(m_engines.begin(), m_engines.end(), e) == m_engines.end())
            m_engines.push_back(e);
    }
    for (const v1::RegionHealth& h : regionHealthFor(s, m_engine)) {
        const auto it = m_regions.find(h.region());
        if (it == m_regions.end())
            continue;
        it->second->setHealth(h, m_measure);
        auto& hist = m_history[h.region()];
        if (!hist)
            hist = std::make_unique<RegionHistory>();
        const auto push = [second](RingBuffer<TimePoint>& r, double v) {
            if (r.empty() || r.back().t < second)
                r.push(TimePoint{second, v});
            else
                r.back().v = v;
        };
        push(hist->availability, h.up() ? h.availability() : 0.0);
        push(hist->p99, h.p99_ms());
        push(hist->errors, h.error_rate());
        push(hist->rps, h.rps());
    }
    // Links as the network carried them in the last second (LinkHealth, measured).
    for (const v1::LinkHealth& l : s.links()) {
        if (LinkItem* item = findLink(l.a(), l.b()))
            item->setHealth(l);
    }
    return true;
}

void RegionMap::setEngine(const std::string& engine)
{
    if (engine == m_engine)
        return;
    m_engine = engine;
    // Until the next snapshot the map shows nothing it cannot vouch for.
    for (auto& [name, item] : m_regions)
        item->clearHealth();
    m_history.clear();
}

QString RegionMap::unreachableText(const QString& region) const
{
    const auto it = m_regions.find(region.toStdString());
    return it == m_regions.end() ? QString() : it->second->unreachableText();
}

void RegionMap::setMeasure(Measure measure)
{
    m_measure = measure;
    for (auto& [name, item] : m_regions) {
        if (item->hasHealth())
            item->refreshLook(measure);
    }
}

QPoint RegionMap::regionCenter(const QString& region) const
{
    const auto it = m_regions.find(region.toStdString());
    if (it == m_regions.end())
        return {};
    return mapFromScene(it->second->pos());
}

QPoint RegionMap::linkMidpoint(const QString& a, const QString& b) const
{
    LinkItem* l = findLink(a.toStdString(), b.toStdString());
    return l ? mapFromScene(l->midpoint()) : QPoint();
}

bool RegionMap::regionDown(const QString& region) const
{
    const auto it = m_regions.find(region.toStdString());
    return it != m_regions.end() && it->second->down();
}

bool RegionMap::linkPartitioned(const QString& a, const QString& b) const
{
    LinkItem* l = findLink(a.toStdString(), b.toStdString());
    return l && l->partitioned();
}

QColor RegionMap::regionFill(const QString& region) const
{
    const auto it = m_regions.find(region.toStdString());
    return it == m_regions.end() ? QColor() : it->second->fill();
}

const RegionHistory* RegionMap::history(const QString& region) const
{
    const auto it = m_history.find(region.toStdString());
    return it == m_history.end() ? nullptr : it->second.get();
}

void RegionMap::setSelected(const QString& region)
{
    for (auto& [name, item] : m_regions)
        item->setSelected(QString::fromStdString(name) == region);
}

RegionItem* RegionMap::regionAt(const QPoint& pos) const
{
    const QPointF scenePos = mapToScene(pos);
    for (const auto& [name, item] : m_regions) {
        const QPointF d = scenePos - item->pos();
        if (std::hypot(d.x(), d.y()) <= kRadius)
            return item;
    }
    return nullptr;
}

void RegionMap::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton) {
        if (RegionItem* r = regionAt(event->position().toPoint())) {
            setSelected(r->name());
            emit regionClicked(r->name());
            return;
        }
    }
    QGraphicsView::mousePressEvent(event);
}

void RegionMap::contextMenuEvent(QContextMenuEvent* event)
{
    if (RegionItem* r = regionAt(event->pos())) {
        emit regionContextMenu(r->name(), event->globalPos());
        return;
    }
    event->ignore();
}

} // namespace livedeck::ui
