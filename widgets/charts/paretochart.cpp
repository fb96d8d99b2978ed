// SPDX-License-Identifier: GPL-3.0-or-later
#include "charts/paretochart.h"

#include "charts/qcp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::ui
{

ParetoChart::ParetoChart(QWidget *parent)
    : ChartPanel(parent)
{
    setObjectName(QStringLiteral("paretoChart"));
    setExportName(QStringLiteral("pareto"));
    QCustomPlot *p = plot();
    m_front = p->addGraph();
    m_front->setName(tr("Pareto front"));
    m_variants = p->addGraph();
    m_variants->setName(tr("variants"));
    m_variants->setLineStyle(QCPGraph::lsNone);
    m_original = p->addGraph();
    m_original->setName(tr("original"));
    m_original->setLineStyle(QCPGraph::lsNone);
    m_selected = p->addGraph();
    m_selected->setName(tr("selected"));
    m_selected->setLineStyle(QCPGraph::lsNone);
    restyle();
    rebuild();
}

void ParetoChart::setPoints(
    const QList<Point> &points, const QString &xLabel, const QString &yLabel)
{
    m_points.clear();
    // Points without both numbers (not evaluated yet) have no place on the chart.
    for (const Point &pt : points)
        if (std::isfinite(pt.x) && std::isfinite(pt.y))
            m_points.append(pt);
    m_xLabel = xLabel;
    m_yLabel = yLabel;
    rebuild();
}

void ParetoChart::clear()
{
    m_points.clear();
    rebuild();
}

QList<ParetoChart::Point> ParetoChart::front() const
{
    QList<Point> sorted = m_points;
    std::sort(sorted.begin(), sorted.end(), [](const Point &a, const Point &b) {
        return a.x != b.x ? a.x < b.x : a.y < b.y;
    });
    // Walking from small to large, a point joins the front when it is less damaged than
    // every smaller one.
    QList<Point> result;
    double best = std::numeric_limits<double>::infinity();
    for (const Point &pt : sorted) {
        if (pt.y < best) {
            result.append(pt);
            best = pt.y;
        }
    }
    return result;
}

void ParetoChart::rebuild()
{
    QCustomPlot *p = plot();
    for (QCPItemText *label : std::as_const(m_labels))
        p->removeItem(label);
    m_labels.clear();

    QVector<double> vx, vy, ox, oy, sx, sy, fx, fy;
    double xmin = std::numeric_limits<double>::infinity();
    double xmax = -xmin;
    double ymin = xmin;
    double ymax = -xmin;
    for (const Point &pt : std::as_const(m_points)) {
        (pt.original ? ox : vx).append(pt.x);
        (pt.original ? oy : vy).append(pt.y);
        if (pt.selected) {
            sx.append(pt.x);
            sy.append(pt.y);
        }
        xmin = std::min(xmin, pt.x);
        xmax = std::max(xmax, pt.x);
        ymin = std::min(ymin, pt.y);
        ymax = std::max(ymax, pt.y);
        auto *label = new QCPItemText(p);
        label->setObjectName(QStringLiteral("paretoLabel"));
        label->position->setCoords(pt.x, pt.y);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setPadding(QMargins(6, 0, 0, 4));
        label->setText(pt.label);
        label->setClipToAxisRect(false);
        label->setSelectable(false);
        m_labels.append(label);
    }
    for (const Point &pt : front()) {
        fx.append(pt.x);
        fy.append(pt.y);
    }
    m_variants->setData(vx, vy);
    m_original->setData(ox, oy);
    m_selected->setData(sx, sy);
    m_front->setData(fx, fy, true);

    p->xAxis->setLabel(m_xLabel);
    p->yAxis->setLabel(m_yLabel);
    if (m_points.isEmpty()) {
        p->xAxis->setRange(0, 1);
        p->yAxis->setRange(0, 1);
    } else {
        // Room on the right and above for the labels.
        const double dx = xmax > xmin ? xmax - xmin : std::max(1.0, std::fabs(xmax));
        const double dy = ymax > ymin ? ymax - ymin : std::max(1e-3, std::fabs(ymax));
        p->xAxis->setRange(xmin - 0.08 * dx, xmax + 0.3 * dx);
        p->yAxis->setRange(ymin - 0.08 * dy, ymax + 0.2 * dy);
    }
    restyle();
    p->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoChart::restyle()
{
    const ChartStyle &s = style();
    m_variants->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, s.accent, s.accent, 9));
    m_original->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssSquare, s.foreground, s.foreground, 9));
    m_selected->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(s.accent2, 2.5), Qt::NoBrush, 17));
    QPen frontPen(s.accent2, 1.5, Qt::DashLine);
    m_front->setPen(frontPen);
    m_front->setScatterStyle(QCPScatterStyle::ssNone);
    for (QCPItemText *label : std::as_const(m_labels))
        label->setColor(s.foreground);
}

QString ParetoChart::csv() const
{
    const QList<Point> onFront = front();
    QString out = QStringLiteral("label,x,y,original,on_front\n");
    for (const Point &pt : m_points) {
        const bool isFront = std::any_of(onFront.begin(), onFront.end(),
            [&](const Point &f) { return f.label == pt.label && f.x == pt.x && f.y == pt.y; });
        out += csvField(pt.label) + QLatin1Char(',') + csvNumber(pt.x) + QLatin1Char(',')
            + csvNumber(pt.y) + QLatin1Char(',')
            + (pt.original ? QStringLiteral("1") : QStringLiteral("0")) + QLatin1Char(',')
            + (isFront ? QStringLiteral("1") : QStringLiteral("0")) + QLatin1Char('\n');
    }
    return out;
}

} // namespace lathe::ui
