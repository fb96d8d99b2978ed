// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/layertablemodel.h"

#include "format.h"

namespace lathe::ui
{

namespace
{

// Dims zero-padded so that plain string order is dim-by-dim numeric order.
QString shapeSortKey(const std::vector<std::int64_t> &shape)
{
    QString key;
    for (std::int64_t d : shape)
        key += QStringLiteral("%1,").arg(d, 19, 10, QLatin1Char('0'));
    return key;
}

} // namespace

LayerTableModel::LayerTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    setObjectName(QStringLiteral("layerTableModel"));
}

void LayerTableModel::setTensors(std::vector<lathe::TensorRow> tensors)
{
    beginResetModel();
    m_rows = std::move(tensors);
    endResetModel();
}

void LayerTableModel::clear()
{
    setTensors({});
}

const lathe::TensorRow *LayerTableModel::tensorAt(int row) const
{
    if (row < 0 || static_cast<std::size_t>(row) >= m_rows.size())
        return nullptr;
    return &m_rows[static_cast<std::size_t>(row)];
}

int LayerTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int LayerTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const lathe::TensorRow &t = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return QString::fromStdString(t.name);
        case ShapeColumn:
            return formatShape(t.shape);
        case DTypeColumn:
            return QString::fromStdString(t.dtype);
        case ParametersColumn:
            return formatInteger(t.parameters);
        case BytesColumn:
            return formatSize(t.bytes);
        }
        break;
    case Qt::ToolTipRole:
        switch (index.column()) {
        case NameColumn:
            return QString::fromStdString(t.name);
        case BytesColumn:
            return tr("%1 bytes").arg(formatInteger(static_cast<std::int64_t>(t.bytes)));
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == ParametersColumn || index.column() == BytesColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
    case SortRole:
        switch (index.column()) {
        case NameColumn:
            return index.row(); // rows arrive in natural name order
        case ShapeColumn:
            return shapeSortKey(t.shape);
        case DTypeColumn:
            return QString::fromStdString(t.dtype);
        case ParametersColumn:
            return static_cast<qlonglong>(t.parameters);
        case BytesColumn:
            return static_cast<qulonglong>(t.bytes);
        }
        break;
    }
    return {};
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Name");
        case ShapeColumn:
            return tr("Shape");
        case DTypeColumn:
            return tr("Type");
        case ParametersColumn:
            return tr("Parameters");
        case BytesColumn:
            return tr("Size");
        }
    } else if (role == Qt::TextAlignmentRole) {
        if (section == ParametersColumn || section == BytesColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
    }
    return {};
}

} // namespace lathe::ui
