// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/jobspanel.h"

#include "jobs/job.h"
#include "jobs/jobrunner.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lathe::ui
{

namespace
{

QString formatDuration(qint64 ms)
{
    if (ms < 1000)
        return QObject::tr("%1 ms").arg(ms);
    if (ms < 60000)
        return QObject::tr("%1 s").arg(static_cast<double>(ms) / 1000.0, 0, 'f', 1);
    return QObject::tr("%1:%2 min").arg(ms / 60000).arg((ms / 1000) % 60, 2, 10, QLatin1Char('0'));
}

} // namespace

JobsPanel::JobsPanel(JobRunner *runner, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("jobsPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("jobsTree"));
    m_tree->setColumnCount(ColumnCount);
    m_tree->setHeaderLabels({ tr("Job"), tr("Status"), tr("Time") });
    m_tree->setRootIsDecorated(false);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(TitleColumn, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(StatusColumn, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(TimeColumn, QHeaderView::ResizeToContents);
    layout->addWidget(m_tree, 1);

    auto *buttons = new QHBoxLayout;
    m_cancel = new QPushButton(tr("Cancel Job"), this);
    m_cancel->setObjectName(QStringLiteral("jobsCancel"));
    m_clear = new QPushButton(tr("Clear Finished"), this);
    m_clear->setObjectName(QStringLiteral("jobsClear"));
    buttons->addStretch(1);
    buttons->addWidget(m_clear);
    buttons->addWidget(m_cancel);
    layout->addLayout(buttons);

    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (Job *job = selectedJob())
            job->cancel();
    });
    connect(m_clear, &QPushButton::clicked, m_runner, &JobRunner::clearDone);
    connect(m_tree, &QTreeWidget::itemSelectionChanged, this, &JobsPanel::updateButtons);
    connect(m_runner, &JobRunner::jobAdded, this, &JobsPanel::addJob);
    connect(m_runner, &JobRunner::jobRemoved, this, &JobsPanel::removeJob);
    for (Job *job : m_runner->jobs())
        addJob(job);
    updateButtons();
}

int JobsPanel::jobCount() const
{
    return m_tree->topLevelItemCount();
}

void JobsPanel::addJob(Job *job)
{
    auto *item = new QTreeWidgetItem;
    item->setText(TitleColumn, job->title());
    item->setToolTip(TitleColumn, job->title());
    m_tree->insertTopLevelItem(0, item); // newest first
    m_items.insert(job, item);
    auto update = [this, job] { updateJob(job); };
    connect(job, &Job::started, this, update);
    connect(job, &Job::progress, this, update);
    connect(job, &Job::cancelRequested, this, update);
    connect(job, &Job::done, this, update);
    connect(job, &QObject::destroyed, this, [this, job] { removeJob(job); });
    updateJob(job);
    m_tree->setCurrentItem(item);
}

void JobsPanel::removeJob(Job *job)
{
    if (QTreeWidgetItem *item = m_items.take(job))
        delete item;
    updateButtons();
}

void JobsPanel::updateJob(Job *job)
{
    QTreeWidgetItem *item = m_items.value(job);
    if (!item)
        return;
    QString status;
    switch (job->state()) {
    case Job::State::Running:
        status = job->isCancelRequested()
            ? tr("Cancelling…")
            : (job->message().isEmpty()
                    ? tr("%1 %").arg(job->percent())
                    : tr("%1 % — %2").arg(QString::number(job->percent()), job->message()));
        break;
    case Job::State::Failed:
        status = tr("Failed: %1").arg(job->errorText());
        break;
    default:
        status = Job::stateName(job->state());
        break;
    }
    item->setText(StatusColumn, status);
    item->setToolTip(StatusColumn, status);
    item->setText(TimeColumn,
        job->state() == Job::State::Queued ? QString() : formatDuration(job->elapsedMs()));
    if (job->state() == Job::State::Failed)
        item->setForeground(StatusColumn, QColor(QStringLiteral("#d9534f")));
    updateButtons();
}

Job *JobsPanel::selectedJob() const
{
    QTreeWidgetItem *current = m_tree->currentItem();
    for (auto it = m_items.cbegin(); it != m_items.cend(); ++it) {
        if (it.value() == current)
            return it.key();
    }
    return nullptr;
}

void JobsPanel::updateButtons()
{
    Job *job = selectedJob();
    m_cancel->setEnabled(job && !job->isDone() && !job->isCancelRequested());
    bool anyDone = false;
    for (auto it = m_items.cbegin(); it != m_items.cend(); ++it)
        anyDone = anyDone || it.key()->isDone();
    m_clear->setEnabled(anyDone);
}

} // namespace lathe::ui
