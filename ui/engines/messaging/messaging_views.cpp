#include "ui/engines/messaging/messaging_views.h"

#include "ui/dashboard_hub.h"
#include "ui/format.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace livedeck::ui::messaging {

namespace {

const QColor kRedis(0x2e, 0x7d, 0x32);    // answered by Redis
const QColor kTaishan(0x15, 0x65, 0xc0);  // answered by Taishan
const QColor kMysql(0xc6, 0x28, 0x28);    // read from MySQL
const QColor kMiss(0xbd, 0xbd, 0xbd);     // went on to the next tier
const QColor kInk(0x26, 0x29, 0x30);
const QColor kDim(0x5f, 0x63, 0x6b);

QString eta(double seconds)
{
    if (!(seconds >= 0.0) || !std::isfinite(seconds))
        return QStringLiteral("—");
    return formatDuration(static_cast<std::int64_t>(seconds * 1e9));
}

// Sets a table's rows, re-using its items (no widgets created per snapshot).
void setCell(QTableWidget* t, int row, int col, const QString& text, const QColor& fg = QColor(),
             Qt::Alignment align = Qt::AlignLeft | Qt::AlignVCenter)
{
    QTableWidgetItem* it = t->item(row, col);
    if (!it) {
        it = new QTableWidgetItem;
        it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        t->setItem(row, col, it);
    }
    if (it->text() != text)
        it->setText(text);
    it->setTextAlignment(align);
    const QBrush brush = fg.isValid() ? QBrush(fg) : QBrush();
    if (it->foreground() != brush)
        it->setForeground(brush);
}

QTableWidget* makeTable(const QStringList& headers, QWidget* parent)
{
    auto* t = new QTableWidget(0, static_cast<int>(headers.size()), parent);
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->setVisible(false);
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 4);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setAlternatingRowColors(true);
    t->setWordWrap(false);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

void drawText(QPainter& p, const QRect& r, const QString& text, const QColor& color, int flags = Qt::AlignLeft)
{
    p.setPen(color);
    p.drawText(r, flags | Qt::AlignVCenter | Qt::TextSingleLine,
               p.fontMetrics().elidedText(text, Qt::ElideRight, r.width()));
}

} // namespace

// ------------------------------------------------------------------ painted parts

// A painted part of a view: a fixed size hint, a minimum of six text lines, and a
// paint that starts by filling the base colour and drawing a bold heading line.
class PaintedPart : public QWidget {
public:
    PaintedPart(QWidget* parent, QSize hint) : QWidget(parent), m_hint(hint)
    {
        setMinimumHeight(6 * (fontMetrics().height() + 1) + 6);
    }
    QSize sizeHint() const override { return m_hint; }

protected:
    QFont boldFont() const
    {
        QFont bold = font();
        bold.setBold(true);
        return bold;
    }
    // Fills the widget and draws `title` in bold on the first line (height `line`).
    void beginPaint(QPainter& p, int line, const QString& title)
    {
        p.fillRect(rect(), palette().base());
        p.setFont(boldFont());
        drawText(p, QRect(8, 2, width() - 16, line), title, kInk);
        p.setFont(font());
    }

private:
    QSize m_hint;
};

// A painted part that draws the view's MessagingState (which outlives it).
class StatePart : public PaintedPart {
public:
    using PaintedPart::PaintedPart;
    void set(const MessagingState& s)
    {
        m_state = &s;
        update();
    }

protected:
    const MessagingState* m_state = nullptr;
};

