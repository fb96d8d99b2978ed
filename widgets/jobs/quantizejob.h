// SPDX-License-Identifier: GPL-3.0-or-later
// QuantizeJob: runs a whole recipe (pruning, then quantization; lathe::compressLoadedModel) on
// the worker thread and makes the compressed variant (sharing every untouched tensor with the
// original). Calibration text is read only when a stage needs it: the user's file, or
// generated stories. After finished(), takeResult() hands the variant over exactly once; a
// cancelled job leaves nothing behind.
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

struct QuantizeRequest {
    std::shared_ptr<const lathe::LoadedModel> model;
    lathe::Recipe recipe;
    // UTF-8 text file; empty: generated stories (SensitivityJob::builtInCalibrationText).
    QString calibrationFile;
};

class QuantizeJob : public Job
{
    Q_OBJECT
public:
    explicit QuantizeJob(QuantizeRequest request, QObject *parent = nullptr);
    ~QuantizeJob() override;

    const QuantizeRequest &request() const { return m_request; }
    std::shared_ptr<lathe::LoadedModel> takeResult();
    // GUI thread, once done and handled: drops the request's model, so a job kept in the Jobs
    // history does not pin a closed model's memory.
    void releaseModel() { m_request.model.reset(); }

    // Whether any stage of the recipe reads calibration text (lathe::recipeNeedsCalibration).
    static bool needsCalibration(const lathe::Recipe &recipe);
    // The calibration text for `recipe`: the file's, or generated stories for its windows.
    static std::string calibrationText(const lathe::Recipe &recipe, const QString &file);

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override;
    void discardResult() override;

private:
    QuantizeRequest m_request;
    std::shared_ptr<lathe::LoadedModel> m_result;
};

} // namespace lathe::ui
