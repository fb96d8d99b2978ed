// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/loadmodeljob.h"

#include "api/loadedmodel.h"

#include <QFileInfo>

namespace lathe::ui
{

LoadModelJob::LoadModelJob(const QString &path, QObject *parent)
    : Job(tr("Open %1").arg(QFileInfo(path).fileName()), parent)
    , m_path(path)
{
    setObjectName(QStringLiteral("loadModelJob"));
}

LoadModelJob::~LoadModelJob() = default;

std::shared_ptr<lathe::LoadedModel> LoadModelJob::takeResult()
{
    return std::exchange(m_result, nullptr);
}

void LoadModelJob::run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel)
{
    m_result = lathe::LoadedModel::load(m_path.toStdString(), progress, cancel);
}

void LoadModelJob::discardResult()
{
    m_result.reset();
}

} // namespace lathe::ui