class TierWaterfall final : public PaintedPart {
public:
    explicit TierWaterfall(QWidget* parent) : PaintedPart(parent, QSize(560, 190)) {}
    void set(const TierCounts& w, double seconds, bool taishanTier, const TierLatency (&lat)[3], bool present)
    {
        m_w = w;
        m_seconds = seconds;
        m_taishan = taishanTier;
        for (int i = 0; i < 3; ++i)
            m_lat[i] = lat[i];
        m_present = present;
        update();
    }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        const QFontMetrics fm = p.fontMetrics();
        const int line = std::clamp((height() - 4) / 7, fm.height() + 1, fm.height() + 6);
        const QString window = m_seconds > 0.0 ? QStringLiteral("last %1 s").arg(m_seconds, 0, 'g', 2)
                                               : QStringLiteral("since the start");
        beginPaint(p, line, QStringLiteral("Tier waterfall — conversation-list queries, %1").arg(window));
        if (!m_present || m_w.queries <= 0.0) {
            drawText(p, QRect(8, 2 + line, width() - 16, line), QStringLiteral("No conversation queries yet."), kDim);
            return;
        }
        const int labelW = fm.horizontalAdvance(QStringLiteral("Taishan (Raft KV) ")) + 8;
        const int textW = std::max(220, width() * 9 / 20);
        const int x0 = 8 + labelW;
        const int barW = std::max(40, width() - x0 - textW - 16);
        const double total = m_w.queries;
        auto px = [&](double v) { return static_cast<int>(std::round(barW * std::clamp(v / total, 0.0, 1.0))); };
        int y = 2 + line + 2;
        const int barH = std::max(10, line - 6);
        auto row = [&](const QString& label, int offset, const std::vector<std::pair<double, QColor>>& parts,
                       const QString& text) {
            drawText(p, QRect(8, y, labelW, line), label, kInk);
            p.fillRect(QRect(x0, y + 3, barW, barH), QColor(0xf2, 0xf3, 0xf5));
            int x = x0 + offset;
            for (const auto& [v, c] : parts) {
                const int w = px(v);
                p.fillRect(QRect(x, y + 3, w, barH), c);
                x += w;
            }
            drawText(p, QRect(x0 + barW + 8, y, textW, line), text, kInk);
            y += line;
        };
        const double failed = m_w.failed;
        row(QStringLiteral("Queries"), 0, {{total - failed, QColor(0x78, 0x90, 0x9c)}, {failed, kMysql}},
            QStringLiteral("%1 · failed %2")
                .arg(m_seconds > 0 ? formatRate(total / m_seconds) : QStringLiteral("%1 real").arg(formatCompact(total)),
                     formatPercent(failed / total, 2)));
        const double redis = m_w.redisHits + m_w.redisMisses;
        row(QStringLiteral("Redis"), 0, {{m_w.redisHits, kRedis}, {m_w.redisMisses, kMiss}},
            QStringLiteral("hit %1 · p50 %2 p99 %3")
                .arg(formatPercent(redis > 0 ? m_w.redisHits / redis : 0.0, 1), formatMillis(m_lat[0].p50),
                     formatMillis(m_lat[0].p99)));
        const int afterRedis = px(m_w.redisHits);
        const double taishan = m_w.taishanHits + m_w.taishanMisses;
        if (m_taishan) {
            const double unanswered = std::max(0.0, m_w.redisMisses - taishan);
            row(QStringLiteral("Taishan (Raft KV)"), afterRedis,
                {{m_w.taishanHits, kTaishan}, {m_w.taishanMisses, kMiss}, {unanswered, QColor(0xe0, 0xe0, 0xe0)}},
                QStringLiteral("hit %1%2 · p50 %3 p99 %4")
                    .arg(taishan > 0 ? formatPercent(m_w.taishanHits / taishan, 1) : QStringLiteral("—"),
                         unanswered >= 1.0 ? QStringLiteral(" · %1 unanswered").arg(formatCompact(unanswered)) : QString(),
                         formatMillis(m_lat[1].p50), formatMillis(m_lat[1].p99)));
        } else {
            row(QStringLiteral("Taishan (Raft KV)"), afterRedis, {}, QStringLiteral("no tier: a Redis miss reads MySQL"));
        }
        const int afterTaishan = afterRedis + (m_taishan ? px(m_w.taishanHits) : 0);
        row(QStringLiteral("MySQL"), afterTaishan, {{m_w.mysqlPrimary, kMysql}, {m_w.mysqlReads - m_w.mysqlPrimary, QColor(0xef, 0x9a, 0x9a)}},
            m_w.mysqlReads > 0
                ? QStringLiteral("%1 · primary %2 · p50 %3 p99 %4")
                      .arg(formatPercent(m_w.mysqlReads / total, 1), formatPercent(m_w.mysqlPrimary / m_w.mysqlReads, 0),
                           formatMillis(m_lat[2].p50), formatMillis(m_lat[2].p99))
                : QStringLiteral("no reads"));
        const QString hedges = m_taishan
            ? QStringLiteral("Hedges to MySQL fired %1 · won %2 · hot users pre-warmed %3 in all")
                  .arg(formatCompact(m_w.hedges), formatCompact(m_w.hedgesWon), formatCompact(m_w.hotPrewarms))
            : QStringLiteral("Hedges: none (no Taishan tier to hedge)");
        drawText(p, QRect(8, y + 2, width() - 16, line), hedges, kInk);
        y += line;
        drawText(p, QRect(8, y, width() - 16, line),
                 QStringLiteral("Share of the queries: green Redis hit, blue Taishan hit, red MySQL primary, pink "
                                "replica, grey passed on; latency since the start"),
                 kDim);
    }

private:
    TierCounts m_w;
    double m_seconds = 0.0;
    bool m_taishan = false;
    bool m_present = false;
    TierLatency m_lat[3];
};

