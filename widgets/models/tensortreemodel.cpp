// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/tensortreemodel.h"

#include "format.h"

#include <QRegularExpression>

#include <map>

namespace lathe::ui
{

TensorTreeModel::TensorTreeModel(QObject *parent)
    : QStandardItemModel(parent)
{
    setObjectName(QStringLiteral("tensorTreeModel"));
    setColumnCount(ColumnCount);
    setHorizontalHeaderLabels({ tr("Name"), tr("Shape"), tr("Type") });
}

void TensorTreeModel::clearTensors()
{
    // Rows only: clear() would drop the columns and with them the view's section sizing.
    removeRows(0, rowCount());
    m_tensorCount = 0;
}

void TensorTreeModel::setTensors(const std::vector<lathe::TensorRow> &tensors)
{
    clearTensors();
    static const QRegularExpression layerPattern(
        QStringLiteral(R"(^((?:.*\.)?(?:layers|h|blk|blocks|block)\.(\d+)\.)(.+)$)"));
    std::map<int, QStandardItem *> layers;
    auto makeRow = [](const QString &text, const QString &fullName, const lathe::TensorRow &row) {
        auto *name = new QStandardItem(text);
        name->setData(fullName, TensorNameRole);
        name->setData(true, IsTensorRole);
        name->setToolTip(fullName);
        auto *shape = new QStandardItem(formatShape(row.shape));
        auto *dtype = new QStandardItem(QString::fromStdString(row.dtype));
        for (QStandardItem *item : { name, shape, dtype })
            item->setEditable(false);
        return QList<QStandardItem *> { name, shape, dtype };
    };
    // Stored (natural) order: layer branches appear where their first tensor does.
    for (const lathe::TensorRow &row : tensors) {
        const QString full = QString::fromStdString(row.name);
        const QRegularExpressionMatch m = layerPattern.match(full);
        if (!m.hasMatch()) {
            appendRow(makeRow(full, full, row));
            ++m_tensorCount;
            continue;
        }
        const int layer = m.captured(2).toInt();
        QStandardItem *&branch = layers[layer];
        if (!branch) {
            branch = new QStandardItem(tr("Layer %1").arg(layer));
            branch->setData(m.captured(1), TensorNameRole);
            branch->setData(false, IsTensorRole);
            branch->setEditable(false);
            auto *empty1 = new QStandardItem;
            auto *empty2 = new QStandardItem;
            empty1->setEditable(false);
            empty2->setEditable(false);
            appendRow({ branch, empty1, empty2 });
        }
        branch->appendRow(makeRow(m.captured(3), full, row));
        ++m_tensorCount;
    }
}

QModelIndex TensorTreeModel::indexOfTensor(const QString &name) const
{
    const QModelIndexList hits = match(index(0, NameColumn), TensorNameRole, name, 1,
        Qt::MatchExactly | Qt::MatchRecursive);
    return hits.isEmpty() ? QModelIndex() : hits.first();
}

} // namespace lathe::ui
