// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/formatdelegate.h"

#include "models/moduleplantablemodel.h"
#include "quant/quanttypes.h"

#include <QComboBox>

namespace lathe::ui
{

FormatDelegate::FormatDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

QWidget *FormatDelegate::createEditor(
    QWidget *parent, const QStyleOptionViewItem &, const QModelIndex &) const
{
    auto *combo = new QComboBox(parent);
    combo->setObjectName(QStringLiteral("formatEditor"));
    combo->addItem(tr("recipe default"), QString());
    combo->setItemData(0, tr("No override: the recipe's format"), Qt::ToolTipRole);
    for (const lathe::QuantType &t : lathe::quantTypes()) {
        combo->addItem(QString::fromStdString(t.name), QString::fromStdString(t.name));
        combo->setItemData(combo->count() - 1,
            QString::fromStdString(t.description + " (" + t.scaleFormat + ")"), Qt::ToolTipRole);
    }
    combo->addItem(tr("none (keep f32)"), QStringLiteral("none"));
    combo->setItemData(combo->count() - 1, tr("Leave this module uncompressed"), Qt::ToolTipRole);
    // Commit as soon as a format is picked: one click, like a cell that toggles.
    connect(combo, &QComboBox::activated, this, [this, combo] {
        auto *self = const_cast<FormatDelegate *>(this);
        Q_EMIT self->commitData(combo);
        Q_EMIT self->closeEditor(combo);
    });
    return combo;
}

void FormatDelegate::setEditorData(QWidget *editor, const QModelIndex &index) const
{
    auto *combo = qobject_cast<QComboBox *>(editor);
    if (!combo)
        return;
    const QString current = index.data(ModulePlanTableModel::OverrideRole).toString();
    int row = combo->findData(current);
    if (row < 0) {
        // An override outside the table (a recipe with "int5-g64"): keep it selectable.
        combo->addItem(current, current);
        row = combo->count() - 1;
    }
    combo->setCurrentIndex(row);
}

void FormatDelegate::setModelData(
    QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const
{
    auto *combo = qobject_cast<QComboBox *>(editor);
    if (!combo)
        return;
    model->setData(index, combo->currentData().toString(), Qt::EditRole);
}

} // namespace lathe::ui
