// The CDN engine's console views (ui/engines/cdn/cdn_views.h).
#include "ui/engines/cdn/cdn_views.h"

#include "ui/dashboard_hub.h"
#include "ui/format.h"
#include "ui/palette.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QLabel>
#include <QPainter>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableWidget>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>

namespace livedeck::ui {

namespace cdn {

namespace {

constexpr const char* kEngine = "cdn";

QString nodeLabel(const Part& p, bool withRegion)
{
    const QString name = QString::fromStdString(p.name);
    return withRegion ? QString::fromStdString(p.region) + QLatin1Char(' ') + name : name;
}

QString ratio(double v)
{
    return formatPercent(v, 1);
}

QString bytes(double b)
{
    if (b >= 1024.0 * 1024 * 1024)
        return QString::number(b / (1024.0 * 1024 * 1024), 'f', 1) + QStringLiteral(" GiB");
    if (b >= 1024.0 * 1024)
        return QString::number(b / (1024.0 * 1024), 'f', 1) + QStringLiteral(" MiB");
    if (b >= 1024.0)
        return QString::number(b / 1024.0, 'f', 0) + QStringLiteral(" KiB");
    return QString::number(b, 'f', 0) + QStringLiteral(" B");
}

QString secondsText(double s)
{
    if (s < 0)
        return QStringLiteral("—");
    if (s >= 120)
        return QString::number(s / 60.0, 'f', 1) + QStringLiteral(" min");
    return QString::number(s, 'f', s < 10 ? 1 : 0) + QStringLiteral(" s");
}

QTableWidget* makeTable(const QStringList& headers, QWidget* parent)
{
    auto* t = new QTableWidget(0, static_cast<int>(headers.size()), parent);
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->setVisible(false);
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setAlternatingRowColors(true);
    t->setWordWrap(false);
    t->horizontalHeader()->setHighlightSections(false);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

// Sets a cell's text (reusing its item), right-aligned unless `left`, with an optional
// background that carries its own readable text colour.
void setCell(QTableWidget* t, int row, int col, const QString& text, bool left = false, const QColor& bg = QColor())
{
    QTableWidgetItem* item = t->item(row, col);
    if (!item) {
        item = new QTableWidgetItem;
        t->setItem(row, col, item);
    }
    if (item->text() != text)
        item->setText(text);
    item->setTextAlignment((left ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter);
    item->setBackground(bg.isValid() ? QBrush(bg) : QBrush());
    item->setForeground(bg.isValid() ? QBrush(palette::textOn(bg)) : QBrush());
}

void fitColumnsOnce(QTableWidget* t)
{
    // A column grows to its widest cell (a node going down writes a longer state), never
    // shrinks: the operator's wider columns stay.
    QHeaderView* h = t->horizontalHeader();
    const QFontMetrics fm = t->fontMetrics();
    for (int c = 0; c < t->columnCount() - 1; ++c) {
        int want = h->sectionSizeHint(c);
        for (int r = 0; r < t->rowCount(); ++r)
            if (const QTableWidgetItem* item = t->item(r, c))
                want = std::max(want, fm.horizontalAdvance(item->text()) + 14);
        if (want > t->columnWidth(c))
            t->setColumnWidth(c, want);
    }
}

QColor badColor()
{
    return palette::healthColor(0.0);
}
QColor warnColor()
{
    return palette::healthColor(0.5);
}

bool outOfService(const Part& p)
{
    return p.text("state") != QLatin1String("in service");
}

} // namespace

// ------------------------------------------------------------------ shared panel

CdnPanel::CdnPanel(DashboardHub* hub, QWidget* parent) : EngineViewPanel(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* bar = new QHBoxLayout;
    bar->setSpacing(8);
    m_region = new QComboBox(this);
    m_region->setObjectName(QStringLiteral("cdn.region"));
    m_region->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_region->setToolTip(tr("Which region's CDN parts to show"));
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("cdn.summary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bar->addWidget(new QLabel(tr("Region"), this));
    bar->addWidget(m_region);
    bar->addWidget(m_summary, 1);
    layout->addLayout(bar);
    connect(m_region, &QComboBox::currentIndexChanged, this, [this] {
        m_dirty = true;
        refreshView();
    });
}

void CdnPanel::resetRun()
{
    m_index = PartIndex();
    m_dirty = true;
}

void CdnPanel::applyTopology(const v1::Topology& topology)
{
    m_index.setTopology(topology);
    const QString keep = m_region->currentText();
    QSignalBlocker block(m_region);
    m_region->clear();
    if (allRegionsAllowed())
        m_region->addItem(tr("All regions"), QString());
    for (const std::string& r : m_index.regions())
        m_region->addItem(QString::fromStdString(r), QString::fromStdString(r));
    const int at = m_region->findText(keep);
    m_region->setCurrentIndex(at >= 0 ? at : 0);
    m_dirty = true;
}

void CdnPanel::applySnapshot(const v1::Snapshot&, const SeriesCatalog&)
{
    m_dirty = true; // parsed at the next refresh, and only if the view can be seen
}

void CdnPanel::refreshView()
{
    if (!m_dirty || !isVisible())
        return;
    rebuildNow();
}

void CdnPanel::rebuildNow()
{
    m_dirty = false;
    const SnapshotPtr& s = m_hub->latestSnapshot();
    if (!s || !m_index.hasEngine()) {
        static const v1::Snapshot empty;
        rebuild(empty);
        return;
    }
    rebuild(*s);
}

void CdnPanel::showEvent(QShowEvent* event)
{
    EngineViewPanel::showEvent(event);
    if (m_dirty)
        rebuildNow();
}

QString CdnPanel::regionFilter() const
{
    return m_region->currentData().toString();
}

void CdnPanel::setRegionFilter(const QString& region)
{
    const int at = m_region->findData(region);
    if (at >= 0)
        m_region->setCurrentIndex(at);
}

// ------------------------------------------------------------------ cache table

CacheTableView::CacheTableView(DashboardHub* hub, QWidget* parent) : CdnPanel(hub, parent)
{
    m_table = makeTable({tr("Node"), tr("State"), tr("Hit (req) 1 s"), tr("Hit (bytes) 1 s"), tr("Hit (req) run"),
                         tr("Hit (bytes) run"), tr("Load /s"), tr("Disks busy · queued"), tr("Disk read"),
                         tr("Collapsed waiting"), tr("Most waiters"), tr("Held"), tr("Evictions")},
                        this);
    m_table->setObjectName(QStringLiteral("cdn.caches"));
    m_table->horizontalHeaderItem(6)->setToolTip(tr("Weighted sub-requests the node took in the last second (real requests/s)"));
    m_table->horizontalHeaderItem(9)->setToolTip(tr("Requests waiting right now on another request's origin fetch of the same slice"));
    static_cast<QVBoxLayout*>(layout())->addWidget(m_table, 1);
}

void CacheTableView::rebuild(const v1::Snapshot& snapshot)
{
    const QString region = regionFilter();
    std::vector<Part> parts = index().parts(snapshot, "cdn-cache");
    std::erase_if(parts, [&](const Part& p) { return !region.isEmpty() && QString::fromStdString(p.region) != region; });
    // Nodes out of service first: the rows an operator looks for.
    std::stable_sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return outOfService(a) && !outOfService(b); });
    m_table->setRowCount(static_cast<int>(parts.size()));
    double hits = 0, lookups = 0, bytesHit = 0, bytesServed = 0;
    int out = 0;
    for (int r = 0; r < static_cast<int>(parts.size()); ++r) {
        const Part& p = parts[static_cast<std::size_t>(r)];
        const bool bad = outOfService(p);
        out += bad ? 1 : 0;
        hits += p.num("hits");
        lookups += p.num("hits") + p.num("misses");
        bytesHit += p.num("bytes_hit");
        bytesServed += p.num("bytes_served");
        const QString state = p.text("state");
        setCell(m_table, r, 0, nodeLabel(p, region.isEmpty()), true);
        setCell(m_table, r, 1, state, true,
                state.startsWith(QLatin1String("down")) ? badColor() : (bad ? warnColor() : QColor()));
        setCell(m_table, r, 2, ratio(p.num("hit_ratio_1s")));
        setCell(m_table, r, 3, ratio(p.num("byte_hit_ratio_1s")));
        setCell(m_table, r, 4, ratio(p.num("hit_ratio")));
        setCell(m_table, r, 5, ratio(p.num("byte_hit_ratio")));
        const double load = p.num("load_1s"), limit = p.num("overload_limit");
        setCell(m_table, r, 6, formatCompact(load), false, limit > 0 && load > limit ? warnColor() : QColor());
        setCell(m_table, r, 7,
                QStringLiteral("%1/%2 · %3").arg(p.num("disk_busy"), 0, 'f', 0).arg(p.num("disks"), 0, 'f', 0).arg(p.num("disk_queued"), 0, 'f', 0));
        const double readMs = p.num("disk_read_ms");
        setCell(m_table, r, 8, formatMillis(readMs), false, readMs > 150 ? warnColor() : QColor());
        setCell(m_table, r, 9, QString::number(p.num("collapsed_waiters"), 'f', 0));
        setCell(m_table, r, 10, QString::number(p.num("max_waiters"), 'f', 0));
        setCell(m_table, r, 11, bytes(p.num("used_bytes")) + QStringLiteral(" / ") + bytes(p.num("capacity_bytes")));
        setCell(m_table, r, 12, formatCompact(p.num("evictions")));
    }
    fitColumnsOnce(m_table);
    m_summary->setText(parts.empty() ? tr("No cache nodes reported yet")
                                     : tr("%1 cache nodes, %2 out of service · the run: %3 of %4 slice lookups hit, %5 of bytes")
                                           .arg(parts.size())
                                           .arg(out)
                                           .arg(ratio(lookups > 0 ? hits / lookups : 0.0))
                                           .arg(formatCompact(lookups))
                                           .arg(ratio(bytesServed > 0 ? bytesHit / bytesServed : 0.0)));
}

// ------------------------------------------------------------------ health table

HealthTableView::HealthTableView(DashboardHub* hub, QWidget* parent) : CdnPanel(hub, parent)
{
    m_table = makeTable({tr("Node"), tr("Health"), tr("State"), tr("Tripped by"), tr("Last check"), tr("Checks failed"),
                         tr("In a row (ok · fail)"), tr("Ejections"), tr("Next"), tr("Time left")},
                        this);
    m_table->setObjectName(QStringLiteral("cdn.health"));
    static_cast<QVBoxLayout*>(layout())->addWidget(m_table, 1);
}

void HealthTableView::rebuild(const v1::Snapshot& snapshot)
{
    const QString region = regionFilter();
    const double now = static_cast<double>(snapshot.sim_time_ns()) / 1e9;
    std::vector<Part> parts = index().parts(snapshot, "cdn-cache");
    std::erase_if(parts, [&](const Part& p) { return !region.isEmpty() && QString::fromStdString(p.region) != region; });
    auto interesting = [](const Part& p) {
        const QString h = p.text("health");
        return outOfService(p) || (h != QLatin1String("healthy") && h != QLatin1String("reporting")) || !p.text("next_change").isEmpty();
    };
    std::stable_sort(parts.begin(), parts.end(), [&](const Part& a, const Part& b) { return interesting(a) && !interesting(b); });
    const bool legacy = !parts.empty() && parts.front().has("missed_reports");
    m_table->horizontalHeaderItem(4)->setText(legacy ? tr("Client groups on it") : tr("Last check"));
    m_table->horizontalHeaderItem(5)->setText(legacy ? tr("Missed reports") : tr("Checks failed"));
    m_table->setRowCount(static_cast<int>(parts.size()));
    int unhealthy = 0;
    double ejections = 0;
    for (int r = 0; r < static_cast<int>(parts.size()); ++r) {
        const Part& p = parts[static_cast<std::size_t>(r)];
        const QString health = p.text("health");
        const bool bad = health == QLatin1String("unhealthy") || health == QLatin1String("reported down");
        const bool warn = !bad && health != QLatin1String("healthy") && health != QLatin1String("reporting");
        unhealthy += bad ? 1 : 0;
        ejections += p.num("ejections");
        setCell(m_table, r, 0, nodeLabel(p, region.isEmpty()), true);
        setCell(m_table, r, 1, health, true, bad ? badColor() : (warn ? warnColor() : QColor()));
        setCell(m_table, r, 2, p.text("state"), true);
        QString tripped = p.text("tripped");
        if (tripped.isEmpty() && !p.text("last_failure").isEmpty() && p.num("consecutive_fail") > 0)
            tripped = tr("(failing: %1)").arg(p.text("last_failure"));
        setCell(m_table, r, 3, tripped, true);
        if (legacy) {
            setCell(m_table, r, 4, QString::number(p.num("groups_on"), 'f', 0));
            setCell(m_table, r, 5, QString::number(p.num("missed_reports"), 'f', 0));
            setCell(m_table, r, 6, QStringLiteral("—"));
        } else {
            const double last = p.num("last_check_s", -1);
            setCell(m_table, r, 4, last < 0 ? QStringLiteral("—") : tr("%1 ago").arg(secondsText(std::max(0.0, now - last))));
            setCell(m_table, r, 5, QStringLiteral("%1 / %2").arg(p.num("probe_failures"), 0, 'f', 0).arg(p.num("probes"), 0, 'f', 0));
            setCell(m_table, r, 6, QStringLiteral("%1 · %2").arg(p.num("consecutive_ok"), 0, 'f', 0).arg(p.num("consecutive_fail"), 0, 'f', 0));
        }
        setCell(m_table, r, 7, QString::number(p.num("ejections"), 'f', 0));
        const QString next = p.text("next_change");
        const double checks = p.num("checks_left");
        setCell(m_table, r, 8,
                next.isEmpty() ? QStringLiteral("—") : (legacy || checks <= 0 ? next : tr("%1 after %2 more %3 checks").arg(next).arg(checks).arg(next == QLatin1String("restore") ? tr("passing") : tr("failed"))),
                true);
        // Restoring needs passing checks: the time left is the least it can take.
        const QString left = secondsText(p.num("time_left_s", -1));
        setCell(m_table, r, 9, next == QLatin1String("restore") && left != QStringLiteral("—") ? QStringLiteral("≥ ") + left : left);
    }
    fitColumnsOnce(m_table);
    m_summary->setText(parts.empty() ? tr("No cache nodes reported yet")
                                     : tr("%1 cache nodes, %2 %3 · %4 ejections in the run")
                                           .arg(parts.size())
                                           .arg(unhealthy)
                                           .arg(legacy ? tr("reported down to the scheduler") : tr("unhealthy to control's checks"))
                                           .arg(ejections));
}

// ------------------------------------------------------------------ slot heatmap

SlotHeatmap::SlotHeatmap(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("cdn.slots"));
    setMinimumHeight(120);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void SlotHeatmap::setData(Data data)
{
    m_data = std::move(data);
    update();
}

double SlotHeatmap::cell(int node, int column) const
{
    const SlotRow& s = m_data.columns[static_cast<std::size_t>(column)];
    if (std::find(s.nodes.begin(), s.nodes.end(), node) == s.nodes.end())
        return std::nan("");
    const double perNode = s.load / std::max(1, static_cast<int>(s.nodes.size()));
    if (m_data.threshold > 0)
        return perNode / m_data.threshold;
    // No threshold (dispersal off): relative to the busiest slot's load.
    double peak = 0;
    for (const SlotRow& r : m_data.columns)
        peak = std::max(peak, r.load / std::max(1, static_cast<int>(r.nodes.size())));
    return peak > 0 ? perNode / peak : 0.0;
}

namespace {
constexpr int kLabelW = 92, kHeaderH = 34, kLegendH = 20, kSumW = 58;
}

QRect SlotHeatmap::cellRect(int node, int column) const
{
    const int cols = std::max<int>(1, static_cast<int>(m_data.columns.size()));
    const int rows = std::max<int>(1, static_cast<int>(m_data.nodes.size()));
    const int w = std::max(8, (width() - kLabelW - kSumW - 4) / cols);
    const int h = std::max(6, (height() - kHeaderH - kLegendH - 4) / rows);
    return {kLabelW + column * w, kHeaderH + node * h, w - 1, h - 1};
}

void SlotHeatmap::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const QFontMetrics fm = p.fontMetrics();
    if (m_data.columns.empty() || m_data.nodes.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("No live load on this region's slots yet"));
        return;
    }
    const int cols = static_cast<int>(m_data.columns.size());
    const int rows = static_cast<int>(m_data.nodes.size());
    // Column headers: slot and its width (nodes serving it).
    p.setPen(palette().color(QPalette::Text));
    for (int c = 0; c < cols; ++c) {
        const QRect cr = cellRect(0, c);
        const SlotRow& s = m_data.columns[static_cast<std::size_t>(c)];
        const QRect hr(cr.left(), 2, cr.width(), kHeaderH - 4);
        const QString top = cr.width() >= fm.horizontalAdvance(QStringLiteral("slot 0000")) ? tr("slot %1").arg(s.slot) : QString::number(s.slot);
        p.drawText(hr, Qt::AlignHCenter | Qt::AlignTop, top);
        p.drawText(hr, Qt::AlignHCenter | Qt::AlignBottom, QStringLiteral("×%1").arg(s.nodes.size()));
    }
    p.drawText(QRect(width() - kSumW - 2, 2, kSumW, kHeaderH - 4), Qt::AlignCenter, tr("Σ shown"));
    const bool text = cellRect(0, 0).width() >= fm.horizontalAdvance(QStringLiteral("100%")) + 4 && cellRect(0, 0).height() >= fm.height();
    for (int n = 0; n < rows; ++n) {
        const QRect first = cellRect(n, 0);
        const bool inTable = n < static_cast<int>(m_data.inTable.size()) ? m_data.inTable[static_cast<std::size_t>(n)] : true;
        p.setPen(inTable ? palette().color(QPalette::Text) : QColor(0xd6, 0x27, 0x28));
        p.drawText(QRect(2, first.top(), kLabelW - 6, first.height()), Qt::AlignRight | Qt::AlignVCenter,
                   m_data.nodes[static_cast<std::size_t>(n)] + (inTable ? QString() : tr(" (out)")));
        double sum = 0;
        for (int c = 0; c < cols; ++c) {
            const QRect r = cellRect(n, c);
            const double v = cell(n, c);
            if (std::isnan(v)) {
                p.fillRect(r, palette().color(QPalette::AlternateBase));
                continue;
            }
            sum += v;
            const QColor bg = palette::heatColor(std::clamp(v, 0.0, 1.0));
            p.fillRect(r, bg);
            if (v > 1.0) { // above the threshold: outlined
                p.setPen(QPen(palette().color(QPalette::Text), 2));
                p.drawRect(r.adjusted(1, 1, -1, -1));
            }
            if (text) {
                p.setPen(palette::textOn(bg));
                p.drawText(r, Qt::AlignCenter, QStringLiteral("%1%").arg(std::lround(v * 100)));
            }
        }
        const QRect sr(width() - kSumW - 2, first.top(), kSumW, first.height());
        if (m_data.threshold > 0) {
            const QColor bg = palette::heatColor(std::clamp(sum, 0.0, 1.0));
            p.fillRect(sr, bg);
            p.setPen(palette::textOn(bg));
            p.drawText(sr, Qt::AlignCenter, QStringLiteral("%1%").arg(std::lround(sum * 100)));
        }
    }
    // Legend: the ramp and what a cell means.
    const int ly = height() - kLegendH + 2;
    const int rampW = 120;
    for (int i = 0; i < rampW; ++i) {
        p.setPen(palette::heatColor(static_cast<double>(i) / (rampW - 1)));
        p.drawLine(kLabelW + i, ly + 3, kLabelW + i, ly + kLegendH - 6);
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(2, ly, kLabelW - 6, kLegendH - 2), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("0"));
    const QString legend = m_data.threshold > 0
                               ? tr("%1 of the slot threshold (%2 req/s per node); outlined: above it · %3")
                                     .arg(QStringLiteral("100%"))
                                     .arg(formatCompact(m_data.threshold))
                                     .arg(m_data.gateway)
                               : tr("no slot threshold (dispersal off): load relative to the busiest slot · %1").arg(m_data.gateway);
    p.drawText(QRect(kLabelW + rampW + 6, ly, width() - kLabelW - rampW - 8, kLegendH - 2), Qt::AlignLeft | Qt::AlignVCenter, legend);
}

bool SlotHeatmap::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        const QPoint pos = static_cast<QHelpEvent*>(e)->pos();
        for (int n = 0; n < static_cast<int>(m_data.nodes.size()); ++n)
            for (int c = 0; c < static_cast<int>(m_data.columns.size()); ++c)
                if (cellRect(n, c).contains(pos)) {
                    const SlotRow& s = m_data.columns[static_cast<std::size_t>(c)];
                    const double v = cell(n, c);
                    QToolTip::showText(static_cast<QHelpEvent*>(e)->globalPos(),
                                       tr("%1 · slot %2: %3 req/s over %4 nodes%5")
                                           .arg(m_data.nodes[static_cast<std::size_t>(n)])
                                           .arg(s.slot)
                                           .arg(formatCompact(s.load))
                                           .arg(s.nodes.size())
                                           .arg(std::isnan(v) ? tr(" (not served here)") : tr(", %1 of the threshold here").arg(formatPercent(v, 0))),
                                       this);
                    return true;
                }
        QToolTip::hideText();
        return true;
    }
    return QWidget::event(e);
}