class SyncHistogram final : public StatePart {
public:
    explicit SyncHistogram(QWidget* parent) : StatePart(parent, QSize(520, 190)) {}

protected:
    void paintEvent(QPaintEvent*) override
    {
        if (!m_state)
            return;
        const MessagingState& st = *m_state;
        QPainter p(this);
        const QFontMetrics fm = p.fontMetrics();
        const int line = std::clamp((height() - 4) / 6, fm.height() + 1, fm.height() + 6);
        beginPaint(p, line, QStringLiteral("Binlog sync — lag from commit to applied in Redis, ms (real records since the start)"));
        if (!st.present)
            return;
        if (!st.syncEnabled) {
            drawText(p, QRect(8, 2 + line, width() - 16, line),
                     QStringLiteral("No binlog sync in %1 mode: a send deletes both cached lists (cache-aside),").arg(st.mode),
                     kDim);
            drawText(p, QRect(8, 2 + 2 * line, width() - 16, line),
                     QStringLiteral("the next query rebuilds them from MySQL."), kDim);
            return;
        }
        const int textW = std::min(290, std::max(220, width() * 2 / 5));
        const QRect chart(12, 2 + 2 * line, std::max(80, width() - textW - 28), height() - 3 * line - 4);
        const int n = static_cast<int>(st.lagHist.size());
        double most = 0.0;
        for (double v : st.lagHist)
            most = std::max(most, v);
        if (n > 0) {
            const int slot = chart.width() / n;
            const int bw = std::max(3, slot - 6);
            // Labels: each bin's range in ms; every other one when they do not fit.
            QStringList labels;
            for (int i = 0; i < n; ++i) {
                if (i == 0)
                    labels << QStringLiteral("<%1").arg(kLagBinEdgesMs[0]);
                else if (i == n - 1)
                    labels << QStringLiteral("≥%1").arg(kLagBinEdgesMs[n - 2]);
                else
                    labels << QStringLiteral("%1–%2").arg(kLagBinEdgesMs[i - 1]).arg(kLagBinEdgesMs[i]);
            }
            int widest = 0;
            for (const QString& l : labels)
                widest = std::max(widest, fm.horizontalAdvance(l));
            const int every = widest + 4 <= slot ? 1 : 2;
            for (int i = 0; i < n; ++i) {
                const double v = st.lagHist[static_cast<std::size_t>(i)];
                const int h = most > 0 ? static_cast<int>(std::round((chart.height() - line) * v / most)) : 0;
                const QColor c = i >= 9 ? kMysql : (i >= 6 ? QColor(0xef, 0x6c, 0x00) : kTaishan);
                const int x = chart.left() + i * slot + 3;
                p.fillRect(QRect(x, chart.bottom() - h, bw, h), c);
                if (v > 0)
                    drawText(p, QRect(chart.left() + i * slot - 4, chart.bottom() - h - line, slot + 8, line),
                             formatCompact(v), kDim, Qt::AlignHCenter);
                if (i % every == 0 || i == n - 1)
                    drawText(p, QRect(chart.left() + i * slot - slot / 2, chart.bottom() + 1, 2 * slot, line),
                             labels[i], kDim, Qt::AlignHCenter);
            }
            p.setPen(QColor(0x9e, 0x9e, 0x9e));
            p.drawLine(chart.left(), chart.bottom(), chart.right(), chart.bottom());
        }
        const int tx = chart.right() + 12;
        int y = 2 + line;
        auto text = [&](const QString& s, const QColor& c = kInk) {
            drawText(p, QRect(tx, y, width() - tx - 6, line), s, c);
            y += line;
        };
        text(QStringLiteral("%1 apply, %2 version").arg(st.syncApply, st.syncVersion));
        text(QStringLiteral("%1 records/s · lag p99 %2").arg(formatCompact(st.syncRecordsPerSec), formatMillis(st.syncLagP99Ms)));
        text(QStringLiteral("applied %1 · replica delay p99 %2").arg(formatCompact(st.syncApplied), formatMillis(st.replicaDelayP99Ms)));
        text(QStringLiteral("CAS refused: duplicate %1 · stale %2").arg(formatCompact(st.refusedDuplicate), formatCompact(st.refusedStale)));
        text(QStringLiteral("applied below a newer version: %1").arg(formatCompact(st.lowered)),
             st.lowered > 0 ? kMysql : kInk);
    }

};

