// SPDX-License-Identifier: GPL-3.0-or-later
// JobRunner: owns the worker thread that runs Jobs one after another, and the jobs themselves
// (finished ones stay as history for the Jobs panel). The GUI thread never blocks on a job.
#pragma once

#include <QList>
#include <QObject>
#include <QThread>

namespace lathe::ui
{

class Job;

class JobRunner : public QObject
{
    Q_OBJECT
public:
    explicit JobRunner(QObject *parent = nullptr);
    // Cancels every job and waits for the worker to return from the current one.
    ~JobRunner() override;

    // Takes ownership of `job` and queues it on the worker thread.
    void start(Job *job);
    // Requests cancellation of every queued or running job.
    void cancelAll();
    bool isBusy() const;
    QList<Job *> jobs() const { return m_jobs; }
    // The job currently running or queued first, if any.
    Job *activeJob() const;
    // Deletes finished, failed and cancelled jobs (keeps running and queued ones).
    void clearDone();

    // Finished jobs kept as history beyond which the oldest are deleted.
    static constexpr int kHistoryLimit = 50;

Q_SIGNALS:
    void jobAdded(lathe::ui::Job *job);
    void jobRemoved(lathe::ui::Job *job);
    void busyChanged(bool busy);

private:
    void onJobDone(Job *job);
    void trimHistory();

    QThread m_thread;
    QObject *m_worker = nullptr; // lives in m_thread: the target of queued run requests
    QList<Job *> m_jobs;
    bool m_busy = false;
};

} // namespace lathe::ui