SlotHeatmapView::SlotHeatmapView(DashboardHub* hub, QWidget* parent) : CdnPanel(hub, parent)
{
    m_map = new SlotHeatmap(this);
    static_cast<QVBoxLayout*>(layout())->addWidget(m_map, 1);
}

void SlotHeatmapView::rebuild(const v1::Snapshot& snapshot)
{
    SlotHeatmap::Data d;
    const std::string region = regionFilter().toStdString();
    std::vector<Part> gateways = index().parts(snapshot, "cdn-gateway");
    std::vector<Part> caches = index().parts(snapshot, "cdn-cache");
    const Part* gw = nullptr;
    for (const Part& g : gateways) // the region's first gateway in service
        if (g.region == region && g.text("l4") == QLatin1String("in service")) {
            gw = &g;
            break;
        }
    if (!gw) {
        m_map->setData(d);
        m_summary->setText(gateways.empty() ? tr("No live slot table (the legacy mode has none)") : tr("No gateway of %1 in service").arg(QString::fromStdString(region)));
        return;
    }
    d.gateway = QString::fromStdString(gw->path);
    d.threshold = gw->num("slot.threshold", -1);
    for (const Part& c : caches)
        if (c.region == region)
            d.nodes.push_back(QString::fromStdString(c.name));
    const std::string members = gw->kv.count("members") ? gw->kv.at("members") : std::string();
    for (std::size_t i = 0; i < d.nodes.size(); ++i)
        d.inTable.push_back(i >= members.size() || members[i] == '1');
    d.columns = slotRows(*gw);
    int over = 0;
    for (const SlotRow& s : d.columns)
        if (d.threshold > 0 && s.load / std::max<std::size_t>(1, s.nodes.size()) > d.threshold)
            ++over;
    m_summary->setText(tr("%1 busiest slots of %2's table · %3 widenings · %4 above the threshold per node")
                           .arg(d.columns.size())
                           .arg(QString::fromStdString(gw->name))
                           .arg(gw->num("slot.widenings"))
                           .arg(over));
    m_map->setData(std::move(d));
}

