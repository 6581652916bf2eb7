// ReplayCluster: a ClusterSource serving a run recording (docs/RECORDING.md) through a
// telemetry::RecordingReader — the recorded 1 Hz snapshots and every recorded event —
// with a time cursor, so the same dashboards scrub through a finished (or still
// growing) run.
//
// Cursor: seek(t) moves it. Forward moves deliver the events in (old, t] and then the
// recorded snapshots in between, oldest first, so charts fill in as if live. A move
// backwards (or a jump forward longer than the history window) resets: runReset, then
// the events and snapshots of the last `historyWindow` before t (10 min: the charts'
// default window), so the dashboards show the same history they would have shown live.
// The first snapshot after a reset carries the recording's whole series catalogue.
// Pacing plays the recording: resume/pause, speed (×k simulated seconds per wall second,
// max = ×1000), step (to the next recorded event), step-to-kind (the next event of a
// kind), run-until (play until t). Host state in delivered snapshots reports the
// cursor's pacing. Faults, load and operator actions are refused: a recording is fixed.
//
// Thread: GUI thread (the reader's connection belongs to it). Reads are SQLite queries
// on indexed columns; a reset reads at most historyWindow worth of 1 Hz snapshots.
#pragma once

#include "backend/telemetry/recording_reader.h"
#include "ui/cluster_source.h"

#include <QElapsedTimer>
#include <QTimer>

#include <memory>
#include <vector>

namespace livedeck::ui {

struct ReplayOptions {
    std::int64_t historyWindowNs = 600LL * 1'000'000'000; // 10 min: the charts' window
    std::size_t maxEventsOnReset = 20'000;                 // like the world's event ring
    int playIntervalMs = 50;                               // 20 Hz, like live snapshots
    double maxSpeed = 1000.0;                              // what "max" plays at
};

class ReplayCluster final : public ClusterSource {
    Q_OBJECT
public:
    // Opens the file; nullptr with `error` set when it cannot be read.
    static std::unique_ptr<ReplayCluster> open(const QString& path, QString* error, ReplayOptions options = {},
                                               QObject* parent = nullptr);
    ~ReplayCluster() override;

    Capabilities capabilities() const override;
    SourceInfo info() const override;
    void start() override;
    void stop() override;
    std::uint64_t sendCommand(v1::Command command) override;
    void requestEventKinds() override;
    void seek(std::int64_t simTimeNs) override;
    std::int64_t timeRangeStart() const override { return m_first; }
    std::int64_t timeRangeEnd() const override { return m_last; }

    std::int64_t cursor() const { return m_cursor; }
    // The recorded snapshot last delivered (at or before the cursor); null before any.
    SnapshotPtr currentSnapshot() const { return m_current; }
    bool playing() const { return m_playing; }
    double speed() const { return m_speed; }
    const telemetry::RecordingMetadata& metadata() const { return m_meta; }

private:
    ReplayCluster(std::unique_ptr<telemetry::RecordingReader> reader, ReplayOptions options, QObject* parent);
    bool load(QString* error);
    void moveTo(std::int64_t t, bool forceReset);
    void deliverSnapshotsIn(std::int64_t fromExclusive, std::int64_t toInclusive, bool firstCarriesCatalogue);
    void deliverEventsIn(std::int64_t fromExclusive, std::int64_t toInclusive, std::size_t limit);
    void onPlayTick();
    void setPlaying(bool playing);
    void stopAt(std::int64_t t);
    std::int64_t nextEventTime(std::int64_t after, const std::string& kind, const std::string& component) const;
    void republishCurrent();

    std::unique_ptr<telemetry::RecordingReader> m_reader;
    ReplayOptions m_options;
    telemetry::RecordingMetadata m_meta;
    std::vector<std::int64_t> m_snapshotTimes; // sorted
    std::vector<v1::SeriesDef> m_catalogue;
    TopologyPtr m_topology;
    std::int64_t m_first = 0;
    std::int64_t m_last = 0;
    std::int64_t m_cursor = -1;      // -1: nothing delivered yet
    std::int64_t m_runUntil = -1;    // play target, -1 = none
    SnapshotPtr m_current;           // last delivered
    bool m_started = false;
    bool m_playing = false;
    double m_speed = 1.0;
    QTimer m_playTimer;
    QElapsedTimer m_wall;
    double m_carryNs = 0.0;          // fractional simulated ns owed by the play timer
};

} // namespace livedeck::ui
