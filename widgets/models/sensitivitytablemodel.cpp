// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/sensitivitytablemodel.h"

#include <QFont>
#include <QLocale>

#include <cmath>
#include <limits>

namespace lathe::ui
{

namespace
{

// Damage numbers span decades (1e-5 for an int8 module, 3.0 for a 2-bit block): keep three
// significant digits rather than a fixed number of decimals that would show 0.000.
QString formatDamage(double value, bool withSign)
{
    if (std::isnan(value))
        return QStringLiteral("—");
    const double a = std::fabs(value);
    QString text;
    if (a >= 100.0)
        text = QLocale().toString(value, 'f', 1);
    else if (a >= 0.01 || a == 0.0)
        text = QLocale().toString(value, 'f', a >= 1.0 ? 3 : 4);
    else
        text = QLocale().toString(value, 'g', 3);
    if (withSign && value > 0.0)
        text.prepend(QLatin1Char('+'));
    return text;
}

} // namespace

SensitivityTableModel::SensitivityTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void SensitivityTableModel::setResult(const lathe::SensitivityResult &result)
{
    beginResetModel();
    m_rows.clear();
    m_rows.reserve(result.modules.size() + result.blocks.size());
    m_rows.insert(m_rows.end(), result.modules.begin(), result.modules.end());
    m_rows.insert(m_rows.end(), result.blocks.begin(), result.blocks.end());
    m_moduleCount = static_cast<int>(result.modules.size());
    endResetModel();
}

void SensitivityTableModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_moduleCount = 0;
    endResetModel();
}

const lathe::SensitivityEntry *SensitivityTableModel::entryAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return nullptr;
    return &m_rows[static_cast<std::size_t>(row)];
}

bool SensitivityTableModel::isBlock(int row) const
{
    return row >= m_moduleCount && row < rowCount();
}

int SensitivityTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int SensitivityTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SensitivityTableModel::data(const QModelIndex &index, int role) const
{
    const lathe::SensitivityEntry *e = entryAt(index.row());
    if (!e || index.column() < 0 || index.column() >= ColumnCount)
        return {};
    const bool block = isBlock(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return QString::fromStdString(e->name);
        case LayerColumn:
            return QString::number(e->layer);
        case KindColumn:
            return block ? tr("whole block") : QString::fromStdString(e->kind);
        case DeltaPerplexityColumn:
            return formatDamage(e->deltaPerplexity, true);
        case MeanKlColumn:
            return formatDamage(e->meanKl, false);
        case ProxyColumn:
            return formatDamage(e->proxy, false);
        }
        break;
    case SortRole: {
        // Missing values (a proxy without activation statistics) sort below every number.
        const auto number = [](double v) {
            return std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;
        };
        switch (index.column()) {
        case NameColumn:
            return index.row(); // forward order: modules layer by layer, then blocks
        case LayerColumn:
            return qlonglong(e->layer);
        case KindColumn:
            return block ? tr("whole block") : QString::fromStdString(e->kind);
        case DeltaPerplexityColumn:
            return number(e->deltaPerplexity);
        case MeanKlColumn:
            return number(e->meanKl);
        case ProxyColumn:
            return number(e->proxy);
        }
        break;
    }
    case IsBlockRole:
        return block;
    case Qt::TextAlignmentRole:
        if (index.column() >= LayerColumn && index.column() != KindColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::FontRole:
        if (block) {
            QFont font;
            font.setBold(true);
            return font;
        }
        break;
    case Qt::ToolTipRole:
        switch (index.column()) {
        case DeltaPerplexityColumn:
            return tr("Perplexity %1 with only this part compressed")
                .arg(QLocale().toString(e->perplexity, 'f', 4));
        case ProxyColumn:
            if (std::isnan(e->proxy))
                return tr("No proxy: activation statistics were not computed");
            break;
        default:
            return QString::fromStdString(e->name);
        }
        break;
    default:
        break;
    }
    return {};
}

QVariant SensitivityTableModel::headerData(
    int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Module / block");
        case LayerColumn:
            return tr("Layer");
        case KindColumn:
            return tr("Kind");
        case DeltaPerplexityColumn:
            return tr("Δ perplexity");
        case MeanKlColumn:
            return tr("Mean KL");
        case ProxyColumn:
            return tr("Proxy");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case DeltaPerplexityColumn:
            return tr("How much the perplexity on the calibration text rises when only this "
                      "part is compressed (higher is worse)");
        case MeanKlColumn:
            return tr("Mean KL divergence, in nats, between the original's and the compressed "
                      "model's next-token distributions (higher is worse)");
        case ProxyColumn:
            return tr("Importance-weighted squared quantization error relative to the weights: "
                      "a fast estimate that needs no forward pass (higher is worse)");
        default:
            break;
        }
    }
    return {};
}

} // namespace lathe::ui
