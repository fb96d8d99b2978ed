// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/sensitivitycharts.h"

#include "charts/barchart.h"
#include "charts/heatmapchart.h"

#include <QLocale>
#include <QSplitter>
#include <QVBoxLayout>

#include <cmath>
#include <limits>
#include <map>

namespace lathe::ui
{

SensitivityCharts::SensitivityCharts(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("sensitivityCharts"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *charts = new QSplitter(Qt::Vertical, this);
    charts->setChildrenCollapsible(false);
    layout->addWidget(charts);

    m_moduleBars = new BarChart(charts);
    m_moduleBars->setObjectName(QStringLiteral("sensitivityModuleBars"));
    m_moduleBars->setCategoryLabel(tr("module (layer.kind)"));
    m_moduleBars->setExportName(QStringLiteral("sensitivity-modules"));
    m_moduleBars->setMinimumHeight(90);
    auto *lower = new QSplitter(Qt::Horizontal, charts);
    lower->setChildrenCollapsible(false);
    m_blockBars = new BarChart(lower);
    m_blockBars->setObjectName(QStringLiteral("sensitivityBlockBars"));
    m_blockBars->setCategoryLabel(tr("block (layer)"));
    m_blockBars->setExportName(QStringLiteral("sensitivity-blocks"));
    m_blockBars->setMinimumHeight(90);
    m_heatmap = new HeatmapChart(lower);
    m_heatmap->setObjectName(QStringLiteral("sensitivityHeatmap"));
    m_heatmap->setAxisTitles(tr("layer"), tr("module"));
    m_heatmap->setExportName(QStringLiteral("sensitivity-heatmap"));
    lower->setSizes({ 300, 450 });
    charts->setSizes({ 400, 350 });
}

double SensitivityCharts::metricValue(const lathe::SensitivityEntry &e, Metric metric)
{
    switch (metric) {
    case DeltaPerplexity:
        return e.deltaPerplexity;
    case Proxy:
        return e.proxy;
    case MeanKl:
        break;
    }
    return e.meanKl;
}

void SensitivityCharts::setResult(const lathe::SensitivityResult *result,
    const QStringList &architectureKinds, Metric metric, const QString &valueName)
{
    if (!result) {
        m_moduleBars->clear();
        m_blockBars->clear();
        m_heatmap->clear();
        return;
    }
    const lathe::SensitivityResult &r = *result;
    const Metric which = metric;
    QStringList kinds = architectureKinds;
    for (const lathe::SensitivityEntry &e : r.modules) {
        if (!kinds.contains(QString::fromStdString(e.kind)))
            kinds << QString::fromStdString(e.kind);
    }

    QStringList labels;
    QStringList tips;
    std::vector<double> values;
    std::vector<int> groups;
    std::map<std::int64_t, int> layerRow;
    for (const lathe::SensitivityEntry &e : r.modules)
        layerRow.emplace(e.layer, 0);
    for (const lathe::SensitivityEntry &e : r.blocks)
        layerRow.emplace(e.layer, 0);
    int row = 0;
    QStringList rowLabels;
    for (auto &[layer, index] : layerRow) {
        index = row++;
        rowLabels << QString::number(layer);
    }
    std::vector<double> grid(static_cast<std::size_t>(rowLabels.size() * kinds.size()),
        std::numeric_limits<double>::quiet_NaN());

    const auto tip = [](const lathe::SensitivityEntry &e) {
        return tr("%1\nΔ perplexity %2 · mean KL %3 · proxy %4")
            .arg(QString::fromStdString(e.name), QLocale().toString(e.deltaPerplexity, 'g', 4),
                QLocale().toString(e.meanKl, 'g', 4),
                std::isnan(e.proxy) ? tr("—") : QLocale().toString(e.proxy, 'g', 4));
    };
    for (const lathe::SensitivityEntry &e : r.modules) {
        const QString kind = QString::fromStdString(e.kind);
        labels << QStringLiteral("%1.%2").arg(e.layer).arg(kind);
        tips << tip(e);
        values.push_back(metricValue(e, which));
        const int column = static_cast<int>(kinds.indexOf(kind));
        groups.push_back(column);
        grid[static_cast<std::size_t>(layerRow[e.layer] * kinds.size() + column)]
            = metricValue(e, which);
    }
    m_moduleBars->setGroupNames(kinds);
    m_moduleBars->setValueLabel(valueName);
    m_moduleBars->setBars(labels, values, tips, groups);

    labels.clear();
    tips.clear();
    values.clear();
    for (const lathe::SensitivityEntry &e : r.blocks) {
        labels << QString::number(e.layer);
        tips << tip(e);
        values.push_back(metricValue(e, which));
    }
    m_blockBars->setValueLabel(valueName);
    m_blockBars->setBars(labels, values, tips);

    if (r.modules.empty())
        m_heatmap->clear();
    else
        m_heatmap->setGrid(kinds, rowLabels, grid, valueName);
}

} // namespace lathe::ui
