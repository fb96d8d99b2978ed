// SPDX-License-Identifier: GPL-3.0-or-later
// ModuleGrid: the decoder layers' linear weights arranged as layer x module kind (q_proj,
// k_proj, ..., down_proj), found from the stored tensor names so it works for any checkpoint
// the Model view can list (Hugging Face "model.layers.3.mlp.up_proj.weight", GPT-2 "h.3.",
// GGUF "blk.3.attn_q.weight"). The Inspect heatmap's rows and columns.
#pragma once

#include "io/modelsummary.h"

#include <QHash>
#include <QString>
#include <QStringList>

#include <vector>

namespace lathe::ui
{

struct ModuleGrid {
    QStringList kinds;          // columns, in forward order where known
    std::vector<int> layers;    // rows: layer numbers, ascending
    // (row, column) -> tensor name; empty when that layer has no such module.
    std::vector<QString> tensors;

    static ModuleGrid fromTensors(const std::vector<lathe::TensorRow> &tensors);

    int rowCount() const { return static_cast<int>(layers.size()); }
    int columnCount() const { return static_cast<int>(kinds.size()); }
    QString tensorAt(int row, int column) const;
    // Row and column of `tensor`; false when it is not a grid cell.
    bool cellOf(const QString &tensor, int *row, int *column) const;
    QStringList rowLabels() const;
};

} // namespace lathe::ui
