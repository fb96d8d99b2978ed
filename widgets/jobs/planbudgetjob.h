// SPDX-License-Identifier: GPL-3.0-or-later
// PlanBudgetJob: "Plan for budget" on the worker thread. Measures every candidate format's
// damage per module on calibration text, then picks per-module formats that meet the recipe's
// plan target (bits per weight or MB) at the least predicted damage. The result is the recipe
// with one rule per planned module.
#pragma once

#include "jobs/job.h"
#include "recipe/recipe.h"

#include <memory>

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

struct PlanBudgetRequest {
    std::shared_ptr<const lathe::LoadedModel> model;
    lathe::Recipe recipe; // quantization->plan holds the target and the candidates
    QString calibrationFile; // empty: generated stories
};

class PlanBudgetJob : public Job
{
    Q_OBJECT
public:
    explicit PlanBudgetJob(PlanBudgetRequest request, QObject *parent = nullptr);
    ~PlanBudgetJob() override;

    const PlanBudgetRequest &request() const { return m_request; }
    // GUI thread, after finished().
    const lathe::Recipe &plannedRecipe() const { return m_planned; }
    double predictedDamage() const { return m_damage; }
    // GUI thread, once done and handled: see QuantizeJob::releaseModel().
    void releaseModel() { m_request.model.reset(); }

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override;

private:
    PlanBudgetRequest m_request;
    lathe::Recipe m_planned;
    double m_damage = 0.0;
};

} // namespace lathe::ui
