// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/jobstatuswidget.h"

#include "jobs/job.h"
#include "jobs/jobrunner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

namespace lathe::ui
{

JobStatusWidget::JobStatusWidget(JobRunner *runner, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("jobStatus"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    m_label = new QLabel(this);
    m_label->setObjectName(QStringLiteral("jobStatusLabel"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("jobProgress"));
    m_progress->setFixedWidth(180);
    m_progress->setMaximumHeight(16);
    m_progress->setTextVisible(false);
    m_cancel = new QToolButton(this);
    m_cancel->setObjectName(QStringLiteral("jobCancel"));
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Cancel the running job (Esc)"));
    m_cancel->setAutoRaise(true);
    layout->addWidget(m_label);
    layout->addWidget(m_progress);
    layout->addWidget(m_cancel);

    connect(m_cancel, &QToolButton::clicked, this, [this] {
        if (m_job)
            m_job->cancel();
    });
    connect(m_runner, &JobRunner::jobAdded, this, [this](Job *job) {
        connect(job, &Job::started, this, [this, job] { follow(job); });
        connect(job, &Job::progress, this, [this, job] {
            if (job == m_job)
                refresh();
        });
        connect(job, &Job::cancelRequested, this, [this, job] {
            if (job == m_job)
                refresh();
        });
        connect(job, &Job::done, this, [this, job] {
            if (job == m_job)
                followNext();
        });
        if (!m_job)
            follow(job);
    });
    setVisible(false);
}

void JobStatusWidget::follow(Job *job)
{
    m_job = job;
    refresh();
}

void JobStatusWidget::followNext()
{
    m_job = m_runner->activeJob();
    refresh();
}

void JobStatusWidget::refresh()
{
    if (!m_job || m_job->isDone()) {
        setVisible(false);
        return;
    }
    const bool cancelling = m_job->isCancelRequested();
    QString text = m_job->title();
    if (cancelling)
        text = tr("%1: cancelling…").arg(text);
    else if (!m_job->message().isEmpty())
        text = tr("%1: %2").arg(text, m_job->message());
    // Engine messages can carry long paths; keep the status bar steady.
    m_label->setText(m_label->fontMetrics().elidedText(text, Qt::ElideMiddle, 380));
    m_label->setToolTip(text);
    // Busy indicator until the first progress report arrives.
    if (m_job->state() == Job::State::Running && m_job->percent() > 0) {
        m_progress->setRange(0, 100);
        m_progress->setValue(m_job->percent());
    } else {
        m_progress->setRange(0, 0);
    }
    m_cancel->setEnabled(!cancelling);
    setVisible(true);
}

} // namespace lathe::ui
