// SPDX-License-Identifier: GPL-3.0-or-later
// EvaluateJob: measures one variant against its original on the worker thread: perplexity of
// both, the KL divergence statistics and same-top agreement on the same windows of an
// evaluation text, decode speed and memory (lathe::evaluateVariant).
#pragma once

#include "api/compression.h"
#include "jobs/job.h"

#include <memory>

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

struct EvaluateRequest {
    std::shared_ptr<const lathe::LoadedModel> base;
    std::shared_ptr<const lathe::LoadedModel> variant;
    // UTF-8 text file; empty: generated stories unseen in training and calibration.
    QString evaluationFile;
    lathe::EvaluationSettings settings;
};

class EvaluateJob : public Job
{
    Q_OBJECT
public:
    explicit EvaluateJob(EvaluateRequest request, QObject *parent = nullptr);
    ~EvaluateJob() override;

    const EvaluateRequest &request() const { return m_request; }
    // GUI thread, after finished(): the measurement; later calls return nullptr.
    std::shared_ptr<const lathe::VariantEvaluation> takeResult();
    // GUI thread, once done and handled: drops both models, so a job kept in the Jobs history
    // does not pin a variant or a closed model in memory.
    void releaseModels()
    {
        m_request.base.reset();
        m_request.variant.reset();
    }

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override;
    void discardResult() override;

private:
    EvaluateRequest m_request;
    std::shared_ptr<const lathe::VariantEvaluation> m_result;
};

} // namespace lathe::ui
