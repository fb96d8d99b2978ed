// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/varianttablemodel.h"

#include "api/loadedmodel.h"
#include "charts/chartpanel.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::ui
{

namespace
{

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The dtype holding most of the original's parameters ("F32", "BF16").
QString mainDtype(const lathe::ModelSummary &s)
{
    std::string best;
    std::int64_t most = -1;
    for (const auto &[dtype, count] : s.parametersByDtype) {
        if (count > most) {
            most = count;
            best = dtype;
        }
    }
    return QString::fromStdString(best).toLower();
}

QJsonValue number(double v)
{
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
}

QJsonObject distribution(const lathe::Distribution &d)
{
    const lathe::Percentiles &p = d.percentiles;
    return QJsonObject { { QStringLiteral("mean"), number(d.mean) },
        { QStringLiteral("stderr"), number(d.standardError) },
        { QStringLiteral("rms"), number(d.rms) }, { QStringLiteral("max"), number(d.max) },
        { QStringLiteral("p99_9"), number(p.p99_9) }, { QStringLiteral("p99"), number(p.p99) },
        { QStringLiteral("p95"), number(p.p95) }, { QStringLiteral("p90"), number(p.p90) },
        { QStringLiteral("median"), number(p.median) }, { QStringLiteral("p10"), number(p.p10) },
        { QStringLiteral("p5"), number(p.p5) }, { QStringLiteral("p1"), number(p.p1) },
        { QStringLiteral("p0_1"), number(p.p0_1) }, { QStringLiteral("min"), number(d.min) } };
}

} // namespace

VariantTableModel::VariantTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void VariantTableModel::setOriginal(std::shared_ptr<const lathe::LoadedModel> original)
{
    beginResetModel();
    m_rows.clear();
    m_evaluations = 0;
    if (original)
        m_rows.push_back({ std::move(original), nullptr, 0 });
    endResetModel();
}

void VariantTableModel::addVariant(std::shared_ptr<const lathe::LoadedModel> variant)
{
    if (!variant || m_rows.empty())
        return;
    const int row = rowCount();
    beginInsertRows({}, row, row);
    m_rows.push_back({ std::move(variant), nullptr, 0 });
    endInsertRows();
}

void VariantTableModel::setEvaluation(
    int row, std::shared_ptr<const lathe::VariantEvaluation> evaluation)
{
    if (row <= 0 || row >= rowCount())
        return;
    m_rows[static_cast<std::size_t>(row)].evaluation = std::move(evaluation);
    m_rows[static_cast<std::size_t>(row)].order = ++m_evaluations;
    // The original's row shows the latest evaluation's base numbers.
    Q_EMIT dataChanged(index(0, 0), index(0, ColumnCount - 1));
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

std::shared_ptr<const lathe::LoadedModel> VariantTableModel::modelAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)].model : nullptr;
}

std::shared_ptr<const lathe::VariantEvaluation> VariantTableModel::evaluationAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)].evaluation
                                        : nullptr;
}

int VariantTableModel::rowOf(const lathe::LoadedModel *model) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].model.get() == model)
            return static_cast<int>(i);
    return -1;
}

std::shared_ptr<const lathe::VariantEvaluation> VariantTableModel::latestEvaluation() const
{
    const Row *latest = nullptr;
    for (const Row &r : m_rows)
        if (r.evaluation && (!latest || r.order > latest->order))
            latest = &r;
    return latest ? latest->evaluation : nullptr;
}

double VariantTableModel::bitsPerWeight(int row) const
{
    const auto model = modelAt(row);
    if (!model)
        return kNaN;
    if (const lathe::VariantInfo *info = model->variantInfo())
        return info->bitsPerWeight;
    const lathe::ModelSummary &s = model->summary();
    return s.parameters > 0 ? double(s.bytes) * 8.0 / double(s.parameters) : kNaN;
}

double VariantTableModel::megabytes(int row) const
{
    const auto model = modelAt(row);
    if (!model)
        return kNaN;
    if (const lathe::VariantInfo *info = model->variantInfo())
        return double(info->weightBytes) / 1e6;
    return double(model->summary().bytes) / 1e6;
}

