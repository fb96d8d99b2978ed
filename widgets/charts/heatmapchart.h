// SPDX-License-Identifier: GPL-3.0-or-later
// HeatmapChart: a grid of one statistic, rows by columns (layers by module kind), drawn as a
// QCPColorMap with a colour scale. Axis labels are the row and column names; clicking a cell
// emits cellClicked(row, column label) and highlights it. Missing cells (NaN) stay empty.
#pragma once

#include "charts/chartpanel.h"

#include <QStringList>

#include <vector>

class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QMouseEvent;

namespace lathe::ui
{

class HeatmapChart : public ChartPanel
{
    Q_OBJECT
public:
    explicit HeatmapChart(QWidget *parent = nullptr);

    // `values` is row-major: rowLabels.size() rows of columnLabels.size() values; NaN marks a
    // cell without data. `valueLabel` titles the colour scale.
    void setGrid(const QStringList &columnLabels, const QStringList &rowLabels,
        const std::vector<double> &values, const QString &valueLabel);
    void clear();
    // Axis titles: rows ("layer") and columns ("module").
    void setAxisTitles(const QString &rowTitle, const QString &columnTitle);
    // Colours on a log10 scale (for statistics spanning decades); cells <= 0 then show empty.
    void setLogScale(bool log);
    bool logScale() const { return m_log; }

    int rowCount() const { return static_cast<int>(m_rowLabels.size()); }
    int columnCount() const { return static_cast<int>(m_columnLabels.size()); }
    QStringList rowLabels() const { return m_rowLabels; }
    QStringList columnLabels() const { return m_columnLabels; }
    QString valueLabel() const { return m_valueLabel; }
    double value(int row, int column) const;
    QCPColorMap *colorMap() const { return m_map; }
    QCPColorScale *colorScale() const { return m_scale; }

    // Widget coordinates of a cell's centre (in plot() coordinates) and the reverse; {-1, -1}
    // when outside the grid. Valid after the chart has been laid out and replotted.
    QPoint cellCenter(int row, int column) const;
    QPoint cellAt(const QPoint &pos) const; // x = column, y = row

    // Outlines one cell (row < 0: none), as the selection feedback.
    void setHighlightedCell(int row, int column);
    QPoint highlightedCell() const { return m_highlight; }

    // row_title,<column labels...> then one line per row.
    QString csv() const override;

Q_SIGNALS:
    void cellClicked(int row, const QString &columnLabel);

protected:
    void restyle() override;

private:
    void onMousePress(QMouseEvent *event);
    void onMouseMove(QMouseEvent *event);
    void updateHighlight();

    QStringList m_columnLabels;
    QStringList m_rowLabels;
    std::vector<double> m_values;
    QString m_valueLabel;
    QString m_rowTitle;
    QString m_columnTitle;
    bool m_log = false;
    QPoint m_highlight { -1, -1 };
    QCPColorMap *m_map = nullptr;
    QCPColorScale *m_scale = nullptr;
    QCPItemRect *m_highlightRect = nullptr;
};

} // namespace lathe::ui