class ChannelBoard final : public StatePart {
public:
    explicit ChannelBoard(QWidget* parent) : StatePart(parent, QSize(620, 190)) {}

protected:
    void paintEvent(QPaintEvent*) override
    {
        if (!m_state)
            return;
        const MessagingState& st = *m_state;
        QPainter p(this);
        const QFontMetrics fm = p.fontMetrics();
        const int line = std::clamp((height() - 16) / 7, fm.height() + 1, fm.height() + 5);
        beginPaint(p, line, QStringLiteral("Bulk channels — MQ topics, consumers and workers"));
        if (!st.present)
            return;
        const int n = std::max<int>(1, static_cast<int>(st.channels.size()));
        const int gap = 8;
        const int cardW = (width() - 16 - gap * (n - 1)) / n;
        const int cardH = 4 * line + 6;
        for (int i = 0; i < static_cast<int>(st.channels.size()); ++i) {
            const BulkChannel& c = st.channels[static_cast<std::size_t>(i)];
            const QRect card(8 + i * (cardW + gap), 2 + line + 2, cardW, cardH);
            p.setPen(QColor(0xc5, 0xc8, 0xce));
            p.setBrush(QColor(0xf7, 0xf8, 0xfa));
            p.drawRoundedRect(card.adjusted(0, 0, -1, -1), 4, 4);
            int y = card.top() + 3;
            const int x = card.left() + 8;
            const int w = card.width() - 16;
            const QString carries = c.carries == QLatin1String("campaign+high") ? QStringLiteral("campaigns and high priority")
                                  : c.carries == QLatin1String("high")          ? QStringLiteral("high priority")
                                                                                : QStringLiteral("campaigns");
            p.setFont(boldFont());
            drawText(p, QRect(x, y, w, line), QStringLiteral("%1 — %2").arg(c.topic, carries), kInk);
            p.setFont(font());
            y += line;
            const int parallel = std::min(c.partitions, c.consumers) * c.workers;
            drawText(p, QRect(x, y, w, line),
                     QStringLiteral("%1 partitions × %2 consumers × %3 worker%5 → %4 at once")
                         .arg(c.partitions)
                         .arg(c.consumers)
                         .arg(c.workers)
                         .arg(parallel)
                         .arg(c.workers == 1 ? QString() : QStringLiteral("s")),
                     kInk);
            y += line;
            const int total = std::max(1, c.consumers * c.workers);
            const int labelW = fm.horizontalAdvance(QStringLiteral("busy workers ")) + 4;
            drawText(p, QRect(x, y, labelW, line), QStringLiteral("busy workers"), kDim);
            const QRect bar(x + labelW, y + 4, std::max(20, w - labelW - 70), line - 8);
            p.fillRect(bar, QColor(0xe6, 0xe8, 0xeb));
            p.fillRect(QRect(bar.left(), bar.top(), bar.width() * std::min(c.busy, total) / total, bar.height()),
                       c.busy >= parallel ? kMysql : kTaishan);
            drawText(p, QRect(bar.right() + 6, y, 64, line), QStringLiteral("%1/%2").arg(c.busy).arg(total), kInk);
            y += line;
            drawText(p, QRect(x, y, w, line),
                     QStringLiteral("MQ lag %1 users · at workers %2 records").arg(formatCompact(c.lag)).arg(c.inHand), kInk);
        }
        int y = 2 + line + 2 + cardH + 4;
        // The campaign and the high-priority notifications, measured over the last second.
        const double total = st.campaignProduced + st.campaignLeft;
        const double done = st.campaignDelivered + st.deadLettered;
        const int labelW = fm.horizontalAdvance(QStringLiteral("campaign ")) + 4;
        drawText(p, QRect(8, y, labelW, line), QStringLiteral("campaign"), kInk);
        const QRect bar(8 + labelW, y + 4, std::max(60, width() / 3), line - 8);
        p.fillRect(bar, QColor(0xe6, 0xe8, 0xeb));
        if (total > 0)
            p.fillRect(QRect(bar.left(), bar.top(), static_cast<int>(bar.width() * std::clamp(done / total, 0.0, 1.0)), bar.height()),
                       kRedis);
        QString campaign;
        if (total <= 0) {
            campaign = QStringLiteral("no campaign");
        } else {
            const double left = std::max(0.0, total - done);
            campaign = QStringLiteral("%1 of %2 users (%3) · %4 users/s · ETA %5%6")
                           .arg(formatCompact(done), formatCompact(total), formatPercent(done / total, 1),
                                formatCompact(st.campaignRate),
                                left <= 0 ? QStringLiteral("done") : (st.campaignRate > 0 ? eta(left / st.campaignRate) : QStringLiteral("—")),
                                st.campaignPaused ? QStringLiteral(" · PAUSED") : QString());
        }
        drawText(p, QRect(bar.right() + 8, y, width() - bar.right() - 16, line), campaign, kInk);
        y += line;
        drawText(p, QRect(8, y, width() - 16, line),
                 QStringLiteral("high priority: %1/s delivered, produce → inbox p99 %2 · dead-lettered %3 · redelivered %4")
                     .arg(formatCompact(st.highRate), formatMillis(st.highP99Ms), formatCompact(st.deadLettered),
                          formatCompact(st.redelivered)),
                 kInk);
    }

};

