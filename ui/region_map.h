// RegionMap: regions and the links between them drawn as a map (QGraphicsView) at the
// topology's map_x / map_y hints. A region's disc is coloured by the chosen measure —
// availability, p99 latency or error rate (palette::healthColor on a log scale: green
// at 99.99 % / 50 ms / 0.01 %, red at 99 % / 1 s / 1 %) — and a region that is down
// is drawn dark and crossed out with "DOWN". A region some regions' probes cannot
// reach (RegionHealth.unreachable_from) but that is not down reads "unreachable from
// X" under its disc. Health is per engine: the map shows one engine's probes
// (setEngine) or all of them ("": a region is up when every engine's probes see it
// up). A partitioned link is a thick dashed red line cut by a red ✕ (one-way
// partitions carry an arrow). Links come from Snapshot.links (LinkHealth measured
// from what the network carried in the last second), never from fault specs.
// Items are created when the topology arrives; snapshots only update them. The scene
// is the viewport (no zoom, so text keeps its size); discs sit at the hints scaled to
// the view and are pushed apart where they would overlap.
// Per-region history rings (20 min of 1 s points) feed the region detail charts.
// GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"
#include "ui/ring_buffer.h"
#include "ui/time_chart.h"

#include <QGraphicsView>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::ui {

class RegionItem;
class LinkItem;

struct RegionHistory {
    static constexpr std::size_t kCapacity = 1200;
    RegionHistory() : availability(kCapacity), p99(kCapacity), errors(kCapacity), rps(kCapacity) {}
    RingBuffer<TimePoint> availability;
    RingBuffer<TimePoint> p99;
    RingBuffer<TimePoint> errors;
    RingBuffer<TimePoint> rps;
};

class RegionMap final : public QGraphicsView {
    Q_OBJECT
public:
    enum class Measure { Availability, P99, Errors };
    static constexpr double kRadius = 46.0;  // disc radius in pixels (text stays readable: no scaling)
    static constexpr double kMargin = 64.0;

    explicit RegionMap(QWidget* parent = nullptr);
    ~RegionMap() override;

    void clear();
    void setTopology(const v1::Topology& topology);
    // Returns true when something visible changed.
    bool applySnapshot(const v1::Snapshot& snapshot);
    void setMeasure(Measure measure);
    Measure measure() const { return m_measure; }
    // The engine whose probes the map shows; "" merges every engine's.
    void setEngine(const std::string& engine);
    const std::string& engine() const { return m_engine; }
    // Engines seen reporting region health in this run (first-seen order).
    const std::vector<std::string>& engines() const { return m_engines; }
    // "unreachable from X, Y" for a partitioned region, "" otherwise.
    QString unreachableText(const QString& region) const;

    int regionCount() const { return static_cast<int>(m_regions.size()); }
    int linkCount() const { return static_cast<int>(m_links.size()); }
    // Widget-coordinate centre of a region's disc (invalid point when unknown).
    QPoint regionCenter(const QString& region) const;
    // Widget-coordinate midpoint of the link a–b.
    QPoint linkMidpoint(const QString& a, const QString& b) const;
    bool regionDown(const QString& region) const;
    bool linkPartitioned(const QString& a, const QString& b) const;
    QColor regionFill(const QString& region) const;
    const RegionHistory* history(const QString& region) const;
    std::int64_t lastTimeNs() const { return m_lastTimeNs; }
    void setSelected(const QString& region);

    // Colour of a region under a measure (exposed for the legend and tests).
    static QColor measureColor(Measure m, const v1::RegionHealth& health);

signals:
    void regionClicked(const QString& region);
    void regionContextMenu(const QString& region, const QPoint& globalPos);

protected:
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    void relayout();
    RegionItem* regionAt(const QPoint& pos) const;
    LinkItem* findLink(const std::string& a, const std::string& b) const;

    QGraphicsScene* m_scene;
    std::map<std::string, RegionItem*, std::less<>> m_regions;
    std::vector<LinkItem*> m_links;
    std::map<std::string, std::unique_ptr<RegionHistory>, std::less<>> m_history;
    Measure m_measure = Measure::Availability;
    std::string m_engine;
    std::vector<std::string> m_engines;
    std::int64_t m_lastTimeNs = 0;
};

} // namespace livedeck::ui
