#include "ui/kpi_tile.h"

#include "ui/palette.h"

#include <QFontMetrics>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace livedeck::ui {

KpiTile::KpiTile(const QString& title, const QString& tooltip, QWidget* parent) : QFrame(parent)
{
    setFrameShape(QFrame::StyledPanel);
    setToolTip(tooltip);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 6, 8, 6);
    layout->setSpacing(1);
    m_title = new QLabel(title, this);
    QFont tf = m_title->font();
    tf.setBold(true);
    m_title->setFont(tf);
    m_value = new QLabel(QStringLiteral("—"), this);
    QFont vf = m_value->font();
    vf.setPointSizeF(vf.pointSizeF() * 1.7);
    vf.setBold(true);
    m_value->setFont(vf);
    m_valuePointSize = vf.pointSizeF();
    m_tooltip = tooltip;
    m_detail = new QLabel(this);
    m_detail->setStyleSheet(QStringLiteral("color: #50545c;"));
    layout->addWidget(m_title);
    layout->addWidget(m_value);
    layout->addWidget(m_detail);
    layout->addStretch(1);
    // Wide enough for the whole title (a squeezed tile cut "Panel availability").
    const int titleWidth = QFontMetrics(tf).horizontalAdvance(title) + layout->contentsMargins().left() +
                           layout->contentsMargins().right() + 2 * frameWidth() + 2;
    m_titleWidth = titleWidth;
    setMinimumWidth(std::max(132, titleWidth));
    m_detail->setMinimumWidth(0);
    m_title->setMinimumWidth(0);
}

void KpiTile::setNarrow(bool narrow)
{
    if (m_dense)
        return; // a dense tile keeps its own minimum
    setMinimumWidth(narrow ? m_titleWidth : std::max(132, m_titleWidth));
}

void KpiTile::setDense(bool dense)
{
    if (dense == m_dense)
        return;
    m_dense = dense;
    QFont vf = m_value->font();
    vf.setPointSizeF(dense ? m_valuePointSize / 1.7 * 1.3 : m_valuePointSize);
    m_value->setFont(vf);
    m_detail->setVisible(!dense);
    // Room for a value such as "154 K/s" even when the title is shorter.
    setMinimumWidth(dense ? std::max(112, m_titleWidth) : std::max(132, m_titleWidth));
    layout()->setContentsMargins(dense ? QMargins(10, 3, 6, 3) : QMargins(12, 6, 8, 6));
    setToolTip(dense && !m_detail->text().isEmpty() ? m_tooltip + QStringLiteral("\n") + m_detail->text() : m_tooltip);
}

void KpiTile::setValue(const QString& value, const QString& detail, Status status)
{
    if (m_value->text() != value)
        m_value->setText(value);
    if (m_detail->text() != detail) {
        m_detail->setText(detail);
        if (m_dense)
            setToolTip(detail.isEmpty() ? m_tooltip : m_tooltip + QStringLiteral("\n") + detail);
    }
    if (status != m_status) {
        m_status = status;
        update();
    }
}

QString KpiTile::valueText() const
{
    return m_value->text();
}

QString KpiTile::detailText() const
{
    return m_detail->text();
}

QColor KpiTile::statusColor(Status status)
{
    switch (status) {
    case Status::Good:
        return palette::breakerColor(v1::BREAKER_CLOSED);
    case Status::Warning:
        return palette::breakerColor(v1::BREAKER_HALF_OPEN);
    case Status::Bad:
        return palette::breakerColor(v1::BREAKER_OPEN);
    case Status::Unknown:
        break;
    }
    return palette::noDataColor();
}

void KpiTile::paintEvent(QPaintEvent* event)
{
    QFrame::paintEvent(event);
    QPainter p(this);
    p.fillRect(QRect(0, 0, 5, height()), statusColor(m_status));
}

GaugeWidget::GaugeWidget(const QString& title, double minValue, double maxValue, QWidget* parent)
    : QWidget(parent), m_title(title), m_text(QStringLiteral("—")), m_min(minValue), m_max(maxValue)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

void GaugeWidget::setValue(double value, const QString& text)
{
    if (value == m_value && text == m_text)
        return;
    m_value = value;
    m_text = text;
    update();
}

double GaugeWidget::fraction(double v) const
{
    if (!(v > 0.0))
        return 0.0;
    return std::clamp((std::log10(v) - std::log10(m_min)) / (std::log10(m_max) - std::log10(m_min)), 0.0, 1.0);
}

void GaugeWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm = fontMetrics();
    const int titleH = fm.height() + 2;
    const int textH = fm.height() + 4;
    const double side = std::min<double>(width() - 8, 2.0 * (height() - titleH - textH));
    if (side < 20)
        return;
    const QRectF arc((width() - side) / 2.0, titleH + 4, side, side);
    const double startDeg = 200.0; // Qt angles: counter-clockwise from 3 o'clock
    const double spanDeg = -220.0;
    QPen track(QColor(0xd8, 0xdb, 0xe0), 10, Qt::SolidLine, Qt::FlatCap);
    p.setPen(track);
    p.drawArc(arc.adjusted(6, 6, -6, -6), static_cast<int>(startDeg * 16), static_cast<int>(spanDeg * 16));
    const double f = fraction(m_value);
    QPen fill(QColor(0x1f, 0x77, 0xb4), 10, Qt::SolidLine, Qt::FlatCap);
    p.setPen(fill);
    p.drawArc(arc.adjusted(6, 6, -6, -6), static_cast<int>(startDeg * 16), static_cast<int>(spanDeg * f * 16));
    // Decade ticks.
    p.setPen(QPen(QColor(0x60, 0x64, 0x6c), 1));
    const QPointF c = arc.center();
    const double r = side / 2.0;
    for (double d = std::ceil(std::log10(m_min)); d <= std::log10(m_max) + 1e-9; d += 1.0) {
        const double a = (startDeg + spanDeg * fraction(std::pow(10.0, d))) * std::numbers::pi / 180.0;
        const QPointF dir(std::cos(a), -std::sin(a));
        p.drawLine(c + dir * (r - 16), c + dir * (r - 1));
    }
    p.setPen(palette().color(QPalette::WindowText));
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRect(0, 0, width(), titleH), Qt::AlignHCenter | Qt::AlignTop, m_title);
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * 1.25);
    big.setBold(true);
    p.setFont(big);
    p.drawText(QRectF(0, c.y() - QFontMetrics(big).height() / 2.0, width(), QFontMetrics(big).height()), Qt::AlignCenter,
               m_text);
}

} // namespace livedeck::ui
