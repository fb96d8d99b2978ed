// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/evaluatejob.h"

#include "api/loadedmodel.h"
#include "jobs/jobtext.h"
#include "util/error.h"

#include <utility>

namespace lathe::ui
{

EvaluateJob::EvaluateJob(EvaluateRequest request, QObject *parent)
    : Job(tr("Evaluate %1")
              .arg(request.variant ? QString::fromStdString(request.variant->displayName())
                                   : QString()),
          parent)
    , m_request(std::move(request))
{
    setObjectName(QStringLiteral("evaluateJob"));
}

EvaluateJob::~EvaluateJob() = default;

std::shared_ptr<const lathe::VariantEvaluation> EvaluateJob::takeResult()
{
    return std::exchange(m_result, nullptr);
}

void EvaluateJob::run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel)
{
    if (!m_request.base || !m_request.variant)
        throw lathe::InvalidArgument("no variant to evaluate");
    const lathe::ProgressFn report = progressWithEta(progress);
    report(0.0, "reading the evaluation text");
    // Enough generated text for every window (the llama.cpp protocol reads ctx tokens each).
    const int windows = m_request.settings.maxWindows > 0 ? m_request.settings.maxWindows : 16;
    const std::string text = m_request.evaluationFile.isEmpty()
        ? builtInEvaluationText(windows, m_request.settings.ctx)
        : readTextFile(m_request.evaluationFile, "evaluation text");
    cancel.throwIfCancelled();
    m_result = std::make_shared<const lathe::VariantEvaluation>(lathe::evaluateVariant(
        *m_request.base, *m_request.variant, text, m_request.settings, report, cancel));
}

void EvaluateJob::discardResult()
{
    m_result.reset();
}

} // namespace lathe::ui
