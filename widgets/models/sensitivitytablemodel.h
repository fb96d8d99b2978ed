// SPDX-License-Identifier: GPL-3.0-or-later
// SensitivityTableModel: the entries of a sensitivity run as a table, one row per linear
// module then one per decoder block: name, layer, kind, delta perplexity, mean KL and proxy.
// SortRole gives numbers as numbers (NaN proxies sort last) and names in forward order, so a
// QSortFilterProxyModel with that sort role sorts every column sensibly.
#pragma once

#include "analysis/sensitivity.h"

#include <QAbstractTableModel>

#include <vector>

namespace lathe::ui
{

class SensitivityTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        LayerColumn,
        KindColumn,
        DeltaPerplexityColumn,
        MeanKlColumn,
        ProxyColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1,
        IsBlockRole, // bool: the row is a whole decoder block
    };

    explicit SensitivityTableModel(QObject *parent = nullptr);

    // Replaces all rows: result.modules, then result.blocks.
    void setResult(const lathe::SensitivityResult &result);
    void clear();
    const lathe::SensitivityEntry *entryAt(int row) const;
    bool isBlock(int row) const;
    int moduleCount() const { return m_moduleCount; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<lathe::SensitivityEntry> m_rows;
    int m_moduleCount = 0;
};

} // namespace lathe::ui
