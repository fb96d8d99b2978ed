// SPDX-License-Identifier: GPL-3.0-or-later
#include "charts/barchart.h"

#include <QToolTip>

#include "charts/qcp.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace lathe::ui
{

BarChart::BarChart(QWidget *parent)
    : ChartPanel(parent)
{
    setObjectName(QStringLiteral("barChart"));
    setExportName(QStringLiteral("bars"));
    QCustomPlot *p = plot();
    p->setMouseTracking(true);
    p->xAxis->setTicker(QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText));
    p->xAxis->setSubTicks(false);
    p->xAxis->grid()->setVisible(false);
    p->legend->setVisible(false);
    connect(p, &QCustomPlot::mousePress, this, &BarChart::onMousePress);
    connect(p, &QCustomPlot::mouseMove, this, &BarChart::onMouseMove);
    rebuild();
}

void BarChart::setBars(const QStringList &labels, const std::vector<double> &values,
    const QStringList &toolTips, const std::vector<int> &groups)
{
    m_labels = labels;
    m_values = values;
    m_values.resize(static_cast<size_t>(labels.size()), std::nan(""));
    m_toolTips = toolTips;
    m_groups = groups;
    m_groups.resize(static_cast<size_t>(labels.size()), 0);
    rebuild();
}

void BarChart::setGroupNames(const QStringList &names)
{
    m_groupNames = names;
    rebuild();
}

void BarChart::clear()
{
    setBars({}, {});
}

void BarChart::setSortOrder(SortOrder order)
{
    m_order = order;
    rebuild();
}

