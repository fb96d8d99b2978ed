// SPDX-License-Identifier: GPL-3.0-or-later
// LayerFilterProxy: filters a LayerTableModel by tensor name (case-insensitive substring, or a
// wildcard pattern when the text contains * ? or [) and sorts by LayerTableModel::SortRole.
#pragma once

#include <QSortFilterProxyModel>

namespace lathe::ui
{

class LayerFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit LayerFilterProxy(QObject *parent = nullptr);

    QString filterText() const { return m_filterText; }
    static bool isWildcard(const QString &text);

public Q_SLOTS:
    void setFilterText(const QString &text);

private:
    QString m_filterText;
};

} // namespace lathe::ui
