// SPDX-License-Identifier: GPL-3.0-or-later
#include "format.h"

#include "io/modelsummary.h"

#include <QLocale>
#include <QStringList>

namespace lathe::ui
{

QString formatInteger(std::int64_t value)
{
    return QLocale().toString(static_cast<qlonglong>(value));
}

QString formatCompactCount(std::int64_t count)
{
    return QString::fromStdString(lathe::formatCount(count));
}

QString formatSize(std::uint64_t bytes)
{
    return QString::fromStdString(lathe::formatBytes(bytes));
}

QString formatShape(const std::vector<std::int64_t> &shape)
{
    QStringList parts;
    parts.reserve(static_cast<qsizetype>(shape.size()));
    for (std::int64_t d : shape)
        parts.append(QString::number(d));
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

} // namespace lathe::ui
