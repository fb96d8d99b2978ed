// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/activationstatsjob.h"

#include "api/loadedmodel.h"
#include "api/modelanalysis.h"
#include "util/error.h"

#include <QFile>
#include <QFileInfo>

namespace lathe::ui
{

ActivationStatsJob::ActivationStatsJob(std::shared_ptr<const lathe::LoadedModel> model,
    const QString &textFile, const lathe::ActivationStatsOptions &options, QObject *parent)
    : Job(tr("Activation statistics on %1").arg(QFileInfo(textFile).fileName()), parent)
    , m_model(std::move(model))
    , m_textFile(textFile)
    , m_options(options)
{
    setObjectName(QStringLiteral("activationStatsJob"));
}

ActivationStatsJob::~ActivationStatsJob() = default;

std::shared_ptr<const lathe::ActivationStats> ActivationStatsJob::takeResult()
{
    return std::exchange(m_result, nullptr);
}

void ActivationStatsJob::run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel)
{
    QFile file(m_textFile);
    if (!file.open(QIODevice::ReadOnly)) {
        throw lathe::IoError("cannot read the calibration text " + m_textFile.toStdString() + ": "
            + file.errorString().toStdString());
    }
    const QByteArray bytes = file.readAll();
    const std::string text(bytes.constData(), static_cast<size_t>(bytes.size()));
    m_result = std::make_shared<const lathe::ActivationStats>(
        lathe::modelActivationStats(*m_model, text, m_options, progress, cancel));
}

void ActivationStatsJob::discardResult()
{
    m_result.reset();
}

} // namespace lathe::ui
