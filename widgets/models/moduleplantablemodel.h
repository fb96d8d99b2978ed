// SPDX-License-Identifier: GPL-3.0-or-later
// ModulePlanTableModel: the Compress view's per-module table. One row per linear module (and
// the output head) of the plan the current recipe gives the model: name, kind, layer, shape,
// format, method, bits per weight, and beside them the module's measured sensitivity (mean KL
// from the Sensitivity view's last run). The Format column is editable: a choice there is a
// per-module override, which the view writes into the recipe as a rule.
#pragma once

#include "analysis/sensitivity.h"
#include "quant/quantplan.h"

#include <QAbstractTableModel>

#include <map>
#include <string>
#include <vector>

namespace lathe::ui
{

class ModulePlanTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        ModuleColumn,
        KindColumn,
        LayerColumn,
        ShapeColumn,
        FormatColumn,
        MethodColumn,
        BitsColumn,
        SensitivityColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1,
        OverrideRole, // QString: the module's override ("" none, "none" = keep f32)
        ModuleNameRole,
    };

    explicit ModulePlanTableModel(QObject *parent = nullptr);

    // Rows follow the plan's modules; the overrides stay.
    void setPlan(const lathe::QuantPlan &plan);
    void clear();
    const lathe::QuantPlan &plan() const { return m_plan; }

    // Module name -> format name ("none" keeps the module in f32).
    const std::map<std::string, std::string> &overrides() const { return m_overrides; }
    void setOverrides(std::map<std::string, std::string> overrides);
    // "" removes the override.
    void setOverride(const std::string &module, const std::string &format);
    int rowOf(const std::string &module) const;

    // Mean KL per module from a sensitivity run (nullptr clears the column).
    void setSensitivity(const lathe::SensitivityResult *result);
    bool hasSensitivity() const { return !m_sensitivity.empty(); }
    QString sensitivityFormat() const { return m_sensitivityFormat; }
    // NaN when the module has no measurement.
    double sensitivityOf(const std::string &module) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // The user (or setOverride) changed an override.
    void overridesChanged();

private:
    lathe::QuantPlan m_plan;
    std::map<std::string, std::string> m_overrides;
    std::map<std::string, double> m_sensitivity;
    QString m_sensitivityFormat;
};

} // namespace lathe::ui
