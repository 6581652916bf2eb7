// Circuit-breaker board: each breaker's tile is painted in its state's colour (grabbed
// pixels), transitions are recorded (from snapshots and breaker.* events) and reach the
// detail chart, and 200 breakers lay out as 200 tiles.
#include "tests/common/multi_test.h"
#include "tests/ui/fixtures/gala_scenario.h"
#include "ui/breaker_board.h"
#include "ui/breaker_panel.h"
#include "ui/dashboard_hub.h"
#include "ui/palette.h"
#include "ui/time_chart.h"

#include <QImage>
#include <QTest>

using namespace livedeck;

namespace {

v1::Snapshot snapshotWith(std::int64_t t, std::initializer_list<std::pair<const char*, v1::BreakerStateKind>> breakers)
{
    v1::Snapshot s;
    s.set_sim_time_ns(t);
    for (const auto& [path, state] : breakers) {
        auto* b = s.add_breakers();
        b->set_path(path);
        b->set_state(state);
        b->set_failure_rate(state == v1::BREAKER_OPEN ? 0.8 : 0.02);
        b->set_slow_call_rate(0.1);
        b->set_window_calls(100);
    }
    return s;
}

bool near(const QColor& a, const QColor& b, int tolerance = 24)
{
    return std::abs(a.red() - b.red()) <= tolerance && std::abs(a.green() - b.green()) <= tolerance &&
           std::abs(a.blue() - b.blue()) <= tolerance;
}

// A pixel of the tile's background: left edge, vertical middle (text starts further in).
QColor tileBackground(const QImage& img, const QRect& r, qreal dpr)
{
    return img.pixelColor(QPoint(static_cast<int>((r.left() + 3) * dpr), static_cast<int>(r.center().y() * dpr)));
}

} // namespace

Q_DECLARE_METATYPE(v1::BreakerStateKind)

