#include "ui/drill_panel.h"

#include "ui/cluster_source.h"
#include "ui/dashboard_hub.h"
#include "ui/format.h"
#include "ui/logging.h"
#include "ui/palette.h"
#include "ui/progress.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPaintEvent>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>

namespace livedeck::ui {
namespace {

constexpr std::array<double, 9> kSpeeds{0.1, 0.5, 1, 2, 5, 10, 100, 1000, 0};

QString phaseName(v1::DrillPhase phase)
{
    switch (phase) {
    case v1::DRILL_LOADED:
        return DrillPanel::tr("loaded");
    case v1::DRILL_RUNNING:
        return DrillPanel::tr("running");
    case v1::DRILL_PAUSED:
        return DrillPanel::tr("paused");
    case v1::DRILL_FINISHED:
        return DrillPanel::tr("finished");
    case v1::DRILL_HALTED:
        return DrillPanel::tr("halted");
    default:
        return DrillPanel::tr("—");
    }
}

QLabel* hiddenNotice(const QString& text, QWidget* parent)
{
    auto* l = new QLabel(text, parent);
    l->setAlignment(Qt::AlignCenter);
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("QLabel { color: #50545c; background: #eceef2; border: 1px dashed #9aa0aa; padding: 12px; }"));
    return l;
}

} // namespace

// ------------------------------------------------------------------ DrillTimeline

DrillTimeline::DrillTimeline(QWidget* parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void DrillTimeline::setDrill(const v1::DrillState& drill)
{
    const bool rowsChanged = static_cast<int>(m_faults.size()) != drill.timeline_size();
    m_faults.assign(drill.timeline().begin(), drill.timeline().end());
    std::stable_sort(m_faults.begin(), m_faults.end(),
                     [](const v1::FaultSpec& a, const v1::FaultSpec& b) { return a.start_ns() < b.start_ns(); });
    m_durationNs = drill.duration_ns();
    m_nowNs = drill.sim_time_ns();
    if (rowsChanged)
        updateGeometry();
    update();
}

void DrillTimeline::clear()
{
    m_faults.clear();
    m_durationNs = 0;
    m_nowNs = 0;
    updateGeometry();
    update();
}

QSize DrillTimeline::sizeHint() const
{
    return QSize(640, kAxisHeight + std::max<int>(1, static_cast<int>(m_faults.size())) * kRowHeight + 4);
}

double DrillTimeline::xFor(std::int64_t ns) const
{
    const double left = kLabelWidth;
    const double right = std::max(left + 10.0, width() - 12.0);
    const double span = m_durationNs > 0 ? static_cast<double>(m_durationNs) : 1.0;
    return left + (right - left) * std::clamp(static_cast<double>(ns) / span, 0.0, 1.0);
}

QRect DrillTimeline::barRect(int index) const
{
    if (index < 0 || index >= faultCount() || m_durationNs <= 0)
        return {};
    const v1::FaultSpec& f = m_faults[static_cast<std::size_t>(index)];
    const double x0 = xFor(f.start_ns());
    const double x1 = xFor(f.end_ns() > 0 ? f.end_ns() : m_durationNs);
    const int y = kAxisHeight + index * kRowHeight + 3;
    return QRect(static_cast<int>(x0), y, std::max(3, static_cast<int>(std::lround(x1 - x0))), kRowHeight - 6);
}

void DrillTimeline::paintEvent(QPaintEvent* /*event*/)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QColor text = palette().color(QPalette::WindowText);
    if (m_durationNs <= 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(8, 4, -8, -4), Qt::AlignLeft | Qt::AlignVCenter, tr("No drill loaded."));
        return;
    }
    // Axis: ticks at a 1-2-5 step giving about 8 labels.
    const double seconds = static_cast<double>(m_durationNs) / 1e9;
    double step = 1;
    for (double s : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0})
        if (seconds / s <= 8) {
            step = s;
            break;
        }
    p.setPen(QColor(0xc8, 0xcc, 0xd4));
    for (double t = 0; t <= seconds + 1e-9; t += step) {
        const int x = static_cast<int>(xFor(static_cast<std::int64_t>(t * 1e9)));
        p.drawLine(x, kAxisHeight - 4, x, height());
    }
    p.setPen(text);
    const QFontMetrics fm(font());
    for (double t = 0; t <= seconds + 1e-9; t += step) {
        const int x = static_cast<int>(xFor(static_cast<std::int64_t>(t * 1e9)));
        const QString label = formatDuration(static_cast<std::int64_t>(t * 1e9));
        const int w = fm.horizontalAdvance(label);
        p.drawText(QRect(std::min(x - w / 2, width() - w - 2), 2, w + 2, kAxisHeight - 6), Qt::AlignCenter, label);
    }
    if (m_faults.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(QRect(8, kAxisHeight, width() - 16, kRowHeight), Qt::AlignLeft | Qt::AlignVCenter,
                   tr("This drill schedules no faults."));
    }
    for (int i = 0; i < faultCount(); ++i) {
        const v1::FaultSpec& f = m_faults[static_cast<std::size_t>(i)];
        const int y = kAxisHeight + i * kRowHeight;
        const QString label = faultKindName(f.kind()) + QStringLiteral("  ") + QString::fromStdString(f.target());
        p.setPen(text);
        p.drawText(QRect(6, y, kLabelWidth - 12, kRowHeight), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(label, Qt::ElideMiddle, kLabelWidth - 12));
        const QRect bar = barRect(i);
        const bool past = f.end_ns() > 0 && f.end_ns() <= m_nowNs;
        QColor fill = palette::faultOnColor();
        if (past)
            fill = QColor(0xb0, 0xb4, 0xbc);
        else if (!f.active() && f.start_ns() > m_nowNs)
            fill.setAlpha(110);
        p.fillRect(bar, fill);
    }
    // Now.
    const int nx = static_cast<int>(xFor(m_nowNs));
    p.setPen(QPen(QColor(0x1f, 0x4e, 0xb4), 2));
    p.drawLine(nx, kAxisHeight - 6, nx, height());
}

