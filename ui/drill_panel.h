// DrillPanel: the drill being run — open a drill file or a built-in drill, play /
// pause / step / speed, the timeline of the drill's faults (one bar per fault from its
// start to its end on the drill's time axis, with a "now" cursor), the live status of
// its expectations and invariants, and the final report once it ends.
//
// Blind mode (for trainers): the fault timeline and the expectations are hidden from
// the trainee until the drill has finished or halted; the report then reveals them.
// Everything comes from the snapshot's DrillState (ClusterSource); pacing goes to the
// hub's source. Loading another drill is the window's job: drillRequested(fileOrName).
// GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTreeWidget;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;

// The drill's faults on its time axis; painted by this one widget.
class DrillTimeline final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kRowHeight = 18;
    static constexpr int kAxisHeight = 22;
    static constexpr int kLabelWidth = 230;

    explicit DrillTimeline(QWidget* parent = nullptr);
    void setDrill(const v1::DrillState& drill);
    void clear();
    int faultCount() const { return static_cast<int>(m_faults.size()); }
    // Bar of fault i in widget coordinates (empty when none).
    QRect barRect(int index) const;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return QSize(320, kAxisHeight + kRowHeight); }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    double xFor(std::int64_t ns) const;
    std::vector<v1::FaultSpec> m_faults;
    std::int64_t m_durationNs = 0;
    std::int64_t m_nowNs = 0;
};

class DrillPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit DrillPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void refreshView() override;

    void setBlind(bool blind);
    bool blind() const;
    // True while the timeline and expectations are hidden (blind and not ended).
    bool concealed() const;
    bool hasDrill() const { return m_hasDrill; }
    bool ended() const;
    DrillTimeline* timeline() const { return m_timeline; }
    int expectationCount() const;
    int failingExpectations() const;
    QString titleText() const;
    QString reportText() const;
    // Offered drills: the built-ins, selected with the current one.
    void setBuiltinDrills(const QStringList& names, const QString& current);

signals:
    void drillRequested(const QString& fileOrName);

private:
    void updateVisibility();
    void openFile();

    DashboardHub* m_hub;
    v1::DrillState m_drill;
    bool m_hasDrill = false;
    bool m_dirty = false;
    bool m_paused = true;
    double m_speed = 1.0;
    QComboBox* m_builtins;
    QPushButton* m_load;
    QPushButton* m_open;
    QPushButton* m_playPause;
    QPushButton* m_step;
    QComboBox* m_speedCombo;
    QCheckBox* m_blind;
    QLabel* m_title;
    QProgressBar* m_progress;
    QLabel* m_score;
    QStackedWidget* m_timelineStack;
    DrillTimeline* m_timeline;
    QStackedWidget* m_expectStack;
    QTreeWidget* m_expectations;
    QPlainTextEdit* m_report;
};

} // namespace livedeck::ui