class TstBreakerBoard : public QObject {
    Q_OBJECT
private slots:
    void tileColourFollowsState_data()
    {
        QTest::addColumn<v1::BreakerStateKind>("state");
        QTest::addColumn<QColor>("expected");
        QTest::newRow("closed is green") << v1::BREAKER_CLOSED << QColor(0x2e, 0x9d, 0x46);
        QTest::newRow("open is red") << v1::BREAKER_OPEN << QColor(0xd6, 0x27, 0x28);
        QTest::newRow("half-open is amber") << v1::BREAKER_HALF_OPEN << QColor(0xf0, 0xa3, 0x0a);
        QTest::newRow("forced-open is purple") << v1::BREAKER_FORCED_OPEN << QColor(0x8e, 0x44, 0xad);
        QTest::newRow("disabled is grey") << v1::BREAKER_DISABLED << QColor(0x8a, 0x8f, 0x98);
        QTest::newRow("metrics-only is blue") << v1::BREAKER_METRICS_ONLY << QColor(0x2f, 0x7e, 0xd8);
    }
    void tileColourFollowsState()
    {
        QFETCH(v1::BreakerStateKind, state);
        QFETCH(QColor, expected);
        ui::BreakerBoard board;
        board.resize(600, 200);
        board.applySnapshot(snapshotWith(1'000'000'000, {{"sh-a/gifts/order-svc/breaker-0", v1::BREAKER_CLOSED},
                                                         {"sh-a/gifts/privileged-svc/breaker-0", state}}));
        const QRect r = board.tileRect(QStringLiteral("sh-a/gifts/privileged-svc/breaker-0"));
        QVERIFY(r.isValid());
        const QImage img = board.grab().toImage();
        const QColor got = tileBackground(img, r, board.devicePixelRatioF());
        QVERIFY2(near(got, expected), qPrintable(QStringLiteral("got %1, want %2").arg(got.name(), expected.name())));
        // The neighbour keeps its own colour.
        const QColor other = tileBackground(img, board.tileRect(QStringLiteral("sh-a/gifts/order-svc/breaker-0")), board.devicePixelRatioF());
        QVERIFY(near(other, ui::palette::breakerColor(v1::BREAKER_CLOSED)));
    }

    void openingBreakerTurnsRed()
    {
        ui::BreakerBoard board;
        board.resize(400, 120);
        const char* path = "gz/gifts/order-svc/breaker-0";
        board.applySnapshot(snapshotWith(1'000'000'000, {{path, v1::BREAKER_CLOSED}}));
        const QRect r = board.tileRect(QString::fromLatin1(path));
        QVERIFY(near(tileBackground(board.grab().toImage(), r, board.devicePixelRatioF()), ui::palette::breakerColor(v1::BREAKER_CLOSED)));
        board.applySnapshot(snapshotWith(2'000'000'000, {{path, v1::BREAKER_OPEN}}));
        const QColor now = tileBackground(board.grab().toImage(), r, board.devicePixelRatioF());
        QVERIFY2(near(now, QColor(0xd6, 0x27, 0x28)), qPrintable(now.name()));
        const ui::BreakerTile* t = board.tile(QString::fromLatin1(path));
        QCOMPARE(t->transitions.size(), std::size_t(1));
        QCOMPARE(t->transitions[0].from, v1::BREAKER_CLOSED);
        QCOMPARE(t->transitions[0].to, v1::BREAKER_OPEN);
        QCOMPARE(t->failureHistory.size(), std::size_t(2));
        QCOMPARE(t->failureHistory.back().v, 0.8);
    }

    void eventsRecordTransitionsOnce()
    {
        ui::BreakerBoard board;
        const char* path = "sh-b/gifts/kv-cache/breaker-1";
        board.applySnapshot(snapshotWith(1'000'000'000, {{path, v1::BREAKER_CLOSED}}));
        v1::Event e;
        e.set_kind("breaker.transition");
        e.set_component(path);
        e.set_sim_time_ns(1'500'000'000);
        e.set_message("closed -> open");
        auto* f = e.add_fields();
        f->set_key("from");
        f->set_value("closed");
        f = e.add_fields();
        f->set_key("to");
        f->set_value("open");
        board.applyEvents({e});
        // The snapshot that follows confirms it: no second transition.
        board.applySnapshot(snapshotWith(2'000'000'000, {{path, v1::BREAKER_OPEN}}));
        const ui::BreakerTile* t = board.tile(QString::fromLatin1(path));
        QCOMPARE(t->transitions.size(), std::size_t(1));
        QCOMPARE(t->transitions[0].timeNs, std::int64_t(1'500'000'000)); // the event's exact time
    }

    void detailChartMarksTransitions()
    {
        ui::DashboardHub hub;
        ui::BreakerPanel panel(&hub);
        hub.addPanel(&panel);
        panel.resize(700, 400);
        const char* path = "sh-a/gifts/privileged-svc/breaker-0";
        for (int s = 0; s < 30; ++s)
            hub.applySnapshot(std::make_shared<v1::Snapshot>(
                snapshotWith(s * 1'000'000'000LL, {{path, s >= 10 && s < 20 ? v1::BREAKER_OPEN : v1::BREAKER_CLOSED}})));
        hub.tick();
        ui::BreakerDetailDialog* d = panel.openDetail(QString::fromLatin1(path));
        QVERIFY(d);
        QCOMPARE(d->chart()->markerCount(), 2);                       // opened at 10 s, closed at 20 s
        QCOMPARE(d->chart()->lineData(0).size(), std::size_t(30));  // failure rate, one point per second
        d->close();
    }

    void filterHidesClosedBreakers()
    {
        ui::BreakerBoard board;
        board.resize(600, 300);
        board.applySnapshot(snapshotWith(0, {{"a/x/1", v1::BREAKER_CLOSED}, {"a/x/2", v1::BREAKER_OPEN}, {"b/x/3", v1::BREAKER_CLOSED}}));
        QCOMPARE(board.visibleCount(), 3);
        board.setFilter(QString(), true);
        QCOMPARE(board.visibleCount(), 1);
        QVERIFY(!board.tileRect(QStringLiteral("a/x/1")).isValid());
        board.setFilter(QStringLiteral("b/"), false);
        QCOMPARE(board.visibleCount(), 1);
        QCOMPARE(board.pathAt(board.tileRect(QStringLiteral("b/x/3")).center()), QStringLiteral("b/x/3"));
    }

    void twoHundredBreakersAreTwoHundredTiles()
    {
        ui::fixtures::ScenarioOptions o;
        o.breakers = 200;
        ui::fixtures::GalaScenario scenario(o);
        ui::BreakerBoard board;
        board.applySnapshot(*scenario.snapshotAt(600, true));
        board.resize(1100, board.heightForWidth(1100)); // the height the panel's scroll area gives it
        QCOMPARE(board.tileCount(), 200);
        QCOMPARE(board.findChildren<QWidget*>().size(), 0); // one widget paints them all
        // Every tile is laid out inside the board, none overlapping its successor.
        QRect previous;
        for (int i = 0; i < scenario.breakerCount(); ++i) {
            const QRect r = board.tileRect(QString::fromStdString(scenario.breakerPath(i)));
            QVERIFY(board.rect().contains(r));
            QVERIFY(!r.intersects(previous));
            previous = r;
        }
        // Scripted state reaches the tile: an open gz breaker is red in the picture.
        const QImage img = board.grab().toImage();
        int checked = 0;
        for (int i = 0; i < scenario.breakerCount() && checked < 5; ++i) {
            if (scenario.breakerState(i, 600) != v1::BREAKER_OPEN)
                continue;
            const QRect r = board.tileRect(QString::fromStdString(scenario.breakerPath(i)));
            QVERIFY(near(tileBackground(img, r, board.devicePixelRatioF()), ui::palette::breakerColor(v1::BREAKER_OPEN)));
            ++checked;
        }
        QCOMPARE(checked, 5);
    }
};

LIVEDECK_TEST_CLASS(TstBreakerBoard)
#include "tst_breaker_board.moc"
