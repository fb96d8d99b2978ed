// SPDX-License-Identifier: GPL-3.0-or-later
// TensorTreeModel: a model's stored tensors as a tree for the Inspect view: one branch per
// decoder layer ("Layer 3" holding self_attn.q_proj.weight, ...) and the other tensors
// (embeddings, final norm, output head) at the top level. Columns: name, shape, dtype.
#pragma once

#include "io/modelsummary.h"

#include <QStandardItemModel>

namespace lathe::ui
{

class TensorTreeModel : public QStandardItemModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, ShapeColumn, DTypeColumn, ColumnCount };
    // The full stored name of a tensor row; for a layer branch its prefix
    // ("model.layers.3."), so a search for "layers.3" keeps the whole branch.
    static constexpr int TensorNameRole = Qt::UserRole + 1;
    // True on tensor rows, false on layer branches.
    static constexpr int IsTensorRole = Qt::UserRole + 2;

    explicit TensorTreeModel(QObject *parent = nullptr);

    void setTensors(const std::vector<lathe::TensorRow> &tensors);
    void clearTensors();
    // Index (column 0) of the tensor row named `name`, or an invalid index.
    QModelIndex indexOfTensor(const QString &name) const;
    int tensorCount() const { return m_tensorCount; }

private:
    int m_tensorCount = 0;
};

} // namespace lathe::ui