double VariantTableModel::meanKld(int row) const
{
    if (row == 0)
        return latestEvaluation() ? 0.0 : kNaN;
    const auto e = evaluationAt(row);
    return e ? e->comparison.kld.mean : kNaN;
}

double VariantTableModel::perplexity(int row) const
{
    if (row == 0) {
        const auto latest = latestEvaluation();
        return latest ? latest->comparison.pplBase : kNaN;
    }
    const auto e = evaluationAt(row);
    return e ? e->comparison.pplOther : kNaN;
}

QVariant VariantTableModel::value(int row, int column) const
{
    const auto model = modelAt(row);
    if (!model)
        return {};
    const lathe::VariantInfo *info = model->variantInfo();
    const bool original = row == 0;
    const auto e = original ? latestEvaluation() : evaluationAt(row);
    switch (column) {
    case NameColumn:
        return QString::fromStdString(model->displayName());
    case MethodColumn:
        return info ? QString::fromStdString(info->method) : tr("original");
    case FormatColumn:
        return info ? QString::fromStdString(info->format) : mainDtype(model->summary());
    case BitsColumn:
        return bitsPerWeight(row);
    case SizeColumn:
        return megabytes(row);
    case PplBaseColumn:
        return e ? e->comparison.pplBase : kNaN;
    case PplVariantColumn:
        return perplexity(row);
    case KldColumn:
        return meanKld(row);
    case SameTopColumn:
        return !e ? kNaN : (original ? 100.0 : e->comparison.sameTop);
    case DecodeColumn:
        return !e ? kNaN : (original ? e->baseDecodeTokensPerSecond : e->decodeTokensPerSecond);
    default:
        break;
    }
    return {};
}

int VariantTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int VariantTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant VariantTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const int column = index.column();
    const QVariant v = value(index.row(), column);
    if (role == SortRole) {
        // Unevaluated rows sort after every number.
        if (v.typeId() == QMetaType::Double && std::isnan(v.toDouble()))
            return std::numeric_limits<double>::infinity();
        return v;
    }
    if (role == Qt::DisplayRole) {
        if (v.typeId() != QMetaType::Double)
            return v;
        const double d = v.toDouble();
        if (std::isnan(d))
            return QStringLiteral("—");
        switch (column) {
        case BitsColumn:
        case DecodeColumn:
        case SameTopColumn:
            return QLocale().toString(d, 'f', column == DecodeColumn ? 0 : 2);
        case SizeColumn:
            return QLocale().toString(d, 'f', 2);
        case PplBaseColumn:
        case PplVariantColumn:
            return QLocale().toString(d, 'f', 3);
        case KldColumn:
            return d == 0.0 || std::fabs(d) >= 0.01 ? QLocale().toString(d, 'f', 4)
                                                    : QLocale().toString(d, 'g', 3);
        default:
            break;
        }
        return QLocale().toString(d);
    }
    if (role == Qt::TextAlignmentRole && column >= BitsColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && column == KldColumn && index.row() > 0) {
        if (const auto e = evaluationAt(index.row()))
            return tr("Mean KL divergence %1 ± %2 nats over %3 tokens; 99th percentile %4, "
                      "max %5")
                .arg(QLocale().toString(e->comparison.kld.mean, 'g', 4),
                    QLocale().toString(e->comparison.kld.standardError, 'g', 2),
                    QLocale().toString(qlonglong(e->comparison.scoredTokens)),
                    QLocale().toString(e->comparison.kld.percentiles.p99, 'g', 4),
                    QLocale().toString(e->comparison.kld.max, 'g', 4));
    }
    return {};
}

