// SPDX-License-Identifier: GPL-3.0-or-later
#include "charts/histogramchart.h"

#include "charts/qcp.h"

#include <algorithm>
#include <cmath>

namespace lathe::ui
{

HistogramChart::HistogramChart(QWidget *parent)
    : ChartPanel(parent)
{
    setObjectName(QStringLiteral("histogramChart"));
    setExportName(QStringLiteral("histogram"));
    QCustomPlot *p = plot();
    p->yAxis->setScaleType(QCPAxis::stLogarithmic);
    QSharedPointer<QCPAxisTickerLog> logTicker(new QCPAxisTickerLog);
    p->yAxis->setTicker(logTicker);
    p->yAxis->setNumberFormat(QStringLiteral("eb"));
    p->yAxis->setNumberPrecision(0);
    p->yAxis->setLabel(tr("count"));
    p->xAxis->setLabel(tr("value"));
    m_bars = new QCPBars(p->xAxis, p->yAxis);
    m_bars->setName(tr("count"));
    // Bars grow from below 1 so a bin holding a single value is still visible on a log axis.
    m_bars->setBaseValue(0.5);
    m_bars->setWidthType(QCPBars::wtPlotCoords);
    restyle();
    rebuild();
}

void HistogramChart::setData(const Data &data)
{
    m_data = data;
    rebuild();
}

void HistogramChart::clear()
{
    m_data = Data();
    rebuild();
}

std::uint64_t HistogramChart::totalCount() const
{
    std::uint64_t total = 0;
    for (std::uint64_t c : m_data.counts)
        total += c;
    return total;
}

int HistogramChart::outlierRegionCount() const
{
    return static_cast<int>(m_regions.size());
}

void HistogramChart::rebuild()
{
    QCustomPlot *p = plot();
    for (QCPItemRect *rect : std::as_const(m_regions))
        p->removeItem(rect);
    m_regions.clear();

    const int bins = static_cast<int>(m_data.counts.size());
    const double width = bins > 0 ? (m_data.hi - m_data.lo) / bins : 1.0;
    QVector<double> keys;
    QVector<double> values;
    double maxCount = 1.0;
    for (int i = 0; i < bins; ++i) {
        // Empty bins stay out: a log axis has no place for zero.
        if (m_data.counts[i] == 0)
            continue;
        keys.append(m_data.lo + (i + 0.5) * width);
        values.append(static_cast<double>(m_data.counts[i]));
        maxCount = std::max(maxCount, values.last());
    }
    m_bars->setData(keys, values, true);
    m_bars->setWidth(width);
    p->xAxis->setLabel(m_data.logMagnitude ? tr("log10 |value|") : tr("value"));

    const bool hasRange = bins > 0 && m_data.hi > m_data.lo;
    const double lo = hasRange ? m_data.lo : 0.0;
    const double hi = hasRange ? m_data.hi : 1.0;
    const double pad = (hi - lo) * 0.02;
    p->xAxis->setRange(lo - pad, hi + pad);
    p->yAxis->setRange(0.5, maxCount * 2.0);

    // Outlier regions: beyond mean +- k*std. In log-magnitude mode only the upper bound makes
    // sense, as log10 of the largest non-outlier magnitude.
    if (hasRange && m_data.std > 0.0) {
        const double spread = m_data.outlierK * m_data.std;
        QList<QPair<double, double>> spans;
        if (m_data.logMagnitude) {
            const double bound = std::log10(std::abs(m_data.mean) + spread);
            spans.append({ bound, hi + pad });
        } else {
            spans.append({ lo - pad, m_data.mean - spread });
            spans.append({ m_data.mean + spread, hi + pad });
        }
        for (const auto &span : std::as_const(spans)) {
            const double a = std::max(span.first, lo - pad);
            const double b = std::min(span.second, hi + pad);
            // Only regions that hold part of the histogram's range are drawn.
            if (!(b > a) || b <= lo || a >= hi)
                continue;
            auto *rect = new QCPItemRect(p);
            rect->setClipToAxisRect(true);
            rect->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
            rect->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
            rect->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
            rect->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
            rect->topLeft->setCoords(a, 0.0);
            rect->bottomRight->setCoords(b, 1.0);
            rect->setLayer(QStringLiteral("background"));
            rect->setSelectable(false);
            rect->setObjectName(QStringLiteral("outlierRegion"));
            m_regions.append(rect);
        }
    }
    restyle();
    p->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramChart::restyle()
{
    const ChartStyle &s = style();
    QColor fill = s.accent;
    fill.setAlpha(200);
    m_bars->setPen(QPen(s.accent, 1));
    m_bars->setBrush(fill);
    for (QCPItemRect *rect : std::as_const(m_regions)) {
        rect->setPen(Qt::NoPen);
        rect->setBrush(s.outlier);
    }
}

QString HistogramChart::csv() const
{
    QString out = QStringLiteral("bin_lo,bin_hi,count\n");
    const int bins = static_cast<int>(m_data.counts.size());
    const double width = bins > 0 ? (m_data.hi - m_data.lo) / bins : 0.0;
    for (int i = 0; i < bins; ++i) {
        // The last edge is exactly hi, not lo + bins * width with its rounding.
        const double a = m_data.lo + i * width;
        const double b = i + 1 == bins ? m_data.hi : m_data.lo + (i + 1) * width;
        out += csvNumber(a) + QLatin1Char(',') + csvNumber(b) + QLatin1Char(',')
            + QString::number(m_data.counts[i]) + QLatin1Char('\n');
    }
    if (m_data.logMagnitude)
        out += QStringLiteral("zeros,,") + QString::number(m_data.zeros) + QLatin1Char('\n');
    return out;
}

} // namespace lathe::ui
