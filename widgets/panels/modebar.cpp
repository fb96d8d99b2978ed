// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/modebar.h"

#include <QButtonGroup>
#include <QToolButton>
#include <QVBoxLayout>

namespace lathe::ui
{

ModeBar::ModeBar(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("modeBar"));
    // A dark bar in light and dark themes alike, like Qt Creator's: it reads as navigation,
    // not content.
    setAttribute(Qt::WA_StyledBackground, true);
    setStyleSheet(QStringLiteral(
        "#modeBar { background: #2b2d30; }"
        "#modeBar QToolButton { color: #d4d4d4; background: transparent; border: none;"
        "  border-left: 3px solid transparent; padding: 8px 2px 6px 2px; font-size: 11px; }"
        "#modeBar QToolButton:hover { background: #3a3d41; }"
        "#modeBar QToolButton:checked { background: #1e1f22; color: #ffffff;"
        "  border-left: 3px solid #3d8ee6; }"
        "#modeBar QToolButton:disabled { color: #6c6f73; }"));
    setFixedWidth(76);

    m_layout = new QVBoxLayout(this);
    m_layout->setContentsMargins(0, 4, 0, 4);
    m_layout->setSpacing(0);
    m_layout->addStretch(1);

    m_group = new QButtonGroup(this);
    m_group->setExclusive(true);
    connect(m_group, &QButtonGroup::idClicked, this, [this](int id) { setCurrentIndex(id); });
}

int ModeBar::addMode(const QIcon &icon, const QString &text, const QString &objectName)
{
    auto *button = new QToolButton(this);
    button->setObjectName(objectName);
    button->setIcon(icon);
    button->setIconSize(QSize(28, 28));
    button->setText(text);
    button->setToolButtonStyle(Qt::ToolButtonTextUnderIcon);
    button->setCheckable(true);
    button->setFocusPolicy(Qt::NoFocus);
    button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    button->setMinimumHeight(64);
    const int index = count();
    m_group->addButton(button, index);
    m_buttons.append(button);
    // Keep the trailing stretch last so the buttons stack at the top.
    m_layout->insertWidget(index, button);
    if (m_current < 0)
        setCurrentIndex(index);
    return index;
}

void ModeBar::setCurrentIndex(int index)
{
    if (index < 0 || index >= count() || !m_buttons[index]->isEnabled())
        return;
    m_buttons[index]->setChecked(true);
    if (index == m_current)
        return;
    m_current = index;
    Q_EMIT currentChanged(index);
}

void ModeBar::setModeEnabled(int index, bool enabled)
{
    if (index >= 0 && index < count())
        m_buttons[index]->setEnabled(enabled);
}

bool ModeBar::isModeEnabled(int index) const
{
    return index >= 0 && index < count() && m_buttons[index]->isEnabled();
}

void ModeBar::setModeToolTip(int index, const QString &toolTip)
{
    if (index >= 0 && index < count())
        m_buttons[index]->setToolTip(toolTip);
}

QToolButton *ModeBar::button(int index) const
{
    return index >= 0 && index < count() ? m_buttons[index] : nullptr;
}

} // namespace lathe::ui
