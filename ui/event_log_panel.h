// EventLogPanel: the event log dashboard — filters (kind, component path, text,
// minimum severity), the table (follows the newest event unless the user scrolled
// away), and "Copy seed + time": the run, seed and exact simulated time (and event
// index) of the selected event, for replaying to that point. Clicking an event selects
// its component (inspector, board, map) and shows its time. GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;
class EventFilter;
class EventLogModel;

class EventLogPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit EventLogPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applyEvents(const std::vector<v1::Event>& events) override;
    void refreshView() override;

    EventLogModel* model() const { return m_model; }
    EventFilter* filter() const { return m_filter; }
    QTableView* view() const { return m_view; }
    void setKindFilter(const QString& kind);
    void setPathFilter(const QString& path);
    void setTextFilter(const QString& text);
    // Text "Copy seed + time" puts on the clipboard for the current row ("" when none).
    QString seedAndTimeText() const;
    QString selectionText() const;

private:
    void updateKinds();
    void onRowActivated(const QModelIndex& proxyIndex);

    DashboardHub* m_hub;
    EventLogModel* m_model;
    EventFilter* m_filter;
    QTableView* m_view;
    QComboBox* m_kind;
    QLineEdit* m_path;
    QLineEdit* m_text;
    QComboBox* m_severity;
    QCheckBox* m_follow;
    QPushButton* m_copy;
    QLabel* m_selection;
    bool m_appended = false;
};

} // namespace livedeck::ui
