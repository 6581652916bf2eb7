// The CDN engine's console views (ui/engines/cdn/) on real runs: the main window runs a
// built-in CDN drill in an embedded world (the program's drill source) and the views
// must show what the engine's parts report — the failed node out of service and
// unhealthy with its reason, its recovery steps in order, the slicers' window and the
// live slot table. With LIVEDECK_CDN_SHOTS=<dir> the screenshots test grabs the views
// (docs/screenshots/cdn_*.png; docs/CDN.md names the command).
#include "tests/common/multi_test.h"
#include "ui/dashboard_hub.h"
#include "ui/drill_source.h"
#include "ui/engines/cdn/cdn_views.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QTableWidget>
#include <QTest>
#include <QThread>

using namespace livedeck;
using namespace livedeck::ui::cdn;

namespace {

std::unique_ptr<ui::MainWindow> openDrill(const QString& drill)
{
    auto window = std::make_unique<ui::MainWindow>(ui::MainWindowOptions{false});
    window->setDrillFactory(
        [](const QString& fileOrName, QString* error) -> std::unique_ptr<ui::ClusterSource> {
            ui::EmbeddedOptions options;
            options.speed = 0.0;
            options.startPaused = true;
            return ui::makeDrillCluster(fileOrName, std::nullopt, options, error);
        },
        ui::builtinDrillNames(), drill);
    QString error;
    if (!window->openDrill(drill, &error)) {
        qWarning() << "cannot open" << drill << error;
        return nullptr;
    }
    return window;
}

// Runs the window's source to `seconds` of simulated time and waits for that snapshot.
bool runTo(ui::MainWindow& window, double seconds)
{
    const auto ns = static_cast<std::int64_t>(seconds * 1e9);
    window.source()->runUntil(ns);
    QElapsedTimer waited;
    waited.start();
    while (window.hub()->simTimeNs() < ns) {
        if (waited.elapsed() > 200'000)
            return false;
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    for (int i = 0; i < 10; ++i) {
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    window.hub()->tick();
    return true;
}

QDockWidget* dockOf(QWidget* w)
{
    for (; w; w = w->parentWidget())
        if (auto* d = qobject_cast<QDockWidget*>(w))
            return d;
    return nullptr;
}

int rowOf(QTableWidget* t, const QString& node)
{
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, 0) && t->item(r, 0)->text() == node)
            return r;
    return -1;
}

QString cell(QTableWidget* t, int row, int col)
{
    return t->item(row, col) ? t->item(row, col)->text() : QString();
}

} // namespace

class TstCdnViews : public QObject {
    Q_OBJECT
private slots:
    void cacheNodeDownShowsInEveryView()
    {
        auto window = openDrill(QStringLiteral("cdn-cache-node-down"));
        QVERIFY(window);
        window->show();
        QVERIFY(runTo(*window, 12.0)); // the node fails at 4 s

        auto* caches = window->findChild<CacheTableView*>();
        auto* health = window->findChild<HealthTableView*>();
        auto* slotView = window->findChild<SlotHeatmapView*>();
        auto* recovery = window->findChild<RecoveryTimelineView*>();
        auto* slicing = window->findChild<SlicingView*>();
        QVERIFY(caches && health && slotView && recovery && slicing);
        // Offered while a CDN runs.
        QVERIFY(dockOf(caches)->toggleViewAction()->isVisible());
        // The region map's rows: each region's clients, served (one cache node down is
        // routed around).
        {
            const ui::SnapshotPtr& snap = window->hub()->latestSnapshot();
            QVERIFY(snap);
            int rows = 0;
            for (const v1::RegionHealth& h : snap->regions()) {
                if (h.engine() != "cdn")
                    continue;
                ++rows;
                QVERIFY2(h.up() && h.rps() > 0.0 && h.availability() > 0.99, h.region().c_str());
            }
            QCOMPARE(rows, 3);
        }
        for (CdnPanel* p : std::initializer_list<CdnPanel*>{caches, health, slotView, recovery, slicing})
            p->rebuildNow();

        // Cache table: every node of the three regions, the failed one first.
        QTableWidget* ct = caches->table();
        QCOMPARE(ct->rowCount(), 24);
        QCOMPARE(cell(ct, 0, 0), QStringLiteral("sh-a cache-3"));
        QCOMPARE(cell(ct, 0, 1), QStringLiteral("down, out of service"));
        const int other = rowOf(ct, QStringLiteral("sh-a cache-0"));
        QVERIFY(other > 0);
        QCOMPARE(cell(ct, other, 1), QStringLiteral("in service"));
        // A node in service hits and takes load; the ratios are percentages.
        QVERIFY2(cell(ct, other, 4).endsWith(QLatin1Char('%')) && cell(ct, other, 4) != QStringLiteral("0.0%"), qPrintable(cell(ct, other, 4)));
        QVERIFY(cell(ct, other, 6) != QStringLiteral("0"));
        caches->setRegionFilter(QStringLiteral("gz"));
        caches->rebuildNow();
        QCOMPARE(ct->rowCount(), 8);
        QCOMPARE(rowOf(ct, QStringLiteral("cache-3")) >= 0, true);
        QCOMPARE(cell(ct, 0, 1), QStringLiteral("in service")); // gz lost nothing

        // Health: unhealthy by control's checks, the reason it tripped, one ejection.
        QTableWidget* ht = health->table();
        QCOMPARE(cell(ht, 0, 0), QStringLiteral("sh-a cache-3"));
        QCOMPARE(cell(ht, 0, 1), QStringLiteral("unhealthy"));
        QVERIFY2(!cell(ht, 0, 3).isEmpty(), "no tripped reason");
        QCOMPARE(cell(ht, 0, 7), QStringLiteral("1"));
        QVERIFY2(cell(ht, 0, 8).startsWith(QLatin1String("restore")), qPrintable(cell(ht, 0, 8)));

        // Recovery: the failed node's steps in order, within the drill's 10 s.
        const RecoveryTimeline::Data& rd = recovery->timeline()->data();
        QCOMPARE(rd.rows.size(), std::size_t{1});
        const RecoveryTimeline::Row& row = rd.rows.front();
        QCOMPARE(row.node, QStringLiteral("sh-a cache-3"));
        QCOMPARE(row.fault, 4.0);
        QVERIFY(row.detected > row.fault && row.detected < row.fault + 10);
        QVERIFY(row.ejected >= row.detected);
        QVERIFY(row.routed >= row.ejected);
        QCOMPARE(row.restored, -1.0);
        QCOMPARE(rd.failureAt, 4.0);
        QVERIFY(rd.recoveryP99 > 0 && rd.recoveryP99 <= 10);

        // Slicing: twelve gateways with the prefetch window 2, a window that is used,
        // slices that cover more than the client asked for (amplification ≥ 1).
        QTableWidget* st = slicing->table();
        QCOMPARE(st->rowCount(), 12);
        for (int r = 0; r < st->rowCount(); ++r) {
            QCOMPARE(cell(st, r, 1), QStringLiteral("2"));
            QVERIFY2(cell(st, r, 8).toDouble() >= 1.0, qPrintable(cell(st, r, 8)));
        }
        QVERIFY(slicing->hot()->rowCount() > 0);
        QVERIFY(cell(slicing->hot(), 0, 0).startsWith(QLatin1String("live stream")));

        // Slots: sh-a's table without cache-3 in the gateway's ring; every cell on a
        // node that serves its slot, none on cache-3.
        slotView->setRegionFilter(QStringLiteral("sh-a"));
        slotView->rebuildNow();
        const SlotHeatmap::Data& sd = slotView->heatmap()->data();
        QCOMPARE(sd.nodes.size(), std::size_t{8});
        QVERIFY(!sd.columns.empty());
        QVERIFY(!sd.inTable[3]);
        double most = 0;
        for (int c = 0; c < static_cast<int>(sd.columns.size()); ++c) {
            QVERIFY(std::isnan(slotView->heatmap()->cell(3, c)));
            for (int n = 0; n < 8; ++n)
                if (!std::isnan(slotView->heatmap()->cell(n, c)))
                    most = std::max(most, slotView->heatmap()->cell(n, c));
        }
        QVERIFY(most > 0.0);
    }

