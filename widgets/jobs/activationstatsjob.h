// SPDX-License-Identifier: GPL-3.0-or-later
// ActivationStatsJob: reads a calibration text file and runs the model over it (samples x ctx
// tokens) to collect activation statistics, on the worker thread with progress and cancel.
// After finished(), takeResult() hands the statistics over exactly once.
#pragma once

#include "analysis/activationstats.h"
#include "jobs/job.h"

#include <memory>

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class ActivationStatsJob : public Job
{
    Q_OBJECT
public:
    ActivationStatsJob(std::shared_ptr<const lathe::LoadedModel> model, const QString &textFile,
        const lathe::ActivationStatsOptions &options, QObject *parent = nullptr);
    ~ActivationStatsJob() override;

    const lathe::LoadedModel *model() const { return m_model.get(); }
    QString textFile() const { return m_textFile; }
    const lathe::ActivationStatsOptions &options() const { return m_options; }
    std::shared_ptr<const lathe::ActivationStats> takeResult();

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override;
    void discardResult() override;

private:
    std::shared_ptr<const lathe::LoadedModel> m_model;
    QString m_textFile;
    lathe::ActivationStatsOptions m_options;
    std::shared_ptr<const lathe::ActivationStats> m_result; // written by run()
};

} // namespace lathe::ui