// ------------------------------------------------------------------ recovery timeline

RecoveryTimeline::RecoveryTimeline(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("cdn.recovery"));
    setMinimumHeight(110);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void RecoveryTimeline::setData(Data data)
{
    m_data = std::move(data);
    update();
}

void RecoveryTimeline::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const QFontMetrics fm = p.fontMetrics();
    if (m_data.rows.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("No cache node has failed or been ejected in this run"));
        return;
    }
    // Time range: from the earliest start to now.
    double t0 = m_data.now, t1 = m_data.now;
    for (const Row& r : m_data.rows)
        for (double t : {r.fault, r.detected, r.ejected, r.routed, r.restored})
            if (t >= 0)
                t0 = std::min(t0, t);
    const double pad = std::max(0.5, (t1 - t0) * 0.04);
    t0 = std::max(0.0, t0 - pad);
    t1 += pad;
    const int labelW = 150, legendH = fm.height() + 6, axisH = fm.height() + 6;
    const int plotW = std::max(50, width() - labelW - 12);
    auto x = [&](double t) { return labelW + static_cast<int>((t - t0) / (t1 - t0) * plotW); };
    const int rowH = std::clamp((height() - legendH - axisH) / static_cast<int>(m_data.rows.size()), fm.height() + 12, 2 * fm.height() + 16);
    // Legend
    struct Phase {
        QString name;
        QColor color;
    };
    const Phase phases[] = {
        {m_data.legacy ? tr("fault → reported down") : tr("fault → detected"), QColor(0xd6, 0x27, 0x28)},
        {m_data.legacy ? tr("→ out of the plan") : tr("→ out of the table"), QColor(0xff, 0x7f, 0x0e)},
        {m_data.legacy ? tr("→ no client left on it (DNS TTL)") : tr("→ every gateway routes around it"), QColor(0xe8, 0xc5, 0x3a)},
        {tr("routed around"), QColor(0xb8, 0xbd, 0xc6)},
    };
    int lx = 4;
    for (const Phase& ph : phases) {
        p.fillRect(lx, 4, 14, fm.height() - 2, ph.color);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(lx + 18, 3 + fm.ascent(), ph.name);
        lx += 18 + fm.horizontalAdvance(ph.name) + 14;
    }
    const QColor served(0x2c, 0xa0, 0x2c);
    p.setPen(QPen(served, 2));
    p.drawLine(lx, 4 + fm.height() / 2, lx + 14, 4 + fm.height() / 2);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(lx + 18, 3 + fm.ascent(), tr("clients served again (p99)"));
    // Rows
    for (int i = 0; i < static_cast<int>(m_data.rows.size()); ++i) {
        const Row& r = m_data.rows[static_cast<std::size_t>(i)];
        const int y = legendH + i * rowH;
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRect(2, y, labelW - 8, rowH), Qt::AlignRight | Qt::AlignVCenter, r.node);
        const int bh = std::max(6, rowH - fm.height() - 6);
        const int by = y + 2;
        const double stops[] = {r.fault >= 0 ? r.fault : r.detected, r.detected, r.ejected, r.routed,
                                r.restored >= 0 ? r.restored : m_data.now};
        for (int k = 0; k < 4; ++k) {
            const double a = stops[k];
            if (a < 0)
                continue;
            double b = -1;
            for (int j = k + 1; j < 5; ++j)
                if (stops[j] >= 0) {
                    b = stops[j];
                    break;
                }
            if (k < 3 && stops[k + 1] < 0)
                b = m_data.now; // this phase is still going on
            if (b < a)
                continue;
            p.fillRect(QRect(x(a), by, std::max(3, x(b) - x(a)), bh), phases[k].color);
            if (k < 3 && stops[k + 1] < 0)
                break;
        }
        // Step times after the start (milliseconds matter in the new mode), under the bar.
        const double start = stops[0];
        const int prec = m_data.legacy ? 0 : 3;
        QString steps;
        if (r.detected >= 0 && r.fault >= 0)
            steps += tr("detected +%1 s").arg(r.detected - start, 0, 'f', prec);
        if (r.ejected >= 0)
            steps += (steps.isEmpty() ? QString() : QStringLiteral(" · ")) + tr("out +%1 s").arg(r.ejected - start, 0, 'f', prec);
        if (r.routed >= 0)
            steps += QStringLiteral(" · ") + tr("routed around +%1 s").arg(r.routed - start, 0, 'f', prec);
        if (r.restored >= 0)
            steps += QStringLiteral(" · ") + tr("back +%1 s").arg(r.restored - start, 0, 'f', prec);
        if (!r.reason.isEmpty())
            steps += QStringLiteral(" — ") + r.reason;
        p.setPen(palette().color(QPalette::Text));
        const QRect textRect(x(start), by + bh, width() - x(start) - 4, fm.height() + 2);
        p.drawText(textRect, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(steps, Qt::ElideRight, textRect.width()));
    }
    const int plotBottom = legendH + static_cast<int>(m_data.rows.size()) * rowH;
    // Clients served again.
    if (m_data.failureAt >= 0 && m_data.recoveryP99 > 0) {
        const double t = m_data.failureAt + m_data.recoveryP99;
        p.setPen(QPen(served, 2));
        p.drawLine(x(t), legendH, x(t), plotBottom);
        const QString label = tr("clients +%1 s").arg(m_data.recoveryP99, 0, 'f', 1);
        p.fillRect(QRect(x(t) + 3, legendH, fm.horizontalAdvance(label) + 4, fm.height()), palette().base());
        p.drawText(QRect(x(t) + 5, legendH, fm.horizontalAdvance(label) + 4, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, label);
    }
    // Axis: a few round ticks.
    p.setPen(palette().color(QPalette::Mid));
    p.drawLine(labelW, plotBottom, labelW + plotW, plotBottom);
    const double span = t1 - t0;
    double step = 1;
    for (double s : {0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0})
        if (span / s <= 8) {
            step = s;
            break;
        }
    p.setPen(palette().color(QPalette::Text));
    for (double t = std::ceil(t0 / step) * step; t <= t1; t += step) {
        p.drawLine(x(t), plotBottom, x(t), plotBottom + 3);
        p.drawText(QRect(x(t) - 40, plotBottom + 2, 80, axisH - 2), Qt::AlignHCenter | Qt::AlignTop, secondsText(t));
    }
}

