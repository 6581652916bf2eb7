// UI tick benchmark: one tick = apply one snapshot to every dashboard and repaint the
// whole 1920×1080 main window (QWidget::grab renders every visible widget). The world
// is the scripted gala scenario scaled to 200 breakers, 1 000 shards (10 clusters ×
// 100, two month partitions) and 8 charts already holding 10 minutes of 1 s data.
// Goal: <= 16 ms per tick (one frame at 60 Hz). Run with QT_QPA_PLATFORM=offscreen
// (set automatically when unset).
#include "tests/ui/fixtures/scripted_cluster.h"
#include "ui/dashboard_hub.h"
#include "ui/main_window.h"

#include <benchmark/benchmark.h>

#include <QApplication>
#include <QPixmap>
#include <QStyleFactory>

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

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    Fixture::instance().reset();
    return 0;
}