// ------------------------------------------------------------------ DrillPanel

DrillPanel::DrillPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(6);

    auto* controls = new QHBoxLayout;
    m_builtins = new QComboBox(this);
    m_builtins->setToolTip(tr("Built-in drills"));
    m_builtins->setMinimumContentsLength(18);
    m_load = new QPushButton(tr("Run"), this);
    m_load->setToolTip(tr("Start the chosen built-in drill (a new run)"));
    m_open = new QPushButton(tr("Open file…"), this);
    m_open->setToolTip(tr("Open a drill file (YAML, docs/DRILLS.md)"));
    m_playPause = new QPushButton(tr("Play"), this);
    m_step = new QPushButton(tr("Step"), this);
    m_step->setToolTip(tr("Run exactly one event"));
    m_speedCombo = new QComboBox(this);
    for (double s : kSpeeds)
        m_speedCombo->addItem(formatSpeed(s));
    m_speedCombo->setCurrentIndex(2);
    m_speedCombo->setToolTip(tr("Simulated seconds per wall second"));
    m_blind = new QCheckBox(tr("Blind mode"), this);
    m_blind->setToolTip(tr("For trainers: hide the fault timeline and the expectations until the drill ends"));
    controls->addWidget(new QLabel(tr("Drill:"), this));
    controls->addWidget(m_builtins);
    controls->addWidget(m_load);
    controls->addWidget(m_open);
    controls->addSpacing(12);
    controls->addWidget(m_playPause);
    controls->addWidget(m_step);
    controls->addWidget(m_speedCombo);
    controls->addStretch(1);
    controls->addWidget(m_blind);
    layout->addLayout(controls);

    auto* head = new QHBoxLayout;
    m_title = new QLabel(tr("No drill"), this);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(true);
    m_progress->setMinimumWidth(260);
    m_score = new QLabel(this);
    head->addWidget(m_title, 1);
    head->addWidget(m_progress);
    head->addWidget(m_score);
    layout->addLayout(head);

    auto* split = new QSplitter(Qt::Vertical, this);
    m_timelineStack = new QStackedWidget(split);
    auto* scroll = new QScrollArea(m_timelineStack);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::StyledPanel);
    m_timeline = new DrillTimeline(scroll);
    scroll->setWidget(m_timeline);
    m_timelineStack->addWidget(scroll);
    m_timelineStack->addWidget(hiddenNotice(tr("Fault timeline hidden (blind mode) until the drill ends."), m_timelineStack));

    m_expectStack = new QStackedWidget(split);
    m_expectations = new QTreeWidget(m_expectStack);
    m_expectations->setColumnCount(4);
    m_expectations->setHeaderLabels({tr("Expectation / invariant"), tr("Verdict"), tr("Observed"), tr("Expected")});
    m_expectations->setRootIsDecorated(false);
    m_expectations->setMinimumHeight(110);
    m_expectations->setAlternatingRowColors(true);
    m_expectations->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_expectStack->addWidget(m_expectations);
    m_expectStack->addWidget(hiddenNotice(tr("Expectations hidden (blind mode) until the drill ends."), m_expectStack));

    m_report = new QPlainTextEdit(split);
    m_report->setReadOnly(true);
    m_report->setPlaceholderText(tr("The final report appears here when the drill ends."));
    m_report->setLineWrapMode(QPlainTextEdit::NoWrap);
    split->addWidget(m_timelineStack);
    split->addWidget(m_expectStack);
    split->addWidget(m_report);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 2);
    split->setStretchFactor(2, 1);
    layout->addWidget(split, 1);

    connect(m_load, &QPushButton::clicked, this, [this] {
        if (!m_builtins->currentText().isEmpty())
            emit drillRequested(m_builtins->currentText());
    });
    connect(m_open, &QPushButton::clicked, this, &DrillPanel::openFile);
    connect(m_playPause, &QPushButton::clicked, this, [this] {
        if (ClusterSource* s = m_hub->source(); s && s->can(ClusterSource::Pacing))
            m_paused ? s->resume() : s->pause();
    });
    connect(m_step, &QPushButton::clicked, this, [this] {
        if (ClusterSource* s = m_hub->source(); s && s->can(ClusterSource::Pacing))
            s->step(1);
    });
    connect(m_speedCombo, &QComboBox::activated, this, [this](int index) {
        if (ClusterSource* s = m_hub->source(); s && s->can(ClusterSource::Pacing))
            s->setSpeed(kSpeeds[static_cast<std::size_t>(index)]);
    });
    connect(m_blind, &QCheckBox::toggled, this, [this] { updateVisibility(); });
    updateVisibility();
}

