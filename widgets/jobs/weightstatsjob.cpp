// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/weightstatsjob.h"

#include "api/loadedmodel.h"
#include "api/modelanalysis.h"
#include "util/error.h"

#include <QMetaObject>

#include <algorithm>

namespace lathe::ui
{

WeightStatsJob::WeightStatsJob(std::shared_ptr<const lathe::LoadedModel> model,
    std::vector<std::string> names, const lathe::WeightStatsOptions &options, QObject *parent)
    : Job(tr("Weight statistics of %1").arg(QString::fromStdString(model->displayName())), parent)
    , m_model(std::move(model))
    , m_names(std::move(names))
    , m_options(options)
    , m_pending(m_names.rbegin(), m_names.rend())
{
    setObjectName(QStringLiteral("weightStatsJob"));
    qRegisterMetaType<std::shared_ptr<const lathe::WeightStats>>();
}

WeightStatsJob::~WeightStatsJob() = default;

void WeightStatsJob::prioritize(const std::string &name)
{
    std::lock_guard lock(m_mutex);
    m_priority = name;
}

std::string WeightStatsJob::nextName()
{
    std::lock_guard lock(m_mutex);
    if (!m_priority.empty()) {
        const auto it = std::find(m_pending.begin(), m_pending.end(), m_priority);
        m_priority.clear();
        if (it != m_pending.end()) {
            std::string name = *it;
            m_pending.erase(it);
            return name;
        }
    }
    if (m_pending.empty())
        return {};
    std::string name = std::move(m_pending.back());
    m_pending.pop_back();
    return name;
}

void WeightStatsJob::run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel)
{
    const double total = std::max<double>(1.0, static_cast<double>(m_names.size()));
    int finished = 0;
    for (std::string name = nextName(); !name.empty(); name = nextName()) {
        if (cancel.isCancelled())
            throw lathe::CancelledError();
        progress(finished / total, name);
        try {
            auto stats = std::make_shared<const lathe::WeightStats>(
                lathe::tensorWeightStats(*m_model, name, m_options, cancel));
            // Delivered on the GUI thread, before the job's own completion (also queued).
            QMetaObject::invokeMethod(
                this,
                [this, stats] {
                    ++m_done;
                    Q_EMIT tensorReady(stats);
                },
                Qt::QueuedConnection);
        } catch (const lathe::CancelledError &) {
            throw;
        } catch (const std::exception &e) {
            // One tensor without statistics (an integer index, say) must not stop the rest.
            const QString tensor = QString::fromStdString(name);
            const QString message = QString::fromStdString(e.what());
            QMetaObject::invokeMethod(
                this, [this, tensor, message] { Q_EMIT tensorFailed(tensor, message); },
                Qt::QueuedConnection);
        }
        ++finished;
    }
    progress(1.0, {});
}

} // namespace lathe::ui
