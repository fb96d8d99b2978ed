// SPDX-License-Identifier: GPL-3.0-or-later
// BarChart: one bar per named category (module, block, ...), in the given order or sorted by
// value, optionally coloured by group (one legend entry per group), with a tooltip per bar.
// Generic on purpose: the Sensitivity view and others feed it plain labels and values.
#pragma once

#include "charts/chartpanel.h"

#include <QList>
#include <QStringList>
#include <QVector>

#include <vector>

class QCPBars;
class QMouseEvent;

namespace lathe::ui
{

class BarChart : public ChartPanel
{
    Q_OBJECT
public:
    enum class SortOrder { Original, Descending, Ascending };
    Q_ENUM(SortOrder)

    explicit BarChart(QWidget *parent = nullptr);

    // `toolTips` (optional) has one text per bar; `groups` (optional) one group index per bar,
    // coloured and named by setGroupNames(). NaN values are listed in the CSV but not drawn.
    void setBars(const QStringList &labels, const std::vector<double> &values,
        const QStringList &toolTips = {}, const std::vector<int> &groups = {});
    void setGroupNames(const QStringList &names);
    void clear();
    void setSortOrder(SortOrder order);
    SortOrder sortOrder() const { return m_order; }
    void setValueLabel(const QString &label);
    QString valueLabel() const { return m_valueLabel; }
    void setCategoryLabel(const QString &label);
    // Log value axis (bars must be positive; others are not drawn).
    void setLogScale(bool log);

    int barCount() const { return static_cast<int>(m_labels.size()); }
    // Indices into the setBars() arrays in the order drawn (left to right).
    QVector<int> displayOrder() const { return m_display; }
    QStringList displayedLabels() const;
    // One QCPBars per group present (one in total without groups).
    QList<QCPBars *> barPlottables() const { return m_plottables; }
    // Index (into setBars()) of the bar under `pos` in plot() coordinates, or -1.
    int barAt(const QPoint &pos) const;
    // Widget position of the centre of the bar with setBars() index `index`.
    QPoint barCenter(int index) const;

    // label,value[,group] in the drawn order.
    QString csv() const override;

Q_SIGNALS:
    void barClicked(int index, const QString &label);

protected:
    void restyle() override;

private:
    void rebuild();
    void onMousePress(QMouseEvent *event);
    void onMouseMove(QMouseEvent *event);
    QString groupName(int group) const;

    QStringList m_labels;
    std::vector<double> m_values;
    QStringList m_toolTips;
    std::vector<int> m_groups;
    QStringList m_groupNames;
    QString m_valueLabel;
    QString m_categoryLabel;
    SortOrder m_order = SortOrder::Original;
    bool m_log = false;
    QVector<int> m_display;
    QList<QCPBars *> m_plottables;
    QList<int> m_plottableGroups;
};

} // namespace lathe::ui
