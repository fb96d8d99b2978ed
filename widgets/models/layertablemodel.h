// SPDX-License-Identifier: GPL-3.0-or-later
// LayerTableModel: the stored tensors of a model as a table (name, shape, dtype, parameters,
// bytes), from the plain rows of a ModelSummary. SortRole gives numbers as numbers so a
// proxy sorts 1,048,576 after 65,536, and names in natural order (layers.2 before layers.10).
#pragma once

#include "io/modelsummary.h"

#include <QAbstractTableModel>

#include <vector>

namespace lathe::ui
{

class LayerTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        ShapeColumn,
        DTypeColumn,
        ParametersColumn,
        BytesColumn,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1 };

    explicit LayerTableModel(QObject *parent = nullptr);

    // Replaces all rows (expected in natural name order, as summarizeModel gives them).
    void setTensors(std::vector<lathe::TensorRow> tensors);
    void clear();
    const lathe::TensorRow *tensorAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<lathe::TensorRow> m_rows;
};

} // namespace lathe::ui
