// SPDX-License-Identifier: GPL-3.0-or-later
// The Inspect view's statistics: the weight and activation jobs, the per-model cache and the
// layer x module heatmap.
#include "panels/inspectview.h"

#include "analysis/activationstats.h"
#include "analysis/weightstats.h"
#include "api/loadedmodel.h"
#include "charts/heatmapchart.h"
#include "jobs/activationstatsjob.h"
#include "jobs/jobrunner.h"
#include "jobs/weightstatsjob.h"
#include "panels/activationstatsdialog.h"
#include "panels/statexplanations.h"
#include "panels/tensorstatspanel.h"

#include <QComboBox>
#include <QFileInfo>
#include <QLabel>
#include <QStandardItemModel>
#include <QTimer>

#include <cmath>
#include <limits>

namespace lathe::ui
{

WeightStatsJob *InspectView::weightStatsJob() const
{
    return m_weightJob;
}

ActivationStatsJob *InspectView::activationStatsJob() const
{
    return m_activationJob;
}

const lathe::WeightStats *InspectView::cachedStats(const QString &name) const
{
    const auto it = m_stats.constFind(name);
    return it == m_stats.constEnd() ? nullptr : it->get();
}

bool InspectView::weightStatsComplete() const
{
    return m_model
        && static_cast<size_t>(m_stats.size() + m_failed.size())
        >= m_model->summary().tensors.size();
}

void InspectView::computeWeightStats()
{
    if (!m_model || !m_runner || (m_weightJob && !m_weightJob->isDone()))
        return;
    std::vector<std::string> names;
    for (const lathe::TensorRow &t : m_model->summary().tensors) {
        const QString name = QString::fromStdString(t.name);
        if (!m_stats.contains(name) && !m_failed.contains(name))
            names.push_back(t.name);
    }
    if (names.empty())
        return;
    auto *job = new WeightStatsJob(m_model, std::move(names));
    m_weightJob = job;
    if (!m_current.isEmpty())
        job->prioritize(m_current.toStdString());
    connect(job, &WeightStatsJob::tensorReady, this,
        [this, job](std::shared_ptr<const lathe::WeightStats> stats) {
            if (job == m_weightJob)
                onTensorReady(std::move(stats));
        });
    connect(job, &WeightStatsJob::tensorFailed, this,
        [this, job](const QString &name, const QString &message) {
            if (job != m_weightJob)
                return;
            m_failed.insert(name, message);
            if (name == m_current)
                m_statsPanel->showMessage(tr("No statistics: %1").arg(message));
        });
    connect(job, &Job::progress, this, &InspectView::updateStatus);
    connect(job, &Job::done, this, [this, job] { onWeightJobDone(job); });
    m_runner->start(job);
    updateStatus();
}

void InspectView::onTensorReady(std::shared_ptr<const lathe::WeightStats> stats)
{
    const QString name = QString::fromStdString(stats->name);
    m_stats.insert(name, std::move(stats));
    if (name == m_current)
        showTensor(name);
    int row = -1;
    int column = -1;
    if (m_grid.cellOf(name, &row, &column))
        scheduleHeatmapUpdate();
}

void InspectView::onWeightJobDone(WeightStatsJob *job)
{
    if (job != m_weightJob)
        return;
    m_heatmapTimer->stop();
    updateHeatmap();
    updateStatus();
    if (weightStatsComplete())
        Q_EMIT weightStatsFinished();
}

void InspectView::requestActivationStats()
{
    if (!m_model)
        return;
    ActivationStatsDialog dialog(this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    dialog.remember();
    startActivationStats(dialog.textFile(), dialog.samples(), dialog.ctx());
}

void InspectView::startActivationStats(const QString &textFile, int samples, int ctx)
{
    if (!m_model || !m_runner)
        return;
    if (m_activationJob && !m_activationJob->isDone())
        m_activationJob->cancel();
    ActivationStatsDialog::rememberChoices(textFile, samples, ctx);
    lathe::ActivationStatsOptions options;
    options.samples = samples;
    options.ctx = ctx;
    auto *job = new ActivationStatsJob(m_model, textFile, options);
    m_activationJob = job;
    connect(job, &Job::progress, this, &InspectView::updateStatus);
    connect(job, &Job::finished, this, [this, job] { onActivationFinished(job); });
    connect(job, &Job::cancelled, this, [this, job] {
        if (job != m_activationJob)
            return;
        updateStatus();
        Q_EMIT activationStatsCancelled();
    });
    connect(job, &Job::failed, this, [this, job](const QString &message) {
        if (job != m_activationJob)
            return;
        updateStatus();
        Q_EMIT activationStatsFailed(message);
    });
    m_runner->start(job);
    updateStatus();
}

void InspectView::onActivationFinished(ActivationStatsJob *job)
{
    std::shared_ptr<const lathe::ActivationStats> result = job->takeResult();
    if (job != m_activationJob || !result)
        return;
    m_activations = std::move(result);
    updateHeatmapChoices();
    updateHeatmap();
    if (!m_current.isEmpty() && cachedStats(m_current))
        showTensor(m_current);
    updateStatus();
    Q_EMIT activationStatsFinished();
}

const lathe::ModuleActivationStats *InspectView::moduleActivations(const QString &tensor) const
{
    if (!m_activations || !tensor.endsWith(QLatin1String(".weight")))
        return nullptr;
    return m_activations->find(tensor.chopped(7).toStdString());
}

void InspectView::setHeatmapStatistic(HeatStatistic statistic)
{
    m_heatStatBox->setCurrentIndex(static_cast<int>(statistic));
}

InspectView::HeatStatistic InspectView::heatmapStatistic() const
{
    return static_cast<HeatStatistic>(std::max(0, m_heatStatBox->currentIndex()));
}

void InspectView::updateHeatmapChoices()
{
    // Activation statistics can only be drawn once they exist.
    auto *items = qobject_cast<QStandardItemModel *>(m_heatStatBox->model());
    const bool have = m_activations != nullptr;
    for (int i : { int(ActivationAbsmax), int(Importance) }) {
        if (QStandardItem *item = items ? items->item(i) : nullptr) {
            item->setEnabled(have);
            item->setToolTip(have ? QString() : tr("Run activation statistics first"));
        }
    }
    const HeatStatistic s = heatmapStatistic();
    if (!have && (s == ActivationAbsmax || s == Importance))
        setHeatmapStatistic(Kurtosis);
}

void InspectView::scheduleHeatmapUpdate()
{
    // Results arrive tensor by tensor: redraw at most five times a second.
    if (!m_heatmapTimer->isActive())
        m_heatmapTimer->start();
}

void InspectView::updateHeatmap()
{
    const HeatStatistic statistic = heatmapStatistic();
    const int rows = m_grid.rowCount();
    const int columns = m_grid.columnCount();
    std::vector<double> values(static_cast<size_t>(rows) * static_cast<size_t>(columns),
        std::numeric_limits<double>::quiet_NaN());
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < columns; ++c) {
            const QString tensor = m_grid.tensorAt(r, c);
            double v = std::numeric_limits<double>::quiet_NaN();
            if (statistic == ActivationAbsmax || statistic == Importance) {
                if (const lathe::ModuleActivationStats *a = moduleActivations(tensor))
                    v = statistic == ActivationAbsmax ? a->absmax : a->meanSquare;
            } else if (const lathe::WeightStats *w = cachedStats(tensor)) {
                v = statistic == Kurtosis ? w->kurtosis
                    : statistic == Absmax ? w->absmax
                                          : w->outlierFraction;
            }
            values[static_cast<size_t>(r) * static_cast<size_t>(columns) + static_cast<size_t>(c)]
                = v;
        }
    }
    const QString key = m_heatStatBox->currentData().toString();
    m_heatmap->setGrid(m_grid.kinds, m_grid.rowLabels(), values, statisticTitle(key));
    m_heatmap->setExportName(QStringLiteral("heatmap-") + key);
    int row = -1;
    int column = -1;
    if (m_grid.cellOf(m_current, &row, &column))
        m_heatmap->setHighlightedCell(row, column);
}

void InspectView::updateStatus()
{
    if (!m_model) {
        m_status->clear();
        return;
    }
    QStringList parts;
    const int total = static_cast<int>(m_model->summary().tensors.size());
    if (m_weightJob && !m_weightJob->isDone()) {
        parts << tr("Weight statistics: %1 of %2 tensors…").arg(m_stats.size()).arg(total);
    } else if (m_stats.size() > 0) {
        parts << tr("Weight statistics of %1 of %2 tensors").arg(m_stats.size()).arg(total);
    }
    if (m_activationJob && !m_activationJob->isDone()) {
        parts << tr("activation statistics %1 %").arg(m_activationJob->percent());
    } else if (m_activations) {
        parts << tr("activations from %1 sequences, %2 tokens")
                     .arg(m_activations->sequences)
                     .arg(m_activations->tokens);
    } else if (m_activationJob && m_activationJob->state() == Job::State::Cancelled) {
        parts << tr("activation statistics cancelled");
    } else if (m_activationJob && m_activationJob->state() == Job::State::Failed) {
        parts << tr("activation statistics failed: %1").arg(m_activationJob->errorText());
    }
    m_status->setText(parts.join(QStringLiteral(" · ")));
}

} // namespace lathe::ui