RecoveryTimelineView::RecoveryTimelineView(DashboardHub* hub, QWidget* parent) : CdnPanel(hub, parent)
{
    m_timeline = new RecoveryTimeline(this);
    static_cast<QVBoxLayout*>(layout())->addWidget(m_timeline, 1);
}

void RecoveryTimelineView::rebuild(const v1::Snapshot& snapshot)
{
    RecoveryTimeline::Data d;
    d.now = static_cast<double>(snapshot.sim_time_ns()) / 1e9;
    const QString region = regionFilter();
    for (const Part& e : index().parts(snapshot, "cdn-engine")) {
        d.legacy = e.text("mode") == QLatin1String("legacy");
        d.failureAt = e.num("failure_at_s", -1);
        d.recoveryP99 = e.num("recovery_p99_s");
    }
    for (const Part& c : index().parts(snapshot, "cdn-cache")) {
        if (!region.isEmpty() && QString::fromStdString(c.region) != region)
            continue;
        RecoveryTimeline::Row r;
        r.node = nodeLabel(c, region.isEmpty());
        r.fault = c.num("fault_at_s", -1);
        r.detected = c.num("detected_at_s", -1);
        r.ejected = c.num("ejected_at_s", -1);
        r.routed = c.num("routed_at_s", -1);
        r.restored = c.num("restored_at_s", -1);
        r.reason = c.text("tripped");
        if (r.fault >= 0 || r.detected >= 0 || r.ejected >= 0)
            d.rows.push_back(r);
    }
    m_summary->setText(d.rows.empty() ? tr("No recovery in this run yet")
                                      : tr("%1 cache nodes with a fault or an ejection%2")
                                            .arg(d.rows.size())
                                            .arg(d.failureAt >= 0 ? tr(" · first hard failure at %1, its clients served again after %2 (p99)")
                                                                        .arg(secondsText(d.failureAt))
                                                                        .arg(secondsText(d.recoveryP99))
                                                                  : QString()));
    m_timeline->setData(std::move(d));
}

