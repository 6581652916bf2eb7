#include "ui/paint_util.h"

#include <QPaintEvent>
#include <QFontMetrics>
#include <QPainter>
#include <QStyleOptionToolBar>

#include <algorithm>

namespace livedeck::ui {

void fillBands(QPainter& painter, const QRectF& rect, const QBrush& brush)
{
    // Whole pixels: a fractional rectangle under antialiasing is rasterised as a polygon
    // (several spans per row), which is dispatched to the pool at fewer rows.
    const QRect r = rect.toAlignedRect();
    if (r.isEmpty())
        return;
    for (int top = r.top(); top <= r.bottom(); top += kSerialFillRows) {
        const int rows = std::min(kSerialFillRows, r.bottom() + 1 - top);
        painter.fillRect(QRect(r.left(), top, r.width(), rows), brush);
    }
}

void CachedText::draw(QPainter& painter, const QRect& rect, Qt::Alignment align, const QString& text,
                      Qt::TextElideMode elide)
{
    const QFont& font = painter.font();
    if (text != m_source || rect.width() != m_maxWidth || font != m_font) {
        m_source = text;
        m_maxWidth = rect.width();
        m_font = font;
        const QFontMetrics fm(font);
        m_text.setText(fm.elidedText(text, elide, std::max(0, rect.width())));
        m_text.setTextFormat(Qt::PlainText);
        m_text.prepare(QTransform(), font);
    }
    const QSizeF size = m_text.size();
    const double x = (align & Qt::AlignRight) ? rect.right() + 1 - size.width() : rect.left();
    const double y = rect.top() + (rect.height() - size.height()) / 2.0;
    painter.drawStaticText(QPointF(x, y), m_text);
}

FlatToolBar::FlatToolBar(const QString& title, QWidget* parent) : QToolBar(title, parent) {}

void FlatToolBar::paintEvent(QPaintEvent* event)
{
    QPainter p(this);
    const QRect r = rect();
    p.fillRect(event->rect(), palette().window());
    p.setPen(palette().mid().color());
    if (orientation() == Qt::Horizontal)
        p.drawLine(r.bottomLeft(), r.bottomRight());
    else
        p.drawLine(r.topRight(), r.bottomRight());
    // The handle (to move the tool bar) as the style draws it.
    if (isMovable()) {
        QStyleOptionToolBar opt;
        initStyleOption(&opt);
        opt.rect = style()->subElementRect(QStyle::SE_ToolBarHandle, &opt, this);
        if (opt.rect.isValid())
            style()->drawPrimitive(QStyle::PE_IndicatorToolBarHandle, &opt, &p, this);
    }
}

} // namespace livedeck::ui
