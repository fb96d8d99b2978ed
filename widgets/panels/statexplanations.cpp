// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/statexplanations.h"

#include <QCoreApplication>
#include <QHash>

namespace lathe::ui
{

namespace
{

struct Entry {
    const char *title;
    const char *text;
};

const QHash<QString, Entry> &entries()
{
    // QT_TRANSLATE_NOOP marks the texts for translation; tr() happens on lookup.
    static const QHash<QString, Entry> table {
        { QStringLiteral("count"),
            { QT_TRANSLATE_NOOP("Statistics", "Count"),
                QT_TRANSLATE_NOOP("Statistics", "How many numbers the tensor holds.") } },
        { QStringLiteral("mean"),
            { QT_TRANSLATE_NOOP("Statistics", "Mean"),
                QT_TRANSLATE_NOOP("Statistics",
                    "The average weight. Usually close to zero; a mean far from zero shifts "
                    "the range a symmetric quantizer has to cover.") } },
        { QStringLiteral("std"),
            { QT_TRANSLATE_NOOP("Statistics", "Standard deviation"),
                QT_TRANSLATE_NOOP("Statistics",
                    "The typical distance of a weight from the mean. Most weights lie within "
                    "a few standard deviations; that is where quantization levels are "
                    "needed.") } },
        { QStringLiteral("min"),
            { QT_TRANSLATE_NOOP("Statistics", "Minimum"),
                QT_TRANSLATE_NOOP("Statistics", "The most negative weight.") } },
        { QStringLiteral("max"),
            { QT_TRANSLATE_NOOP("Statistics", "Maximum"),
                QT_TRANSLATE_NOOP("Statistics", "The most positive weight.") } },
        { QStringLiteral("absmax"),
            { QT_TRANSLATE_NOOP("Statistics", "Absolute maximum"),
                QT_TRANSLATE_NOOP("Statistics",
                    "The largest magnitude. Symmetric quantization takes its scale from this "
                    "value: one huge weight makes the steps coarse for all the others in its "
                    "tensor, channel or group.") } },
        { QStringLiteral("kurtosis"),
            { QT_TRANSLATE_NOOP("Statistics", "Kurtosis"),
                QT_TRANSLATE_NOOP("Statistics",
                    "Excess kurtosis measures how heavy the tails are: 0 for a normal "
                    "distribution, large values when a few weights lie far out. Those few set "
                    "the quantization scale and waste levels for the rest; smaller groups or "
                    "keeping outliers apart help.") } },
        { QStringLiteral("skewness"),
            { QT_TRANSLATE_NOOP("Statistics", "Skewness"),
                QT_TRANSLATE_NOOP("Statistics",
                    "Asymmetry of the distribution: 0 when both sides mirror each other. A "
                    "skewed tensor is served better by asymmetric quantization (with a zero "
                    "point).") } },
        { QStringLiteral("zero_fraction"),
            { QT_TRANSLATE_NOOP("Statistics", "Zero fraction"),
                QT_TRANSLATE_NOOP("Statistics",
                    "The share of weights that are exactly zero: near 0 for a trained "
                    "tensor, high after pruning.") } },
        { QStringLiteral("outlier_fraction"),
            { QT_TRANSLATE_NOOP("Statistics", "Outlier fraction"),
                QT_TRANSLATE_NOOP("Statistics",
                    "The share of weights more than k standard deviations from the mean "
                    "(shaded in the histogram). A normal distribution has about 2 in a "
                    "billion beyond 6; any visible fraction marks outliers that will "
                    "dominate the quantization error.") } },
        { QStringLiteral("percentiles"),
            { QT_TRANSLATE_NOOP("Statistics", "Percentiles"),
                QT_TRANSLATE_NOOP("Statistics",
                    "pX is the value below which X % of the weights lie. Compare p0.1 and "
                    "p99.9 with the minimum and maximum: a large gap means a few extreme "
                    "weights stretch the range; clipping them is what percentile "
                    "calibration does.") } },
        { QStringLiteral("activation_absmax"),
            { QT_TRANSLATE_NOOP("Statistics", "Activation absmax"),
                QT_TRANSLATE_NOOP("Statistics",
                    "The largest input magnitude this module saw on the calibration text. "
                    "Large activations make activations hard to quantize and make the "
                    "matching weight columns matter more.") } },
        { QStringLiteral("importance"),
            { QT_TRANSLATE_NOOP("Statistics", "Importance (mean square)"),
                QT_TRANSLATE_NOOP("Statistics",
                    "The mean square of each input feature over the calibration tokens: how "
                    "much each input column of the weight contributes to the output. "
                    "Importance-aware methods (imatrix, AWQ, GPTQ) spend precision where it is "
                    "large.") } },
        { QStringLiteral("outlier_features"),
            { QT_TRANSLATE_NOOP("Statistics", "Outlier features"),
                QT_TRANSLATE_NOOP("Statistics",
                    "Input features whose magnitude exceeded the threshold (6.0, as in "
                    "LLM.int8) on the calibration text. A few such features in large models "
                    "are why 8-bit activation quantization keeps them apart.") } },
        { QStringLiteral("tokens"),
            { QT_TRANSLATE_NOOP("Statistics", "Calibration tokens"),
                QT_TRANSLATE_NOOP("Statistics",
                    "How many tokens of calibration text passed through this module.") } },
    };
    return table;
}

} // namespace

QString statisticTitle(const QString &key)
{
    const auto it = entries().constFind(key);
    return it == entries().constEnd() ? key
                                      : QCoreApplication::translate("Statistics", it->title);
}

QString statisticExplanation(const QString &key)
{
    const auto it = entries().constFind(key);
    return it == entries().constEnd() ? QString()
                                      : QCoreApplication::translate("Statistics", it->text);
}

} // namespace lathe::ui