// ------------------------------------------------------------------ slicing and hot content

SlicingView::SlicingView(DashboardHub* hub, QWidget* parent) : CdnPanel(hub, parent)
{
    auto* split = new QSplitter(Qt::Horizontal, this);
    m_table = makeTable({tr("Slicer"), tr("Window"), tr("Requests now"), tr("Sub-requests in flight"), tr("Occupancy 1 s"),
                         tr("Occupancy run"), tr("Held now"), tr("Most held · cap"), tr("Read amplification"), tr("Sub-requests /s"),
                         tr("Aborted"), tr("416")},
                        split);
    m_table->setObjectName(QStringLiteral("cdn.slicing"));
    m_table->horizontalHeaderItem(4)->setToolTip(tr("Sub-requests in flight per request in progress ÷ window, time-averaged over the last second"));
    m_table->horizontalHeaderItem(8)->setToolTip(tr("Slice bytes fetched ÷ bytes delivered to clients"));
    m_hot = makeTable({tr("Hot"), tr("Requests /s"), tr("Slot · width")}, split);
    m_hot->setObjectName(QStringLiteral("cdn.hot"));
    split->addWidget(m_table);
    split->addWidget(m_hot);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    static_cast<QVBoxLayout*>(layout())->addWidget(split, 1);
}

