// SPDX-License-Identifier: GPL-3.0-or-later
// Job: one piece of long engine work (load, quantize, evaluate...) run on a JobRunner's worker
// thread. The Job object itself lives in the GUI thread: its signals are always emitted there,
// so receivers never see a cross-thread call. Life cycle (KDE KJob style): queued -> running ->
// exactly one of finished(), failed(QString) or cancelled(), then done().
#pragma once

#include "util/progress.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>

namespace lathe::ui
{

class JobRunner;

class Job : public QObject
{
    Q_OBJECT
public:
    enum class State { Queued, Running, Finished, Failed, Cancelled };
    Q_ENUM(State)

    explicit Job(QString title, QObject *parent = nullptr);
    ~Job() override;

    QString title() const { return m_title; }
    State state() const { return m_state; }
    bool isDone() const;
    int percent() const { return m_percent; }
    // Last progress message while running; the error text after failed().
    QString message() const { return m_message; }
    QString errorText() const { return m_error; }
    // Wall time spent running (so far, or in total once done).
    qint64 elapsedMs() const;
    bool isCancelRequested() const { return m_cancel.isCancelled(); }

    static QString stateName(State state);

public Q_SLOTS:
    // Thread-safe: sets the cancel token that the engine polls. Once requested, the outcome is
    // cancelled() even if the work completed in the meantime (its result is discarded), so
    // callers can rely on "cancel means nothing changed".
    void cancel();

Q_SIGNALS:
    void started();
    void progress(int percent, const QString &message);
    void finished();
    void failed(const QString &message);
    void cancelled();
    void cancelRequested();
    // Emitted after any of the three outcomes.
    void done();

protected:
    // Runs on the worker thread. Throw lathe::Error (or anything) to fail; lathe::CancelledError
    // to report cancellation. Must not touch widgets or emit signals itself.
    virtual void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) = 0;
    // GUI thread: drops a result computed by run() when the job was cancelled after all.
    virtual void discardResult() { }

private:
    friend class JobRunner;
    enum class Outcome { Finished, Failed, Cancelled };

    void execute(); // worker thread
    void markRunning(); // GUI thread
    void report(int percent, const QString &message); // GUI thread
    void complete(Outcome outcome, const QString &error); // GUI thread

    QString m_title;
    State m_state = State::Queued;
    int m_percent = 0;
    QString m_message;
    QString m_error;
    lathe::CancelToken m_cancel;
    QElapsedTimer m_timer;
    qint64 m_elapsedMs = 0;
};

} // namespace lathe::ui
