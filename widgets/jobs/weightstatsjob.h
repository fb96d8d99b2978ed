// SPDX-License-Identifier: GPL-3.0-or-later
// WeightStatsJob: weight statistics of a list of tensors, one tensor at a time on the worker
// thread, each handed to the GUI as soon as it is done (tensorReady) so views fill in while
// the rest is computed. prioritize() moves a tensor the user just selected to the front.
#pragma once

#include "analysis/weightstats.h"
#include "jobs/job.h"

#include <QMetaType>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class WeightStatsJob : public Job
{
    Q_OBJECT
public:
    WeightStatsJob(std::shared_ptr<const lathe::LoadedModel> model, std::vector<std::string> names,
        const lathe::WeightStatsOptions &options = {}, QObject *parent = nullptr);
    ~WeightStatsJob() override;

    const lathe::LoadedModel *model() const { return m_model.get(); }
    // Thread-safe: computes `name` next if it is still waiting.
    void prioritize(const std::string &name);
    // Tensors finished so far (GUI thread).
    int doneCount() const { return m_done; }
    int totalCount() const { return static_cast<int>(m_names.size()); }

Q_SIGNALS:
    // GUI thread, once per tensor, in the order computed.
    void tensorReady(std::shared_ptr<const lathe::WeightStats> stats);
    // GUI thread: a tensor without statistics (integer data, unreadable); the job goes on.
    void tensorFailed(const QString &name, const QString &message);

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override;

private:
    std::string nextName();

    std::shared_ptr<const lathe::LoadedModel> m_model;
    std::vector<std::string> m_names;
    lathe::WeightStatsOptions m_options;
    std::mutex m_mutex; // guards m_pending and m_priority
    std::vector<std::string> m_pending; // reversed: the next tensor is at the back
    std::string m_priority;
    int m_done = 0;
};

} // namespace lathe::ui

Q_DECLARE_METATYPE(std::shared_ptr<const lathe::WeightStats>)
