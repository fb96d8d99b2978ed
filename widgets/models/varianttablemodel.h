// SPDX-License-Identifier: GPL-3.0-or-later
// VariantTableModel: the Evaluate view's table. Row 0 is the original model, then every
// variant made since it was opened, in the variant bar's order: name, method, format, bits per
// weight, size, and once evaluated, perplexity of the original and of the variant on the same
// windows, mean KL divergence, same-top-token agreement and decode speed. Exports as CSV and
// JSON (every statistic of the evaluation).
#pragma once

#include "api/compression.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class VariantTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        MethodColumn,
        FormatColumn,
        BitsColumn,
        SizeColumn,
        PplBaseColumn,
        PplVariantColumn,
        KldColumn,
        SameTopColumn,
        DecodeColumn,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1 };

    explicit VariantTableModel(QObject *parent = nullptr);

    // Row 0 becomes `original` and every variant row goes (nullptr: no rows).
    void setOriginal(std::shared_ptr<const lathe::LoadedModel> original);
    void addVariant(std::shared_ptr<const lathe::LoadedModel> variant);
    // The evaluation of the variant in `row` (> 0).
    void setEvaluation(int row, std::shared_ptr<const lathe::VariantEvaluation> evaluation);

    std::shared_ptr<const lathe::LoadedModel> modelAt(int row) const;
    std::shared_ptr<const lathe::VariantEvaluation> evaluationAt(int row) const;
    int rowOf(const lathe::LoadedModel *model) const;
    bool isEvaluated(int row) const { return evaluationAt(row) != nullptr; }
    // The original's decode speed and perplexity come from the latest evaluation.
    std::shared_ptr<const lathe::VariantEvaluation> latestEvaluation() const;

    // Numbers of a row as the chart and the exports use them (NaN when not evaluated).
    double bitsPerWeight(int row) const;
    double megabytes(int row) const;
    double meanKld(int row) const;
    double perplexity(int row) const;

    // A header line, then one line per row.
    QString csv() const;
    // {"original": ..., "variants": [{... every statistic ...}]}.
    QString json() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        std::shared_ptr<const lathe::LoadedModel> model;
        std::shared_ptr<const lathe::VariantEvaluation> evaluation;
        int order = 0; // evaluation order, for latestEvaluation()
    };
    QVariant value(int row, int column) const; // raw numbers / strings for sort and export

    std::vector<Row> m_rows;
    int m_evaluations = 0;
};

} // namespace lathe::ui
