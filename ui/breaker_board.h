// BreakerBoard: every circuit breaker of the run (Snapshot.breakers) as a hand-drawn
// tile, all painted by this one widget — no widget or chart per breaker, so 200+
// breakers cost one paint of the exposed tiles. A tile's colour is its state (closed
// green, half-open amber, open red, forced-open purple, disabled grey, metrics-only
// blue: palette::breakerColor), its text the failure and slow-call rates, and a
// sparkline the failure rate of the last minute. Breakers missing from the latest
// snapshot are hatched. Click selects (tileClicked), right-click asks for a menu.
//
// Data: one BreakerTile per path, kept sorted by path; per-second history rings
// (failure and slow-call rate, 20 min) and transitions (from the snapshots' state
// changes and from breaker.* events) feed the detail chart. GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"
#include "ui/paint_util.h"
#include "ui/ring_buffer.h"
#include "ui/time_chart.h"

#include <QWidget>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::ui {

struct BreakerTransition {
    std::int64_t timeNs = 0;
    v1::BreakerStateKind from = v1::BREAKER_STATE_UNSPECIFIED;
    v1::BreakerStateKind to = v1::BREAKER_STATE_UNSPECIFIED;
    QString note; // the event's message, when it came from an event
};

struct BreakerTile {
    static constexpr std::size_t kHistory = 1200;   // 20 min of 1 s points
    static constexpr std::size_t kTransitions = 64;
    BreakerTile() : failureHistory(kHistory), slowHistory(kHistory) {}

    std::string path;
    QString pathText;
    QString title;  // short name shown on the tile
    QString region; // first path segment
    v1::BreakerStateKind state = v1::BREAKER_STATE_UNSPECIFIED;
    double failureRate = -1.0;
    double slowRate = -1.0;
    std::uint64_t windowCalls = 0;
    std::uint64_t notPermitted = 0;
    std::int64_t stateSinceNs = 0;
    bool reported = false;
    RingBuffer<TimePoint> failureHistory; // rate 0..1 (below minimum calls: not recorded)
    RingBuffer<TimePoint> slowHistory;
    std::vector<BreakerTransition> transitions;
    // Laid-out text of the tile's two lines (painting only; re-laid out when it changes).
    mutable CachedText titleText, regionText, stateText, ratesText;
};

class BreakerBoard final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kTileWidth = 176;
    static constexpr int kTileHeight = 64;
    static constexpr int kGap = 6;
    static constexpr int kMargin = 6;
    static constexpr int kSparkSeconds = 60;

    explicit BreakerBoard(QWidget* parent = nullptr);

    void clear();
    // Returns true when something visible changed.
    bool applySnapshot(const v1::Snapshot& snapshot);
    void applyEvents(const std::vector<v1::Event>& events);

    void setFilter(const QString& text, bool onlyNotClosed);
    int tileCount() const { return static_cast<int>(m_tiles.size()); }
    int visibleCount() const { return static_cast<int>(m_visible.size()); }
    const BreakerTile* tile(const QString& path) const;
    const BreakerTile& tileAt(int index) const { return *m_tiles[static_cast<std::size_t>(index)]; }
    // Geometry of a breaker's tile in widget coordinates (empty when filtered out).
    QRect tileRect(const QString& path) const;
    QString pathAt(const QPoint& pos) const;
    void setSelected(const QString& path);
    QString selected() const { return m_selected; }
    std::int64_t lastTimeNs() const { return m_lastTimeNs; }

    QSize sizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

signals:
    void tileClicked(const QString& path);
    void tileContextMenu(const QString& path, const QPoint& globalPos);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    bool event(QEvent* event) override;

private:
    int columns(int width) const;
    QRect rectForSlot(int slot, int cols) const;
    int slotAt(const QPoint& pos) const;
    void rebuildIndex();
    void refilter();
    void paintTile(QPainter& p, const BreakerTile& t, const QRect& r) const;
    void noteTransition(BreakerTile& t, std::int64_t timeNs, v1::BreakerStateKind from, v1::BreakerStateKind to,
                        const QString& note);

    std::vector<std::unique_ptr<BreakerTile>> m_tiles; // sorted by path
    std::map<std::string, int, std::less<>> m_index;
    std::vector<int> m_visible;                        // tile indexes shown, in order
    QString m_filterText;
    bool m_onlyNotClosed = false;
    QString m_selected;
    std::int64_t m_lastTimeNs = 0;
    int m_cols = 1;
};

} // namespace livedeck::ui
