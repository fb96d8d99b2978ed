// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/job.h"

#include "util/error.h"

#include <QMetaObject>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <new>

namespace lathe::ui
{

Job::Job(QString title, QObject *parent)
    : QObject(parent)
    , m_title(std::move(title))
{
}

Job::~Job() = default;

bool Job::isDone() const
{
    return m_state == State::Finished || m_state == State::Failed || m_state == State::Cancelled;
}

qint64 Job::elapsedMs() const
{
    if (m_state == State::Running && m_timer.isValid())
        return m_timer.elapsed();
    return m_elapsedMs;
}

QString Job::stateName(State state)
{
    switch (state) {
    case State::Queued:
        return tr("Queued");
    case State::Running:
        return tr("Running");
    case State::Finished:
        return tr("Finished");
    case State::Failed:
        return tr("Failed");
    case State::Cancelled:
        return tr("Cancelled");
    }
    return {};
}

void Job::cancel()
{
    if (isDone() || m_cancel.isCancelled())
        return;
    m_cancel.cancel();
    Q_EMIT cancelRequested();
}

void Job::execute()
{
    // A job cancelled while still queued never starts.
    if (m_cancel.isCancelled()) {
        QMetaObject::invokeMethod(
            this, [this] { complete(Outcome::Cancelled, {}); }, Qt::QueuedConnection);
        return;
    }
    QMetaObject::invokeMethod(
        this, [this] { markRunning(); }, Qt::QueuedConnection);

    // The engine may report progress thousands of times; forward only visible changes and at
    // most every 40 ms so the GUI thread's event queue never floods.
    using Clock = std::chrono::steady_clock;
    int lastPercent = -1;
    std::string lastMessage;
    Clock::time_point lastPost {};
    const lathe::ProgressFn progressFn = [&](double fraction, const std::string &message) {
        const int percent = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * 100.0));
        const auto now = Clock::now();
        const bool changed = percent != lastPercent || message != lastMessage;
        const bool due = now - lastPost >= std::chrono::milliseconds(40) || percent == 100;
        if (!changed || !due)
            return;
        lastPercent = percent;
        lastMessage = message;
        lastPost = now;
        const QString text = QString::fromStdString(message);
        QMetaObject::invokeMethod(
            this, [this, percent, text] { report(percent, text); }, Qt::QueuedConnection);
    };

    // No exception may leave this function: it runs on the worker thread.
    Outcome outcome = Outcome::Finished;
    QString error;
    try {
        run(progressFn, m_cancel);
        if (m_cancel.isCancelled())
            outcome = Outcome::Cancelled;
    } catch (const lathe::CancelledError &) {
        outcome = Outcome::Cancelled;
    } catch (const lathe::Error &e) {
        outcome = Outcome::Failed;
        error = QString::fromStdString(e.what());
    } catch (const std::bad_alloc &) {
        outcome = Outcome::Failed;
        error = tr("Not enough memory.");
    } catch (const std::exception &e) {
        outcome = Outcome::Failed;
        error = tr("Internal error: %1").arg(QString::fromStdString(e.what()));
    } catch (...) {
        outcome = Outcome::Failed;
        error = tr("Internal error of an unknown kind.");
    }
    QMetaObject::invokeMethod(
        this, [this, outcome, error] { complete(outcome, error); }, Qt::QueuedConnection);
}

void Job::markRunning()
{
    if (m_state != State::Queued)
        return;
    m_state = State::Running;
    m_timer.start();
    Q_EMIT started();
}

void Job::report(int percent, const QString &message)
{
    if (m_state != State::Running)
        return;
    m_percent = percent;
    m_message = message;
    Q_EMIT progress(percent, message);
}

void Job::complete(Outcome outcome, const QString &error)
{
    if (isDone())
        return;
    // Cancel wins over a result that arrived after the user asked to cancel.
    if (outcome == Outcome::Finished && m_cancel.isCancelled()) {
        discardResult();
        outcome = Outcome::Cancelled;
    }
    m_elapsedMs = m_timer.isValid() ? m_timer.elapsed() : 0;
    switch (outcome) {
    case Outcome::Finished:
        m_state = State::Finished;
        m_percent = 100;
        m_message.clear();
        Q_EMIT finished();
        break;
    case Outcome::Failed:
        m_state = State::Failed;
        m_error = error;
        m_message = error;
        Q_EMIT failed(error);
        break;
    case Outcome::Cancelled:
        m_state = State::Cancelled;
        m_message.clear();
        Q_EMIT cancelled();
        break;
    }
    Q_EMIT done();
}

} // namespace lathe::ui
