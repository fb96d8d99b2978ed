// SPDX-License-Identifier: GPL-3.0-or-later
#include "charts/chartstyle.h"

#include <QPalette>

#include "charts/qcp.h"

namespace lathe::ui
{

ChartStyle ChartStyle::fromPalette(const QPalette &palette)
{
    ChartStyle s;
    s.background = palette.color(QPalette::Base);
    s.foreground = palette.color(QPalette::Text);
    // The palette's own notion of dark: light text on a darker base.
    s.dark = s.background.lightness() < s.foreground.lightness();
    s.grid = s.foreground;
    s.grid.setAlpha(s.dark ? 60 : 45);
    s.subGrid = s.foreground;
    s.subGrid.setAlpha(s.dark ? 25 : 18);
    // Colour-blind-safe hues (Okabe-Ito), brightened a little on dark backgrounds.
    s.accent = s.dark ? QColor(0x56, 0xb4, 0xe9) : QColor(0x00, 0x72, 0xb2);
    s.accent2 = s.dark ? QColor(0xf0, 0xa0, 0x40) : QColor(0xd5, 0x5e, 0x00);
    s.outlier = QColor(0xe6, 0x4b, 0x3c, s.dark ? 70 : 50);
    s.categorical = { s.accent, s.accent2, QColor(0x00, 0x9e, 0x73), QColor(0xcc, 0x79, 0xa7),
        QColor(0xe6, 0x9f, 0x00), QColor(0x80, 0x80, 0x80), QColor(0x9a, 0x6f, 0xd0),
        QColor(0xf0, 0xe4, 0x42) };
    return s;
}

QColor ChartStyle::groupColor(int group) const
{
    if (categorical.isEmpty())
        return accent;
    const int n = static_cast<int>(categorical.size());
    return categorical[((group % n) + n) % n];
}

void applyChartStyle(QCustomPlot *plot, const ChartStyle &style)
{
    plot->setBackground(style.background);
    const QPen axisPen(style.foreground, 1);
    const QList<QCPAxisRect *> rects = plot->axisRects();
    for (QCPAxisRect *rect : rects) {
        rect->setBackground(Qt::NoBrush);
        const QList<QCPAxis *> axes = rect->axes();
        for (QCPAxis *axis : axes) {
            axis->setBasePen(axisPen);
            axis->setTickPen(axisPen);
            axis->setSubTickPen(axisPen);
            axis->setTickLabelColor(style.foreground);
            axis->setLabelColor(style.foreground);
            axis->grid()->setPen(QPen(style.grid, 1, Qt::DotLine));
            axis->grid()->setSubGridPen(QPen(style.subGrid, 1, Qt::DotLine));
            axis->grid()->setZeroLinePen(Qt::NoPen);
        }
    }
    if (plot->legend) {
        plot->legend->setBrush(style.background);
        plot->legend->setTextColor(style.foreground);
        plot->legend->setBorderPen(QPen(style.grid));
    }
}

} // namespace lathe::ui