void SlicingView::rebuild(const v1::Snapshot& snapshot)
{
    const QString region = regionFilter();
    std::vector<Part> parts = index().parts(snapshot, "cdn-gateway");
    if (parts.empty()) // legacy: each edge node slices
        parts = index().parts(snapshot, "cdn-cache");
    std::erase_if(parts, [&](const Part& p) { return !p.has("slice.window") || (!region.isEmpty() && QString::fromStdString(p.region) != region); });
    m_table->setRowCount(static_cast<int>(parts.size()));
    double fetched = 0, delivered = 0;
    for (int r = 0; r < static_cast<int>(parts.size()); ++r) {
        const Part& p = parts[static_cast<std::size_t>(r)];
        fetched += p.num("slice.bytes_fetched");
        delivered += p.num("slice.bytes_delivered");
        setCell(m_table, r, 0, nodeLabel(p, region.isEmpty()), true);
        setCell(m_table, r, 1, p.text("slice.window"));
        setCell(m_table, r, 2, p.text("slice.active"));
        setCell(m_table, r, 3, p.text("slice.in_flight"));
        setCell(m_table, r, 4, p.has("slice.occupancy_1s") ? ratio(p.num("slice.occupancy_1s")) : QStringLiteral("—"));
        setCell(m_table, r, 5, ratio(p.num("slice.occupancy")));
        setCell(m_table, r, 6, bytes(p.num("slice.held_bytes")));
        const double held = p.num("slice.max_held_bytes"), cap = p.num("slice.held_cap_bytes");
        setCell(m_table, r, 7, bytes(held) + QStringLiteral(" · ") + bytes(cap), false, held > cap ? badColor() : QColor());
        setCell(m_table, r, 8, QString::number(p.num("slice.read_amplification"), 'f', 3));
        setCell(m_table, r, 9, p.has("slice.subrequests_1s") ? formatCompact(p.num("slice.subrequests_1s")) : QStringLiteral("—"));
        const double aborted = p.num("slice.aborted");
        setCell(m_table, r, 10, formatCompact(aborted), false, aborted > 0 ? warnColor() : QColor());
        setCell(m_table, r, 11, formatCompact(p.num("slice.range_416")));
    }
    fitColumnsOnce(m_table);
    // Hot content (the whole engine, last second).
    std::vector<std::array<QString, 3>> hot;
    for (const Part& e : index().parts(snapshot, "cdn-engine")) {
        for (int i = 0;; ++i) {
            auto it = e.kv.find("hot.live." + std::to_string(i));
            if (it == e.kv.end())
                break;
            hot.push_back({tr("live stream %1").arg(QString::fromStdString(field(it->second, "stream"))),
                           formatCompact(QString::fromStdString(field(it->second, "rps")).toDouble()),
                           QStringLiteral("%1 · ×%2").arg(QString::fromStdString(field(it->second, "slot")), QString::fromStdString(field(it->second, "width")))});
        }
        for (int i = 0;; ++i) {
            auto it = e.kv.find("hot.vod." + std::to_string(i));
            if (it == e.kv.end())
                break;
            hot.push_back({tr("VOD object %1").arg(QString::fromStdString(field(it->second, "object"))),
                           formatCompact(QString::fromStdString(field(it->second, "rps")).toDouble()), QStringLiteral("—")});
        }
    }
    m_hot->setRowCount(static_cast<int>(hot.size()));
    for (int r = 0; r < static_cast<int>(hot.size()); ++r)
        for (int c = 0; c < 3; ++c)
            setCell(m_hot, r, c, hot[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)], c == 0);
    fitColumnsOnce(m_hot);
    m_summary->setText(parts.empty() ? tr("No slicers reported yet")
                                     : tr("%1 slicers · read amplification over the run %2 (%3 fetched for %4 delivered)")
                                           .arg(parts.size())
                                           .arg(delivered > 0 ? fetched / delivered : 0.0, 0, 'f', 3)
                                           .arg(bytes(fetched))
                                           .arg(bytes(delivered)));
}

} // namespace cdn

