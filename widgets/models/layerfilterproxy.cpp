// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/layerfilterproxy.h"

#include "models/layertablemodel.h"

#include <QRegularExpression>

namespace lathe::ui
{

LayerFilterProxy::LayerFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setObjectName(QStringLiteral("layerFilterProxy"));
    setSortRole(LayerTableModel::SortRole);
    setFilterKeyColumn(LayerTableModel::NameColumn);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
}

bool LayerFilterProxy::isWildcard(const QString &text)
{
    return text.contains(QLatin1Char('*')) || text.contains(QLatin1Char('?'))
        || text.contains(QLatin1Char('['));
}

void LayerFilterProxy::setFilterText(const QString &text)
{
    m_filterText = text;
    const QString trimmed = text.trimmed();
    // Unanchored: "layers.1*proj" matches anywhere in the name, like the plain substring does.
    const QString pattern = isWildcard(trimmed) ? QRegularExpression::wildcardToRegularExpression(
                                trimmed, QRegularExpression::UnanchoredWildcardConversion)
                                                : QRegularExpression::escape(trimmed);
    setFilterRegularExpression(
        QRegularExpression(pattern, QRegularExpression::CaseInsensitiveOption));
}

} // namespace lathe::ui
