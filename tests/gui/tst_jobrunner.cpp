// SPDX-License-Identifier: GPL-3.0-or-later
// JobRunner and Job: work runs off the GUI thread, signals arrive in the GUI thread, every job
// ends in exactly one of finished / failed / cancelled, and cancel is prompt and final.
#include "jobs/job.h"
#include "jobs/jobrunner.h"

#include "util/error.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QThread>
#include <QtTest/QtTest>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

using lathe::ui::Job;
using lathe::ui::JobRunner;

namespace
{

// Works for `steps` x 2 ms, polling the cancel token and reporting progress each step.
class StepJob : public Job
{
public:
    explicit StepJob(int steps)
        : Job(QStringLiteral("steps"))
        , m_steps(steps)
    {
    }
    QThread *runThread = nullptr;
    std::atomic<bool> discarded { false };
    bool produced = false;

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override
    {
        runThread = QThread::currentThread();
        for (int i = 0; i < m_steps; ++i) {
            cancel.throwIfCancelled();
            progress(double(i + 1) / m_steps, "step " + std::to_string(i + 1));
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        produced = true;
    }
    void discardResult() override { discarded = true; }

private:
    int m_steps;
};

enum class Throw { LatheError, StdException, Unknown };

class ThrowingJob : public Job
{
public:
    explicit ThrowingJob(Throw kind)
        : Job(QStringLiteral("throws"))
        , m_kind(kind)
    {
    }

protected:
    void run(const lathe::ProgressFn &, const lathe::CancelToken &) override
    {
        switch (m_kind) {
        case Throw::LatheError:
            throw lathe::FormatError("'model.safetensors' is truncated at byte 12");
        case Throw::StdException:
            throw std::runtime_error("boom");
        case Throw::Unknown:
            throw 42;
        }
    }

private:
    Throw m_kind;
};

struct Spies {
    explicit Spies(Job *job)
        : started(job, &Job::started)
        , progress(job, &Job::progress)
        , finished(job, &Job::finished)
        , failed(job, &Job::failed)
        , cancelled(job, &Job::cancelled)
        , done(job, &Job::done)
    {
    }
    int outcomes() const { return finished.count() + failed.count() + cancelled.count(); }
    QSignalSpy started, progress, finished, failed, cancelled, done;
};

} // namespace

class TestJobRunner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void finishesOffTheGuiThread();
    void failedCarriesTheMessage_data();
    void failedCarriesTheMessage();
    void cancelWhileRunningIsPrompt();
    void cancelWhileQueuedNeverStarts();
    void cancelAfterWorkDoneDiscardsResult();
    void busyAndHistory();
    void destructorStopsRunningJob();
};

void TestJobRunner::finishesOffTheGuiThread()
{
    JobRunner runner;
    auto *job = new StepJob(20);
    Spies spies(job);
    QThread *progressThread = nullptr;
    connect(job, &Job::progress, this, [&] { progressThread = QThread::currentThread(); });
    runner.start(job);
    QCOMPARE(job->state(), Job::State::Queued);
    QTRY_COMPARE_WITH_TIMEOUT(spies.done.count(), 1, 10000);
    QCOMPARE(spies.started.count(), 1);
    QCOMPARE(spies.finished.count(), 1);
    QCOMPARE(spies.outcomes(), 1);
    QVERIFY(spies.progress.count() >= 1);
    QCOMPARE(spies.progress.last().at(0).toInt(), 100);
    QCOMPARE(job->state(), Job::State::Finished);
    QVERIFY(job->runThread != nullptr);
    QVERIFY(job->runThread != QThread::currentThread());
    QCOMPARE(progressThread, QThread::currentThread());
    QVERIFY(job->elapsedMs() >= 20);
}

void TestJobRunner::failedCarriesTheMessage_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("lathe::Error") << int(Throw::LatheError)
                                  << QStringLiteral("'model.safetensors' is truncated at byte 12");
    QTest::newRow("std::exception") << int(Throw::StdException) << QStringLiteral("boom");
    QTest::newRow("unknown") << int(Throw::Unknown) << QStringLiteral("Internal error");
}

