// SPDX-License-Identifier: GPL-3.0-or-later
// FormatDelegate: the editor of the Compress view's Format column: a combo box of the
// recipe's default, every named format of the quant type table (descriptions as tooltips)
// and "none" (keep f32). The model receives the format name, "" for the default.
#pragma once

#include <QStyledItemDelegate>

namespace lathe::ui
{

class FormatDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit FormatDelegate(QObject *parent = nullptr);

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option,
        const QModelIndex &index) const override;
    void setEditorData(QWidget *editor, const QModelIndex &index) const override;
    void setModelData(
        QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override;
};

} // namespace lathe::ui