class ContentBalance final : public StatePart {
public:
    explicit ContentBalance(QWidget* parent) : StatePart(parent, QSize(460, 190)) {}

protected:
    void paintEvent(QPaintEvent*) override
    {
        if (!m_state)
            return;
        const MessagingState& st = *m_state;
        QPainter p(this);
        const QFontMetrics fm = p.fontMetrics();
        const int line = fm.height() + 5;
        beginPaint(p, line, QStringLiteral("Content tables of the month — rows per table"));
        const auto& rows = st.contentRows;
        if (rows.empty())
            return;
        double sum = 0.0, most = 0.0, least = rows.front().second;
        for (const auto& [name, v] : rows) {
            sum += v;
            most = std::max(most, v);
            least = std::min(least, v);
        }
        const double mean = sum / static_cast<double>(rows.size());
        drawText(p, QRect(8, 2 + line, width() - 16, line),
                 QStringLiteral("%1 table%2 (%3) · mean %4 rows · fullest ÷ mean %5 · emptiest ÷ mean %6")
                     .arg(rows.size())
                     .arg(rows.size() == 1 ? QString() : QStringLiteral("s"), st.contentLayout, formatCompact(mean))
                     .arg(mean > 0 ? most / mean : 0.0, 0, 'f', 3)
                     .arg(mean > 0 ? least / mean : 0.0, 0, 'f', 3),
                 kInk);
        const int axisW = fm.horizontalAdvance(QStringLiteral("888.8 M")) + 6;
        const QRect chart(8 + axisW, 2 + 2 * line + 6, std::max(40, width() - 24 - axisW), height() - 3 * line - 12);
        p.fillRect(chart, QColor(0xf7, 0xf8, 0xfa));
        drawText(p, QRect(4, chart.top() - line / 2, axisW - 4, line), formatCompact(most), kDim, Qt::AlignRight);
        drawText(p, QRect(4, chart.bottom() - line / 2, axisW - 4, line), QStringLiteral("0"), kDim, Qt::AlignRight);
        const int n = static_cast<int>(rows.size());
        const double slot = static_cast<double>(chart.width()) / n;
        const int bw = std::max(1, static_cast<int>(slot) - (slot >= 4 ? 1 : 0));
        const int maxBarW = 60;
        for (int i = 0; i < n; ++i) {
            const double v = rows[static_cast<std::size_t>(i)].second;
            const int h = most > 0 ? static_cast<int>(std::round(chart.height() * v / most)) : 0;
            const int w = std::min(bw, maxBarW);
            const int x = chart.left() + static_cast<int>(i * slot) + (static_cast<int>(slot) - w) / 2;
            // Blue within 10 % of the mean, red above it (a table filling faster than the rest).
            p.fillRect(QRect(x, chart.bottom() - h + 1, w, h), v > 1.1 * mean ? kMysql : kTaishan);
        }
        if (mean > 0 && most > 0) {
            const int ym = chart.bottom() - static_cast<int>(std::round(chart.height() * mean / most));
            p.setPen(QPen(kInk, 1, Qt::DashLine));
            p.drawLine(chart.left(), ym, chart.right(), ym);
        }
        const QString first = rows.front().first;
        const QString last = rows.back().first;
        drawText(p, QRect(chart.left(), chart.bottom() + 2, chart.width(), line),
                 n == 1 ? first : QStringLiteral("%1 … %2   (dashed: mean)").arg(first, last), kDim);
    }

};

// ------------------------------------------------------------------ views

MessagingViewBase::MessagingViewBase(DashboardHub* hub, QWidget* parent) : EngineViewPanel(parent), m_hub(hub) {}

void MessagingViewBase::resetRun()
{
    m_state = MessagingState{};
    m_dirty = true;
}

void MessagingViewBase::applySnapshot(const v1::Snapshot&, const SeriesCatalog&) { m_dirty = true; }

void MessagingViewBase::refreshView()
{
    // A view in a dock tabbed away is refreshed when it is shown again.
    if (!m_dirty || !isVisible())
        return;
    m_dirty = false;
    if (m_hub && m_hub->latestSnapshot())
        parseMessagingState(*m_hub->latestSnapshot(), m_state);
    showState();
}

void MessagingViewBase::showEvent(QShowEvent* event)
{
    EngineViewPanel::showEvent(event);
    refreshView();
}

namespace {
// A view made of one child widget filling it.
void fill(QWidget* view, QWidget* child)
{
    auto* v = new QVBoxLayout(view);
    v->setContentsMargins(0, 0, 0, 0);
    v->addWidget(child);
}
} // namespace

MessagingTimelineView::MessagingTimelineView(DashboardHub* hub, QWidget* parent) : MessagingViewBase(hub, parent)
{
    auto* lv = new QVBoxLayout(this);
    lv->setContentsMargins(4, 2, 4, 2);
    lv->setSpacing(2);
    auto* pick = new QHBoxLayout;
    pick->addWidget(new QLabel(QStringLiteral("user"), this));
    m_user = new QComboBox(this);
    m_user->setObjectName(QStringLiteral("messaging.timeline.user"));
    m_user->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_user->setToolTip(QStringLiteral("Inboxes the engine publishes: its most active users, then the recent pairs' users"));
    pick->addWidget(m_user);
    pick->addWidget(new QLabel(QStringLiteral("peer"), this));
    m_peer = new QComboBox(this);
    m_peer->setObjectName(QStringLiteral("messaging.timeline.peer"));
    m_peer->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    pick->addWidget(m_peer);
    pick->addSpacing(8);
    m_inbox = new QLabel(this);
    m_inbox->setTextFormat(Qt::PlainText);
    m_inbox->setMinimumWidth(80);
    m_inbox->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_inbox->setToolTip(QStringLiteral(
        "The inbox's sequence counter: the last sequence handed out (the counter in the sequence cache), the durable "
        "ceiling reserved in the Raft KV, the last sequence written back by the slow path, whether the cache still holds "
        "the counter, and how many sequences were skipped (a lost cache restarts at the durable ceiling)."));
    pick->addWidget(m_inbox, 1);
    lv->addLayout(pick);
    m_timeline = makeTable({QStringLiteral("time"), QStringLiteral("peer"), QStringLiteral("seq"), QStringLiteral("peer seq"),
                            QStringLiteral("msgkey"), QStringLiteral("persisted"), QStringLiteral("pushed (sync → Redis)")},
                           this);
    m_timeline->setObjectName(QStringLiteral("messaging.timeline"));
    {
        // Fixed widths from the font (contents would widen a column for one long failure).
        const QFontMetrics fm = m_timeline->fontMetrics();
        QHeaderView* h = m_timeline->horizontalHeader();
        h->setSectionResizeMode(QHeaderView::Interactive);
        h->setStretchLastSection(true);
        const char* widest[] = {"T+00:00:00.000", "→ 000000", "000000", "peer seq", "0000000000000000000", "content + 2 rows"};
        for (int c = 0; c < 6; ++c)
            h->resizeSection(c, fm.horizontalAdvance(QLatin1String(widest[c])) + 14);
    }
    m_timeline->setToolTip(QStringLiteral(
        "Newest first. seq: the entry's sequence in this inbox; peer seq: in the peer's inbox. persisted: the content row "
        "and both conversation rows acknowledged. pushed: the binlog sync applied a version carrying it into Redis."));
    lv->addWidget(m_timeline, 1);
    connect(m_user, &QComboBox::currentIndexChanged, this, [this] { showTimeline(); });
    connect(m_peer, &QComboBox::currentIndexChanged, this, [this] { showTimeline(); });
}

