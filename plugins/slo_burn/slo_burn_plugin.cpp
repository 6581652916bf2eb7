#include "slo_burn_plugin.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace sloburn {

using namespace livedeck::console;

namespace {

QString burnText(double b) { return QString::number(b, 'f', b < 10 ? 2 : 1) + QStringLiteral("×"); }

QString windowText(double sec)
{
    if (sec >= 120.0)
        return QString::number(sec / 60.0, 'f', 1) + QStringLiteral(" min");
    return QString::number(sec, 'f', sec < 10 ? 2 : 1) + QStringLiteral(" s");
}

} // namespace

BurnBoard::BurnBoard(ConsoleHost* host) : m_host(host) {}

BurnBoard::~BurnBoard() { delete m_widget.data(); }

QWidget* BurnBoard::widget()
{
    if (!m_widget) {
        m_widget = new QWidget;
        auto* layout = new QVBoxLayout(m_widget);
        m_header = new QLabel(m_widget);
        m_header->setWordWrap(true);
        m_table = new QTableWidget(0, 8, m_widget);
        m_table->setHorizontalHeaderLabels({QStringLiteral("Engine"), QStringLiteral("SLO"), QStringLiteral("Objective"),
                                            QStringLiteral("Page long"), QStringLiteral("Page short"),
                                            QStringLiteral("Ticket long"), QStringLiteral("Ticket short"),
                                            QStringLiteral("Budget left")});
        m_table->verticalHeader()->hide();
        m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
        layout->addWidget(m_header);
        layout->addWidget(m_table);
    }
    return m_widget;
}

void BurnBoard::runReset(const RunInfo& run)
{
    m_slos.clear();
    m_lengthNs = run.durationNs;
    m_scale = scaleFor(static_cast<double>(run.durationNs) / 1e9);
    const double timeObjective = m_host->setting(QStringLiteral("time_objective"), 0.99).toDouble();
    for (const KpiTile& t : run.tiles) {
        if (t.good == 0.0 && t.warn == 0.0)
            continue;
        const double scale = t.scale == 0.0 ? 1.0 : t.scale;
        const double share = t.good / scale;
        const bool ratio = t.higherIsBetter && share > 0.0 && share < 1.0;
        auto slo = std::make_unique<Slo>(Slo{t, ratio, BurnRateTracker(ratio ? share : timeObjective, workbookRules(m_scale))});
        m_slos.push_back(std::move(slo));
    }
    if (m_table)
        m_table->setRowCount(static_cast<int>(m_slos.size()));
}

void BurnBoard::snapshot(qint64 simTimeNs)
{
    const double t = static_cast<double>(simTimeNs) / 1e9;
    for (auto& slo : m_slos) {
        const double v = m_host->tileValue(slo->tile);
        if (std::isnan(v))
            continue;
        const double scale = slo->tile.scale == 0.0 ? 1.0 : slo->tile.scale;
        double bad = 0.0;
        if (slo->ratio) {
            bad = 1.0 - v;
        } else {
            const double shown = v * scale;
            bad = (slo->tile.higherIsBetter ? shown < slo->tile.good : shown > slo->tile.good) ? 1.0 : 0.0;
        }
        slo->tracker.observe(t, bad);
    }
}

