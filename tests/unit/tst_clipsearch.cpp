// SPDX-License-Identifier: GPL-3.0-or-later
// Clip search: the same layout as round-to-nearest and never a larger (importance-weighted)
// error, in every scheme, on ragged rows; a clear gain at low bits; importance moves the error
// toward the columns that matter less; no search is round-to-nearest; bad options.
#include "quant/clipsearch.h"
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

WeightFormat fmt(int bits, int group, bool symmetric)
{
    WeightFormat f;
    f.bits = bits;
    f.groupSize = group;
    f.symmetric = symmetric;
    return f;
}

WeightFormat codebookFormat(WeightScheme scheme, int group, bool doubleQuant = false)
{
    WeightFormat f;
    f.scheme = scheme;
    f.bits = scheme == WeightScheme::Nf4 ? 4 : 8;
    f.groupSize = group;
    f.doubleQuant = doubleQuant;
    return f;
}

// sum_ij importance_j (W - Q)_ij^2 over the columns selected by `mask` (all when undefined).
double weighted(const at::Tensor &w, const at::Tensor &q, const std::vector<double> &importance,
    const at::Tensor &mask = {})
{
    at::Tensor imp = importance.empty()
        ? at::ones({ w.size(1) }, at::kDouble)
        : at::tensor(at::ArrayRef<double>(importance), at::kDouble);
    if (mask.defined())
        imp = imp * mask.to(at::kDouble);
    return ((w - q).to(at::kDouble).square() * imp).sum().item<double>();
}

at::Tensor heavyTailed(std::int64_t rows, std::int64_t cols, std::uint64_t seed)
{
    at::manual_seed(seed);
    return 0.05 * at::randn({ rows, cols }) * at::exp(0.5 * at::randn({ rows, cols }));
}

} // namespace

