// SPDX-License-Identifier: GPL-3.0-or-later
// StartView: the Start mode. What Lathe does, buttons to open a model, and the recently
// opened models.
#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace lathe::ui
{

class StartView : public QWidget
{
    Q_OBJECT
public:
    explicit StartView(QWidget *parent = nullptr);

    void setRecentModels(const QStringList &paths);
    // Shows "Open Demo Model" when `path` is not empty (the demo model is installed).
    void setDemoModelPath(const QString &path);
    QStringList recentModels() const { return m_recent; }
    QTreeWidget *recentList() const { return m_recentList; }

Q_SIGNALS:
    void openModelRequested();
    void openFolderRequested();
    void demoModelRequested();
    void recentModelActivated(const QString &path);

private:
    QStringList m_recent;
    QTreeWidget *m_recentList = nullptr;
    QLabel *m_noRecent = nullptr;
    QPushButton *m_openDemo = nullptr;
};

} // namespace lathe::ui
