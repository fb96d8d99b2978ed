// SPDX-License-Identifier: GPL-3.0-or-later
// Actions: every QAction of the main window, created in one place with object names (tests
// find them by name), shortcuts and status tips.
#pragma once

#include <QList>
#include <QObject>

class QAction;
class QWidget;

namespace lathe::ui
{

class Actions : public QObject
{
    Q_OBJECT
public:
    // Creates the actions as children of `window` and adds them to it so their shortcuts work
    // even when no menu shows them.
    explicit Actions(QWidget *window);

    // A mode switch action (Ctrl+1 for index 0, ...), added to modeActions().
    QAction *addModeAction(int index, const QString &name);

    QAction *openModel = nullptr;
    QAction *openFolder = nullptr;
    QAction *clearRecent = nullptr;
    QAction *quit = nullptr;
    QAction *cancelJob = nullptr;
    QAction *about = nullptr;
    QAction *aboutQt = nullptr;
    QList<QAction *> modeActions;

private:
    QAction *make(const QString &objectName, const QString &text, const QString &statusTip);
    QWidget *m_window = nullptr;
};

} // namespace lathe::ui
