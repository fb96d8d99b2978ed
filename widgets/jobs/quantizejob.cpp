// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/quantizejob.h"

#include "api/compression.h"
#include "api/loadedmodel.h"
#include "jobs/jobtext.h"
#include "jobs/sensitivityjob.h"
#include "recipe/runrecipe.h"
#include "util/error.h"

#include <utility>

namespace lathe::ui
{

namespace
{

// "W4 g128 GPTQ", else what the stages do: "wanda + int4-g128", "blocks".
QString jobTitle(const lathe::Recipe &recipe)
{
    if (!recipe.name.empty())
        return QuantizeJob::tr("Compress %1").arg(QString::fromStdString(recipe.name));
    std::string what;
    if (recipe.pruning)
        what = recipe.pruning->method;
    if (recipe.quantization)
        what += (what.empty() ? "" : " + ") + recipe.quantization->format;
    return QuantizeJob::tr("Compress %1").arg(QString::fromStdString(what));
}

} // namespace

QuantizeJob::QuantizeJob(QuantizeRequest request, QObject *parent)
    : Job(jobTitle(request.recipe), parent)
    , m_request(std::move(request))
{
    setObjectName(QStringLiteral("quantizeJob"));
}

QuantizeJob::~QuantizeJob() = default;

std::shared_ptr<lathe::LoadedModel> QuantizeJob::takeResult()
{
    return std::exchange(m_result, nullptr);
}

bool QuantizeJob::needsCalibration(const lathe::Recipe &recipe)
{
    // The engine's own answer, so GUI and CLI agree on which stages read text.
    return lathe::recipeNeedsCalibration(recipe);
}

std::string QuantizeJob::calibrationText(const lathe::Recipe &recipe, const QString &file)
{
    if (file.isEmpty())
        return SensitivityJob::builtInCalibrationText(
            recipe.calibration.samples, recipe.calibration.ctx);
    return readTextFile(file, "calibration text");
}

void QuantizeJob::run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel)
{
    if (!m_request.model)
        throw lathe::InvalidArgument("no model is open");
    const lathe::ProgressFn report = progressWithEta(progress);
    std::string text;
    if (needsCalibration(m_request.recipe)) {
        report(0.0, "reading the calibration text");
        text = calibrationText(m_request.recipe, m_request.calibrationFile);
    }
    cancel.throwIfCancelled();
    m_result = lathe::compressLoadedModel(m_request.model, m_request.recipe, text, report, cancel);
}

void QuantizeJob::discardResult()
{
    m_result.reset();
}

} // namespace lathe::ui
