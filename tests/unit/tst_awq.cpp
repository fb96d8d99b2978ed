// SPDX-License-Identifier: GPL-3.0-or-later
// AWQ and SmoothQuant scales: AWQ's search returns positive scales that never raise the
// output error above round-to-nearest (equal to it at alpha 0), in integer and codebook
// formats; its reported errors match a direct computation; the clipping search never raises
// the error it measures; SmoothQuant's formula on a hand-worked case; bad inputs.
#include "quant/awq.h"
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>

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

WeightFormat nf4()
{
    WeightFormat f;
    f.scheme = WeightScheme::Nf4;
    f.groupSize = 64;
    return f;
}

// Inputs with a handful of outlier channels (10-30x the others), what AWQ is built for.
at::Tensor outlierInputs(std::int64_t tokens, std::int64_t features, std::uint64_t seed)
{
    at::manual_seed(seed);
    at::Tensor scale = at::ones({ features });
    for (std::int64_t j = 3; j < features; j += 37)
        scale[j] = 10.0 + double(j % 20);
    return at::randn({ tokens, features }) * scale;
}

// Mean squared output error of the weights quantized with scales s.
double errorWith(const std::vector<at::Tensor> &weights, const at::Tensor &x,
    const WeightFormat &f, const at::Tensor &s)
{
    double sum = 0.0;
    double count = 0.0;
    for (const at::Tensor &w : weights) {
        const at::Tensor q = fakeQuantize(w * s, f) / s;
        const at::Tensor d = x.mm(w.t()) - (x / s).mm((q * s).t());
        sum += d.square().sum().item<double>();
        count += double(d.numel());
    }
    return sum / count;
}

} // namespace

