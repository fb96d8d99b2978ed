// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/blockinfluencejob.h"

#include "api/compression.h"
#include "api/loadedmodel.h"
#include "jobs/jobtext.h"
#include "jobs/quantizejob.h"
#include "util/error.h"

#include <utility>

namespace lathe::ui
{

BlockInfluenceJob::BlockInfluenceJob(BlockInfluenceRequest request, QObject *parent)
    : Job(tr("Measure block influence"), parent)
    , m_request(std::move(request))
{
    setObjectName(QStringLiteral("blockInfluenceJob"));
}

BlockInfluenceJob::~BlockInfluenceJob() = default;

void BlockInfluenceJob::run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel)
{
    if (!m_request.model)
        throw lathe::InvalidArgument("no model is open");
    const lathe::ProgressFn report = progressWithEta(progress);
    report(0.0, "reading the calibration text");
    lathe::Recipe recipe;
    recipe.calibration = m_request.calibration;
    const std::string text = QuantizeJob::calibrationText(recipe, m_request.calibrationFile);
    cancel.throwIfCancelled();
    m_influence = lathe::measureBlockInfluence(*m_request.model, text,
        m_request.calibration.samples, m_request.calibration.ctx, report, cancel);
}

void BlockInfluenceJob::discardResult()
{
    m_influence.clear();
}

} // namespace lathe::ui