    void galaCrowdWidensTheHotSlot()
    {
        auto window = openDrill(QStringLiteral("cdn-gala-flash-crowd"));
        QVERIFY(window);
        window->show();
        QVERIFY(runTo(*window, 8.0));
        auto* slotView = window->findChild<SlotHeatmapView*>();
        QVERIFY(slotView);
        slotView->setRegionFilter(QStringLiteral("sh-a"));
        slotView->rebuildNow();
        const SlotHeatmap::Data& sd = slotView->heatmap()->data();
        QVERIFY(!sd.columns.empty());
        // The gala's slot is the busiest and spread over several nodes, each below
        // twice the threshold.
        QVERIFY2(sd.columns.front().nodes.size() >= 3, qPrintable(QString::number(sd.columns.front().nodes.size())));
        for (int n = 0; n < 8; ++n) {
            const double v = slotView->heatmap()->cell(n, 0);
            QVERIFY(std::isnan(v) || v < 2.0);
        }
        auto* slicing = window->findChild<SlicingView*>();
        slicing->rebuildNow();
        QCOMPARE(slicing->hot()->item(0, 0)->text(), QStringLiteral("live stream 0"));
        // The hot stream's slot is the heatmap's busiest, as wide as the heatmap shows it.
        QCOMPARE(slicing->hot()->item(0, 2)->text(),
                 QStringLiteral("%1 · ×%2").arg(sd.columns.front().slot).arg(sd.columns.front().width));
    }