class TestAwq : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void searchLowersError_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("symmetric");
        QTest::addColumn<bool>("codebook");
        QTest::newRow("int4-g32") << 4 << 32 << true << false;
        QTest::newRow("int3-g64-asym") << 3 << 64 << false << false;
        QTest::newRow("int4-per-channel") << 4 << 0 << true << false;
        QTest::newRow("nf4") << 4 << 64 << true << true;
    }

    void searchLowersError()
    {
        QFETCH(int, bits);
        QFETCH(int, group);
        QFETCH(bool, symmetric);
        QFETCH(bool, codebook);
        const WeightFormat f = codebook ? nf4() : fmt(bits, group, symmetric);
        const at::Tensor x = outlierInputs(300, 172, 1);
        at::manual_seed(2);
        // Three modules reading one input, as q/k/v do.
        const std::vector<at::Tensor> weights
            = { 0.2 * at::randn({ 32, 172 }), 0.2 * at::randn({ 16, 172 }), 0.2 * at::randn({ 16, 172 }) };
        const AwqResult r = awqSearchScales(weights, x, f);
        QCOMPARE(r.scales.sizes().vec(), std::vector<std::int64_t>({ 172 }));
        QCOMPARE(r.scales.scalar_type(), at::kFloat);
        QVERIFY(r.scales.gt(0).all().item<bool>());
        QVERIFY(at::isfinite(r.scales).all().item<bool>());
        QVERIFY(r.alpha >= 0.0 && r.alpha < 1.0);
        QVERIFY(r.errorAfter <= r.errorBefore);
        // With outlier channels the search finds something better than round-to-nearest.
        QVERIFY2(r.errorAfter < 0.9 * r.errorBefore,
            qPrintable(QString("before %1 after %2").arg(r.errorBefore).arg(r.errorAfter)));
        qInfo("%s: alpha %.2f, AWQ / RTN output error %.3f", QTest::currentDataTag(), r.alpha,
            r.errorAfter / r.errorBefore);
        // The reported errors are what the scales give, measured directly.
        const double before = errorWith(weights, x, f, at::ones({ 172 }));
        const double after = errorWith(weights, x, f, r.scales);
        QVERIFY(std::abs(before - r.errorBefore) <= 1e-4 * before);
        QVERIFY(std::abs(after - r.errorAfter) <= 1e-4 * after);
        // Normalised: max * min = 1.
        const double product = r.scales.max().item<double>() * r.scales.min().item<double>();
        QVERIFY(r.alpha == 0.0 || std::abs(product - 1.0) < 1e-4);
    }

    void alphaZeroIsRoundToNearest()
    {
        const at::Tensor x = outlierInputs(100, 64, 3);
        at::manual_seed(4);
        const at::Tensor w = 0.2 * at::randn({ 8, 64 });
        AwqOptions options;
        options.gridPoints = 1; // alpha 0 only
        const AwqResult r = awqSearchScales({ w }, x, fmt(4, 32, true), options);
        QCOMPARE(r.alpha, 0.0);
        QVERIFY(r.scales.eq(1).all().item<bool>());
        QCOMPARE(r.errorAfter, r.errorBefore);
        const at::Tensor d = x.mm(w.t()) - x.mm(fakeQuantizeRtn(w, fmt(4, 32, true)).t());
        const double rtn = d.square().mean().item<double>();
        QVERIFY(std::abs(r.errorBefore - rtn) <= 1e-5 * rtn);
    }

    void deadChannelsAndSubsampling()
    {
        at::Tensor x = outlierInputs(5000, 48, 5);
        x.select(1, 10).zero_();
        at::manual_seed(6);
        const at::Tensor w = 0.2 * at::randn({ 8, 48 });
        AwqOptions options;
        options.maxRows = 256;
        const AwqResult r = awqSearchScales({ w }, x, fmt(3, 16, false), options);
        QVERIFY(r.scales.gt(0).all().item<bool>());
        QVERIFY(at::isfinite(r.scales).all().item<bool>());
        QVERIFY(r.errorAfter <= r.errorBefore);
    }

    void clipNeverRaisesError_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("symmetric");
        QTest::addColumn<bool>("codebook");
        QTest::newRow("int4-per-channel") << 4 << 0 << true << false;
        QTest::newRow("int3-per-channel-asym") << 3 << 0 << false << false;
        QTest::newRow("int4-g32") << 4 << 32 << true << false;
        QTest::newRow("int3-g64-asym") << 3 << 64 << false << false;
        QTest::newRow("nf4") << 4 << 64 << true << true;
    }

    void clipNeverRaisesError()
    {
        QFETCH(int, bits);
        QFETCH(int, group);
        QFETCH(bool, symmetric);
        QFETCH(bool, codebook);
        const WeightFormat f = codebook ? nf4() : fmt(bits, group, symmetric);
        const at::Tensor x = outlierInputs(400, 172, 7);
        at::manual_seed(8);
        // Heavy-tailed weights, where clipping pays.
        const at::Tensor w = 0.1 * at::randn({ 40, 172 }) * at::exp(0.7 * at::randn({ 40, 172 }));
        const at::Tensor c = awqClipWeight(w, x, f);
        QCOMPARE(c.sizes(), w.sizes());
        // Clipping only: each value keeps its sign and never grows.
        QVERIFY((c.abs() <= w.abs()).all().item<bool>());
        QVERIFY((c * w >= 0).all().item<bool>());
        const at::Tensor ref = x.mm(w.t());
        const at::Tensor rtnErr = (ref - x.mm(fakeQuantize(w, f).t())).square();
        const at::Tensor clipErr = (ref - x.mm(fakeQuantize(c, f).t())).square();
        if (group == 0) {
            // One group per row: the search measures each row's whole output error.
            const at::Tensor perRowRtn = rtnErr.sum(0);
            const at::Tensor perRowClip = clipErr.sum(0);
            QVERIFY((perRowClip <= perRowRtn * (1 + 1e-5)).all().item<bool>());
        }
        const double before = rtnErr.sum().item<double>();
        const double after = clipErr.sum().item<double>();
        qInfo("%s: clipped / RTN output error %.3f", QTest::currentDataTag(), after / before);
        QVERIFY(after <= before * (1 + 1e-5));
    }

    void smoothQuantFormula()
    {
        // Two weights reading 3 channels: max |W_ij| over both = [2, 8, 1].
        const at::Tensor w1 = at::tensor({ 1.0f, -4.0f, 0.5f, 2.0f, 0.5f, -1.0f }).view({ 2, 3 });
        const at::Tensor w2 = at::tensor({ -0.5f, 8.0f, 0.25f }).view({ 1, 3 });
        const at::Tensor absmax = at::tensor({ 4.0f, 2.0f, 9.0f });
        const at::Tensor s = smoothQuantScales({ w1, w2 }, absmax, 0.5);
        QCOMPARE(s.scalar_type(), at::kFloat);
        QVERIFY(std::abs(s[0].item<double>() - 2.0 / std::sqrt(2.0)) < 1e-6);
        QVERIFY(std::abs(s[1].item<double>() - std::sqrt(2.0) / std::sqrt(8.0)) < 1e-6);
        QVERIFY(std::abs(s[2].item<double>() - 3.0) < 1e-6);
        // alpha 1: all on the input side; alpha 0: 1 / max |W|.
        const at::Tensor s1 = smoothQuantScales({ w1, w2 }, absmax, 1.0);
        QVERIFY(at::allclose(s1, absmax));
        const at::Tensor s0 = smoothQuantScales({ w1, w2 }, absmax, 0.0);
        QVERIFY(at::allclose(s0, at::tensor({ 0.5f, 0.125f, 1.0f })));
        // alpha 0.8, by hand: 4^0.8 / 2^0.2.
        const at::Tensor s8 = smoothQuantScales({ w1, w2 }, absmax, 0.8);
        QVERIFY(std::abs(s8[0].item<double>() - std::pow(4.0, 0.8) / std::pow(2.0, 0.2)) < 1e-5);
        // A dead input channel and a dead weight column land on the clamp.
        const at::Tensor dead = smoothQuantScales(
            { at::tensor({ 1.0f, 0.0f }).view({ 1, 2 }) }, at::tensor({ 0.0f, 3.0f }), 0.5);
        QCOMPARE(dead[0].item<float>(), 1e-5f);
        QCOMPARE(dead[1].item<float>(), 1e5f);
        // Migrating: x / s times W s computes the same product.
        at::manual_seed(9);
        const at::Tensor x = at::randn({ 5, 3 }) * absmax;
        QVERIFY(at::allclose(x.mm(w1.t()), (x / s).mm((w1 * s).t()), 1e-5, 1e-5));
    }

    void badInputs()
    {
        const at::Tensor x = at::randn({ 10, 16 });
        const at::Tensor w = at::randn({ 4, 16 });
        const WeightFormat f = fmt(4, 8, true);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, awqSearchScales({ at::randn({ 4, 15 }) }, x, f));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, awqSearchScales({}, x, f));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, awqSearchScales({ w }, at::randn({ 10 }), f));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, awqSearchScales({ w }, x, fmt(9, 8, true)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, awqClipWeight(w, at::randn({ 10, 8 }), f));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, awqClipWeight(w, x, fmt(1, 8, true)));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, smoothQuantScales({ w }, at::ones({ 15 }), 0.5));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, smoothQuantScales({ w }, at::ones({ 16 }), 1.5));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, smoothQuantScales({}, at::ones({ 16 }), 0.5));
    }
};

QTEST_GUILESS_MAIN(TestAwq)
#include "tst_awq.moc"
