// setProgress: sets a QProgressBar's value and format without the synchronous repaint
// QProgressBar::setValue() does whenever its text changes. That repaint() flushes every
// dirty region of the window at once — in the middle of applying a snapshot, so the
// window was painted twice per tick (measured: most of DrillPanel::refreshView and
// OverviewPanel::applyDrill in bench_ui's BM_EventLoopGapAtMaxSpeed). Here the bar is
// only marked for the next paint, like any other widget. GUI thread.
#pragma once

#include <QProgressBar>
#include <QString>

namespace livedeck::ui {

inline void setProgress(QProgressBar* bar, int value, const QString& format)
{
    if (bar->format() != format)
        bar->setFormat(format); // update(), not repaint()
    if (bar->value() == value)
        return;
    // repaint() does nothing while updates are disabled; enabling them again calls update().
    bar->setUpdatesEnabled(false);
    bar->setValue(value);
    bar->setUpdatesEnabled(true);
}

} // namespace livedeck::ui
