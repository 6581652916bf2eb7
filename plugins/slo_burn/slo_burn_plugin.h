// slo-burn: a console plugin. Its dashboard treats every engine's KPI tile that has a
// threshold as a service-level objective and shows multiwindow, multi-burn-rate alerts
// for it (burn_rate.h); its inspector view shows a danmaku room.
//
// A tile's SLI: a tile whose good threshold, in the tile's unit, is a share (higher is
// better and good / scale in (0, 1], e.g. availability 99.99 % with scale 100) is an
// event ratio — bad fraction 1 - value against objective good / scale. Any other tile
// with a threshold is a time SLI — a second is bad when the value is worse than good —
// against the objective of the setting "time_objective" (0.99). Tiles without a
// threshold (good == warn == 0) are plain figures and have no SLO.
#pragma once

#include "burn_rate.h"
#include "livedeck_console/console_plugin.h"

#include <QObject>
#include <QPointer>

#include <memory>
#include <vector>

class QLabel;
class QTableWidget;

namespace sloburn {

struct Slo {
    livedeck::console::KpiTile tile;
    bool ratio = false;
    BurnRateTracker tracker;
};

class BurnBoard final : public livedeck::console::Dashboard {
public:
    explicit BurnBoard(livedeck::console::ConsoleHost* host);
    ~BurnBoard() override;
    QString id() const override { return QStringLiteral("slo-burn.board"); }
    QString title() const override { return QStringLiteral("SLO burn"); }
    QWidget* widget() override;
    void runReset(const livedeck::console::RunInfo& run) override;
    void snapshot(qint64 simTimeNs) override;
    void refresh() override;

    // For tests and the table: the SLOs of the run and their alerts.
    const std::vector<std::unique_ptr<Slo>>& slos() const { return m_slos; }
    double scale() const { return m_scale; }

private:
    livedeck::console::ConsoleHost* m_host;
    QPointer<QWidget> m_widget;
    QLabel* m_header = nullptr;
    QTableWidget* m_table = nullptr;
    std::vector<std::unique_ptr<Slo>> m_slos;
    double m_scale = 1.0;
    qint64 m_lengthNs = 0;
};

class RoomView final : public livedeck::console::InspectorView {
public:
    QString id() const override { return QStringLiteral("danmaku.room"); }
    QString title() const override { return QStringLiteral("Danmaku room"); }
    QWidget* widget() override;
    void show(const QString& path, const livedeck::console::ComponentState& state) override;

private:
    QPointer<QWidget> m_widget;
    QLabel* m_summary = nullptr;
    QTableWidget* m_table = nullptr;
};

class SloBurnPlugin final : public QObject, public livedeck::console::ConsolePlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID LivedeckConsolePlugin_iid FILE "slo-burn.json")
    Q_INTERFACES(livedeck::console::ConsolePlugin)
public:
    bool initialize(livedeck::console::ConsoleHost* host, QString* error) override;
    void aboutToShutdown() override;
    QVector<livedeck::console::Dashboard*> dashboards() override;
    QVector<livedeck::console::InspectorView*> inspectorViews() override;

private:
    std::unique_ptr<BurnBoard> m_board;
    std::unique_ptr<RoomView> m_room;
};

} // namespace sloburn