void DrillPanel::setBuiltinDrills(const QStringList& names, const QString& current)
{
    m_builtins->clear();
    m_builtins->addItems(names);
    const int i = names.indexOf(current);
    if (i >= 0)
        m_builtins->setCurrentIndex(i);
}

void DrillPanel::openFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open drill"), QString(), tr("Drill files (*.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        emit drillRequested(path);
}

void DrillPanel::resetRun()
{
    m_drill.Clear();
    m_hasDrill = false;
    m_timeline->clear();
    m_expectations->clear();
    m_report->clear();
    m_dirty = true;
    updateVisibility();
}

void DrillPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& /*catalog*/)
{
    m_paused = snapshot.host().paused();
    m_speed = snapshot.host().speed();
    if (snapshot.has_drill()) {
        m_drill = snapshot.drill();
        m_hasDrill = true;
    }
    m_dirty = true;
}

bool DrillPanel::ended() const
{
    return m_hasDrill && (m_drill.phase() == v1::DRILL_FINISHED || m_drill.phase() == v1::DRILL_HALTED);
}

void DrillPanel::setBlind(bool blind)
{
    m_blind->setChecked(blind);
}

bool DrillPanel::blind() const
{
    return m_blind->isChecked();
}

bool DrillPanel::concealed() const
{
    return blind() && !ended();
}

int DrillPanel::expectationCount() const
{
    return m_drill.expectations_size();
}

int DrillPanel::failingExpectations() const
{
    int n = 0;
    for (const v1::ExpectationStatus& e : m_drill.expectations())
        n += e.passed() ? 0 : 1;
    return n;
}

QString DrillPanel::titleText() const
{
    return m_title->text();
}

QString DrillPanel::reportText() const
{
    return m_report->toPlainText();
}

