// SPDX-License-Identifier: GPL-3.0-or-later
// JobStatusWidget: the status bar's view of the running job: what it does, a progress bar and
// a Cancel button. Hidden while no job runs.
#pragma once

#include <QPointer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QToolButton;

namespace lathe::ui
{

class Job;
class JobRunner;

class JobStatusWidget : public QWidget
{
    Q_OBJECT
public:
    explicit JobStatusWidget(JobRunner *runner, QWidget *parent = nullptr);

    Job *job() const { return m_job; }
    QProgressBar *progressBar() const { return m_progress; }
    QToolButton *cancelButton() const { return m_cancel; }

private:
    void follow(Job *job);
    void refresh();
    void followNext();

    JobRunner *m_runner = nullptr;
    QPointer<Job> m_job;
    QLabel *m_label = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
};

} // namespace lathe::ui