void BurnBoard::refresh()
{
    if (!m_table)
        return;
    const std::vector<AlertRule> rules = workbookRules(m_scale);
    m_header->setText(m_lengthNs > 0 ? QStringLiteral("Windows scaled to the drill (%1): page %2 / %3 at %4×, ticket %5 / %6 at %7×")
                                           .arg(windowText(static_cast<double>(m_lengthNs) / 1e9), windowText(rules[0].longWindowSec),
                                                windowText(rules[0].shortWindowSec), QString::number(rules[0].burnRate),
                                                windowText(rules[1].longWindowSec), windowText(rules[1].shortWindowSec),
                                                QString::number(rules[1].burnRate))
                                     : QStringLiteral("The SRE workbook's windows: page 1 h / 5 min at 14.4×, ticket 6 h / 30 min at 6×"));
    m_table->setRowCount(static_cast<int>(m_slos.size()));
    int row = 0;
    for (const auto& slo : m_slos) {
        const std::vector<AlertState> states = slo->tracker.evaluate();
        auto set = [&](int col, const QString& text, bool alarm = false) {
            auto* item = new QTableWidgetItem(text);
            if (alarm)
                item->setBackground(QColor(0xd0, 0x40, 0x40));
            m_table->setItem(row, col, item);
        };
        set(0, slo->tile.engine);
        set(1, slo->tile.title + (slo->ratio ? QString() : QStringLiteral(" (good seconds)")));
        set(2, QString::number(slo->tracker.objective() * 100.0, 'g', 6) + QStringLiteral(" %"));
        set(3, burnText(states[0].longBurn), states[0].firing);
        set(4, burnText(states[0].shortBurn), states[0].firing);
        set(5, burnText(states[1].longBurn), states[1].firing);
        set(6, burnText(states[1].shortBurn), states[1].firing);
        set(7, QString::number(slo->tracker.budgetLeft() * 100.0, 'f', 1) + QStringLiteral(" %"),
            slo->tracker.budgetLeft() < 0.0);
        ++row;
    }
}

QWidget* RoomView::widget()
{
    if (!m_widget) {
        m_widget = new QWidget;
        auto* layout = new QVBoxLayout(m_widget);
        m_summary = new QLabel(m_widget);
        m_summary->setWordWrap(true);
        m_table = new QTableWidget(0, 2, m_widget);
        m_table->setHorizontalHeaderLabels({QStringLiteral("Key"), QStringLiteral("Value")});
        m_table->verticalHeader()->hide();
        m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
        layout->addWidget(m_summary);
        layout->addWidget(m_table);
    }
    return m_widget;
}

void RoomView::show(const QString& path, const ComponentState& state)
{
    widget();
    double viewers = 0.0;
    double accepted = 0.0;
    double inFlight = 0.0;
    double lost = 0.0;
    m_table->setRowCount(static_cast<int>(state.size()));
    int row = 0;
    for (const auto& [key, value] : state) {
        m_table->setItem(row, 0, new QTableWidgetItem(key));
        m_table->setItem(row, 1, new QTableWidgetItem(value));
        ++row;
        if (key == QLatin1String("viewers"))
            viewers = value.toDouble();
        else if (key == QLatin1String("accepted"))
            accepted = value.toDouble();
        else if (key == QLatin1String("deliveries_in_flight"))
            inFlight = value.toDouble();
        else if (key == QLatin1String("lost"))
            lost = value.toDouble();
    }
    // Per viewer: how many of the room's comments are still on their way.
    const double behind = viewers > 0.0 ? inFlight / viewers : 0.0;
    m_summary->setText(QStringLiteral("%1: %2 viewers, %3 comments accepted, %4 behind per viewer, %5 lost")
                           .arg(path, QString::number(viewers), QString::number(accepted),
                                QString::number(behind, 'f', 1), QString::number(lost)));
}

bool SloBurnPlugin::initialize(ConsoleHost* host, QString* error)
{
    if (!host) {
        if (error)
            *error = QStringLiteral("no console host");
        return false;
    }
    m_board = std::make_unique<BurnBoard>(host);
    m_room = std::make_unique<RoomView>();
    return true;
}

void SloBurnPlugin::aboutToShutdown()
{
    m_board.reset();
    m_room.reset();
}

QVector<Dashboard*> SloBurnPlugin::dashboards()
{
    if (!m_board)
        return {};
    return {m_board.get()};
}

QVector<InspectorView*> SloBurnPlugin::inspectorViews()
{
    if (!m_room)
        return {};
    return {m_room.get()};
}

} // namespace sloburn