void MessagingTimelineView::resetRun()
{
    MessagingViewBase::resetRun();
    m_user->clear();
    m_peer->clear();
    m_timeline->setRowCount(0);
}

void MessagingTimelineView::showState()
{
    // The user list follows the engine's; the selection stays on its user while published.
    const QVariant selected = m_user->currentData();
    QStringList labels;
    for (const Inbox& b : m_state.inboxes)
        labels << QStringLiteral("%1  (%2 sends)").arg(b.user).arg(b.activity);
    bool same = labels.size() == m_user->count();
    for (int i = 0; same && i < labels.size(); ++i)
        same = m_user->itemData(i).toUInt() == m_state.inboxes[static_cast<std::size_t>(i)].user;
    {
        const QSignalBlocker block(m_user);
        if (!same) {
            m_user->clear();
            for (std::size_t i = 0; i < m_state.inboxes.size(); ++i)
                m_user->addItem(labels[static_cast<int>(i)], m_state.inboxes[i].user);
            const int at = selected.isValid() ? m_user->findData(selected) : -1;
            m_user->setCurrentIndex(at >= 0 ? at : (m_user->count() ? 0 : -1));
        } else {
            for (int i = 0; i < labels.size(); ++i)
                m_user->setItemText(i, labels[i]);
        }
    }
    showTimeline();
}

void MessagingTimelineView::showTimeline()
{
    const Inbox* box = nullptr;
    const QVariant user = m_user->currentData();
    for (const Inbox& b : m_state.inboxes) {
        if (user.isValid() && b.user == user.toUInt())
            box = &b;
    }
    // Peers of the inbox's entries, "all peers" first.
    {
        const QVariant peer = m_peer->currentData();
        std::vector<std::uint32_t> peers;
        if (box) {
            for (const TimelineEntry& e : box->entries) {
                if (!e.gap && std::find(peers.begin(), peers.end(), e.peer) == peers.end())
                    peers.push_back(e.peer);
            }
        }
        std::sort(peers.begin(), peers.end());
        bool same = m_peer->count() == static_cast<int>(peers.size()) + 1;
        for (int i = 0; same && i < static_cast<int>(peers.size()); ++i)
            same = m_peer->itemData(i + 1).toUInt() == peers[static_cast<std::size_t>(i)];
        if (!same) {
            const QSignalBlocker block(m_peer);
            m_peer->clear();
            m_peer->addItem(QStringLiteral("all peers"));
            for (std::uint32_t p : peers)
                m_peer->addItem(QString::number(p), p);
            const int at = peer.isValid() ? m_peer->findData(peer) : 0;
            m_peer->setCurrentIndex(std::max(0, at));
        }
    }
    if (!box) {
        m_inbox->setText(m_state.present ? QStringLiteral("No inbox has entries yet.")
                                         : QStringLiteral("No messaging engine in this run."));
        m_timeline->setRowCount(0);
        return;
    }
    m_inbox->setText(QStringLiteral("last handed %1 · durable ceiling %2 · written back %3 · counter %4 · skipped %5")
                         .arg(box->handed)
                         .arg(box->ceiling)
                         .arg(box->writtenBack)
                         .arg(box->cached ? QStringLiteral("cached") : QStringLiteral("lost (reloads at the ceiling)"))
                         .arg(box->skipped));
    const QVariant peerSel = m_peer->currentData();
    std::vector<const TimelineEntry*> shown;
    for (auto it = box->entries.rbegin(); it != box->entries.rend(); ++it) {
        if (!peerSel.isValid() || it->gap || it->peer == peerSel.toUInt())
            shown.push_back(&*it);
    }
    m_timeline->setRowCount(static_cast<int>(shown.size()));
    const Qt::Alignment right = Qt::AlignRight | Qt::AlignVCenter;
    for (int r = 0; r < static_cast<int>(shown.size()); ++r) {
        const TimelineEntry& e = *shown[static_cast<std::size_t>(r)];
        setCell(m_timeline, r, 0, formatSimTime(e.atMs * 1'000'000));
        if (e.gap) {
            setCell(m_timeline, r, 1, QStringLiteral("— gap —"), kMysql);
            setCell(m_timeline, r, 2, QStringLiteral("%1–%2").arg(e.seq).arg(e.peerSeq), kMysql, right);
            setCell(m_timeline, r, 3, QString());
            setCell(m_timeline, r, 4, QStringLiteral("%1 skipped").arg(e.peerSeq - e.seq + 1), kMysql);
            setCell(m_timeline, r, 5, QStringLiteral("cache lost"), kMysql);
            setCell(m_timeline, r, 6, e.failure, kMysql);
            continue;
        }
        setCell(m_timeline, r, 1, QStringLiteral("%1 %2").arg(e.outgoing ? QStringLiteral("→") : QStringLiteral("←")).arg(e.peer));
        setCell(m_timeline, r, 2, QString::number(e.seq), QColor(), right);
        setCell(m_timeline, r, 3, QString::number(e.peerSeq), QColor(), right);
        setCell(m_timeline, r, 4, QString::number(e.msgkey));
        setCell(m_timeline, r, 5, e.acked ? QStringLiteral("content + 2 rows") : QStringLiteral("failed: %1").arg(e.failure),
                e.acked ? kRedis : kMysql);
        QString pushed;
        QColor c;
        switch (e.pushed) {
        case 'y': pushed = QStringLiteral("applied in Redis"); c = kRedis; break;
        case 'q': pushed = QStringLiteral("stamped, in the MQ"); c = QColor(0xef, 0x6c, 0x00); break;
        case 'b': pushed = QStringLiteral("waiting for the canal"); c = QColor(0xef, 0x6c, 0x00); break;
        default: pushed = e.acked ? QStringLiteral("— (cache-aside: lists deleted)") : QString(); c = kDim; break;
        }
        setCell(m_timeline, r, 6, pushed, c);
    }
}

