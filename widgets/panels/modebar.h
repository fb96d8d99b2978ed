// SPDX-License-Identifier: GPL-3.0-or-later
// ModeBar: the vertical bar of workflow modes on the left of the main window (Qt Creator
// style). One checkable button per mode; exactly one mode is current.
#pragma once

#include <QIcon>
#include <QList>
#include <QWidget>

class QButtonGroup;
class QToolButton;
class QVBoxLayout;

namespace lathe::ui
{

class ModeBar : public QWidget
{
    Q_OBJECT
public:
    explicit ModeBar(QWidget *parent = nullptr);

    // Appends a mode button and returns its index. `objectName` names the button for tests.
    int addMode(const QIcon &icon, const QString &text, const QString &objectName);
    int count() const { return static_cast<int>(m_buttons.size()); }
    int currentIndex() const { return m_current; }
    void setCurrentIndex(int index);
    void setModeEnabled(int index, bool enabled);
    bool isModeEnabled(int index) const;
    void setModeToolTip(int index, const QString &toolTip);
    QToolButton *button(int index) const;

Q_SIGNALS:
    void currentChanged(int index);

private:
    QVBoxLayout *m_layout = nullptr;
    QButtonGroup *m_group = nullptr;
    QList<QToolButton *> m_buttons;
    int m_current = -1;
};

} // namespace lathe::ui
