// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/tensorstatspanel.h"

#include "analysis/activationstats.h"
#include "analysis/weightstats.h"
#include "format.h"
#include "panels/statexplanations.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lathe::ui
{

namespace
{

constexpr int KeyRole = Qt::UserRole + 1;
constexpr int ExplainRole = Qt::UserRole + 2;

QString number(double v)
{
    return QString::number(v, 'g', 5);
}

QString percent(double fraction)
{
    if (fraction == 0.0)
        return QStringLiteral("0 %");
    // Small fractions keep their significant digits (0.00012 %).
    return QString::number(fraction * 100.0, 'g', 3) + QStringLiteral(" %");
}

} // namespace

TensorStatsPanel::TensorStatsPanel(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("tensorStatsPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    m_table = new QTableWidget(0, 2, this);
    m_table->setObjectName(QStringLiteral("tensorStatsTable"));
    m_table->setHorizontalHeaderLabels({ tr("Statistic"), tr("Value") });
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    layout->addWidget(m_table, 1);

    m_explanation = new QLabel(this);
    m_explanation->setObjectName(QStringLiteral("statExplanation"));
    m_explanation->setWordWrap(true);
    m_explanation->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_explanation->setMinimumHeight(m_explanation->fontMetrics().height() * 3);
    m_explanation->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    layout->addWidget(m_explanation);

    connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (QTableWidgetItem *item = m_table->item(row, 0))
            explain(item->data(ExplainRole).toString());
    });
    explain(QStringLiteral("kurtosis"));
}

void TensorStatsPanel::addRow(
    const QString &key, const QString &title, const QString &value, const QString &explanationKey)
{
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    auto *name = new QTableWidgetItem(title);
    name->setData(KeyRole, key);
    name->setData(ExplainRole, explanationKey.isEmpty() ? key : explanationKey);
    auto *text = new QTableWidgetItem(value);
    text->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    const QString tip = statisticExplanation(explanationKey.isEmpty() ? key : explanationKey);
    name->setToolTip(tip);
    text->setToolTip(tip);
    m_table->setItem(row, 0, name);
    m_table->setItem(row, 1, text);
}

void TensorStatsPanel::setStats(
    const lathe::WeightStats *w, const lathe::ModuleActivationStats *a)
{
    m_table->setRowCount(0);
    if (w) {
        addRow(QStringLiteral("count"), tr("Count"), formatInteger(w->count));
        addRow(QStringLiteral("mean"), tr("Mean"), number(w->mean));
        addRow(QStringLiteral("std"), tr("Std"), number(w->std));
        addRow(QStringLiteral("min"), tr("Min"), number(w->min));
        addRow(QStringLiteral("max"), tr("Max"), number(w->max));
        addRow(QStringLiteral("absmax"), tr("Absmax"), number(w->absmax));
        addRow(QStringLiteral("kurtosis"), tr("Kurtosis"), number(w->kurtosis));
        addRow(QStringLiteral("skewness"), tr("Skewness"), number(w->skewness));
        addRow(QStringLiteral("zero_fraction"), tr("Zeros"),
            tr("%1 (%2)").arg(percent(w->zeroFraction), formatInteger(w->zeros)));
        addRow(QStringLiteral("outlier_fraction"),
            tr("Outliers (|w − mean| > %1 std)").arg(number(w->outlierK)),
            tr("%1 (%2)").arg(percent(w->outlierFraction), formatInteger(w->outliers)));
        for (const auto &[p, value] : w->percentiles) {
            const QString key = QStringLiteral("p") + QString::number(p, 'g', 4);
            addRow(key, key, number(value), QStringLiteral("percentiles"));
        }
    }
    if (a) {
        addRow(QStringLiteral("activation_absmax"), tr("Input absmax"), number(a->absmax));
        addRow(QStringLiteral("importance"), tr("Input mean square"), number(a->meanSquare));
        addRow(QStringLiteral("outlier_features"), tr("Outlier features"),
            tr("%1 of %2").arg(a->outlierFeatures).arg(a->channelAbsmax.size()));
        addRow(QStringLiteral("tokens"), tr("Calibration tokens"), formatInteger(a->tokens));
    }
}

void TensorStatsPanel::showMessage(const QString &message)
{
    m_table->setRowCount(0);
    addRow(QString(), message, QString());
}

void TensorStatsPanel::clear()
{
    m_table->setRowCount(0);
}

QString TensorStatsPanel::valueText(const QString &key) const
{
    for (int r = 0; r < m_table->rowCount(); ++r) {
        if (m_table->item(r, 0)->data(KeyRole).toString() == key)
            return m_table->item(r, 1)->text();
    }
    return {};
}

QStringList TensorStatsPanel::keys() const
{
    QStringList out;
    for (int r = 0; r < m_table->rowCount(); ++r)
        out.append(m_table->item(r, 0)->data(KeyRole).toString());
    return out;
}

void TensorStatsPanel::explain(const QString &key)
{
    const QString text = statisticExplanation(key);
    if (text.isEmpty())
        return;
    m_explanation->setText(QStringLiteral("<b>%1.</b> %2").arg(statisticTitle(key).toHtmlEscaped(),
        text.toHtmlEscaped()));
}

QString TensorStatsPanel::explanation() const
{
    return m_explanation->text();
}

} // namespace lathe::ui
