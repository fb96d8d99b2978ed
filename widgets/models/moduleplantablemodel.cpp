// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/moduleplantablemodel.h"

#include "quant/quanttypes.h"

#include <QFont>
#include <QLocale>

#include <cmath>
#include <limits>

namespace lathe::ui
{

namespace
{

QString formatKl(double value)
{
    if (std::isnan(value))
        return QStringLiteral("—");
    const double a = std::fabs(value);
    if (a >= 0.01 || a == 0.0)
        return QLocale().toString(value, 'f', a >= 1.0 ? 3 : 4);
    return QLocale().toString(value, 'g', 3);
}

bool samePlanRows(const lathe::QuantPlan &a, const lathe::QuantPlan &b)
{
    if (a.modules.size() != b.modules.size())
        return false;
    for (std::size_t i = 0; i < a.modules.size(); ++i)
        if (a.modules[i].module != b.modules[i].module)
            return false;
    return true;
}

} // namespace

ModulePlanTableModel::ModulePlanTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ModulePlanTableModel::setPlan(const lathe::QuantPlan &plan)
{
    // Same modules (the usual case: only formats changed): update in place so the view keeps
    // its selection, sorting and an open editor.
    if (samePlanRows(m_plan, plan) && !m_plan.modules.empty()) {
        m_plan = plan;
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_plan = plan;
    endResetModel();
}

void ModulePlanTableModel::clear()
{
    beginResetModel();
    m_plan = {};
    m_overrides.clear();
    m_sensitivity.clear();
    m_sensitivityFormat.clear();
    endResetModel();
}

void ModulePlanTableModel::setOverrides(std::map<std::string, std::string> overrides)
{
    m_overrides = std::move(overrides);
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, FormatColumn), index(rowCount() - 1, FormatColumn));
    Q_EMIT overridesChanged();
}

void ModulePlanTableModel::setOverride(const std::string &module, const std::string &format)
{
    const auto it = m_overrides.find(module);
    const std::string old = it == m_overrides.end() ? std::string() : it->second;
    if (old == format)
        return;
    if (format.empty())
        m_overrides.erase(module);
    else
        m_overrides[module] = format;
    const int row = rowOf(module);
    if (row >= 0)
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    Q_EMIT overridesChanged();
}

int ModulePlanTableModel::rowOf(const std::string &module) const
{
    for (std::size_t i = 0; i < m_plan.modules.size(); ++i)
        if (m_plan.modules[i].module == module)
            return static_cast<int>(i);
    return -1;
}

void ModulePlanTableModel::setSensitivity(const lathe::SensitivityResult *result)
{
    m_sensitivity.clear();
    m_sensitivityFormat.clear();
    if (result) {
        for (const lathe::SensitivityEntry &e : result->modules)
            m_sensitivity[e.name] = e.meanKl;
        m_sensitivityFormat = QString::fromStdString(result->format.label());
    }
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, SensitivityColumn), index(rowCount() - 1, SensitivityColumn));
    Q_EMIT headerDataChanged(Qt::Horizontal, SensitivityColumn, SensitivityColumn);
}

double ModulePlanTableModel::sensitivityOf(const std::string &module) const
{
    const auto it = m_sensitivity.find(module);
    return it == m_sensitivity.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
}

int ModulePlanTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_plan.modules.size());
}

int ModulePlanTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ModulePlanTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const lathe::ModulePlan &m = m_plan.modules[static_cast<std::size_t>(index.row())];
    const auto override = m_overrides.find(m.module);
    const bool overridden = override != m_overrides.end();
    const QString formatName
        = m.format ? QString::fromStdString(m.format->name()) : QStringLiteral("f32");
    const double kl = sensitivityOf(m.module);

    if (role == OverrideRole)
        return overridden ? QString::fromStdString(override->second) : QString();
    if (role == ModuleNameRole)
        return QString::fromStdString(m.module);
    if (role == SortRole) {
        switch (index.column()) {
        case ModuleColumn:
            return index.row(); // forward order
        case LayerColumn:
            return static_cast<qlonglong>(m.layer);
        case ShapeColumn:
            return static_cast<double>(m.rows) * static_cast<double>(m.cols);
        case BitsColumn:
            return m.bitsPerWeight;
        case SensitivityColumn:
            // Unmeasured rows sort below every measurement.
            return std::isnan(kl) ? -1.0 : kl;
        default:
            break;
        }
        return data(index, Qt::DisplayRole);
    }
    if (role == Qt::DisplayRole || role == Qt::EditRole) {
        switch (index.column()) {
        case ModuleColumn:
            return QString::fromStdString(m.module);
        case KindColumn:
            return QString::fromStdString(m.kind);
        case LayerColumn:
            return m.layer < 0 ? QStringLiteral("—") : QString::number(m.layer);
        case ShapeColumn:
            return QStringLiteral("%1 × %2").arg(m.rows).arg(m.cols);
        case FormatColumn:
            return formatName;
        case MethodColumn:
            return m.format ? QString::fromStdString(lathe::quantMethodName(m.method))
                            : QStringLiteral("—");
        case BitsColumn:
            return QLocale().toString(m.bitsPerWeight, 'f', 2);
        case SensitivityColumn:
            return formatKl(kl);
        default:
            break;
        }
    }
    if (role == Qt::FontRole && index.column() == FormatColumn && overridden) {
        QFont font;
        font.setBold(true);
        return font;
    }
    if (role == Qt::TextAlignmentRole
        && (index.column() == LayerColumn || index.column() == BitsColumn
            || index.column() == SensitivityColumn))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (index.column() == FormatColumn) {
            if (overridden)
                return tr("Overridden for this module (a rule in the recipe). Double-click to "
                          "change it or go back to the recipe's default.");
            return tr("From the recipe. Double-click to choose another format for this module.");
        }
        if (index.column() == ModuleColumn)
            return QString::fromStdString(m.module);
    }
    return {};
}

bool ModulePlanTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || index.column() != FormatColumn || role != Qt::EditRole
        || index.row() >= rowCount())
        return false;
    const std::string &module = m_plan.modules[static_cast<std::size_t>(index.row())].module;
    setOverride(module, value.toString().toStdString());
    return true;
}

Qt::ItemFlags ModulePlanTableModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == FormatColumn)
        f |= Qt::ItemIsEditable;
    return f;
}

QVariant ModulePlanTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case ModuleColumn:
            return tr("Module");
        case KindColumn:
            return tr("Kind");
        case LayerColumn:
            return tr("Layer");
        case ShapeColumn:
            return tr("Shape");
        case FormatColumn:
            return tr("Format");
        case MethodColumn:
            return tr("Method");
        case BitsColumn:
            return tr("Bits/weight");
        case SensitivityColumn:
            return tr("Sensitivity");
        default:
            break;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case ShapeColumn:
            return tr("Output features × input features");
        case BitsColumn:
            return tr("Bits per weight of this module in its format, scales included "
                      "(32 = kept in f32)");
        case SensitivityColumn:
            return m_sensitivityFormat.isEmpty()
                ? tr("Mean KL when only this module is compressed: run the Sensitivity mode "
                     "to fill this column")
                : tr("Mean KL when only this module is compressed to %1 (the Sensitivity "
                     "mode's last run): higher is more fragile")
                      .arg(m_sensitivityFormat);
        default:
            break;
        }
    }
    return {};
}

} // namespace lathe::ui
