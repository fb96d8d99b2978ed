// SPDX-License-Identifier: GPL-3.0-or-later
#include "actions.h"

#include <QAction>
#include <QKeySequence>
#include <QWidget>

namespace lathe::ui
{

Actions::Actions(QWidget *window)
    : QObject(window)
    , m_window(window)
{
    setObjectName(QStringLiteral("actions"));

    openModel = make(QStringLiteral("actionOpenModel"), tr("&Open Model…"),
        tr("Open a .safetensors or .gguf file"));
    openModel->setShortcut(QKeySequence::Open);

    openFolder = make(QStringLiteral("actionOpenFolder"), tr("Open &Folder…"),
        tr("Open a Hugging Face model folder (config.json and safetensors)"));
    openFolder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));

    clearRecent = make(QStringLiteral("actionClearRecent"), tr("&Clear List"),
        tr("Forget the recently opened models"));

    quit = make(QStringLiteral("actionQuit"), tr("&Quit"), tr("Quit Lathe"));
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    cancelJob
        = make(QStringLiteral("actionCancelJob"), tr("&Cancel Job"), tr("Cancel the running job"));
    cancelJob->setShortcut(QKeySequence(Qt::Key_Escape));
    cancelJob->setEnabled(false);

    about = make(
        QStringLiteral("actionAbout"), tr("&About Lathe"), tr("Version and license of Lathe"));
    about->setMenuRole(QAction::AboutRole);
    aboutQt
        = make(QStringLiteral("actionAboutQt"), tr("About &Qt"), tr("Version and license of Qt"));
    aboutQt->setMenuRole(QAction::AboutQtRole);
}

QAction *Actions::addModeAction(int index, const QString &name)
{
    auto *action = make(
        QStringLiteral("actionMode%1").arg(index + 1), name, tr("Switch to the %1 mode").arg(name));
    if (index < 9)
        action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + index)));
    action->setCheckable(true);
    modeActions.append(action);
    return action;
}

QAction *Actions::make(const QString &objectName, const QString &text, const QString &statusTip)
{
    auto *action = new QAction(text, m_window);
    action->setObjectName(objectName);
    action->setStatusTip(statusTip);
    m_window->addAction(action);
    return action;
}

} // namespace lathe::ui