void BarChart::setValueLabel(const QString &label)
{
    m_valueLabel = label;
    plot()->yAxis->setLabel(label);
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void BarChart::setCategoryLabel(const QString &label)
{
    m_categoryLabel = label;
    plot()->xAxis->setLabel(label);
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void BarChart::setLogScale(bool log)
{
    m_log = log;
    QCustomPlot *p = plot();
    p->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    p->yAxis->setTicker(log ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                            : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    rebuild();
}

QStringList BarChart::displayedLabels() const
{
    QStringList out;
    for (int i : m_display)
        out.append(m_labels[i]);
    return out;
}

QString BarChart::groupName(int group) const
{
    return group >= 0 && group < m_groupNames.size() ? m_groupNames[group]
                                                     : tr("group %1").arg(group + 1);
}

void BarChart::rebuild()
{
    QCustomPlot *p = plot();
    const int n = barCount();
    m_display.resize(n);
    std::iota(m_display.begin(), m_display.end(), 0);
    // NaN sorts last in both directions; equal values keep their original order.
    auto key = [this](int i) { return m_values[static_cast<size_t>(i)]; };
    if (m_order == SortOrder::Descending) {
        std::stable_sort(m_display.begin(), m_display.end(), [&](int a, int b) {
            return !std::isnan(key(a)) && (std::isnan(key(b)) || key(a) > key(b));
        });
    } else if (m_order == SortOrder::Ascending) {
        std::stable_sort(m_display.begin(), m_display.end(), [&](int a, int b) {
            return !std::isnan(key(a)) && (std::isnan(key(b)) || key(a) < key(b));
        });
    }

    for (QCPBars *bars : std::as_const(m_plottables))
        p->removePlottable(bars);
    m_plottables.clear();
    m_plottableGroups.clear();
    const std::set<int> present(m_groups.begin(), m_groups.end());
    const bool grouped = present.size() > 1 || !m_groupNames.isEmpty();
    double lo = 0.0;
    double hi = 0.0;
    double minPositive = 0.0;
    for (int group : present) {
        auto *bars = new QCPBars(p->xAxis, p->yAxis);
        bars->setName(grouped ? groupName(group) : (m_valueLabel.isEmpty() ? tr("value")
                                                                           : m_valueLabel));
        bars->setWidth(0.75);
        bars->setBaseValue(m_log ? 1e-300 : 0.0);
        QVector<double> keys;
        QVector<double> values;
        for (int pos = 0; pos < n; ++pos) {
            const int i = m_display[pos];
            const double v = m_values[static_cast<size_t>(i)];
            if (m_groups[static_cast<size_t>(i)] != group || std::isnan(v) || (m_log && v <= 0))
                continue;
            keys.append(pos);
            values.append(v);
            lo = std::min(lo, v);
            hi = std::max(hi, v);
            if (v > 0 && (minPositive == 0.0 || v < minPositive))
                minPositive = v;
        }
        bars->setData(keys, values, true);
        m_plottables.append(bars);
        m_plottableGroups.append(group);
    }
    p->legend->setVisible(grouped && !m_plottables.isEmpty());

    auto ticker = qSharedPointerCast<QCPAxisTickerText>(p->xAxis->ticker());
    ticker->clear();
    // Label every k-th bar so the labels never overlap (the tooltip names every bar).
    const int step = n > 120 ? 10 : (n > 60 ? 5 : (n > 30 ? 2 : 1));
    for (int pos = 0; pos < n; pos += step)
        ticker->addTick(pos, m_labels[m_display[pos]]);
    p->xAxis->setTickLabelRotation(n > 8 ? 60 : 0);
    p->xAxis->setRange(-0.6, std::max(n, 1) - 0.4);
    if (m_log) {
        const double bottom = minPositive > 0 ? minPositive / 2.0 : 0.1;
        p->yAxis->setRange(bottom, hi > bottom ? hi * 1.5 : bottom * 10.0);
    } else {
        const double span = hi - lo > 0 ? hi - lo : 1.0;
        const double bottom = lo < 0 ? lo - 0.05 * span : 0.0;
        const double top = hi > 0 ? hi + 0.05 * span : (lo < 0 ? 0.0 : 1.0);
        p->yAxis->setRange(bottom, top);
    }
    restyle();
    p->replot(QCustomPlot::rpQueuedReplot);
}

int BarChart::barAt(const QPoint &pos) const
{
    const QCustomPlot *p = plot();
    if (!p->axisRect()->rect().contains(pos))
        return -1;
    const double x = p->xAxis->pixelToCoord(pos.x());
    const int slot = static_cast<int>(std::floor(x + 0.5));
    if (slot < 0 || slot >= m_display.size() || std::abs(x - slot) > 0.375)
        return -1;
    return m_display[slot];
}

QPoint BarChart::barCenter(int index) const
{
    const int slot = static_cast<int>(m_display.indexOf(index));
    if (slot < 0)
        return { -1, -1 };
    const QCustomPlot *p = plot();
    const double v = m_values[static_cast<size_t>(index)];
    const double base = m_log ? p->yAxis->range().lower : 0.0;
    const double mid = std::isnan(v) ? base : (m_log ? std::sqrt(base * std::max(v, base)) : v / 2);
    return QPoint(qRound(p->xAxis->coordToPixel(slot)), qRound(p->yAxis->coordToPixel(mid)));
}

void BarChart::onMousePress(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const int index = barAt(event->pos());
    if (index >= 0)
        Q_EMIT barClicked(index, m_labels[index]);
}

void BarChart::onMouseMove(QMouseEvent *event)
{
    const int index = barAt(event->pos());
    if (index < 0) {
        QToolTip::hideText();
        return;
    }
    QString text = index < m_toolTips.size() && !m_toolTips[index].isEmpty()
        ? m_toolTips[index]
        : QStringLiteral("%1: %2").arg(m_labels[index],
            QString::number(m_values[static_cast<size_t>(index)], 'g', 4));
    QToolTip::showText(plot()->mapToGlobal(event->pos()), text, plot());
}

void BarChart::restyle()
{
    const ChartStyle &s = style();
    for (int k = 0; k < m_plottables.size(); ++k) {
        const QColor color = s.groupColor(m_plottableGroups[k]);
        QColor fill = color;
        fill.setAlpha(210);
        m_plottables[k]->setPen(QPen(color.darker(s.dark ? 90 : 120), 1));
        m_plottables[k]->setBrush(fill);
    }
}

QString BarChart::csv() const
{
    const bool grouped = std::set<int>(m_groups.begin(), m_groups.end()).size() > 1
        || !m_groupNames.isEmpty();
    QString out = csvField(m_categoryLabel.isEmpty() ? QStringLiteral("label") : m_categoryLabel)
        + QLatin1Char(',')
        + csvField(m_valueLabel.isEmpty() ? QStringLiteral("value") : m_valueLabel);
    if (grouped)
        out += QStringLiteral(",group");
    out += QLatin1Char('\n');
    for (int i : m_display) {
        out += csvField(m_labels[i]) + QLatin1Char(',')
            + csvNumber(m_values[static_cast<size_t>(i)]);
        if (grouped)
            out += QLatin1Char(',') + csvField(groupName(m_groups[static_cast<size_t>(i)]));
        out += QLatin1Char('\n');
    }
    return out;
}

} // namespace lathe::ui
