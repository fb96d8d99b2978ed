// SPDX-License-Identifier: GPL-3.0-or-later
#include "charts/heatmapchart.h"

#include <QToolTip>

#include "charts/qcp.h"

#include <cmath>
#include <limits>

namespace lathe::ui
{

namespace
{

// A perceptually even dark-blue-to-yellow ramp (viridis-like): readable on light and dark
// backgrounds and in grey scale, unlike a rainbow.
QCPColorGradient heatGradient()
{
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
    g.setColorStopAt(0.25, QColor(0x3b, 0x52, 0x8b));
    g.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8c));
    g.setColorStopAt(0.75, QColor(0x5e, 0xc9, 0x62));
    g.setColorStopAt(1.0, QColor(0xfd, 0xe7, 0x25));
    g.setNanHandling(QCPColorGradient::nhTransparent);
    return g;
}

} // namespace

HeatmapChart::HeatmapChart(QWidget *parent)
    : ChartPanel(parent)
{
    setObjectName(QStringLiteral("heatmapChart"));
    setExportName(QStringLiteral("heatmap"));
    m_rowTitle = tr("layer");
    m_columnTitle = tr("module");
    QCustomPlot *p = plot();
    p->setMouseTracking(true);
    p->xAxis->grid()->setVisible(false);
    p->yAxis->grid()->setVisible(false);
    // Layer 0 at the top, as in the tensor tree.
    p->yAxis->setRangeReversed(true);
    p->xAxis->setTicker(QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText));
    p->yAxis->setTicker(QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText));
    p->xAxis->setSubTicks(false);
    p->yAxis->setSubTicks(false);

    m_map = new QCPColorMap(p->xAxis, p->yAxis);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);
    m_map->setGradient(heatGradient());
    m_scale = new QCPColorScale(p);
    p->plotLayout()->addElement(0, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_map->setColorScale(m_scale);
    // The scale owns the gradient once connected: set it there too, or its default wins.
    m_scale->setGradient(heatGradient());
    // Keep the plot's and the scale's top and bottom aligned.
    auto *group = new QCPMarginGroup(p);
    p->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);

    m_highlightRect = new QCPItemRect(p);
    m_highlightRect->setVisible(false);
    m_highlightRect->setSelectable(false);

    connect(p, &QCustomPlot::mousePress, this, &HeatmapChart::onMousePress);
    connect(p, &QCustomPlot::mouseMove, this, &HeatmapChart::onMouseMove);
    setAxisTitles(m_rowTitle, m_columnTitle);
    restyle();
}