MessagingHotUsersView::MessagingHotUsersView(DashboardHub* hub, QWidget* parent) : MessagingViewBase(hub, parent)
{
    auto* rv = new QVBoxLayout(this);
    rv->setContentsMargins(4, 2, 4, 2);
    rv->setSpacing(2);
    m_title = new QLabel(this);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    rv->addWidget(m_title);
    m_hot = makeTable({QStringLiteral("user"), QStringLiteral("queries/s"), QStringLiteral("Redis"), QStringLiteral("Taishan"),
                       QStringLiteral("MySQL"), QStringLiteral("failed"), QStringLiteral("mean"), QStringLiteral("max"),
                       QStringLiteral("conversations"), QStringLiteral("shard"), QStringLiteral("region"),
                       QStringLiteral("pre-warmed")},
                      this);
    m_hot->setObjectName(QStringLiteral("messaging.hot"));
    m_hot->setToolTip(QStringLiteral("Real queries per second of each user's conversation list and the share each tier "
                                     "answered; conversations: the user's rows; pre-warmed: detected hot and loaded"));
    rv->addWidget(m_hot, 1);
}

void MessagingHotUsersView::resetRun()
{
    MessagingViewBase::resetRun();
    m_hot->setRowCount(0);
}

void MessagingHotUsersView::showState()
{
    m_title->setText(m_state.hotSecond >= 0
                         ? QStringLiteral("The most asked-for conversation lists in simulated second %1, by the tier that answered")
                               .arg(m_state.hotSecond)
                         : QStringLiteral("No conversation queries yet"));
    m_hot->setRowCount(static_cast<int>(m_state.hot.size()));
    for (int r = 0; r < static_cast<int>(m_state.hot.size()); ++r) {
        const HotRow& h = m_state.hot[static_cast<std::size_t>(r)];
        const double answered = h.redis + h.taishan + h.mysql;
        auto share = [&](double v) { return answered > 0 ? formatPercent(v / answered, 0) : QStringLiteral("—"); };
        const Qt::Alignment right = Qt::AlignRight | Qt::AlignVCenter;
        setCell(m_hot, r, 0, QString::number(h.user));
        setCell(m_hot, r, 1, formatCompact(h.queries), QColor(), right);
        setCell(m_hot, r, 2, share(h.redis), kRedis, right);
        setCell(m_hot, r, 3, m_state.taishanTier ? share(h.taishan) : QStringLiteral("—"), kTaishan, right);
        setCell(m_hot, r, 4, share(h.mysql), h.mysql > 0 ? kMysql : QColor(), right);
        setCell(m_hot, r, 5, h.failed > 0 ? formatCompact(h.failed) : QStringLiteral("0"), h.failed > 0 ? kMysql : QColor(), right);
        setCell(m_hot, r, 6, formatMillis(h.meanMs), QColor(), right);
        setCell(m_hot, r, 7, formatMillis(h.maxMs), h.maxMs >= 100 ? kMysql : QColor(), right);
        setCell(m_hot, r, 8, formatCompact(static_cast<double>(h.conversations)), QColor(), right);
        setCell(m_hot, r, 9, QString::number(h.shard), QColor(), right);
        setCell(m_hot, r, 10, h.region);
        setCell(m_hot, r, 11, h.prewarmed ? QStringLiteral("hot → loaded") : QString());
    }
}

