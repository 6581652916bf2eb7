// KpiTile: one key figure — a title, a large value and a one-line detail — with an
// accent bar whose colour says good / warning / bad / unknown. GaugeWidget: a
// painted dial on a logarithmic scale (speeds span many decades: events per second,
// simulated seconds per wall second). Both only change text/values per snapshot;
// nothing is created after construction. GUI thread.
#pragma once

#include <QColor>
#include <QFrame>
#include <QString>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
QT_END_NAMESPACE

namespace livedeck::ui {

class KpiTile final : public QFrame {
    Q_OBJECT
public:
    enum class Status { Unknown, Good, Warning, Bad };
    explicit KpiTile(const QString& title, const QString& tooltip, QWidget* parent = nullptr);

    void setValue(const QString& value, const QString& detail = {}, Status status = Status::Unknown);
    // Narrow: only as wide as its title and value need (a laptop's compact layout).
    void setNarrow(bool narrow);
    // Dense: title and value only, the value smaller, the detail line hidden (its text
    // joins the tooltip) — for an Overview holding several engines' rows of tiles.
    void setDense(bool dense);
    bool dense() const { return m_dense; }
    QString valueText() const;
    QString detailText() const;
    Status status() const { return m_status; }
    static QColor statusColor(Status status);

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QLabel* m_title;
    QLabel* m_value;
    QLabel* m_detail;
    Status m_status = Status::Unknown;
    int m_titleWidth = 0;
    bool m_dense = false;
    QString m_tooltip;
    qreal m_valuePointSize = 0;
};

class GaugeWidget final : public QWidget {
    Q_OBJECT
public:
    // Scale [minValue, maxValue] (both > 0), logarithmic.
    GaugeWidget(const QString& title, double minValue, double maxValue, QWidget* parent = nullptr);
    void setValue(double value, const QString& text);
    double value() const { return m_value; }
    QSize sizeHint() const override { return QSize(130, 96); }
    QSize minimumSizeHint() const override { return QSize(110, 84); }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    double fraction(double v) const;
    QString m_title;
    QString m_text;
    double m_min;
    double m_max;
    double m_value = 0.0;
};

} // namespace livedeck::ui
