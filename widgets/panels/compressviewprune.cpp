// SPDX-License-Identifier: GPL-3.0-or-later
// CompressView's Prune section: measuring block influence for its chart, checking a pruning
// stage against the open model, and the meter's line about what pruning will do.
#include "panels/compressview.h"

#include "api/loadedmodel.h"
#include "jobs/blockinfluencejob.h"
#include "jobs/jobrunner.h"
#include "panels/compresscontrols.h"
#include "panels/prunecontrols.h"
#include "prune/prunemethods.h"
#include "util/error.h"

#include <QLabel>
#include <QLocale>
#include <QStringList>

#include <algorithm>

namespace lathe::ui
{

void CompressView::measureBlockInfluence()
{
    if (!m_model || !m_model->runnable() || isRunning())
        return;
    BlockInfluenceRequest request;
    request.model = m_model;
    request.calibration = m_controls->recipe().calibration;
    request.calibrationFile = m_controls->calibrationFile();
    auto *job = new BlockInfluenceJob(std::move(request));
    connect(job, &Job::done, this, [this, job] { onInfluenceDone(job); });
    startJob(job, tr("Waiting for the worker…"));
}

void CompressView::onInfluenceDone(BlockInfluenceJob *job)
{
    const bool current = job == m_job;
    if (job->state() == Job::State::Finished && job->request().model == m_model) {
        m_prune->setBlockInfluence(job->influence());
        QStringList least;
        for (int b : m_prune->blocksToDrop())
            least.append(QString::number(b));
        m_controls->setStatus(tr("Measured the influence of %n block(s); Run would drop %1.",
            nullptr, int(job->influence().size()))
                                  .arg(least.join(QStringLiteral(", "))));
        updateMeter();
        Q_EMIT blockInfluenceMeasured();
    } else if (job->state() == Job::State::Failed) {
        m_controls->setStatus(tr("Measuring block influence failed: %1").arg(job->errorText()));
        Q_EMIT runFailed(job->errorText());
    } else if (job->state() == Job::State::Cancelled) {
        m_controls->setStatus(tr("Block influence measurement cancelled."));
        Q_EMIT runCancelled();
    }
    job->releaseModel();
    if (current)
        m_job = nullptr;
    updateControls();
}

QString CompressView::pruningError(const lathe::PruningStage &stage) const
{
    const lathe::ModelConfig *config
        = m_model && m_model->summary().config ? &*m_model->summary().config : nullptr;
    if (!config)
        return {};
    const int layers = int(config->numLayers);
    const int heads = int(config->numHeads);
    const int kvHeads = int(config->numKvHeads > 0 ? config->numKvHeads : config->numHeads);
    if (stage.method == "heads") {
        const int group = kvHeads > 0 ? std::max(1, heads / kvHeads) : 1;
        if (stage.count < 1 || stage.count >= heads)
            return tr("remove between 1 and %1 of the %2 attention heads")
                .arg(heads - 1)
                .arg(heads);
        if (stage.count % group != 0)
            return tr("heads go in whole groups of %1 (the query heads sharing a key/value "
                      "head): remove a multiple of %1")
                .arg(group);
    } else if (stage.method == "channels") {
        if (stage.count < 1 || stage.count >= config->intermediateSize)
            return tr("remove between 1 and %1 of the %2 FFN channels")
                .arg(config->intermediateSize - 1)
                .arg(config->intermediateSize);
    } else if (stage.method == "blocks") {
        for (int b : stage.blocks)
            if (b < 0 || b >= layers)
                return tr("block %1 does not exist: the model has blocks 0 to %2")
                    .arg(b)
                    .arg(layers - 1);
        const int n = stage.blocks.empty() ? stage.count : int(stage.blocks.size());
        if (n < 1 || n >= layers)
            return tr("remove between 1 and %1 of the %2 decoder blocks")
                .arg(layers - 1)
                .arg(layers);
    }
    return {};
}

QString CompressView::pruningSummary(const lathe::PruningStage &stage) const
{
    const lathe::ModelConfig *config
        = m_model && m_model->summary().config ? &*m_model->summary().config : nullptr;
    const QString method = QString::fromStdString(stage.method).toHtmlEscaped();
    QString what;
    bool reads = false;
    for (const lathe::PruneMethod &m : lathe::pruneMethods())
        if (m.name == stage.method)
            reads = m.needsCalibration;
    if (stage.method == "heads") {
        what = tr("%1 of %2 attention heads removed from every layer")
                   .arg(stage.count)
                   .arg(config ? config->numHeads : 0);
    } else if (stage.method == "channels") {
        what = tr("%1 of %2 FFN channels removed from every layer")
                   .arg(stage.count)
                   .arg(config ? config->intermediateSize : 0);
    } else if (stage.method == "blocks") {
        const std::vector<int> drop = m_prune->blocksToDrop();
        QStringList names;
        for (int b : drop)
            names.append(QString::number(b));
        const int layers = config ? int(config->numLayers) : 0;
        if (!stage.blocks.empty()) {
            what = tr("decoder blocks %1 of %2 removed (chosen)")
                       .arg(names.join(QStringLiteral(", ")))
                       .arg(layers);
            reads = false;
        } else {
            what = tr("the %1 least influential of %2 decoder blocks removed")
                       .arg(stage.count)
                       .arg(layers);
            if (!names.isEmpty())
                what += tr(" (now %1)").arg(names.join(QStringLiteral(", ")));
        }
    } else if (!stage.pattern.empty()) {
        try {
            const lathe::PrunePattern nm = lathe::parsePrunePattern(stage.pattern);
            what = tr("%1 of every %2 consecutive weights of each row set to zero (%3 %)")
                       .arg(nm.zeros)
                       .arg(nm.group)
                       .arg(QLocale().toString(100.0 * nm.zeros / nm.group, 'f', 0));
        } catch (const lathe::Error &e) {
            what = QString::fromStdString(e.what()).toHtmlEscaped();
        }
    } else {
        what = tr("%1 % of every decoder linear module's weights set to zero")
                   .arg(QLocale().toString(100.0 * stage.sparsity, 'f', 1));
    }
    QString text = tr("<b>Prune first</b> (%1): %2").arg(method, what);
    if (!stage.rules.empty())
        text += tr(", %n per-module rule(s)", nullptr, int(stage.rules.size()));
    if (reads)
        text += tr(" · reads the calibration text");
    return text;
}

} // namespace lathe::ui
