// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/quantizejob.h"

#include "api/compression.h"
#include "api/loadedmodel.h"
#include "jobs/jobtext.h"
#include "jobs/sensitivityjob.h"
#include "quant/quanttypes.h"
#include "util/error.h"

#include <utility>

namespace lathe::ui
{

namespace
{

bool methodNeedsCalibration(const std::string &name)
{
    for (const lathe::QuantMethodInfo &m : lathe::quantMethods())
        if (m.name == name)
            return m.needsCalibration;
    return false;
}

} // namespace

QuantizeJob::QuantizeJob(QuantizeRequest request, QObject *parent)
    : Job(tr("Quantize %1")
              .arg(QString::fromStdString(request.recipe.name.empty()
                      ? (request.recipe.quantization ? request.recipe.quantization->format
                                                     : std::string())
                      : request.recipe.name)),
          parent)
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
    if (!recipe.quantization)
        return false;
    const lathe::QuantizationStage &stage = *recipe.quantization;
    if (stage.importanceWeighted || methodNeedsCalibration(stage.method))
        return true;
    for (const lathe::QuantRule &rule : stage.rules)
        if (methodNeedsCalibration(rule.method))
            return true;
    return false;
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
