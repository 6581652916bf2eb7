// Painting helpers measured in bench_ui (docs/BENCHMARKS.md, "ui").
//
// fillBands: Qt 6.4's raster engine hands any fill over more than 96 rows to the GUI
// thread pool in 64-row pieces (qdrawhelper's parallel fills) and waits for them. For
// the translucent fault spans of the time charts the hand-off (thread wake-ups,
// semaphore) cost more than the fill itself on this 2-core machine; bands of at most
// 64 whole-pixel rows are filled on the calling thread.
//
// CachedText: a line of text laid out once (QStaticText) and drawn again without
// re-shaping until its string, font or width changes. QPainter::drawText shapes its
// string (HarfBuzz) on every call; with 200 breaker tiles repainted per tick that was
// the board's largest cost.
//
// FlatToolBar: a main-window tool bar painted as one flat fill and a bottom rule.
// Fusion paints a main-window tool bar with a vertical gradient across its whole
// width on every repaint, a tenth of a whole-window repaint in the benchmark.
#pragma once

#include <QBrush>
#include <QFont>
#include <QStaticText>
#include <QString>
#include <QRectF>
#include <QToolBar>

class QPainter;

namespace livedeck::ui {

inline constexpr int kSerialFillRows = 64;

void fillBands(QPainter& painter, const QRectF& rect, const QBrush& brush);

class CachedText {
public:
    // Draws `text` (elided with `elide` to `rect`'s width) in `rect`, aligned left or
    // right and centred vertically, with the painter's font and pen.
    void draw(QPainter& painter, const QRect& rect, Qt::Alignment align, const QString& text,
              Qt::TextElideMode elide = Qt::ElideRight);
    // Width of the text as last laid out.
    double width() const { return m_text.size().width(); }

private:
    QString m_source;
    QFont m_font;
    int m_maxWidth = -1;
    QStaticText m_text;
};

class FlatToolBar : public QToolBar {
    Q_OBJECT
public:
    explicit FlatToolBar(const QString& title, QWidget* parent = nullptr);

protected:
    void paintEvent(QPaintEvent* event) override;
};

} // namespace livedeck::ui
