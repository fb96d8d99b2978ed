// SPDX-License-Identifier: GPL-3.0-or-later
// TensorStatsPanel: the numbers of one tensor (count, moments, extremes, zeros, outliers,
// percentiles) and, once activation statistics exist, those of its module's input, in a
// two-column table. Selecting a row explains that statistic in plain words underneath.
#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;

namespace lathe
{
struct WeightStats;
struct ModuleActivationStats;
}

namespace lathe::ui
{

class TensorStatsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TensorStatsPanel(QWidget *parent = nullptr);

    // Either may be null. The panel copies what it shows.
    void setStats(const lathe::WeightStats *weights, const lathe::ModuleActivationStats *input);
    // Shows `message` ("Computing…") instead of numbers.
    void showMessage(const QString &message);
    void clear();

    // Displayed text of the row with statistic key `key` ("kurtosis", "p50"), or empty.
    QString valueText(const QString &key) const;
    QStringList keys() const;
    // Shows the explanation of `key` (also what selecting its row does).
    void explain(const QString &key);
    QString explanation() const;

    QTableWidget *table() const { return m_table; }
    QLabel *explanationLabel() const { return m_explanation; }

private:
    void addRow(const QString &key, const QString &title, const QString &value,
        const QString &explanationKey = QString());

    QTableWidget *m_table = nullptr;
    QLabel *m_explanation = nullptr;
};

} // namespace lathe::ui