void appendCdnViews(std::vector<EngineView>& out)
{
    auto add = [&out](QString title, const char* name, QString tip, auto make) {
        out.push_back(EngineView{cdn::kEngine, std::move(title), QString::fromLatin1(name), std::move(tip), make});
    };
    add(QObject::tr("CDN caches"), "dock.engine.cdn.caches",
        QObject::tr("Per cache node: hit ratio by requests and bytes, load, disks, collapsed waiters"),
        [](DashboardHub* hub) -> EngineViewPanel* { return new cdn::CacheTableView(hub); });
    add(QObject::tr("CDN health"), "dock.engine.cdn.health",
        QObject::tr("Control's health checks of the cache nodes: state, why it tripped, ejections, time left"),
        [](DashboardHub* hub) -> EngineViewPanel* { return new cdn::HealthTableView(hub); });
    add(QObject::tr("CDN slots"), "dock.engine.cdn.slots", QObject::tr("Live slots × cache nodes, coloured by load ÷ slot threshold"),
        [](DashboardHub* hub) -> EngineViewPanel* { return new cdn::SlotHeatmapView(hub); });
    add(QObject::tr("CDN recovery"), "dock.engine.cdn.recovery",
        QObject::tr("Fault → detected → out of the table → routed around → clients served again"),
        [](DashboardHub* hub) -> EngineViewPanel* { return new cdn::RecoveryTimelineView(hub); });
    add(QObject::tr("CDN slicing"), "dock.engine.cdn.slicing",
        QObject::tr("Slice prefetch window occupancy, bytes held, read amplification; hot objects and streams"),
        [](DashboardHub* hub) -> EngineViewPanel* { return new cdn::SlicingView(hub); });
}

} // namespace livedeck::ui