class TestClipSearch : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void neverWorse_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("withImportance");
        for (const char *name : { "int4-g32", "int4-g32-asym", "int3-g64", "int3-g64-asym",
                 "int8", "int2-g16-asym", "int4", "nf4", "nf4-dq", "fp8-e4m3", "fp8-e4m3-g64" })
            for (const bool imp : { false, true })
                QTest::newRow(qPrintable(QString(name) + (imp ? "-importance" : "")))
                    << QString(name) << imp;
    }

    void neverWorse()
    {
        QFETCH(QString, name);
        QFETCH(bool, withImportance);
        const WeightFormat f = parseWeightFormat(name.toStdString());
        const at::Tensor w = heavyTailed(24, 172, 1);
        ClipSearchOptions options;
        if (withImportance) {
            at::manual_seed(2);
            const at::Tensor imp = at::exp(2.0 * at::randn({ 172 }, at::kDouble)).contiguous();
            options.importance.assign(imp.data_ptr<double>(), imp.data_ptr<double>() + 172);
        }
        const PackedMatrix base = packWeight(w, f);
        const PackedMatrix searched = packWeightClipSearch(w, f, options);
        QCOMPARE(searched.format, f);
        QCOMPARE(searched.rows, base.rows);
        QCOMPARE(searched.cols, base.cols);
        QCOMPARE(searched.groupsPerRow, base.groupsPerRow);
        QCOMPARE(searched.rowBytes, base.rowBytes);
        QCOMPARE(searched.codebook, base.codebook);
        QCOMPARE(searched.bitsPerWeight(), base.bitsPerWeight());
        const double before = weighted(w, base.dequantize(), options.importance);
        const double after = weighted(w, searched.dequantize(), options.importance);
        qInfo("%s: clip search / RTN error %.3f", QTest::currentDataTag(), after / before);
        QVERIFY2(after <= before * (1 + 1e-9),
            qPrintable(QString("before %1 after %2").arg(before).arg(after)));
        // Scales only shrink (or stay).
        for (std::size_t i = 0; i < base.scales.size(); ++i)
            if (!f.doubleQuant)
                QVERIFY(searched.scales[i] <= base.scales[i] * (1 + 1e-6f));
    }

    void gainsAtLowBits()
    {
        const at::Tensor w = heavyTailed(64, 256, 3);
        for (const char *name : { "int3-g64", "int2-g32-asym", "int4", "nf4-g128" }) {
            const WeightFormat f = parseWeightFormat(name);
            const double before = weighted(w, fakeQuantize(w, f), {});
            const double after = weighted(w, packWeightClipSearch(w, f, {}).dequantize(), {});
            QVERIFY2(after < 0.95 * before,
                qPrintable(QString("%1: before %2 after %3").arg(name).arg(before).arg(after)));
        }
    }

    void importanceShiftsError()
    {
        // Every other column matters 100x more; each group holds both kinds.
        const std::int64_t cols = 128;
        const at::Tensor w = heavyTailed(64, cols, 4);
        std::vector<double> importance(cols);
        for (std::int64_t j = 0; j < cols; ++j)
            importance[std::size_t(j)] = j % 2 == 0 ? 100.0 : 1.0;
        const at::Tensor high = at::arange(cols).remainder(2).eq(0);
        const WeightFormat f = parseWeightFormat("int3-g32");
        ClipSearchOptions plain;
        ClipSearchOptions aware;
        aware.importance = importance;
        const at::Tensor qPlain = packWeightClipSearch(w, f, plain).dequantize();
        const at::Tensor qAware = packWeightClipSearch(w, f, aware).dequantize();
        // Optimising the weighted error per group can only do better on it.
        QVERIFY(weighted(w, qAware, importance) <= weighted(w, qPlain, importance) * (1 + 1e-9));
        const double highPlain = weighted(w, qPlain, {}, high);
        const double highAware = weighted(w, qAware, {}, high);
        const double lowPlain = weighted(w, qPlain, {}, high.logical_not());
        const double lowAware = weighted(w, qAware, {}, high.logical_not());
        qInfo("important columns %.4g -> %.4g, others %.4g -> %.4g", highPlain, highAware,
            lowPlain, lowAware);
        QVERIFY(highAware < highPlain);
        QVERIFY(lowAware > lowPlain);
    }

    void noSearchIsRoundToNearest()
    {
        const at::Tensor w = heavyTailed(8, 100, 5);
        for (const char *name : { "int4-g32", "int3-g64-asym", "nf4" }) {
            const WeightFormat f = parseWeightFormat(name);
            ClipSearchOptions options;
            options.steps = 0;
            const PackedMatrix a = packWeightClipSearch(w, f, options);
            const PackedMatrix b = packWeight(w, f);
            QVERIFY(a.codes == b.codes);
            QVERIFY(a.scales == b.scales);
            options.steps = 20;
            options.minRatio = 1.0;
            QVERIFY(packWeightClipSearch(w, f, options).codes == b.codes);
        }
        // A weight on the grid already (all groups hit their ends): nothing to gain.
        const at::Tensor onGrid = fakeQuantizeRtn(w, fmt(4, 20, true));
        const PackedMatrix same = packWeightClipSearch(onGrid, fmt(4, 20, true), {});
        QVERIFY(at::equal(same.dequantize(), onGrid));
    }

    void badOptions()
    {
        const at::Tensor w = at::randn({ 4, 16 });
        ClipSearchOptions options;
        options.importance.assign(15, 1.0);
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, packWeightClipSearch(w, fmt(4, 8, true), options));
        ClipSearchOptions ratio;
        ratio.minRatio = 0.0;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, packWeightClipSearch(w, fmt(4, 8, true), ratio));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, packWeightClipSearch(w, fmt(9, 8, true), {}));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, packWeightClipSearch(at::randn({ 4 }), fmt(4, 8, true), {}));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
            packWeightClipSearch(w, codebookFormat(WeightScheme::Fp8E4M3, 0), options));
    }
};

QTEST_GUILESS_MAIN(TestClipSearch)
#include "tst_clipsearch.moc"
