// SPDX-License-Identifier: GPL-3.0-or-later
// LoadModelJob: opens a model (summary + engine weights) off the GUI thread through the
// LoadedModel facade. After finished(), takeResult() hands the model over exactly once.
#pragma once

#include "jobs/job.h"

#include <memory>

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class LoadModelJob : public Job
{
    Q_OBJECT
public:
    explicit LoadModelJob(const QString &path, QObject *parent = nullptr);
    ~LoadModelJob() override;

    QString path() const { return m_path; }
    // GUI thread, after finished(): the loaded model; later calls return nullptr. The job keeps
    // no reference so a finished job in the history does not pin the model's memory.
    std::shared_ptr<lathe::LoadedModel> takeResult();

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override;
    void discardResult() override;

private:
    QString m_path;
    std::shared_ptr<lathe::LoadedModel> m_result; // written by run(), read after complete()
};

} // namespace lathe::ui