QVariant VariantTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Name");
        case MethodColumn:
            return tr("Method");
        case FormatColumn:
            return tr("Format");
        case BitsColumn:
            return tr("Bits/weight");
        case SizeColumn:
            return tr("MB");
        case PplBaseColumn:
            return tr("PPL original");
        case PplVariantColumn:
            return tr("PPL variant");
        case KldColumn:
            return tr("Mean KLD");
        case SameTopColumn:
            return tr("Same top %");
        case DecodeColumn:
            return tr("Decode tok/s");
        default:
            break;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case SizeColumn:
            return tr("Weights as held in memory, megabytes (10^6 bytes)");
        case PplBaseColumn:
            return tr("Perplexity of the original on the evaluation windows (lower is better)");
        case PplVariantColumn:
            return tr("Perplexity of the variant on the same windows");
        case KldColumn:
            return tr("How far the variant's next-token probabilities are from the original's, "
                      "averaged over every scored token, in nats (0 = identical)");
        case SameTopColumn:
            return tr("Percent of positions where both models rank the same token first");
        case DecodeColumn:
            return tr("Greedy decode speed, one token at a time, after a 128-token prompt");
        default:
            break;
        }
    }
    return {};
}

QString VariantTableModel::csv() const
{
    QString out = QStringLiteral("name,method,format,bits_per_weight,megabytes,ppl_original,"
                                 "ppl_variant,kld_mean,same_top,decode_tokens_per_second\n");
    for (int row = 0; row < rowCount(); ++row) {
        QStringList fields;
        for (int c = 0; c < ColumnCount; ++c) {
            const QVariant v = value(row, c);
            if (v.typeId() == QMetaType::Double)
                fields << (std::isnan(v.toDouble()) ? QString()
                                                    : ChartPanel::csvNumber(v.toDouble()));
            else
                fields << ChartPanel::csvField(v.toString());
        }
        out += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return out;
}

QString VariantTableModel::json() const
{
    QJsonObject root;
    QJsonArray variants;
    for (int row = 0; row < rowCount(); ++row) {
        const auto model = modelAt(row);
        QJsonObject o;
        o[QStringLiteral("name")] = QString::fromStdString(model->displayName());
        o[QStringLiteral("bits_per_weight")] = number(bitsPerWeight(row));
        o[QStringLiteral("megabytes")] = number(megabytes(row));
        if (row == 0) {
            o[QStringLiteral("path")] = QString::fromStdString(model->path());
            o[QStringLiteral("parameters")] = double(model->summary().parameters);
            root[QStringLiteral("original")] = o;
            continue;
        }
        if (const lathe::VariantInfo *info = model->variantInfo()) {
            o[QStringLiteral("method")] = QString::fromStdString(info->method);
            o[QStringLiteral("format")] = QString::fromStdString(info->format);
            o[QStringLiteral("quantize_seconds")] = info->seconds;
            o[QStringLiteral("recipe")] = QString::fromStdString(info->recipeYaml);
        }
        if (const auto e = evaluationAt(row)) {
            const lathe::ComparisonResult &c = e->comparison;
            o[QStringLiteral("ppl_base")] = number(c.pplBase);
            o[QStringLiteral("ppl_variant")] = number(c.pplOther);
            o[QStringLiteral("ln_ppl_ratio")] = number(c.lnPplRatio);
            o[QStringLiteral("ln_ppl_ratio_stderr")] = number(c.lnPplRatioStderr);
            o[QStringLiteral("nll_correlation")] = number(c.nllCorrelation);
            o[QStringLiteral("kld")] = distribution(c.kld);
            o[QStringLiteral("delta_p")] = distribution(c.deltaP);
            o[QStringLiteral("same_top")] = number(c.sameTop);
            o[QStringLiteral("same_top_stderr")] = number(c.sameTopStderr);
            o[QStringLiteral("scored_tokens")] = double(c.scoredTokens);
            o[QStringLiteral("windows")] = double(c.windows);
            o[QStringLiteral("weight_bytes")] = double(e->weightBytes);
            o[QStringLiteral("prefill_tokens_per_second")] = number(e->prefillTokensPerSecond);
            o[QStringLiteral("decode_tokens_per_second")] = number(e->decodeTokensPerSecond);
            o[QStringLiteral("original_decode_tokens_per_second")]
                = number(e->baseDecodeTokensPerSecond);
            o[QStringLiteral("resident_bytes")] = double(e->residentBytes);
        }
        variants.append(o);
    }
    root[QStringLiteral("variants")] = variants;
    return QString::fromUtf8(QJsonDocument(root).toJson(QJsonDocument::Indented));
}

} // namespace lathe::ui
