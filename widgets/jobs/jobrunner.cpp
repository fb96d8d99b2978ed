// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/jobrunner.h"

#include "jobs/job.h"

#include <QMetaObject>

namespace lathe::ui
{

JobRunner::JobRunner(QObject *parent)
    : QObject(parent)
{
    m_thread.setObjectName(QStringLiteral("lathe-jobs"));
    m_worker = new QObject; // no parent: it must live in another thread
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

JobRunner::~JobRunner()
{
    cancelAll();
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
    // Jobs are deleted after this body; their pending queued completions are dropped with them.
    qDeleteAll(m_jobs);
    m_jobs.clear();
}

void JobRunner::start(Job *job)
{
    Q_ASSERT(job && job->state() == Job::State::Queued);
    job->setParent(this);
    m_jobs.append(job);
    connect(job, &Job::done, this, [this, job] { onJobDone(job); });
    Q_EMIT jobAdded(job);
    if (!m_busy) {
        m_busy = true;
        Q_EMIT busyChanged(true);
    }
    // Jobs run in the order they were started: the worker's event loop is a FIFO queue.
    QMetaObject::invokeMethod(
        m_worker, [job] { job->execute(); }, Qt::QueuedConnection);
    trimHistory();
}

void JobRunner::cancelAll()
{
    for (Job *job : std::as_const(m_jobs))
        job->cancel();
}

bool JobRunner::isBusy() const
{
    return m_busy;
}

Job *JobRunner::activeJob() const
{
    for (Job *job : m_jobs) {
        if (job->state() == Job::State::Running)
            return job;
    }
    for (Job *job : m_jobs) {
        if (!job->isDone())
            return job;
    }
    return nullptr;
}

void JobRunner::clearDone()
{
    for (auto it = m_jobs.begin(); it != m_jobs.end();) {
        Job *job = *it;
        if (job->isDone()) {
            it = m_jobs.erase(it);
            Q_EMIT jobRemoved(job);
            job->deleteLater();
        } else {
            ++it;
        }
    }
}

void JobRunner::onJobDone(Job *)
{
    bool busy = false;
    for (Job *job : std::as_const(m_jobs))
        busy = busy || !job->isDone();
    if (busy != m_busy) {
        m_busy = busy;
        Q_EMIT busyChanged(busy);
    }
}

void JobRunner::trimHistory()
{
    qsizetype done = 0;
    for (Job *job : std::as_const(m_jobs))
        done += job->isDone() ? 1 : 0;
    for (auto it = m_jobs.begin(); it != m_jobs.end() && done > kHistoryLimit;) {
        Job *job = *it;
        if (job->isDone()) {
            it = m_jobs.erase(it);
            --done;
            Q_EMIT jobRemoved(job);
            job->deleteLater();
        } else {
            ++it;
        }
    }
}

} // namespace lathe::ui
