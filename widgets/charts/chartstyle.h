// SPDX-License-Identifier: GPL-3.0-or-later
// ChartStyle: the colours every chart draws with, derived from the widget palette so charts
// follow the light or dark theme (and re-derive when the palette changes).
#pragma once

#include <QColor>
#include <QList>

class QCPAxis;
class QCustomPlot;
class QPalette;

namespace lathe::ui
{

struct ChartStyle {
    bool dark = false;
    QColor background;
    QColor foreground; // axes, tick labels, titles
    QColor grid;
    QColor subGrid;
    QColor accent;   // the main series
    QColor accent2;  // a second series on the same chart
    QColor outlier;  // shaded outlier regions (translucent)
    QList<QColor> categorical; // distinct colours for groups, readable on `background`

    static ChartStyle fromPalette(const QPalette &palette);
    QColor groupColor(int group) const;
};

// Applies the style's background, axis, grid and tick-label colours to every axis of `plot`.
void applyChartStyle(QCustomPlot *plot, const ChartStyle &style);

} // namespace lathe::ui
