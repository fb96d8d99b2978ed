// SPDX-License-Identifier: GPL-3.0-or-later
// JobsPanel: the contents of the Jobs dock: every running, queued or finished job of a
// JobRunner with its progress, time and outcome; Cancel for the selected job.
#pragma once

#include <QHash>
#include <QWidget>

class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace lathe::ui
{

class Job;
class JobRunner;

class JobsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit JobsPanel(JobRunner *runner, QWidget *parent = nullptr);

    int jobCount() const;

private:
    enum Column { TitleColumn, StatusColumn, TimeColumn, ColumnCount };

    void addJob(Job *job);
    void removeJob(Job *job);
    void updateJob(Job *job);
    void updateButtons();
    Job *selectedJob() const;

    JobRunner *m_runner = nullptr;
    QTreeWidget *m_tree = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_clear = nullptr;
    QHash<Job *, QTreeWidgetItem *> m_items;
};

} // namespace lathe::ui
