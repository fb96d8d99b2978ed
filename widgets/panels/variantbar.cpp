// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/variantbar.h"

#include "api/loadedmodel.h"
#include "format.h"

#include <QButtonGroup>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QToolButton>

namespace lathe::ui
{

VariantBar::VariantBar(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("variantBar"));
    auto *outer = new QHBoxLayout(this);
    outer->setContentsMargins(8, 4, 8, 2);
    outer->setSpacing(6);
    auto *title = new QLabel(tr("<b>Variants</b>"), this);
    title->setToolTip(tr("The open model and every compressed variant made from it since it "
                         "was opened. The selected one is what Evaluate shows."));
    outer->addWidget(title);

    // Many variants scroll sideways instead of widening the window.
    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("variantScroll"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    auto *inner = new QWidget(scroll);
    m_chipLayout = new QHBoxLayout(inner);
    m_chipLayout->setContentsMargins(0, 0, 0, 0);
    m_chipLayout->setSpacing(4);
    m_empty = new QLabel(tr("No model open"), inner);
    m_empty->setObjectName(QStringLiteral("variantBarEmpty"));
    m_empty->setEnabled(false);
    m_chipLayout->addWidget(m_empty);
    m_chipLayout->addStretch(1);
    scroll->setWidget(inner);
    outer->addWidget(scroll, 1);
    setFixedHeight(fontMetrics().height() + 22);

    m_group = new QButtonGroup(this);
    m_group->setExclusive(true);
    connect(m_group, &QButtonGroup::idClicked, this, [this](int id) { setCurrentIndex(id); });
}

QString VariantBar::originalLabel(const lathe::LoadedModel &model)
{
    const lathe::ModelSummary &s = model.summary();
    return tr("Original: %1, %2 params, %3")
        .arg(QString::fromStdString(model.displayName()), formatCompactCount(s.parameters),
            formatSize(s.bytes));
}

QString VariantBar::variantLabel(const lathe::LoadedModel &variant)
{
    const lathe::VariantInfo *info = variant.variantInfo();
    if (!info)
        return QString::fromStdString(variant.displayName());
    return tr("%1 · %2 bpw · %3")
        .arg(QString::fromStdString(info->name), QLocale().toString(info->bitsPerWeight, 'f', 2),
            formatSize(info->weightBytes));
}

QToolButton *VariantBar::makeChip(const QString &text, const QString &toolTip)
{
    auto *chip = new QToolButton(m_chipLayout->parentWidget());
    chip->setText(text);
    chip->setToolTip(toolTip);
    chip->setCheckable(true);
    chip->setAutoRaise(false);
    chip->setToolButtonStyle(Qt::ToolButtonTextOnly);
    const int index = count();
    chip->setObjectName(QStringLiteral("variantChip%1").arg(index));
    m_group->addButton(chip, index);
    m_chips.append(chip);
    // Before the trailing stretch.
    m_chipLayout->insertWidget(m_chipLayout->count() - 1, chip);
    return chip;
}

void VariantBar::setOriginal(const lathe::LoadedModel *model)
{
    for (QToolButton *chip : std::as_const(m_chips)) {
        m_group->removeButton(chip);
        delete chip;
    }
    m_chips.clear();
    m_current = -1;
    m_empty->setVisible(model == nullptr);
    if (model) {
        makeChip(
            originalLabel(*model), QDir::toNativeSeparators(QString::fromStdString(model->path())));
        setCurrentIndex(0);
    } else {
        Q_EMIT currentChanged(-1);
    }
}

int VariantBar::addVariant(const lathe::LoadedModel &variant)
{
    const lathe::VariantInfo *info = variant.variantInfo();
    QString tip = QString::fromStdString(variant.displayName());
    if (info)
        tip = tr("%1\n%2 method, %3 format, quantized in %4 s")
                  .arg(QString::fromStdString(info->name), QString::fromStdString(info->method),
                      QString::fromStdString(info->format),
                      QLocale().toString(info->seconds, 'f', 1));
    makeChip(variantLabel(variant), tip);
    return count() - 1;
}

void VariantBar::setCurrentIndex(int index)
{
    if (index < 0 || index >= count())
        return;
    m_chips[index]->setChecked(true);
    if (index == m_current)
        return;
    m_current = index;
    Q_EMIT currentChanged(index);
}

QToolButton *VariantBar::chip(int index) const
{
    return index >= 0 && index < count() ? m_chips[index] : nullptr;
}

QString VariantBar::chipText(int index) const
{
    const QToolButton *c = chip(index);
    return c ? c->text() : QString();
}

} // namespace lathe::ui
