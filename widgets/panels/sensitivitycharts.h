// SPDX-License-Identifier: GPL-3.0-or-later
// SensitivityCharts: the Sensitivity view's three charts of one result and one metric (mean
// KL, delta perplexity or proxy): a bar per linear module coloured by module kind, a bar per
// decoder block, and a layer x module-kind heatmap. Each chart exports PNG, SVG, PDF and CSV
// from its context menu (ChartPanel).
#pragma once

#include "analysis/sensitivity.h"

#include <QStringList>
#include <QWidget>

namespace lathe::ui
{

class BarChart;
class HeatmapChart;

class SensitivityCharts : public QWidget
{
    Q_OBJECT
public:
    enum Metric { MeanKl, DeltaPerplexity, Proxy };
    Q_ENUM(Metric)

    explicit SensitivityCharts(QWidget *parent = nullptr);

    // Draws `result` (nullptr clears). `kinds` orders the heatmap columns (the architecture's
    // module kinds in forward order); kinds found only in the result are appended.
    // `valueName` labels the value axes.
    void setResult(const lathe::SensitivityResult *result, const QStringList &kinds,
        Metric metric, const QString &valueName);

    static double metricValue(const lathe::SensitivityEntry &entry, Metric metric);

    BarChart *moduleBars() const { return m_moduleBars; }
    BarChart *blockBars() const { return m_blockBars; }
    HeatmapChart *heatmap() const { return m_heatmap; }

private:
    BarChart *m_moduleBars = nullptr;
    BarChart *m_blockBars = nullptr;
    HeatmapChart *m_heatmap = nullptr;
};

} // namespace lathe::ui
