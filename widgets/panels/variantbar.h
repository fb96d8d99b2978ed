// SPDX-License-Identifier: GPL-3.0-or-later
// VariantBar: the strip above the central view listing the open model ("Original: name,
// parameters, size") and every compressed variant made from it since it was opened (name,
// bits per weight, size), as exclusive chips. The checked chip is the current variant, which
// the Evaluate view and later Export show. The main window owns the variants; the bar only
// shows them.
#pragma once

#include <QList>
#include <QWidget>

class QButtonGroup;
class QHBoxLayout;
class QLabel;
class QToolButton;

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class VariantBar : public QWidget
{
    Q_OBJECT
public:
    explicit VariantBar(QWidget *parent = nullptr);

    // Replaces every chip by the original's (index 0); nullptr: no model, no chips.
    void setOriginal(const lathe::LoadedModel *model);
    // Appends a chip for `variant` and returns its index (the original is 0).
    int addVariant(const lathe::LoadedModel &variant);
    int count() const { return static_cast<int>(m_chips.size()); }
    int currentIndex() const { return m_current; }
    void setCurrentIndex(int index);
    QToolButton *chip(int index) const;
    QString chipText(int index) const;

    static QString originalLabel(const lathe::LoadedModel &model);
    static QString variantLabel(const lathe::LoadedModel &variant);

Q_SIGNALS:
    // The user (or setCurrentIndex) made another chip current.
    void currentChanged(int index);

private:
    QToolButton *makeChip(const QString &text, const QString &toolTip);

    QHBoxLayout *m_chipLayout = nullptr;
    QLabel *m_empty = nullptr;
    QButtonGroup *m_group = nullptr;
    QList<QToolButton *> m_chips;
    int m_current = -1;
};

} // namespace lathe::ui