void TestJobRunner::failedCarriesTheMessage()
{
    QFETCH(int, kind);
    QFETCH(QString, expected);
    JobRunner runner;
    auto *job = new ThrowingJob(Throw(kind));
    Spies spies(job);
    runner.start(job);
    QTRY_COMPARE_WITH_TIMEOUT(spies.done.count(), 1, 10000);
    QCOMPARE(spies.failed.count(), 1);
    QCOMPARE(spies.outcomes(), 1);
    const QString message = spies.failed.first().first().toString();
    QVERIFY2(message.contains(expected), qPrintable(message));
    QCOMPARE(job->errorText(), message);
    QCOMPARE(job->state(), Job::State::Failed);
}

void TestJobRunner::cancelWhileRunningIsPrompt()
{
    JobRunner runner;
    auto *job = new StepJob(100000); // minutes of work if never cancelled
    Spies spies(job);
    runner.start(job);
    QTRY_COMPARE_WITH_TIMEOUT(spies.started.count(), 1, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(spies.progress.count() > 0, 10000);
    QElapsedTimer timer;
    timer.start();
    job->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(spies.done.count(), 1, 5000);
    QVERIFY(timer.elapsed() < 2000);
    QCOMPARE(spies.cancelled.count(), 1);
    QCOMPARE(spies.outcomes(), 1);
    QCOMPARE(job->state(), Job::State::Cancelled);
    QVERIFY(!job->produced);
    QVERIFY(!runner.isBusy());
}

void TestJobRunner::cancelWhileQueuedNeverStarts()
{
    JobRunner runner;
    auto *first = new StepJob(100000);
    auto *second = new StepJob(5);
    Spies firstSpies(first);
    Spies secondSpies(second);
    runner.start(first);
    runner.start(second);
    QTRY_COMPARE_WITH_TIMEOUT(firstSpies.started.count(), 1, 10000);
    QCOMPARE(runner.activeJob(), first);
    second->cancel();
    first->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(secondSpies.done.count(), 1, 5000);
    QCOMPARE(secondSpies.started.count(), 0);
    QCOMPARE(secondSpies.cancelled.count(), 1);
    QCOMPARE(firstSpies.cancelled.count(), 1);
    QVERIFY(!second->produced);
}

void TestJobRunner::cancelAfterWorkDoneDiscardsResult()
{
    JobRunner runner;
    auto *job = new StepJob(1);
    Spies spies(job);
    runner.start(job);
    // Cancel before the GUI thread has seen the outcome: whatever the worker managed to do,
    // the outcome is cancelled and any result is dropped.
    job->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(spies.done.count(), 1, 10000);
    QCOMPARE(spies.cancelled.count(), 1);
    QCOMPARE(spies.finished.count(), 0);
    QVERIFY(!job->produced || job->discarded);
    // Cancelling a finished job changes nothing.
    job->cancel();
    QCOMPARE(spies.outcomes(), 1);
}

void TestJobRunner::busyAndHistory()
{
    JobRunner runner;
    QSignalSpy busy(&runner, &JobRunner::busyChanged);
    QSignalSpy added(&runner, &JobRunner::jobAdded);
    for (int i = 0; i < 3; ++i)
        runner.start(new StepJob(2));
    QCOMPARE(added.count(), 3);
    QVERIFY(runner.isBusy());
    QTRY_VERIFY_WITH_TIMEOUT(!runner.isBusy(), 10000);
    QCOMPARE(busy.count(), 2);
    QCOMPARE(busy.at(0).at(0).toBool(), true);
    QCOMPARE(busy.at(1).at(0).toBool(), false);
    QCOMPARE(runner.jobs().size(), 3);
    QVERIFY(runner.activeJob() == nullptr);
    QSignalSpy removed(&runner, &JobRunner::jobRemoved);
    runner.clearDone();
    QCOMPARE(removed.count(), 3);
    QVERIFY(runner.jobs().isEmpty());
}

void TestJobRunner::destructorStopsRunningJob()
{
    auto runner = std::make_unique<JobRunner>();
    auto *job = new StepJob(100000);
    QSignalSpy started(job, &Job::started);
    runner->start(job);
    QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 10000);
    QElapsedTimer timer;
    timer.start();
    runner.reset(); // cancels and joins the worker; deletes the job
    QVERIFY(timer.elapsed() < 2000);
}

QTEST_MAIN(TestJobRunner)
#include "tst_jobrunner.moc"
