// SPDX-License-Identifier: GPL-3.0-or-later
// ParetoChart: size against damage of every evaluated variant (and the original at zero
// damage) as a labelled scatter, with the Pareto front drawn through the variants no other
// one beats on both axes (smaller and less damaged), and the selected variant ringed.
#pragma once

#include "charts/chartpanel.h"

#include <QList>
#include <QString>

class QCPGraph;
class QCPItemText;

namespace lathe::ui
{

class ParetoChart : public ChartPanel
{
    Q_OBJECT
public:
    struct Point {
        QString label;
        double x = 0.0;
        double y = 0.0;
        bool original = false;
        bool selected = false;
    };

    explicit ParetoChart(QWidget *parent = nullptr);

    void setPoints(const QList<Point> &points, const QString &xLabel, const QString &yLabel);
    void clear();
    const QList<Point> &points() const { return m_points; }
    int pointCount() const { return static_cast<int>(m_points.size()); }
    // Points on the front (lower x and lower y are better), in x order.
    QList<Point> front() const;

    // label,x,y,original,on_front per point.
    QString csv() const override;

protected:
    void restyle() override;

private:
    void rebuild();

    QList<Point> m_points;
    QString m_xLabel;
    QString m_yLabel;
    QCPGraph *m_variants = nullptr;
    QCPGraph *m_original = nullptr;
    QCPGraph *m_front = nullptr;
    QCPGraph *m_selected = nullptr;
    QList<QCPItemText *> m_labels;
};

} // namespace lathe::ui
