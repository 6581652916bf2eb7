// UI benchmarks. The UI tick: apply one snapshot to every dashboard and
// repaint the whole 1920×1080 main window (QWidget::grab renders every visible widget). The world
// is the scripted gala scenario scaled to 200 breakers, 1 000 shards (10 clusters ×
// 100, two month partitions) and 8 charts already holding 10 minutes of 1 s data.
// Goal: <= 16 ms per tick (one frame at 60 Hz). Runs offscreen on a 1920×1080 screen
// when QT_QPA_PLATFORM is unset (leave it unset: plain "offscreen" has an 800×600 screen).
// BM_UiTick_Compare is the same goal in the comparison window with two runs on screen.
#include "tests/ui/fixtures/scripted_cluster.h"
#include "backend/drills/builtin_drills.h"
#include "backend/sim/time.h"
#include "ui/dashboard_hub.h"
#include "ui/drill_source.h"
#include "app/common/builtin_engines.h"
#include "ui/compare_window.h"
#include "ui/main_window.h"
#include "ui/shard_heatmap.h"
#include "ui/time_chart.h"

#include <benchmark/benchmark.h>

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QValueAxis>
#include <QPixmap>
#include <QTabWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QEventLoop>
#include <QStyleFactory>
#include <QTimer>
#include <QThread>
#include <QDateTime>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

using namespace livedeck;

namespace {

struct Fixture {
    std::unique_ptr<ui::MainWindow> window;
    ui::fixtures::ScriptedCluster* source = nullptr;
    std::vector<std::shared_ptr<v1::Snapshot>> next; // snapshots to apply, reused with advancing times
    int second = 600;

    static std::unique_ptr<Fixture>& instance()
    {
        static std::unique_ptr<Fixture> f;
        return f;
    }
    // Built on first use; destroyed by main() while the QApplication still exists.
    static Fixture& get()
    {
        auto& f = instance();
        if (!f) {
            f = std::make_unique<Fixture>();
            Fixture& x = *f;
            x.window = std::make_unique<ui::MainWindow>(ui::MainWindowOptions{false});
            x.window->resize(1920, 1080);
            x.window->show();
            x.window->applyDefaultLayout();
            ui::fixtures::ScenarioOptions o;
            o.breakers = 200;
            o.shardClusters = 10;
            o.shardsPerCluster = 100;
            auto source = std::make_unique<ui::fixtures::ScriptedCluster>(o);
            x.source = source.get();
            x.window->setSource(std::move(source));
            x.source->playTo(600); // 10 minutes of 1 s data in every chart
            for (int i = 0; i < 16; ++i)
                x.next.push_back(x.source->scenario().snapshotAt(601 + i, false));
            x.window->hub()->tick();
            x.window->resize(1920, 1080); // content arriving may have grown it
            x.window->applyDefaultLayout();
            QApplication::processEvents();
        }
        return *f;
    }

    // The next snapshot, stamped one simulated second after the last.
    ui::SnapshotPtr advance()
    {
        ++second;
        auto& s = next[static_cast<std::size_t>(second) % next.size()];
        s->set_sim_time_ns(static_cast<std::int64_t>(second) * 1'000'000'000);
        s->set_calendar_unix_ms(s->calendar_unix_ms() + 1000);
        return s;
    }
};

void BM_UiTick(benchmark::State& state)
{
    Fixture& f = Fixture::get();
    ui::DashboardHub& hub = *f.window->hub();
    for (auto _ : state) {
        hub.applySnapshot(f.advance());
        hub.tick();
        QPixmap frame = f.window->grab();
        benchmark::DoNotOptimize(frame);
    }
    state.counters["breakers"] = 200;
    state.counters["shards"] = 1000;
}
BENCHMARK(BM_UiTick)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// The UI tick with both runs on screen in the comparison window (File → Compare…, the
// console's drill re-run in its other mode): the built-in gala drill at seed 1, A as
// shipped and B in the gift engine's other multi-active mode (EngineFactory::modes()),
// simulated by ModeComparison like the console does, then a 1920×1080 CompareWindow
// over both recordings. One iteration = the cursor stepped one simulated second (the
// → key; wrapping at the end) and the whole window repainted. Arg: the tab on screen —
// 0 the overlaid charts, KPI table and merged events; 1 both runs' shard heatmaps side
// by side; 2 both runs' region maps side by side. Goal: <= 16 ms like BM_UiTick.
struct CompareFixture {
    std::unique_ptr<ui::CompareWindow> window;
    std::string error;

