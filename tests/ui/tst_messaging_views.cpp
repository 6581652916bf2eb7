// The messaging console views (ui/engines/messaging/) on a real messaging drill run in
// the console's embedded world, legacy and upgraded at the same seed: a campaign beside
// high-priority notifications, one-to-one sends with a hot receiver, conversation
// queries, and the sequence cache lost at 3 s. The views must show what the engine's
// mechanisms recorded — timeline entries with sequences in both inboxes, acknowledged
// rows, the binlog sync's pushes (upgraded only), a gap after the cache loss, the hot
// users' tiers, the bulk channels (one shared legacy channel, two upgraded ones) and
// the content tables (one legacy table a month, 100 upgraded ones).
//
// With LIVEDECK_MESSAGING_SCREENSHOTS=<dir> it also writes the screenshots of
// docs/MESSAGING.md "Console views" (messaging_<mode>_*.png) at 1920×1080.
#include "tests/common/multi_test.h"
#include "ui/dashboard_hub.h"
#include "ui/drill_source.h"
#include "ui/engines/messaging/messaging_views.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QScreen>
#include <QTableWidget>
#include <QTest>
#include <QThread>

using namespace livedeck;
using namespace livedeck::ui::messaging;

namespace {

QString consoleDrill(const QString& mode)
{
    return QStringLiteral(R"(name: messaging-console-%1
description: |
  The messaging views' drill: sends with a hot receiver, queries, a campaign beside high-priority notifications, the sequence cache lost at 3 s.
seed: 1
duration: 6s
engines:
  messaging:
    mode: %1
    scale: 1
    sends_per_sec: 200
    queries_per_sec: 500
    hot_receiver_share: 0.2
    campaign_users: 2e6
    campaign_start: 1s
    high_priority_per_sec: 2000
    actions:
      - {at: 3s, lose_sequence_cache: true}
invariants: all
)")
        .arg(mode);
}

void settle()
{
    for (int i = 0; i < 5; ++i)
        QApplication::processEvents();
}

bool runTo(ui::MainWindow& window, std::int64_t ns)
{
    window.source()->runUntil(ns);
    QElapsedTimer waited;
    waited.start();
    while (window.hub()->simTimeNs() < ns) {
        if (waited.elapsed() > 100'000)
            return false;
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    for (int i = 0; i < 10; ++i) {
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    window.hub()->tick();
    settle();
    return true;
}

template <typename T>
T* viewIn(ui::MainWindow& w, const char* dockName)
{
    QDockWidget* d = w.dock(QLatin1String(dockName));
    return d ? d->findChild<T*>() : nullptr; // the dock holds the view in a scroll area
}

void raise(ui::MainWindow& w, const char* name)
{
    QVERIFY(w.showEngineView(QStringLiteral("dock.engine.messaging.%1").arg(QLatin1String(name))));
    settle();
    w.hub()->tick();
    settle();
}

int rowsWith(QTableWidget* t, int column, const QString& text)
{
    int n = 0;
    for (int r = 0; r < t->rowCount(); ++r) {
        if (t->item(r, column) && t->item(r, column)->text().contains(text))
            ++n;
    }
    return n;
}

void grab(ui::MainWindow& w, const char* dockName, const QString& file)
{
    const QString dirName = qEnvironmentVariable("LIVEDECK_MESSAGING_SCREENSHOTS");
    if (dirName.isEmpty())
        return;
    QDir dir(dirName);
    dir.mkpath(QStringLiteral("."));
    QDockWidget* d = w.dock(QStringLiteral("dock.engine.messaging.%1").arg(QLatin1String(dockName)));
    QVERIFY(d->grab().save(dir.filePath(file)));
}

void grabAll(ui::MainWindow& w, const QString& mode)
{
    const QString dirName = qEnvironmentVariable("LIVEDECK_MESSAGING_SCREENSHOTS");
    if (dirName.isEmpty())
        return;
    QDir dir(dirName);
    dir.mkpath(QStringLiteral("."));
    for (const char* name : {"timeline", "hot", "tiers", "sync", "bulk", "content"}) {
        QDockWidget* d = w.showEngineView(QStringLiteral("dock.engine.messaging.%1").arg(QLatin1String(name)));
        QVERIFY(d);
        settle();
        if (std::string_view(name) == "tiers")
            QVERIFY(w.grab().save(dir.filePath(QStringLiteral("messaging_%1_window.png").arg(mode))));
        QVERIFY(d->grab().save(dir.filePath(QStringLiteral("messaging_%1_%2.png").arg(mode, QLatin1String(name)))));
    }
}

} // namespace

class TstMessagingViews : public QObject {
    Q_OBJECT
private slots:
    void viewsShowTheRunsMechanisms_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("legacy") << QStringLiteral("legacy");
        QTest::newRow("upgraded") << QStringLiteral("upgraded");
    }

    void viewsShowTheRunsMechanisms()
    {
        QFETCH(QString, mode);
        const bool upgraded = mode == QLatin1String("upgraded");
        ui::MainWindow window(ui::MainWindowOptions{false});
        window.resize(window.screen()->availableGeometry().size());
        window.setDrillFactory([mode](const QString&, QString* error) -> std::unique_ptr<ui::ClusterSource> {
            ui::EmbeddedOptions options;
            options.speed = 0.0;
            options.startPaused = true;
            return ui::makeDrillClusterFromText(consoleDrill(mode), QStringLiteral("messaging-console.yaml"), std::nullopt,
                                                options, error);
        });
        window.show();
        settle();
        QString error;
        QVERIFY2(window.openDrill(QStringLiteral("messaging-console"), &error), qPrintable(error));
        QVERIFY(runTo(window, 2'800'000'000));

        auto* conv = viewIn<MessagingTimelineView>(window, "dock.engine.messaging.timeline");
        auto* hotView = viewIn<MessagingHotUsersView>(window, "dock.engine.messaging.hot");
        auto* tiers = viewIn<MessagingTiersView>(window, "dock.engine.messaging.tiers");
        auto* sync = viewIn<MessagingSyncView>(window, "dock.engine.messaging.sync");
        auto* bulk = viewIn<MessagingBulkView>(window, "dock.engine.messaging.bulk");
        auto* content = viewIn<MessagingContentView>(window, "dock.engine.messaging.content");
        QVERIFY(conv && hotView && tiers && sync && bulk && content);
        QVERIFY(window.dock(QStringLiteral("dock.engine.messaging.timeline"))->toggleViewAction()->isVisible());
        raise(window, "timeline");

        // Timeline: published inboxes, entries with both inboxes' sequences and a msgkey.
        QVERIFY(conv->userBox()->count() >= 3);
        QTableWidget* tl = conv->timeline();
        QVERIFY(tl->rowCount() > 0);
        const MessagingState& s = conv->state();
        QVERIFY(s.present);
        QCOMPARE(s.mode, mode);
        int acked = 0;
        int pushed = 0;
        for (const Inbox& box : s.inboxes) {
            QVERIFY2(box.ceiling >= box.handed, "the durable ceiling is reserved before a sequence is handed out");
            for (const TimelineEntry& e : box.entries) {
                if (e.gap || !e.acked)
                    continue;
                ++acked;
                QVERIFY(e.seq > 0 && e.peerSeq > 0 && e.msgkey > 0);
                QVERIFY(e.seq <= box.handed);
                if (e.pushed == 'y')
                    ++pushed;
                if (!upgraded)
                    QCOMPARE(e.pushed, '-');
            }
        }
        QVERIFY(acked > 0);
        if (upgraded)
            QVERIFY2(pushed > 0, "the binlog sync applied some entries in Redis");
        QVERIFY(rowsWith(tl, 5, QStringLiteral("content + 2 rows")) > 0);
        // A peer narrows the timeline to that conversation.
        QVERIFY(conv->peerBox()->count() >= 2);
        const int all = tl->rowCount();
        conv->peerBox()->setCurrentIndex(1);
        QVERIFY(tl->rowCount() >= 1 && tl->rowCount() <= all);
        const QString peer = conv->peerBox()->currentText();
        for (int r = 0; r < tl->rowCount(); ++r)
            QVERIFY(tl->item(r, 1)->text().endsWith(peer) || tl->item(r, 1)->text().contains(QStringLiteral("gap")));
        conv->peerBox()->setCurrentIndex(0);

        // Hot users: the last second's most asked-for lists, by queries, answered by tiers.
        raise(window, "hot");
        QTableWidget* hot = hotView->board();
        QVERIFY(hot->rowCount() > 0);
        const std::vector<HotRow>& board = hotView->state().hot;
        QVERIFY(board.size() == static_cast<std::size_t>(hot->rowCount()));
        for (std::size_t i = 0; i < board.size(); ++i) {
            const HotRow& h = board[i];
            QVERIFY(h.queries > 0);
            QVERIFY(h.redis + h.taishan + h.mysql + h.failed <= h.queries * 1.0001);
            if (i > 0)
                QVERIFY(h.queries <= board[i - 1].queries);
            if (!upgraded)
                QCOMPARE(h.taishan, 0.0);
        }

        // Tiers over the last second: Redis answers most; legacy has no Taishan tier.
        raise(window, "tiers");
        const TierCounts& w = tiers->window();
        QVERIFY(w.queries > 0);
        QVERIFY(w.redisHits > 0);
        // A Redis hit answers its query at once; a miss may still be on its way to MySQL.
        QVERIFY(w.redisHits <= w.queries * 1.0001);
        raise(window, "sync");
        if (upgraded) {
            QVERIFY(tiers->state().taishanTier);
            QVERIFY(w.taishanHits > 0);
            QVERIFY(sync->state().syncEnabled);
            double lagged = 0;
            for (double b : sync->state().lagHist)
                lagged += b;
            QVERIFY2(lagged > 0, "the sync lag histogram holds the applied records");
        } else {
            QVERIFY(!tiers->state().taishanTier);
            QCOMPARE(w.taishanHits + w.taishanMisses, 0.0);
            QVERIFY(!sync->state().syncEnabled);
        }

        // Bulk channels and content tables.
        raise(window, "bulk");
        raise(window, "content");
        const MessagingState& b = bulk->state();
        QCOMPARE(b.channels.size(), std::size_t(upgraded ? 2 : 1));
        QVERIFY(b.campaignDelivered > 0);
        QVERIFY(b.campaignProduced + b.campaignLeft >= 2e6 * 0.999);
        QCOMPARE(content->state().contentRows.size(), std::size_t(upgraded ? 100 : 1));

        // After the sequence cache is lost at 3 s, inboxes skip to their durable ceilings.
        QVERIFY(runTo(window, 3'600'000'000));
        raise(window, "timeline");
        std::uint64_t skipped = 0;
        int gapRows = 0;
        for (const Inbox& box : conv->state().inboxes) {
            skipped += box.skipped;
            for (const TimelineEntry& e : box.entries) {
                if (e.gap) {
                    ++gapRows;
                    QVERIFY(e.peerSeq >= e.seq);
                }
            }
        }
        QVERIFY2(skipped > 0 && gapRows > 0, "a lost sequence cache leaves gaps in the inboxes");
        // Pick an inbox with a gap: the timeline shows it.
        for (int i = 0; i < conv->userBox()->count(); ++i) {
            conv->userBox()->setCurrentIndex(i);
            if (rowsWith(conv->timeline(), 1, QStringLiteral("gap")) > 0)
                break;
        }
        QVERIFY(rowsWith(conv->timeline(), 1, QStringLiteral("gap")) > 0);
        grab(window, "timeline", QStringLiteral("messaging_%1_timeline_gap.png").arg(mode));

        QVERIFY(runTo(window, 4'500'000'000));
        grabAll(window, mode);
        window.setSource(nullptr);
    }

    // The sync panel's refusals by reason come from the apply's compare-and-set replies:
    // MQ duplicates and retried records are refused (same or older version) with
    // set-if-newer; the plain-SET twin refuses nothing and writes some below a newer one.
    void syncPanelCountsRefusalsByReason_data()
    {
        QTest::addColumn<QString>("drill");
        QTest::addColumn<bool>("guarded");
        QTest::newRow("set-if-newer") << QStringLiteral("messaging-mq-duplicates") << true;
        QTest::newRow("plain SET") << QStringLiteral("messaging-mq-duplicates-plain-set") << false;
    }

    void syncPanelCountsRefusalsByReason()
    {
        QFETCH(QString, drill);
        QFETCH(bool, guarded);
        ui::MainWindow window(ui::MainWindowOptions{false});
        window.resize(window.screen()->availableGeometry().size());
        window.setDrillFactory([](const QString& name, QString* error) -> std::unique_ptr<ui::ClusterSource> {
            ui::EmbeddedOptions options;
            options.speed = 0.0;
            options.startPaused = true;
            return ui::makeDrillCluster(name, std::nullopt, options, error);
        });
        window.show();
        settle();
        QString error;
        QVERIFY2(window.openDrill(drill, &error), qPrintable(error));
        QVERIFY(runTo(window, 6'000'000'000));
        raise(window, "sync");
        auto* sync = viewIn<MessagingSyncView>(window, "dock.engine.messaging.sync");
        QVERIFY(sync);
        const MessagingState& s = sync->state();
        QVERIFY(s.syncEnabled);
        QVERIFY(s.syncApplied > 0);
        QCOMPARE(s.syncApply, guarded ? QStringLiteral("set-if-newer") : QStringLiteral("plain SET"));
        if (guarded) {
            QVERIFY2(s.refusedDuplicate + s.refusedStale > 0, "duplicates and retried records are refused");
            QCOMPARE(s.lowered, 0.0);
        } else {
            QCOMPARE(s.refusedDuplicate + s.refusedStale, 0.0);
            QVERIFY2(s.lowered > 0, "a plain SET writes a stale record over a newer one");
        }
        grab(window, "sync", QStringLiteral("messaging_sync_%1.png").arg(guarded ? QStringLiteral("duplicates")
                                                                                  : QStringLiteral("duplicates_plain_set")));
        window.setSource(nullptr);
    }

    // The tier waterfall's hedges: with Taishan's quorum down (3–5 s) Taishan reads are
    // hedged to MySQL after the hedge delay, within the budget, and MySQL wins them.
    void tierWaterfallShowsHedges()
    {
        ui::MainWindow window(ui::MainWindowOptions{false});
        window.resize(window.screen()->availableGeometry().size());
        window.setDrillFactory([](const QString& name, QString* error) -> std::unique_ptr<ui::ClusterSource> {
            ui::EmbeddedOptions options;
            options.speed = 0.0;
            options.startPaused = true;
            return ui::makeDrillCluster(name, std::nullopt, options, error);
        });
        window.show();
        settle();
        QString error;
        QVERIFY2(window.openDrill(QStringLiteral("messaging-taishan-quorum-lost"), &error), qPrintable(error));
        QVERIFY(runTo(window, 2'500'000'000));
        raise(window, "tiers");
        auto* tiers = viewIn<MessagingTiersView>(window, "dock.engine.messaging.tiers");
        QVERIFY(tiers);
        QCOMPARE(tiers->window().hedges, 0.0); // Taishan answers within the hedge delay
        QVERIFY(runTo(window, 4'500'000'000));
        const TierCounts& w = tiers->window();
        QVERIFY(w.queries > 0);
        QVERIFY2(w.hedges > 0, "Taishan reads hedged to MySQL while its quorum is down");
        QVERIFY(w.hedgesWon > 0);
        // A hedge is won after it fired (within a window a win may be of an earlier hedge).
        QVERIFY(tiers->state().tier.hedgesWon <= tiers->state().tier.hedges);
        QVERIFY(w.mysqlReads >= w.hedgesWon);
        grab(window, "tiers", QStringLiteral("messaging_tiers_taishan_quorum_lost.png"));
        window.setSource(nullptr);
    }
};

LIVEDECK_TEST_CLASS(TstMessagingViews)
#include "tst_messaging_views.moc"