MessagingTiersView::MessagingTiersView(DashboardHub* hub, QWidget* parent) : MessagingViewBase(hub, parent)
{
    m_waterfall = new TierWaterfall(this);
    m_waterfall->setObjectName(QStringLiteral("messaging.tiers"));
    fill(this, m_waterfall);
}

void MessagingTiersView::resetRun()
{
    MessagingViewBase::resetRun();
    m_history.clear();
    m_window = TierCounts{};
}

void MessagingTiersView::showState()
{
    // The last simulated second: the difference of the engine's cumulative counters.
    double seconds = 0.0;
    if (m_state.present) {
        if (m_history.empty() || m_history.back().first < m_state.simNs)
            m_history.emplace_back(m_state.simNs, m_state.tier);
        while (m_history.size() > 2 && m_history[1].first <= m_state.simNs - 1'000'000'000)
            m_history.pop_front();
        const auto& [t0, c0] = m_history.front();
        const TierCounts& c1 = m_state.tier;
        TierCounts d;
        d.queries = c1.queries - c0.queries;
        d.redisHits = c1.redisHits - c0.redisHits;
        d.redisMisses = c1.redisMisses - c0.redisMisses;
        d.taishanHits = c1.taishanHits - c0.taishanHits;
        d.taishanMisses = c1.taishanMisses - c0.taishanMisses;
        d.mysqlReads = c1.mysqlReads - c0.mysqlReads;
        d.mysqlPrimary = c1.mysqlPrimary - c0.mysqlPrimary;
        d.hedges = c1.hedges - c0.hedges;
        d.hedgesWon = c1.hedgesWon - c0.hedgesWon;
        d.failed = c1.failed - c0.failed;
        d.hotPrewarms = c1.hotPrewarms;
        seconds = static_cast<double>(m_state.simNs - t0) / 1e9;
        if (d.queries > 0.0 && seconds >= 0.5) {
            m_window = d;
        } else {
            m_window = c1; // too short a window or an idle one: since the start
            seconds = 0.0;
        }
    }
    m_waterfall->set(m_window, seconds, m_state.taishanTier, m_state.latency, m_state.present);
}

MessagingSyncView::MessagingSyncView(DashboardHub* hub, QWidget* parent) : MessagingViewBase(hub, parent)
{
    m_sync = new SyncHistogram(this);
    m_sync->setObjectName(QStringLiteral("messaging.sync"));
    fill(this, m_sync);
}

void MessagingSyncView::showState() { m_sync->set(m_state); }

MessagingBulkView::MessagingBulkView(DashboardHub* hub, QWidget* parent) : MessagingViewBase(hub, parent)
{
    m_channels = new ChannelBoard(this);
    m_channels->setObjectName(QStringLiteral("messaging.bulk"));
    fill(this, m_channels);
}

void MessagingBulkView::showState() { m_channels->set(m_state); }

MessagingContentView::MessagingContentView(DashboardHub* hub, QWidget* parent) : MessagingViewBase(hub, parent)
{
    m_content = new ContentBalance(this);
    m_content->setObjectName(QStringLiteral("messaging.content"));
    fill(this, m_content);
}

void MessagingContentView::showState() { m_content->set(m_state); }

void appendMessagingViews(std::vector<EngineView>& out)
{
    const auto view = [&out](const char* name, const QString& title, const QString& tooltip, auto make) {
        out.push_back(EngineView{"messaging", title, QStringLiteral("dock.engine.messaging.%1").arg(QLatin1String(name)),
                                 tooltip, make});
    };
    view("timeline", QStringLiteral("Msg timeline"),
         QStringLiteral("Messaging: a user's inbox with a peer — sequences, persisted, pushed by the sync, gaps"),
         [](DashboardHub* hub) -> EngineViewPanel* { return new MessagingTimelineView(hub); });
    view("hot", QStringLiteral("Msg hot users"),
         QStringLiteral("Messaging: the most asked-for conversation lists and the tiers that answered them"),
         [](DashboardHub* hub) -> EngineViewPanel* { return new MessagingHotUsersView(hub); });
    view("tiers", QStringLiteral("Msg tiers"),
         QStringLiteral("Messaging: Redis → Taishan → MySQL waterfall, hedges fired and won"),
         [](DashboardHub* hub) -> EngineViewPanel* { return new MessagingTiersView(hub); });
    view("sync", QStringLiteral("Msg sync"),
         QStringLiteral("Messaging: binlog sync lag histogram and compare-and-set refusals by reason"),
         [](DashboardHub* hub) -> EngineViewPanel* { return new MessagingSyncView(hub); });
    view("bulk", QStringLiteral("Msg bulk"),
         QStringLiteral("Messaging: bulk channels side by side, the campaign's progress and ETA"),
         [](DashboardHub* hub) -> EngineViewPanel* { return new MessagingBulkView(hub); });
    view("content", QStringLiteral("Msg content"),
         QStringLiteral("Messaging: rows per content table of the month"),
         [](DashboardHub* hub) -> EngineViewPanel* { return new MessagingContentView(hub); });
}

} // namespace livedeck::ui::messaging