    static std::unique_ptr<CompareFixture>& instance()
    {
        static std::unique_ptr<CompareFixture> f;
        return f;
    }
    static CompareFixture& get()
    {
        auto& f = instance();
        if (f)
            return *f;
        f = std::make_unique<CompareFixture>();
        auto spec = drills::resolveDrill(ui::kDefaultDrill);
        if (!spec.ok()) {
            f->error = std::string(spec.status().message());
            return *f;
        }
        const std::vector<ui::ModeSwitch> switches = ui::modeSwitches(*spec);
        if (switches.empty()) {
            f->error = ui::noModeSwitchReason(*spec).toStdString();
            return *f;
        }
        ui::ModeComparison runs(ui::DrillToCompare{*spec, spec->seed}, switches.front());
        QString why;
        if (!runs.start(&why)) {
            f->error = why.toStdString();
            return *f;
        }
        QEventLoop loop;
        bool ok = false;
        QObject::connect(&runs, &ui::ModeComparison::finished, &loop, [&](bool done, const QString& message) {
            ok = done;
            why = message;
            loop.quit();
        });
        loop.exec();
        if (!ok) {
            f->error = why.toStdString();
            return *f;
        }
        f->window.reset(runs.openWindow(&why));
        if (!f->window) {
            f->error = why.toStdString();
            return *f;
        }
        f->window->resize(1920, 1080);
        f->window->show();
        QApplication::processEvents();
        return *f;
    }
};

void BM_UiTick_Compare(benchmark::State& state)
{
    CompareFixture& f = CompareFixture::get();
    if (!f.window) {
        state.SkipWithError(f.error.c_str());
        return;
    }
    ui::CompareWindow& w = *f.window;
    w.tabs()->setCurrentIndex(static_cast<int>(state.range(0)));
    w.setSideView(ui::CompareWindow::SideView::Both);
    w.setCursorSeconds(0.0);
    QApplication::processEvents();
    const double end = std::floor(w.endSeconds());
    for (auto _ : state) {
        w.setCursorSeconds(w.cursorSeconds() + 1.0 > end ? 0.0 : w.cursorSeconds() + 1.0);
        QPixmap frame = w.grab();
        benchmark::DoNotOptimize(frame);
    }
    state.counters["charts"] = w.chartCount();
    state.counters["shards_per_run"] = w.heatmap(0)->table().rowCount() * w.heatmap(0)->table().columnCount();
    state.counters["run_s"] = w.endSeconds();
    state.SetLabel(state.range(0) == 0 ? "charts" : state.range(0) == 1 ? "shards A|B" : "regions A|B");
}
BENCHMARK(BM_UiTick_Compare)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The two halves of a tick, for finding where the time goes.
void BM_ApplySnapshotOnly(benchmark::State& state)
{
    Fixture& f = Fixture::get();
    ui::DashboardHub& hub = *f.window->hub();
    for (auto _ : state) {
        hub.applySnapshot(f.advance());
        hub.tick();
    }
}
BENCHMARK(BM_ApplySnapshotOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_RepaintOnly(benchmark::State& state)
{
    Fixture& f = Fixture::get();
    for (auto _ : state) {
        QPixmap frame = f.window->grab();
        benchmark::DoNotOptimize(frame);
    }
}
BENCHMARK(BM_RepaintOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The charts alone, two ways, for the design choice in ui/time_chart.h: 8 charts of
// 480×150 with 3 lines of 600 one-second points each; one iteration = one new point
// per line, the 10-minute window moved by a second, every chart repainted.
// BM_Charts_QtSeries: plain Qt Charts (QLineSeries, one replace() per line per tick
// from a list kept by the caller, x axis moved with setRange, docs/UI.md's rendering rules);
// BM_Charts_TimeChart: livedeck's TimeChart (lines on a plot layer, own time axis).
constexpr int kChartCount = 8;
constexpr int kLinesPerChart = 3;
constexpr int kWindowPoints = 600;

double wave(int line, int t)
{
    return 1000.0 + 300.0 * std::sin(t * 0.05 + line) + 50.0 * std::sin(t * 1.7 + 3 * line);
}

void BM_Charts_QtSeries(benchmark::State& state)
{
    std::vector<std::unique_ptr<QChartView>> views;
    std::vector<std::vector<QLineSeries*>> series(kChartCount);
    std::vector<QValueAxis*> axes;
    std::vector<std::vector<QList<QPointF>>> points(kChartCount, std::vector<QList<QPointF>>(kLinesPerChart));
    for (int c = 0; c < kChartCount; ++c) {
        auto* chart = new QChart();
        chart->setAnimationOptions(QChart::NoAnimation);
        auto* x = new QValueAxis(chart);
        auto* y = new QValueAxis(chart);
        y->setRange(0, 2000);
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        for (int l = 0; l < kLinesPerChart; ++l) {
            auto* s = new QLineSeries(chart);
            QPen pen(QColor::fromHsv(l * 110, 200, 180), 1.0);
            pen.setCosmetic(true); // the same pen as TimeChart's lines
            s->setPen(pen);
            chart->addSeries(s);
            s->attachAxis(x);
            s->attachAxis(y);
            series[static_cast<std::size_t>(c)].push_back(s);
            for (int t = 0; t < kWindowPoints; ++t)
                points[static_cast<std::size_t>(c)][static_cast<std::size_t>(l)].append(QPointF(t, wave(l, t)));
        }
        axes.push_back(x);
        auto view = std::make_unique<QChartView>(chart);
        view->setRenderHint(QPainter::Antialiasing, true);
        view->resize(480, 150);
        view->show();
        views.push_back(std::move(view));
    }
    int now = kWindowPoints;
    for (auto _ : state) {
        for (int c = 0; c < kChartCount; ++c) {
            for (int l = 0; l < kLinesPerChart; ++l) {
                QList<QPointF>& pts = points[static_cast<std::size_t>(c)][static_cast<std::size_t>(l)];
                pts.removeFirst();
                pts.append(QPointF(now, wave(l, now)));
                series[static_cast<std::size_t>(c)][static_cast<std::size_t>(l)]->replace(pts);
            }
            axes[static_cast<std::size_t>(c)]->setRange(now - kWindowPoints + 1, now);
        }
        for (auto& v : views) {
            QPixmap frame = v->grab();
            benchmark::DoNotOptimize(frame);
        }
        ++now;
    }
}
BENCHMARK(BM_Charts_QtSeries)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Charts_TimeChart(benchmark::State& state)
{
    std::vector<std::unique_ptr<ui::TimeChart>> charts;
    for (int c = 0; c < kChartCount; ++c) {
        auto chart = std::make_unique<ui::TimeChart>(QStringLiteral("chart %1").arg(c));
        for (int l = 0; l < kLinesPerChart; ++l) {
            const int line = chart->addLine(QStringLiteral("line %1").arg(l));
            for (int t = 0; t < kWindowPoints; ++t)
                chart->addPoint(line, t, wave(l, t));
        }
        chart->resize(480, 150);
        chart->show();
        chart->refresh(kWindowPoints - 1);
        charts.push_back(std::move(chart));
    }
    int now = kWindowPoints;
    for (auto _ : state) {
        for (auto& chart : charts) {
            for (int l = 0; l < kLinesPerChart; ++l)
                chart->addPoint(l, now, wave(l, now));
            chart->refresh(now);
        }
        for (auto& chart : charts) {
            QPixmap frame = chart->grab();
            benchmark::DoNotOptimize(frame);
        }
        ++now;
    }
}
BENCHMARK(BM_Charts_TimeChart)->Unit(benchmark::kMillisecond)->MinTime(2.0);


// The built-in gala drill with its load kept on and its run lengthened to 10 minutes,
// so that the world is busy for the whole measurement: the drill as shipped stops its
// load at 12 s and ends at 26 s, under a second of wall time at max speed.
QString busyGalaDrill()
{
    for (const drills::BuiltinDrill& d : drills::builtinDrills()) {
        if (d.name != ui::kDefaultDrill)
            continue;
        QStringList lines = QString::fromUtf8(d.text.data(), static_cast<qsizetype>(d.text.size())).split(QLatin1Char('\n'));
        for (QString& line : lines) {
            if (line.startsWith(QLatin1String("duration:")))
                line = QStringLiteral("duration: 10m");
            else if (line.trimmed().startsWith(QLatin1String("stop_load_at:")))
                line.clear();
        }
        return lines.join(QLatin1Char('\n'));
    }
    return {};
}

// UI-thread stalls while the world runs as fast as possible: the 1920×1080 window on
// an embedded run of the gala drill (busyGalaDrill()) at max speed (snapshots at 20 Hz,
// every dashboard repainting), and a 1 ms timer on the GUI thread recording the gaps
// between its firings over `seconds` of wall time. The window starts its source after
// its first frame, as the livedeck program does (MainWindowOptions::
// startSourceAfterFirstFrame). Goal: max_gap_ms <= 100, the longest gap that
// began after the world started. startup_gap_ms is the longest gap before that (the
// window's first frame, a one-time cost).
void eventLoopGapAtMaxSpeed(benchmark::State& state, const QString& drillText, const QString& label)
{
    const int seconds = static_cast<int>(state.range(0));
    for (auto _ : state) {
        ui::MainWindowOptions windowOptions;
        windowOptions.useSettings = false;
        windowOptions.startSourceAfterFirstFrame = true;
        ui::MainWindow window(windowOptions);
        window.resize(1920, 1080);
        window.show();
        window.applyDefaultLayout();
        ui::EmbeddedOptions options;
        options.speed = 0; // as fast as possible
        QString error;
        auto source = ui::makeDrillClusterFromText(drillText, label, std::nullopt, options, &error);
        if (!source) {
            state.SkipWithError(error.toStdString().c_str());
            return;
        }
        auto* cluster = source.get();
        window.setSource(std::move(source));
        QElapsedTimer clock;
        clock.start();
        qint64 last = clock.nsecsElapsed();
        bool lastAfterStart = false; // the previous firing came after the world started
        qint64 maxGap = 0;
        qint64 startupGap = 0;
        qint64 startedAtNs = -1;
        double sumGap = 0;
        std::uint64_t ticks = 0;
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        probe.setInterval(1);
        QObject::connect(&probe, &QTimer::timeout, [&] {
            const qint64 now = clock.nsecsElapsed();
            if (lastAfterStart) {
                maxGap = std::max(maxGap, now - last);
                sumGap += static_cast<double>(now - last);
                ++ticks;
            } else {
                startupGap = std::max(startupGap, now - last);
            }
            if (!lastAfterStart && window.sourceStarted()) {
                lastAfterStart = true;
                startedAtNs = now;
            }
            last = now;
        });
        QEventLoop loop;
        QTimer::singleShot(seconds * 1000, &loop, &QEventLoop::quit);
        probe.start();
        last = clock.nsecsElapsed();
        loop.exec();
        probe.stop();
        state.counters["max_gap_ms"] = static_cast<double>(maxGap) / 1e6;
        state.counters["startup_gap_ms"] = static_cast<double>(startupGap) / 1e6;
        state.counters["world_started_at_ms"] = static_cast<double>(startedAtNs) / 1e6;
        state.counters["mean_gap_ms"] = ticks ? sumGap / static_cast<double>(ticks) / 1e6 : 0.0;
        state.counters["snapshots"] = static_cast<double>(cluster->snapshotsDelivered());
        state.counters["sim_s"] = static_cast<double>(window.hub()->simTimeNs()) / 1e9;
        state.counters["ui_ticks"] = static_cast<double>(window.hub()->ticksPainted());
    }
}
void BM_EventLoopGapAtMaxSpeed(benchmark::State& state)
{
    eventLoopGapAtMaxSpeed(state, busyGalaDrill(), QStringLiteral("gala (load kept on, 10 min)"));
}
BENCHMARK(BM_EventLoopGapAtMaxSpeed)->Arg(10)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

QString galaNightText(int countdownAt);

// The same on the console's default run, gala-night (its countdown moved to 20 s in, so
// the 10 s of wall time at max cover the ramp and the peak of all three engines).
void BM_EventLoopGapAtMaxSpeed_GalaNight(benchmark::State& state)
{
    eventLoopGapAtMaxSpeed(state, galaNightText(20), QStringLiteral("gala-night (countdown at 20 s)"));
}
BENCHMARK(BM_EventLoopGapAtMaxSpeed_GalaNight)->Arg(10)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// The console's default run, the built-in gala-night (docs/GALA.md: gifts, messaging and
// the CDN coupled at every engine's default fidelity), with its countdown moved from
// 5 min to `countdownAt` seconds in (the start and the ramp move with it), as
// bench_gala does, so that a benchmark reaches the peak within seconds.
QString galaNightText(int countdownAt)
{
    const drills::BuiltinDrill* d = drills::findBuiltinDrill("gala-night");
    if (!d)
        return {};
    QString text = QString::fromUtf8(d->text.data(), static_cast<qsizetype>(d->text.size()));
    const QDateTime start = QDateTime::fromString(QStringLiteral("2027-01-01T00:00:00+08:00"), Qt::ISODate).addSecs(-countdownAt);
    const QString at = QStringLiteral("%1s").arg(countdownAt);
    const QString replaced = text.replace(QStringLiteral("start: 2026-12-31T23:55:00+08:00"),
                                          QStringLiteral("start: ") + start.toOffsetFromUtc(8 * 3600).toString(Qt::ISODate))
                                 .replace(QStringLiteral("peak_at: 5m"), QStringLiteral("peak_at: ") + at)
                                 .replace(QStringLiteral("countdown_at: 5m"), QStringLiteral("countdown_at: ") + at);
    return replaced.contains(QStringLiteral("countdown_at: ") + at) ? replaced : QString();
}

// Waits (processing events) until `done` holds or `limitMs` of wall time pass.
template <typename Done>
bool waitUntil(Done done, qint64 limitMs)
{
    QElapsedTimer waited;
    waited.start();
    while (!done()) {
        if (waited.elapsed() > limitMs)
            return false;
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    return true;
}

// The UI tick on the gala night: the 1920×1080 main window showing a real embedded run
// of gala-night (three engines' tiles, their breakers, shards, regions and engine
// views), run as fast as possible to 4 s after the countdown (moved to 20 s in) and
// paused there. The last 16 snapshots it delivered are then re-applied with advancing
// times, first 600 of them so that every chart holds 10 minutes, then one per
// iteration: one iteration = applySnapshot + tick + grab of the whole window, as
// BM_UiTick. Goal: <= 16 ms.
struct GalaNightFixture {
    std::unique_ptr<ui::MainWindow> window;
    std::vector<std::shared_ptr<v1::Snapshot>> next;
    std::int64_t second = 0;
    std::string error;
    int breakers = 0;
    int shards = 0;
    int components = 0;

    static std::unique_ptr<GalaNightFixture>& instance()
    {
        static std::unique_ptr<GalaNightFixture> f;
        return f;
    }
    static GalaNightFixture& get()
    {
        auto& f = instance();
        if (f)
            return *f;
        f = std::make_unique<GalaNightFixture>();
        GalaNightFixture& x = *f;
        x.window = std::make_unique<ui::MainWindow>(ui::MainWindowOptions{false});
        x.window->resize(1920, 1080);
        x.window->show();
        x.window->applyDefaultLayout();
        ui::EmbeddedOptions options;
        options.speed = 0;
        options.startPaused = true;
        QString error;
        auto source = ui::makeDrillClusterFromText(galaNightText(20), QStringLiteral("gala-night (countdown at 20 s)"),
                                                   std::nullopt, options, &error);
        if (!source) {
            x.error = error.isEmpty() ? std::string("gala-night is not built in") : error.toStdString();
            return x;
        }
        ui::ClusterSource* cluster = source.get();
        std::vector<ui::SnapshotPtr> seen;
        QObject::connect(cluster, &ui::ClusterSource::snapshotReady, x.window.get(), [&seen](ui::SnapshotPtr s) {
            seen.push_back(std::move(s));
            if (seen.size() > 16)
                seen.erase(seen.begin());
        });
        x.window->setSource(std::move(source));
        const std::int64_t until = 24 * sim::kSecond;
        cluster->runUntil(until);
        if (!waitUntil([&] { return x.window->hub()->simTimeNs() >= until; }, 600'000)) {
            x.error = "the gala night did not reach 24 s within 10 minutes";
            return x;
        }
        waitUntil([] { return false; }, 200); // the paused state's last snapshots
        QObject::disconnect(cluster, &ui::ClusterSource::snapshotReady, x.window.get(), nullptr);
        for (const auto& s : seen) {
            x.next.push_back(std::make_shared<v1::Snapshot>(*s));
            x.breakers = std::max(x.breakers, s->breakers_size());
            x.shards = std::max(x.shards, s->shards_size());
            x.components = std::max(x.components, s->components_size());
        }
        if (x.next.empty()) {
            x.error = "no snapshot arrived";
            return x;
        }
        x.second = x.window->hub()->simTimeNs() / sim::kSecond;
        for (int i = 0; i < 600; ++i) // ten minutes of one-second points in every chart
            x.window->hub()->applySnapshot(x.advance());
        x.window->hub()->tick();
        QApplication::processEvents();
        return x;
    }

    ui::SnapshotPtr advance()
    {
        ++second;
        auto& s = next[static_cast<std::size_t>(second) % next.size()];
        s->set_calendar_unix_ms(s->calendar_unix_ms() + (second * sim::kSecond - s->sim_time_ns()) / 1'000'000);
        s->set_sim_time_ns(second * sim::kSecond);
        return s;
    }
};

void BM_UiTick_GalaNight(benchmark::State& state)
{
    GalaNightFixture& f = GalaNightFixture::get();
    if (!f.error.empty()) {
        state.SkipWithError(f.error.c_str());
        return;
    }
    ui::DashboardHub& hub = *f.window->hub();
    for (auto _ : state) {
        hub.applySnapshot(f.advance());
        hub.tick();
        QPixmap frame = f.window->grab();
        benchmark::DoNotOptimize(frame);
    }
    state.counters["breakers"] = f.breakers;
    state.counters["shards"] = f.shards;
    state.counters["components"] = f.components;
}
BENCHMARK(BM_UiTick_GalaNight)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// Calls fn(dir) for the /proc/self/task/<tid> folder of each thread named `name` (the
// world's thread is ld-world, its helper ld-helper, the heap thread ld-heap).
template<typename Fn>
void forThreadsNamed(const char* name, Fn fn)
{
    QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString& tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + QStringLiteral("/comm")));
        if (comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == name)
            fn(QDir(tasks.filePath(tid)));
    }
}

// CPU seconds (user + system) the process's threads named `name` used so far.
double threadCpuSeconds(const char* name)
{
    double total = 0;
    forThreadsNamed(name, [&](const QDir& task) {
        QFile stat(task.filePath(QStringLiteral("stat")));
        if (!stat.open(QIODevice::ReadOnly))
            return;
        // Fields after the parenthesised name: state is field 3, utime 14 and stime 15.
        const QByteArray line = stat.readAll();
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 12)
            total += static_cast<double>(fields[11].toLongLong() + fields[12].toLongLong())
                     / static_cast<double>(sysconf(_SC_CLK_TCK));
    });
    return total;
}

// How often the process's threads named `name` gave up their CPU to wait (`field`
// voluntary_ctxt_switches) or had it taken (nonvoluntary_ctxt_switches), from their
// status files.
double threadSwitches(const char* name, const char* field)
{
    double total = 0;
    const auto n = static_cast<qsizetype>(std::strlen(field));
    forThreadsNamed(name, [&](const QDir& task) {
        QFile status(task.filePath(QStringLiteral("status")));
        if (!status.open(QIODevice::ReadOnly))
            return;
        for (const QByteArray& line : status.readAll().split('\n'))
            if (line.startsWith(field) && line.size() > n && line[n] == ':')
                total += line.mid(n + 1).trimmed().toDouble();
    });
    return total;
}

// The world at × 1 on the gala night: the 1920×1080 main window on an embedded run of
// gala-night (countdown moved to 20 s in) paced at real time, as the livedeck program
// starts it, for `seconds` of wall time through the ramp, the countdown and after it.
// Every 50 ms the host's status is read: behind_ms = wall time since the world started
// − simulated time since then (the host re-anchors after 1 s behind, so time lost
// shows in sim_per_wall below 1). Goals: sim_per_wall >= 0.99 and max_behind_ms
// <= 100 (the world at × 1 never falls behind real time); max_behind_at_s is when
// (wall seconds from the start; the countdown is at 20 s) and behind_over_100_s how
// long in all it was more than 100 ms behind; max_gap_ms is the GUI thread's longest
// stall over the same run; world_cpu_s and helper_cpu_s the CPU seconds the world's
// thread and its helper used in it (the main thread's are the CPU column), world_waits
// and helper_waits how often each gave up its CPU to wait, world_preempted how often the
// world's thread had its CPU taken.
void BM_ConsoleAtRealTime(benchmark::State& state)
{
    const int seconds = static_cast<int>(state.range(0));
    for (auto _ : state) {
        ui::MainWindowOptions windowOptions;
        windowOptions.useSettings = false;
        windowOptions.startSourceAfterFirstFrame = true;
        ui::MainWindow window(windowOptions);
        window.resize(1920, 1080);
        window.show();
        window.applyDefaultLayout();
        ui::EmbeddedOptions options;
        options.speed = 1.0;
        QString error;
        auto source = ui::makeDrillClusterFromText(galaNightText(20), QStringLiteral("gala-night (countdown at 20 s)"),
                                                   std::nullopt, options, &error);
        if (!source) {
            state.SkipWithError(error.isEmpty() ? "gala-night is not built in" : error.toStdString().c_str());
            return;
        }
        ui::EmbeddedCluster* cluster = source.get();
        window.setSource(std::move(source));
        if (!waitUntil([&] { return window.sourceStarted() && cluster->hostStatus().simTime > 0; }, 30'000)) {
            state.SkipWithError("the world did not start");
            return;
        }
        QElapsedTimer clock;
        clock.start();
        const sim::Nanos sim0 = cluster->hostStatus().simTime;
        const double worldCpu0 = threadCpuSeconds("ld-world");
        const double helperCpu0 = threadCpuSeconds("ld-helper");
        const double worldWaits0 = threadSwitches("ld-world", "voluntary_ctxt_switches");
        const double worldPreempted0 = threadSwitches("ld-world", "nonvoluntary_ctxt_switches");
        const double helperWaits0 = threadSwitches("ld-helper", "voluntary_ctxt_switches");
        double maxBehind = 0;
        double maxBehindAt = 0;
        double over100 = 0; // seconds of probes more than 100 ms behind
        double sumBehind = 0;
        int probes = 0;
        qint64 last = clock.nsecsElapsed();
        qint64 maxGap = 0;
        QTimer gap;
        gap.setTimerType(Qt::PreciseTimer);
        gap.setInterval(1);
        QObject::connect(&gap, &QTimer::timeout, [&] {
            const qint64 now = clock.nsecsElapsed();
            maxGap = std::max(maxGap, now - last);
            last = now;
        });
        QTimer probe;
        probe.setInterval(50);
        QObject::connect(&probe, &QTimer::timeout, [&] {
            const qint64 wallNs = clock.nsecsElapsed();
            const double behind = static_cast<double>(wallNs - (cluster->hostStatus().simTime - sim0)) / 1e6;
            if (behind > maxBehind) {
                maxBehind = behind;
                maxBehindAt = static_cast<double>(wallNs) / 1e9;
            }
            if (behind > 100.0)
                over100 += probe.interval() / 1e3;
            sumBehind += behind;
            ++probes;
        });
        QEventLoop loop;
        QTimer::singleShot(seconds * 1000, &loop, &QEventLoop::quit);
        gap.start();
        probe.start();
        last = clock.nsecsElapsed();
        loop.exec();
        const double wall = static_cast<double>(clock.nsecsElapsed()) / 1e9;
        state.counters["world_cpu_s"] = threadCpuSeconds("ld-world") - worldCpu0;
        state.counters["helper_cpu_s"] = threadCpuSeconds("ld-helper") - helperCpu0;
        state.counters["world_waits"] = threadSwitches("ld-world", "voluntary_ctxt_switches") - worldWaits0;
        state.counters["world_preempted"] = threadSwitches("ld-world", "nonvoluntary_ctxt_switches") - worldPreempted0;
        state.counters["helper_waits"] = threadSwitches("ld-helper", "voluntary_ctxt_switches") - helperWaits0;
        const double simS = static_cast<double>(cluster->hostStatus().simTime - sim0) / 1e9;
        state.counters["sim_per_wall"] = wall > 0 ? simS / wall : 0.0;
        state.counters["sim_s"] = simS;
        state.counters["max_behind_ms"] = maxBehind;
        state.counters["max_behind_at_s"] = maxBehindAt;
        state.counters["behind_over_100_s"] = over100;
        state.counters["mean_behind_ms"] = probes ? sumBehind / probes : 0.0;
        state.counters["max_gap_ms"] = static_cast<double>(maxGap) / 1e6;
        state.counters["ui_ticks"] = static_cast<double>(window.hub()->ticksPainted());
    }
}
BENCHMARK(BM_ConsoleAtRealTime)->Arg(40)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Start-up ("livedeck with no argument … dashboards live within 1.5 s"): the
// livedeck program started with no argument (offscreen, empty settings), timed from
// the spawn to its "dashboards live after N ms" line (the first UI tick that shows a
// snapshot), then killed. LIVEDECK_PROGRAM overrides the program's path (default: the
// build tree's app/livedeck/livedeck next to this benchmark). Reported as the mean;
// max_ms is the slowest start, program_ms what the program measured from its main().
void BM_ProgramStartToLive(benchmark::State& state)
{
    QString program = qEnvironmentVariable("LIVEDECK_PROGRAM");
    if (program.isEmpty())
        program = QCoreApplication::applicationDirPath() + QStringLiteral("/../../../app/livedeck/livedeck");
    if (!QFileInfo(program).isExecutable()) {
        state.SkipWithError(("no livedeck program at " + program.toStdString()).c_str());
        return;
    }
    QTemporaryDir config;
    double maxMs = 0;
    double programMs = 0;
    for (auto _ : state) {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path()); // no saved layout
        process.setProcessEnvironment(env);
        QElapsedTimer clock;
        clock.start();
        process.setReadChannel(QProcess::StandardError);
        process.start(program, {});
        QByteArray err;
        qint64 liveNs = -1;
        while (liveNs < 0 && clock.elapsed() < 30'000 && process.state() != QProcess::NotRunning) {
            process.waitForReadyRead(100);
            err += process.readAllStandardError();
            const qsizetype at = err.indexOf("dashboards live after ");
            if (at >= 0 && err.indexOf('\n', at) > at) {
                liveNs = clock.nsecsElapsed();
                programMs = err.mid(at + 22).split(' ').front().toDouble();
            }
        }
        process.kill();
        process.waitForFinished(5000);
        if (liveNs < 0) {
            state.SkipWithError("the program never reported live dashboards");
            return;
        }
        state.SetIterationTime(static_cast<double>(liveNs) / 1e9);
        maxMs = std::max(maxMs, static_cast<double>(liveNs) / 1e6);
    }
    state.counters["max_ms"] = maxMs;
    state.counters["program_ms"] = programMs; // the last start's own figure
}
BENCHMARK(BM_ProgramStartToLive)->Iterations(5)->UseManualTime()->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char** argv)
{
    // Offscreen with a 1920×1080 screen: the default layout is the desktop one (on a
    // smaller screen the window would tab its side docks and paint less).
    QTemporaryDir tmp;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        const QString cfg = tmp.filePath(QStringLiteral("screen.json"));
        QFile f(cfg);
        if (f.open(QIODevice::WriteOnly))
            f.write(R"({ "windowFrameMargins": false, "screens": [ { "name": "screen", "x": 0, "y": 0,)"
                    R"( "width": 1920, "height": 1080, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1 } ] })");
        f.close();
        qputenv("QT_QPA_PLATFORM", QByteArray("offscreen:configfile=") + cfg.toLocal8Bit());
    }
    QApplication app(argc, argv);
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    livedeck::app::installBuiltinEngines();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    Fixture::instance().reset();
    CompareFixture::instance().reset();
    GalaNightFixture::instance().reset();
    return 0;
}
