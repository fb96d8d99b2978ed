// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/planbudgetjob.h"

#include "api/compression.h"
#include "api/loadedmodel.h"
#include "jobs/jobtext.h"
#include "jobs/quantizejob.h"
#include "util/error.h"

#include <utility>

namespace lathe::ui
{

PlanBudgetJob::PlanBudgetJob(PlanBudgetRequest request, QObject *parent)
    : Job(tr("Plan for budget"), parent)
    , m_request(std::move(request))
{
    setObjectName(QStringLiteral("planBudgetJob"));
}

PlanBudgetJob::~PlanBudgetJob() = default;

void PlanBudgetJob::run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel)
{
    if (!m_request.model)
        throw lathe::InvalidArgument("no model is open");
    const lathe::ProgressFn report = progressWithEta(progress);
    report(0.0, "reading the calibration text");
    const std::string text
        = QuantizeJob::calibrationText(m_request.recipe, m_request.calibrationFile);
    cancel.throwIfCancelled();
    double damage = 0.0;
    m_planned = lathe::planRecipeForBudget(
        *m_request.model, m_request.recipe, text, &damage, report, cancel);
    m_damage = damage;
}

} // namespace lathe::ui
