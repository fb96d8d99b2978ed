// SPDX-License-Identifier: GPL-3.0-or-later
#include "charts/channelchart.h"

#include "charts/qcp.h"

#include <algorithm>

namespace lathe::ui
{

ChannelChart::ChannelChart(QWidget *parent)
    : ChartPanel(parent)
{
    setObjectName(QStringLiteral("channelChart"));
    setExportName(QStringLiteral("channels"));
    QCustomPlot *p = plot();
    m_bars = new QCPBars(p->xAxis, p->yAxis);
    m_bars->setWidth(0.8);
    m_line = p->addGraph(p->xAxis, p->yAxis);
    m_overlayGraph = p->addGraph(p->xAxis, p->yAxis2);
    p->yAxis2->setTickLabels(true);
    restyle();
    rebuild();
}

void ChannelChart::setChannels(
    const std::vector<float> &values, const QString &label, const QString &valueLabel)
{
    m_values = values;
    m_label = label;
    m_valueLabel = valueLabel.isEmpty() ? tr("absmax") : valueLabel;
    if (!m_overlay.empty() && m_overlay.size() != m_values.size())
        m_overlay.clear();
    rebuild();
}

void ChannelChart::setOverlay(const std::vector<float> &values, const QString &valueLabel)
{
    m_overlay = values.size() == m_values.size() ? values : std::vector<float>();
    m_overlayLabel = valueLabel;
    rebuild();
}

void ChannelChart::clear()
{
    m_values.clear();
    m_overlay.clear();
    rebuild();
}

bool ChannelChart::drawsBars() const
{
    return !m_values.empty() && channelCount() <= kBarLimit;
}

void ChannelChart::rebuild()
{
    QCustomPlot *p = plot();
    const int n = channelCount();
    QVector<double> keys(n);
    QVector<double> values(n);
    double top = 0.0;
    for (int i = 0; i < n; ++i) {
        keys[i] = i;
        values[i] = m_values[i];
        top = std::max(top, values[i]);
    }
    const bool bars = drawsBars();
    m_bars->setData(bars ? keys : QVector<double>(), bars ? values : QVector<double>(), true);
    m_line->setData(bars ? QVector<double>() : keys, bars ? QVector<double>() : values, true);
    m_bars->setVisible(bars);
    m_line->setVisible(!bars && n > 0);

    QVector<double> overlay(static_cast<int>(m_overlay.size()));
    double overlayTop = 0.0;
    for (int i = 0; i < overlay.size(); ++i) {
        overlay[i] = m_overlay[i];
        overlayTop = std::max(overlayTop, overlay[i]);
    }
    m_overlayGraph->setData(overlay.isEmpty() ? QVector<double>() : keys, overlay, true);
    m_overlayGraph->setVisible(!overlay.isEmpty());
    p->yAxis2->setVisible(!overlay.isEmpty());
    p->yAxis2->setLabel(m_overlayLabel);
    p->yAxis2->setRange(0.0, overlayTop > 0.0 ? overlayTop * 1.05 : 1.0);

    p->xAxis->setLabel(m_label);
    p->yAxis->setLabel(m_valueLabel);
    p->xAxis->setRange(-0.5, n > 0 ? n - 0.5 : 1.0);
    p->yAxis->setRange(0.0, top > 0.0 ? top * 1.05 : 1.0);
    restyle();
    p->replot(QCustomPlot::rpQueuedReplot);
}

void ChannelChart::restyle()
{
    const ChartStyle &s = style();
    QColor fill = s.accent;
    fill.setAlpha(190);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(fill);
    m_line->setPen(QPen(s.accent, 1.2));
    m_overlayGraph->setPen(QPen(s.accent2, 1.2));
    m_overlayGraph->setScatterStyle(
        m_overlay.size() <= static_cast<size_t>(kBarLimit) && !m_overlay.empty()
            ? QCPScatterStyle(QCPScatterStyle::ssCircle, 4)
            : QCPScatterStyle());
}

QString ChannelChart::csv() const
{
    const bool overlay = !m_overlay.empty();
    QString header = QStringLiteral("channel,") + csvField(m_valueLabel);
    if (overlay)
        header += QLatin1Char(',') + csvField(m_overlayLabel);
    QString out = header + QLatin1Char('\n');
    for (int i = 0; i < channelCount(); ++i) {
        out += QString::number(i) + QLatin1Char(',') + csvNumber(m_values[i]);
        if (overlay)
            out += QLatin1Char(',') + csvNumber(m_overlay[i]);
        out += QLatin1Char('\n');
    }
    return out;
}

} // namespace lathe::ui
