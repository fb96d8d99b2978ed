// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/glyphs.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace lathe::ui
{

namespace
{

// Paints on a 32x32 design grid.
void paintGlyph(QPainter &p, Glyph glyph, const QColor &color)
{
    QPen pen(color, 2.2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    switch (glyph) {
    case Glyph::Start: {
        // A house: where the workflow starts.
        QPainterPath roof;
        roof.moveTo(5, 16);
        roof.lineTo(16, 6);
        roof.lineTo(27, 16);
        p.drawPath(roof);
        QPainterPath body;
        body.moveTo(8.5, 14);
        body.lineTo(8.5, 26);
        body.lineTo(23.5, 26);
        body.lineTo(23.5, 14);
        p.drawPath(body);
        p.drawRect(QRectF(13.5, 19, 5, 7));
        break;
    }
    case Glyph::Model: {
        // Three stacked layers: a model is a stack of tensors.
        for (int i = 0; i < 3; ++i) {
            const double y = 7 + i * 7;
            QPainterPath layer;
            layer.moveTo(16, y);
            layer.lineTo(27, y + 4.5);
            layer.lineTo(16, y + 9);
            layer.lineTo(5, y + 4.5);
            layer.closeSubpath();
            p.setBrush(i == 0 ? QBrush(color) : QBrush(Qt::NoBrush));
            p.drawPath(layer);
        }
        break;
    }
    case Glyph::Inspect: {
        // A magnifying glass: look inside the tensors.
        p.drawEllipse(QPointF(13.5, 13.5), 7.5, 7.5);
        QPen handle(color, 3.6, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
        p.setPen(handle);
        p.drawLine(QPointF(19.2, 19.2), QPointF(26.5, 26.5));
        p.setPen(pen);
        break;
    }
    case Glyph::Sensitivity: {
        // Bars ranked from tallest to shortest on a baseline: which parts suffer most.
        p.drawLine(QPointF(5, 27), QPointF(27, 27));
        p.setBrush(QBrush(color));
        const double heights[] = { 19, 13, 8, 4 };
        for (int i = 0; i < 4; ++i)
            p.drawRect(QRectF(6.5 + i * 5.2, 27 - heights[i], 3, heights[i]));
        break;
    }
    case Glyph::Compress: {
        // Two arrows pressing a block flat: the weights made smaller.
        p.drawRect(QRectF(7, 13, 18, 6));
        p.drawLine(QPointF(16, 3), QPointF(16, 10));
        p.drawLine(QPointF(12.5, 6.5), QPointF(16, 10));
        p.drawLine(QPointF(19.5, 6.5), QPointF(16, 10));
        p.drawLine(QPointF(16, 29), QPointF(16, 22));
        p.drawLine(QPointF(12.5, 25.5), QPointF(16, 22));
        p.drawLine(QPointF(19.5, 25.5), QPointF(16, 22));
        break;
    }
    case Glyph::Evaluate: {
        // A gauge with its needle: how much the compression cost.
        QPainterPath arc;
        arc.arcMoveTo(QRectF(4, 7, 24, 24), 180);
        arc.arcTo(QRectF(4, 7, 24, 24), 180, -180);
        p.drawPath(arc);
        p.drawLine(QPointF(4, 19), QPointF(28, 19));
        QPen needle(color, 2.8, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
        p.setPen(needle);
        p.drawLine(QPointF(16, 19), QPointF(22.5, 11));
        p.setPen(pen);
        p.setBrush(QBrush(color));
        p.drawEllipse(QPointF(16, 19), 1.8, 1.8);
        break;
    }
    }
}

QPixmap renderGlyph(Glyph glyph, const QColor &color, int size)
{
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.scale(size / 32.0, size / 32.0);
    paintGlyph(p, glyph, color);
    return pm;
}

} // namespace

QIcon glyphIcon(Glyph glyph, const QColor &color, const QColor &disabledColor)
{
    QIcon icon;
    for (int size : { 16, 24, 32, 48, 64 }) {
        icon.addPixmap(renderGlyph(glyph, color, size), QIcon::Normal);
        icon.addPixmap(renderGlyph(glyph, color, size), QIcon::Active);
        icon.addPixmap(renderGlyph(glyph, disabledColor, size), QIcon::Disabled);
    }
    return icon;
}

} // namespace lathe::ui
