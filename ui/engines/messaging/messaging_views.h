// The messaging engine's console views (docs/MESSAGING.md "Console views"), one dock
// each, fed by the DashboardHub from the `messaging` component's inspector state
// (messaging_state.h):
//
// - MessagingTimelineView: the conversation timeline inspector — pick one of the
//   inboxes the engine publishes (its most active and the recent pairs' users) and a
//   peer: each entry's sequences in both inboxes, msgkey, persisted or failed, pushed by
//   the binlog sync; gaps where the inbox's sequence skipped after a lost sequence
//   cache; the inbox's counter, durable ceiling and write-back.
// - MessagingHotUsersView: the last completed second's most asked-for lists, by the
//   tier that answered.
// - MessagingTiersView: the tier waterfall (Redis → Taishan → MySQL over the last
//   simulated second: hit ratios, hedges fired and won, each tier's latency).
// - MessagingSyncView: the binlog sync's lag histogram and CAS refusals by reason.
// - MessagingBulkView: the bulk channels side by side (P × C × W, MQ lag, busy
//   workers), the campaign's progress and ETA, high-priority rate and p99.
// - MessagingContentView: rows per content table of the month.
//
// Each view parses the hub's latest snapshot once per UI tick in refreshView() and
// repaints only then. GUI thread.
#pragma once

#include "ui/engine_views.h"
#include "ui/engines/messaging/messaging_state.h"

#include <deque>

class QComboBox;
class QLabel;
class QTableWidget;

namespace livedeck::ui {
class DashboardHub;
}

namespace livedeck::ui::messaging {

class TierWaterfall;
class SyncHistogram;
class ChannelBoard;
class ContentBalance;

// Appends the messaging views to the console's list (ui/engines/engine_views.cpp).
void appendMessagingViews(std::vector<EngineView>& out);

class MessagingViewBase : public EngineViewPanel {
    Q_OBJECT
public:
    explicit MessagingViewBase(DashboardHub* hub, QWidget* parent = nullptr);
    void resetRun() override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void refreshView() override;
    const MessagingState& state() const { return m_state; }

protected:
    void showEvent(QShowEvent* event) override;
    virtual void showState() = 0;
    DashboardHub* m_hub;
    MessagingState m_state;
    bool m_dirty = false;
};

class MessagingTimelineView final : public MessagingViewBase {
    Q_OBJECT
public:
    explicit MessagingTimelineView(DashboardHub* hub, QWidget* parent = nullptr);
    void resetRun() override;
    QTableWidget* timeline() const { return m_timeline; }
    QComboBox* userBox() const { return m_user; }
    QComboBox* peerBox() const { return m_peer; }

protected:
    void showState() override;

private:
    void showTimeline();
    QComboBox* m_user = nullptr;
    QComboBox* m_peer = nullptr;
    QLabel* m_inbox = nullptr;
    QTableWidget* m_timeline = nullptr;
};

class MessagingHotUsersView final : public MessagingViewBase {
    Q_OBJECT
public:
    explicit MessagingHotUsersView(DashboardHub* hub, QWidget* parent = nullptr);
    void resetRun() override;
    QTableWidget* board() const { return m_hot; }

protected:
    void showState() override;

private:
    QLabel* m_title = nullptr;
    QTableWidget* m_hot = nullptr;
};

class MessagingTiersView final : public MessagingViewBase {
    Q_OBJECT
public:
    explicit MessagingTiersView(DashboardHub* hub, QWidget* parent = nullptr);
    void resetRun() override;
    // The tier counts over the window shown (the last simulated second when it had
    // queries, else since the start).
    const TierCounts& window() const { return m_window; }

protected:
    void showState() override;

private:
    TierWaterfall* m_waterfall = nullptr;
    std::deque<std::pair<std::int64_t, TierCounts>> m_history;
    TierCounts m_window;
};

class MessagingSyncView final : public MessagingViewBase {
    Q_OBJECT
public:
    explicit MessagingSyncView(DashboardHub* hub, QWidget* parent = nullptr);

protected:
    void showState() override;

private:
    SyncHistogram* m_sync = nullptr;
};

class MessagingBulkView final : public MessagingViewBase {
    Q_OBJECT
public:
    explicit MessagingBulkView(DashboardHub* hub, QWidget* parent = nullptr);

protected:
    void showState() override;

private:
    ChannelBoard* m_channels = nullptr;
};

class MessagingContentView final : public MessagingViewBase {
    Q_OBJECT
public:
    explicit MessagingContentView(DashboardHub* hub, QWidget* parent = nullptr);

protected:
    void showState() override;

private:
    ContentBalance* m_content = nullptr;
};

} // namespace livedeck::ui::messaging