void HeatmapChart::setAxisTitles(const QString &rowTitle, const QString &columnTitle)
{
    m_rowTitle = rowTitle;
    m_columnTitle = columnTitle;
    plot()->yAxis->setLabel(rowTitle);
    plot()->xAxis->setLabel(columnTitle);
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapChart::setGrid(const QStringList &columnLabels, const QStringList &rowLabels,
    const std::vector<double> &values, const QString &valueLabel)
{
    m_columnLabels = columnLabels;
    m_rowLabels = rowLabels;
    m_values = values;
    m_values.resize(static_cast<size_t>(rowLabels.size()) * static_cast<size_t>(columnLabels.size()),
        std::numeric_limits<double>::quiet_NaN());
    m_valueLabel = valueLabel;
    const int nx = columnCount();
    const int ny = rowCount();
    QCustomPlot *p = plot();

    auto *data = new QCPColorMapData(std::max(nx, 1), std::max(ny, 1),
        QCPRange(0, std::max(nx - 1, 0)), QCPRange(0, std::max(ny - 1, 0)));
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (int r = 0; r < ny; ++r) {
        for (int c = 0; c < nx; ++c) {
            double v = value(r, c);
            if (m_log && !(v > 0.0))
                v = std::numeric_limits<double>::quiet_NaN();
            if (!std::isnan(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            data->setCell(c, r, v);
        }
    }
    if (nx == 0 || ny == 0)
        data->fill(std::numeric_limits<double>::quiet_NaN());
    m_map->setData(data);
    if (!(hi >= lo)) {
        lo = m_log ? 0.1 : 0.0;
        hi = 1.0;
    } else if (hi == lo) {
        // A constant grid still needs a range to colour.
        hi = lo + (lo == 0.0 ? 1.0 : std::abs(lo) * 0.1);
    }
    m_map->setDataRange(QCPRange(lo, hi));
    m_scale->axis()->setLabel(valueLabel);

    auto xTicker = qSharedPointerCast<QCPAxisTickerText>(p->xAxis->ticker());
    auto yTicker = qSharedPointerCast<QCPAxisTickerText>(p->yAxis->ticker());
    xTicker->clear();
    yTicker->clear();
    for (int c = 0; c < nx; ++c)
        xTicker->addTick(c, columnLabels[c]);
    // Many layers: label every k-th row so labels never overlap.
    const int step = ny > 40 ? 5 : (ny > 20 ? 2 : 1);
    for (int r = 0; r < ny; r += step)
        yTicker->addTick(r, rowLabels[r]);
    p->xAxis->setTickLabelRotation(nx > 6 ? 35 : 0);
    p->xAxis->setRange(-0.5, std::max(nx, 1) - 0.5);
    p->yAxis->setRange(-0.5, std::max(ny, 1) - 0.5);
    if (m_highlight.y() >= ny || m_highlight.x() >= nx)
        m_highlight = QPoint(-1, -1);
    updateHighlight();
    p->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapChart::clear()
{
    m_highlight = QPoint(-1, -1);
    setGrid({}, {}, {}, QString());
}

void HeatmapChart::setLogScale(bool log)
{
    if (m_log == log)
        return;
    m_log = log;
    m_map->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    m_scale->axis()->setTicker(log ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                                   : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    setGrid(m_columnLabels, m_rowLabels, m_values, m_valueLabel);
}

double HeatmapChart::value(int row, int column) const
{
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return std::numeric_limits<double>::quiet_NaN();
    return m_values[static_cast<size_t>(row) * static_cast<size_t>(columnCount())
        + static_cast<size_t>(column)];
}

QPoint HeatmapChart::cellCenter(int row, int column) const
{
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return { -1, -1 };
    const QCustomPlot *p = plot();
    return QPoint(qRound(p->xAxis->coordToPixel(column)), qRound(p->yAxis->coordToPixel(row)));
}

QPoint HeatmapChart::cellAt(const QPoint &pos) const
{
    const QCustomPlot *p = plot();
    if (!p->axisRect()->rect().contains(pos))
        return { -1, -1 };
    const int column = static_cast<int>(std::floor(p->xAxis->pixelToCoord(pos.x()) + 0.5));
    const int row = static_cast<int>(std::floor(p->yAxis->pixelToCoord(pos.y()) + 0.5));
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return { -1, -1 };
    return { column, row };
}

void HeatmapChart::setHighlightedCell(int row, int column)
{
    m_highlight = row < 0 || column < 0 ? QPoint(-1, -1) : QPoint(column, row);
    updateHighlight();
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapChart::updateHighlight()
{
    const bool on = m_highlight.x() >= 0 && m_highlight.x() < columnCount()
        && m_highlight.y() >= 0 && m_highlight.y() < rowCount();
    m_highlightRect->setVisible(on);
    if (!on)
        return;
    m_highlightRect->topLeft->setCoords(m_highlight.x() - 0.5, m_highlight.y() - 0.5);
    m_highlightRect->bottomRight->setCoords(m_highlight.x() + 0.5, m_highlight.y() + 0.5);
}

void HeatmapChart::onMousePress(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const QPoint cell = cellAt(event->pos());
    if (cell.x() < 0)
        return;
    setHighlightedCell(cell.y(), cell.x());
    Q_EMIT cellClicked(cell.y(), m_columnLabels[cell.x()]);
}

void HeatmapChart::onMouseMove(QMouseEvent *event)
{
    const QPoint cell = cellAt(event->pos());
    if (cell.x() < 0) {
        QToolTip::hideText();
        return;
    }
    const double v = value(cell.y(), cell.x());
    const QString text = tr("%1 %2 · %3\n%4: %5")
                             .arg(m_rowTitle, m_rowLabels[cell.y()], m_columnLabels[cell.x()],
                                 m_valueLabel,
                                 std::isnan(v) ? tr("no data") : QString::number(v, 'g', 4));
    QToolTip::showText(plot()->mapToGlobal(event->pos()), text, plot());
}

void HeatmapChart::restyle()
{
    const ChartStyle &s = style();
    m_scale->axis()->setBasePen(QPen(s.foreground));
    m_scale->axis()->setTickPen(QPen(s.foreground));
    m_scale->axis()->setSubTickPen(QPen(s.foreground));
    m_scale->axis()->setTickLabelColor(s.foreground);
    m_scale->axis()->setLabelColor(s.foreground);
    m_highlightRect->setPen(QPen(s.dark ? Qt::white : Qt::black, 2));
    m_highlightRect->setBrush(Qt::NoBrush);
}

QString HeatmapChart::csv() const
{
    QString out = csvField(m_rowTitle);
    for (const QString &c : m_columnLabels)
        out += QLatin1Char(',') + csvField(c);
    out += QLatin1Char('\n');
    for (int r = 0; r < rowCount(); ++r) {
        out += csvField(m_rowLabels[r]);
        for (int c = 0; c < columnCount(); ++c)
            out += QLatin1Char(',') + csvNumber(value(r, c));
        out += QLatin1Char('\n');
    }
    return out;
}

} // namespace lathe::ui
