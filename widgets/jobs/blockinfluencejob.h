// SPDX-License-Identifier: GPL-3.0-or-later
// BlockInfluenceJob: measures the block influence of every decoder block, 1 - cos(h_in,
// h_out) on calibration text, on the worker thread (lathe::measureBlockInfluence), for the
// Prune section's chart. Blocks that barely change the hidden state are the ones to drop
// first. The calibration text is the Compress view's: the user's file or generated stories.
#pragma once

#include "jobs/job.h"
#include "recipe/recipe.h"

#include <memory>
#include <vector>

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

struct BlockInfluenceRequest {
    std::shared_ptr<const lathe::LoadedModel> model;
    // Windows (samples x ctx tokens) as the recipe's calibration says, so the chart ranks the
    // blocks as a Run with no chosen blocks would.
    lathe::CalibrationSettings calibration;
    // UTF-8 text file; empty: generated stories (QuantizeJob::calibrationText).
    QString calibrationFile;
};

class BlockInfluenceJob : public Job
{
    Q_OBJECT
public:
    explicit BlockInfluenceJob(BlockInfluenceRequest request, QObject *parent = nullptr);
    ~BlockInfluenceJob() override;

    const BlockInfluenceRequest &request() const { return m_request; }
    // GUI thread, after finished(): one value per decoder block.
    const std::vector<double> &influence() const { return m_influence; }
    // GUI thread, once done and handled: see QuantizeJob::releaseModel().
    void releaseModel() { m_request.model.reset(); }

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override;
    void discardResult() override;

private:
    BlockInfluenceRequest m_request;
    std::vector<double> m_influence;
};

} // namespace lathe::ui