    // LIVEDECK_CDN_SHOTS=<dir> [LIVEDECK_CDN_SHOTS_DRILL=<name> LIVEDECK_CDN_SHOTS_AT=<s>]:
    // the window at the screen's size with each CDN view raised, and each view alone.
    void screenshots()
    {
        const QString dir = qEnvironmentVariable("LIVEDECK_CDN_SHOTS");
        if (dir.isEmpty())
            QSKIP("LIVEDECK_CDN_SHOTS not set");
        const QString drill = qEnvironmentVariable("LIVEDECK_CDN_SHOTS_DRILL", QStringLiteral("cdn-cache-node-down"));
        const double at = qEnvironmentVariable("LIVEDECK_CDN_SHOTS_AT", QStringLiteral("12")).toDouble();
        const QString suffix = qEnvironmentVariable("LIVEDECK_CDN_SHOTS_SUFFIX");
        auto window = openDrill(drill);
        QVERIFY(window);
        window->fitToScreen();
        window->show();
        QVERIFY(runTo(*window, at));
        QDir().mkpath(dir);
        const std::pair<const char*, CdnPanel*> views[] = {
            {"caches", window->findChild<CacheTableView*>()},   {"health", window->findChild<HealthTableView*>()},
            {"slots", window->findChild<SlotHeatmapView*>()},   {"recovery", window->findChild<RecoveryTimelineView*>()},
            {"slicing", window->findChild<SlicingView*>()},
        };
        for (const auto& [name, view] : views) {
            QVERIFY(view);
            if (QString::fromLatin1(name) == QLatin1String("slots"))
                view->setRegionFilter(QStringLiteral("sh-a"));
            QVERIFY(window->showEngineView(view));
            for (int i = 0; i < 5; ++i)
                QApplication::processEvents();
            view->rebuildNow();
            QApplication::processEvents();
            const QString base = QStringLiteral("%1/cdn_%2%3").arg(dir, QString::fromLatin1(name), suffix);
            QVERIFY(window->grab().save(base + QStringLiteral("_window.png")));
            // The view alone, floated at a size an operator gives it.
            QDockWidget* dock = dockOf(view);
            dock->setFloating(true);
            dock->resize(std::min(1400, window->width() - 40), 360);
            for (int i = 0; i < 5; ++i)
                QApplication::processEvents();
            view->rebuildNow();
            QApplication::processEvents();
            QVERIFY(view->grab().save(base + QStringLiteral(".png")));
            // What one refresh of the view costs on this snapshot: parse + update + paint.
            QElapsedTimer cost;
            cost.start();
            constexpr int kRounds = 20;
            for (int i = 0; i < kRounds; ++i) {
                view->rebuildNow();
                view->repaint();
            }
            qInfo("cdn view %s: %.2f ms per refresh (parse, update, paint; %dx%d)", name,
                  static_cast<double>(cost.nsecsElapsed()) / 1e6 / kRounds, view->width(), view->height());
            dock->setFloating(false);
        }
    }
};

LIVEDECK_TEST_CLASS(TstCdnViews)
#include "tst_cdn_views.moc"