void DrillPanel::updateVisibility()
{
    m_timelineStack->setCurrentIndex(concealed() ? 1 : 0);
    m_expectStack->setCurrentIndex(concealed() ? 1 : 0);
}

void DrillPanel::refreshView()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    ClusterSource* s = m_hub->source();
    const bool pacing = s && s->can(ClusterSource::Pacing);
    m_playPause->setEnabled(pacing && !ended());
    m_step->setEnabled(pacing && !ended());
    m_speedCombo->setEnabled(pacing);
    m_playPause->setText(m_paused ? tr("Play") : tr("Pause"));
    for (std::size_t i = 0; i < kSpeeds.size(); ++i) {
        const bool match = kSpeeds[i] <= 0 ? !(m_speed > 0) : std::fabs(kSpeeds[i] - m_speed) < 1e-9;
        if (match && m_speedCombo->currentIndex() != static_cast<int>(i))
            m_speedCombo->setCurrentIndex(static_cast<int>(i));
    }
    if (!m_hasDrill) {
        m_title->setText(tr("No drill in this run (a free-running world or a recording without one)."));
        setProgress(m_progress, 0, QStringLiteral("—"));
        m_score->clear();
        updateVisibility();
        return;
    }
    const v1::DrillState& d = m_drill;
    m_title->setText(tr("%1 · seed %2 · %3").arg(QString::fromStdString(d.name())).arg(d.seed()).arg(phaseName(d.phase())));
    m_title->setToolTip(QString::fromStdString(d.description()));
    const double frac = d.duration_ns() > 0 ? std::clamp(static_cast<double>(d.sim_time_ns()) / static_cast<double>(d.duration_ns()), 0.0, 1.0) : 0.0;
    setProgress(m_progress, static_cast<int>(frac * 1000),
                formatDuration(d.sim_time_ns()) + QStringLiteral(" / ") + formatDuration(d.duration_ns()));
    m_score->setText(ended() ? tr("score %1").arg(d.score(), 0, 'f', 1) : QString());
    m_timeline->setDrill(d);

    // Expectations then invariants: rows updated in place (a row's texts are set only
    // when they changed), so a tick neither recreates items nor relays out the tree.
    const QColor good = palette::healthColor(1.0);
    const QColor bad = palette::healthColor(0.0);
    const int rows = d.expectations_size() + d.invariants_size();
    while (m_expectations->topLevelItemCount() > rows)
        delete m_expectations->takeTopLevelItem(m_expectations->topLevelItemCount() - 1);
    while (m_expectations->topLevelItemCount() < rows)
        new QTreeWidgetItem(m_expectations);
    const auto setRow = [&](int row, const QString& name, const QString& verdict, bool passed, const QString& observed,
                            const QString& expected) {
        QTreeWidgetItem* item = m_expectations->topLevelItem(row);
        const QString texts[4] = {name, verdict, observed, expected};
        for (int c = 0; c < 4; ++c) {
            if (item->text(c) != texts[c])
                item->setText(c, texts[c]);
        }
        const QColor colour = passed ? good : bad;
        if (item->foreground(1).color() != colour)
            item->setForeground(1, colour);
    };
    int row = 0;
    for (const v1::ExpectationStatus& e : d.expectations())
        setRow(row++, QString::fromStdString(e.name()),
               (e.passed() ? tr("✔ pass") : tr("✘ fail")) + (e.final() ? QString() : tr(" (so far)")), e.passed(),
               QString::fromStdString(e.observed()), QString::fromStdString(e.expected()));
    for (const v1::InvariantStatus& i : d.invariants())
        setRow(row++, tr("invariant: %1").arg(QString::fromStdString(i.name())), i.passed() ? tr("✔ holds") : tr("✘ broken"),
               i.passed(), QString::fromStdString(i.detail()), QString());
    if (ended() && m_report->toPlainText().isEmpty() && !d.report_json().empty())
        m_report->setPlainText(tr("%1 %2 · score %3\n\n")
                                   .arg(QString::fromStdString(d.name()), phaseName(d.phase()))
                                   .arg(d.score(), 0, 'f', 1) +
                               QString::fromStdString(d.report_json()));
    updateVisibility();
}

} // namespace livedeck::ui
