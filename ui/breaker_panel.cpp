#include "ui/breaker_panel.h"

#include "ui/breaker_board.h"
#include "ui/dashboard_hub.h"
#include "ui/format.h"
#include "ui/palette.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QScrollArea>
#include <QVBoxLayout>

namespace livedeck::ui {
namespace {

QLabel* legendChip(v1::BreakerStateKind state, QWidget* parent)
{
    auto* l = new QLabel(breakerStateName(state), parent);
    const QColor bg = palette::breakerColor(state);
    l->setStyleSheet(QStringLiteral("QLabel { background: %1; color: %2; border-radius: 3px; padding: 1px 6px; }")
                         .arg(bg.name(), palette::textOn(bg).name()));
    return l;
}

} // namespace

BreakerDetailDialog::BreakerDetailDialog(const QString& path, QWidget* parent) : QDialog(parent), m_path(path)
{
    setWindowTitle(tr("Breaker %1").arg(path));
    setAttribute(Qt::WA_DeleteOnClose);
    auto* layout = new QVBoxLayout(this);
    m_summary = new QLabel(this);
    m_summary->setTextFormat(Qt::RichText);
    layout->addWidget(m_summary);
    m_chart = new TimeChart(tr("Failure and slow-call rate"), tr("%"), this, BreakerTile::kHistory);
    m_chart->addLine(tr("failure rate"));
    m_chart->addLine(tr("slow-call rate"));
    m_chart->setValueScale(100.0);
    m_chart->setYMode(TimeChart::YMode::Fixed, 0.0, 100.0);
    m_chart->setWindowSeconds(1200.0);
    layout->addWidget(m_chart, 1);
    auto* note = new QLabel(tr("Vertical lines: state transitions, coloured by the new state."), this);
    layout->addWidget(note);
    resize(720, 420);
}

void BreakerDetailDialog::refresh(const BreakerTile& tile, std::int64_t nowNs)
{
    for (std::size_t i = 0; i < tile.failureHistory.size(); ++i)
        m_chart->addPoint(0, tile.failureHistory[i].t, tile.failureHistory[i].v);
    for (std::size_t i = 0; i < tile.slowHistory.size(); ++i)
        m_chart->addPoint(1, tile.slowHistory[i].t, tile.slowHistory[i].v);
    for (; m_transitionsShown < tile.transitions.size(); ++m_transitionsShown) {
        const BreakerTransition& tn = tile.transitions[m_transitionsShown];
        m_chart->addMarker(static_cast<double>(tn.timeNs) / 1e9, palette::breakerColor(tn.to),
                           tn.to == v1::BREAKER_STATE_UNSPECIFIED ? tn.note : breakerStateName(tn.to));
    }
    const QColor bg = palette::breakerColor(tile.state);
    m_summary->setText(tr("<b>%1</b> &nbsp; <span style='background:%2; color:%3'>&nbsp;%4&nbsp;</span> since %5 · "
                          "failure %6 · slow %7 · %8 transitions seen")
                           .arg(tile.pathText.toHtmlEscaped(), bg.name(), palette::textOn(bg).name(),
                                breakerStateName(tile.state), formatSimTime(tile.stateSinceNs),
                                tile.failureRate < 0 ? QStringLiteral("—") : formatPercent(tile.failureRate, 1),
                                tile.slowRate < 0 ? QStringLiteral("—") : formatPercent(tile.slowRate, 1))
                           .arg(tile.transitions.size()));
    m_chart->refresh(static_cast<double>(nowNs) / 1e9);
}

BreakerPanel::BreakerPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* bar = new QHBoxLayout();
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter by path…"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(tr("Show only breakers whose path contains this text"));
    m_onlyNotClosed = new QCheckBox(tr("Only not closed"), this);
    m_onlyNotClosed->setToolTip(tr("Hide breakers that are closed (healthy)"));
    m_summary = new QLabel(this);
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_onlyNotClosed);
    bar->addWidget(m_summary);
    layout->addLayout(bar);
    auto* legend = new QHBoxLayout();
    legend->setSpacing(4);
    for (v1::BreakerStateKind s : {v1::BREAKER_CLOSED, v1::BREAKER_HALF_OPEN, v1::BREAKER_OPEN, v1::BREAKER_FORCED_OPEN,
                                   v1::BREAKER_DISABLED, v1::BREAKER_METRICS_ONLY})
        legend->addWidget(legendChip(s, this));
    legend->addStretch(1);
    layout->addLayout(legend);

    m_board = new BreakerBoard();
    m_scroll = new QScrollArea(this);
    m_scroll->setWidgetResizable(true);
    m_scroll->setWidget(m_board);
    m_scroll->setFrameShape(QFrame::NoFrame);
    layout->addWidget(m_scroll, 1);

    const auto refilter = [this] { m_board->setFilter(m_filter->text(), m_onlyNotClosed->isChecked()); };
    connect(m_filter, &QLineEdit::textChanged, this, refilter);
    connect(m_onlyNotClosed, &QCheckBox::toggled, this, refilter);
    connect(m_board, &BreakerBoard::tileClicked, this, [this](const QString& path) {
        openDetail(path);
        if (m_hub)
            m_hub->selectComponent(path);
    });
    connect(m_board, &BreakerBoard::tileContextMenu, this, &BreakerPanel::showContextMenu);
}

void BreakerPanel::showContextMenu(const QString& path, const QPoint& globalPos)
{
    QMenu menu(this);
    menu.addAction(tr("Show history…"), this, [this, path] { openDetail(path); });
    menu.addAction(tr("Show in inspector"), this, [this, path] {
        if (m_hub)
            m_hub->selectComponent(path);
    });
    menu.addSeparator();
    menu.addAction(tr("Inject fault on %1…").arg(path), this, [this, path] {
        if (m_hub)
            m_hub->requestFault(path);
    });
    menu.exec(globalPos);
}

BreakerDetailDialog* BreakerPanel::openDetail(const QString& path)
{
    const BreakerTile* tile = m_board->tile(path);
    if (!tile)
        return nullptr;
    if (m_detail && m_detail->path() != path)
        m_detail->close();
    if (!m_detail)
        m_detail = new BreakerDetailDialog(path, this);
    m_detail->refresh(*tile, m_board->lastTimeNs());
    m_detail->show();
    m_detail->raise();
    return m_detail;
}

QString BreakerPanel::summaryText() const
{
    return m_summary->text();
}

void BreakerPanel::resetRun()
{
    m_board->clear();
    if (m_detail)
        m_detail->close();
    m_summary->clear();
    m_dirty = true;
}

void BreakerPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog&)
{
    if (m_board->applySnapshot(snapshot))
        m_dirty = true;
}

void BreakerPanel::applyEvents(const std::vector<v1::Event>& events)
{
    m_board->applyEvents(events);
}

void BreakerPanel::refreshView()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    int open = 0;
    for (int i = 0; i < m_board->tileCount(); ++i) {
        const auto s = m_board->tileAt(i).state;
        open += (s == v1::BREAKER_OPEN || s == v1::BREAKER_FORCED_OPEN) ? 1 : 0;
    }
    m_summary->setText(tr("%1 breakers · %2 open").arg(m_board->tileCount()).arg(open));
    m_board->update();
    if (m_detail) {
        if (const BreakerTile* t = m_board->tile(m_detail->path()))
            m_detail->refresh(*t, m_board->lastTimeNs());
    }
}

} // namespace livedeck::ui
