// BreakerPanel: the circuit-breaker board dashboard — a filter bar, the colour legend,
// the BreakerBoard in a scroll area, and a detail dialog per clicked breaker (its
// failure and slow-call rate over time with state transitions marked). Right-click
// on a tile offers fault injection and the inspector. GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QDialog>
#include <QPointer>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QLabel;
class QLineEdit;
class QScrollArea;
QT_END_NAMESPACE

namespace livedeck::ui {

class BreakerBoard;
class DashboardHub;
class TimeChart;
struct BreakerTile;

// A breaker's history: failure and slow-call rate (%) with transitions marked.
class BreakerDetailDialog final : public QDialog {
    Q_OBJECT
public:
    BreakerDetailDialog(const QString& path, QWidget* parent = nullptr);
    QString path() const { return m_path; }
    void refresh(const BreakerTile& tile, std::int64_t nowNs);
    TimeChart* chart() const { return m_chart; }

private:
    QString m_path;
    TimeChart* m_chart;
    QLabel* m_summary;
    std::size_t m_transitionsShown = 0;
};

class BreakerPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit BreakerPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void applyEvents(const std::vector<v1::Event>& events) override;
    void refreshView() override;

    BreakerBoard* board() const { return m_board; }
    BreakerDetailDialog* openDetail(const QString& path);
    QString summaryText() const;

private:
    void showContextMenu(const QString& path, const QPoint& globalPos);

    DashboardHub* m_hub;
    BreakerBoard* m_board;
    QScrollArea* m_scroll;
    QLineEdit* m_filter;
    QCheckBox* m_onlyNotClosed;
    QLabel* m_summary;
    QPointer<BreakerDetailDialog> m_detail;
    bool m_dirty = false;
};

} // namespace livedeck::ui
