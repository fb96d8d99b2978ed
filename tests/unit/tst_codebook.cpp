// SPDX-License-Identifier: GPL-3.0-or-later
// The codebook formats: NF4 and E4M3 tables, round-to-nearest onto them (every code the
// nearest level, halfway to the lower), packing (ragged groups, padding, decoded values),
// NF4 double quantization of the scales, storage counted as WeightFormat predicts, caller-
// chosen scales, and bad formats.
#include "quant/codebook.h"
#include "quant/packedmatrix.h"
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>

using namespace lathe;

namespace {

WeightFormat nf4(int group = 64, bool doubleQuant = false)
{
    WeightFormat f;
    f.scheme = WeightScheme::Nf4;
    f.bits = 4;
    f.groupSize = group;
    f.doubleQuant = doubleQuant;
    return f;
}

WeightFormat fp8(int group = 0)
{
    WeightFormat f;
    f.scheme = WeightScheme::Fp8E4M3;
    f.bits = 8;
    f.groupSize = group;
    return f;
}

// |v - level[code]| is the least over all levels (the NaN codes left out).
void expectNearest(const PackedMatrix &m, const at::Tensor &w)
{
    const std::vector<float> &levels = m.codebook;
    for (std::int64_t r = 0; r < m.rows; ++r)
        for (std::int64_t c = 0; c < m.cols; ++c) {
            const float scale = m.scales[std::size_t(r * m.groupsPerRow + c / m.group)];
            if (scale == 0.0f)
                continue;
            const float top = levels.size() == 16 ? 1.0f : 448.0f;
            const float v = std::clamp(w[r][c].item<float>() / scale, -top, top);
            const float chosen = std::abs(v - levels[m.code(r, c)]);
            for (std::size_t k = 0; k < levels.size(); ++k) {
                if (levels.size() == 256 && (k & 0x7f) == 0x7f)
                    continue;
                QVERIFY2(chosen <= std::abs(v - levels[k]) * (1 + 1e-6f) + 1e-12f,
                    qPrintable(QString("value %1: code %2 (%3) but level %4 (%5) is nearer")
                                   .arg(v)
                                   .arg(m.code(r, c))
                                   .arg(levels[m.code(r, c)])
                                   .arg(k)
                                   .arg(levels[k])));
            }
        }
}

} // namespace

class TestCodebook : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void nf4Table()
    {
        const std::vector<float> &v = codebookValues(nf4());
        QCOMPARE(v.size(), std::size_t(16));
        QCOMPARE(v.front(), -1.0f);
        QCOMPARE(v.back(), 1.0f);
        QCOMPARE(v[7], 0.0f);
        for (std::size_t i = 1; i < v.size(); ++i)
            QVERIFY(v[i - 1] < v[i]);
        QCOMPARE(codebookMax(nf4()), 1.0f);
    }

    void e4m3Table()
    {
        const std::vector<float> &v = codebookValues(fp8());
        QCOMPARE(v.size(), std::size_t(256));
        float maxValue = 0.0f, minPositive = 1e9f;
        for (std::size_t i = 0; i < v.size(); ++i) {
            QVERIFY(std::isfinite(v[i]));
            maxValue = std::max(maxValue, std::abs(v[i]));
            if (v[i] > 0)
                minPositive = std::min(minPositive, v[i]);
        }
        QCOMPARE(maxValue, 448.0f);
        QCOMPARE(v[0x7e], 448.0f);
        QCOMPARE(v[0xfe], -448.0f);
        QCOMPARE(minPositive, std::ldexp(1.0f, -9));
        QCOMPARE(v[0x01], std::ldexp(1.0f, -9));
        QCOMPARE(v[0x08], std::ldexp(1.0f, -6)); // smallest normal
        QCOMPARE(v[0x38], 1.0f);                 // exponent 7 = bias
        QCOMPARE(v[0x39], 1.125f);
        QCOMPARE(v[0xb8], -1.0f);
        QCOMPARE(v[0x7f], 0.0f); // NaN codes decode 0
        QCOMPARE(v[0xff], 0.0f);
        QCOMPARE(v[0x00], 0.0f);
        QCOMPARE(codebookMax(fp8()), 448.0f);
    }

    void roundsToNearest_data()
    {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<int>("group");
        QTest::newRow("nf4-g64") << int(WeightScheme::Nf4) << 64;
        QTest::newRow("nf4-g32") << int(WeightScheme::Nf4) << 32;
        QTest::newRow("nf4-per-channel") << int(WeightScheme::Nf4) << 0;
        QTest::newRow("fp8-per-channel") << int(WeightScheme::Fp8E4M3) << 0;
        QTest::newRow("fp8-g64") << int(WeightScheme::Fp8E4M3) << 64;
    }

    void roundsToNearest()
    {
        QFETCH(int, scheme);
        QFETCH(int, group);
        const WeightFormat f = scheme == int(WeightScheme::Nf4) ? nf4(group) : fp8(group);
        at::manual_seed(1);
        at::Tensor w = 0.1 * at::randn({ 6, 172 });
        w[1].zero_(); // an all-zero row: scale 0, every code decodes 0
        const PackedMatrix m = packCodebook(w, f);
        QCOMPARE(m.cols, std::int64_t(172));
        QCOMPARE(m.codebook, codebookValues(f));
        expectNearest(m, w);
        // Scales as documented: absmax per group (NF4), absmax / 448 (FP8).
        const float top = codebookMax(f);
        for (std::int64_t r = 0; r < m.rows; ++r)
            for (std::int64_t g = 0; g < m.groupsPerRow; ++g) {
                const at::Tensor part
                    = w[r].slice(0, g * m.group, std::min<std::int64_t>(172, (g + 1) * m.group));
                const float expected = part.abs().max().item<float>() / top;
                QVERIFY(std::abs(m.scales[std::size_t(r * m.groupsPerRow + g)] - expected)
                    <= 1e-6f * expected);
            }
        const at::Tensor dq = m.dequantize();
        QVERIFY(dq[1].eq(0).all().item<bool>());
        for (std::int64_t r = 0; r < m.rows; ++r)
            for (std::int64_t c = 0; c < m.cols; c += 7)
                QCOMPARE(dq[r][c].item<float>(),
                    m.codebook[m.code(r, c)] * m.scales[std::size_t(r * m.groupsPerRow + c / m.group)]);
        // fakeQuantize is the same thing; NF4 keeps each group's absmax exactly.
        QVERIFY(at::equal(fakeQuantize(w, f), dq));
        if (f.scheme == WeightScheme::Nf4)
            QCOMPARE(dq.abs().max().item<float>(), w.abs().max().item<float>());
    }

    void halfwayTakesLower()
    {
        const std::vector<float> &l = codebookValues(nf4());
        // Scale 1 (absmax 1): the values themselves are what is rounded.
        const float up = 0.5f * (l[8] + l[9]);
        const float down = 0.5f * (l[1] + l[2]);
        const at::Tensor w = at::tensor({ 1.0f, up, down, 0.0f, l[12], -1.0f, 0.01f, -0.01f })
                                 .view({ 1, 8 });
        const PackedMatrix m = packCodebook(w, nf4(8));
        QCOMPARE(int(m.code(0, 0)), 15);
        QCOMPARE(int(m.code(0, 1)), 8);
        QCOMPARE(int(m.code(0, 2)), 1);
        QCOMPARE(int(m.code(0, 3)), 7);
        QCOMPARE(int(m.code(0, 4)), 12);
        QCOMPARE(int(m.code(0, 5)), 0);
        QCOMPARE(int(m.code(0, 6)), 7);
        QCOMPARE(int(m.code(0, 7)), 7);

        // FP8 with absmax 448: scale 1. 1.0625 lies halfway between 1 and 1.125.
        const at::Tensor f = at::tensor({ 448.0f, 1.0625f, -1.0625f, 3.0f, 0.0f })
                                 .view({ 1, 5 });
        const PackedMatrix p = packCodebook(f, fp8());
        QCOMPARE(int(p.code(0, 0)), 0x7e);
        QCOMPARE(int(p.code(0, 1)), 0x38);
        QCOMPARE(int(p.code(0, 2)), 0xb9); // -1.125 is the lower value
        QCOMPARE(p.codebook[p.code(0, 3)], 3.0f);
        QCOMPARE(int(p.code(0, 4)), 0x00);
        // Values on the grid come back exactly.
        const at::Tensor exact = at::tensor({ 448.0f, -0.5f, 0.0078125f, 240.0f, -13.0f })
                                     .view({ 1, 5 });
        QVERIFY(at::equal(packCodebook(exact, fp8()).dequantize(), exact));
    }

    void raggedPadding()
    {
        at::manual_seed(2);
        const at::Tensor w = at::randn({ 3, 172 });
        const PackedMatrix m = packCodebook(w, nf4(64));
        QCOMPARE(m.groupsPerRow, std::int64_t(3));
        QCOMPARE(m.group, std::int64_t(64));
        QCOMPARE(m.rowBytes, std::int64_t(3 * 64 / 2));
        for (std::int64_t r = 0; r < 3; ++r)
            for (std::int64_t j = 172 % 64; j < 64; ++j) {
                const std::int64_t index = 2 * m.groupStride + j;
                const int code = (m.codes[std::size_t(r * m.rowBytes + index / 2)] >> (4 * (index % 2))) & 15;
                QCOMPARE(code, 7); // NF4's exact zero
            }
        QCOMPARE(int(m.zeros[0]), 7);
        QCOMPARE(int(packCodebook(w, fp8()).zeros[0]), 0);
    }

    void doubleQuantization()
    {
        at::manual_seed(3);
        // Rows of different magnitude so the scales spread; 300 groups span two blocks of 256.
        const at::Tensor w = at::randn({ 50, 384 }) * at::linspace(0.01, 1.0, 50).unsqueeze(1);
        const PackedMatrix plain = packCodebook(w, nf4(64));
        const PackedMatrix dq = packCodebook(w, nf4(64, true));
        const std::size_t n = 50 * 6;
        QCOMPARE(dq.scaleCodes.size(), n);
        QCOMPARE(dq.scaleBlockScales.size(), std::size_t(2));
        QCOMPARE(dq.storageBytes(), dq.codes.size() + n + 2 * sizeof(float) + sizeof(float));
        QVERIFY(dq.storageBytes() < plain.storageBytes());
        float spread = 0.0f;
        for (float s : plain.scales)
            spread = std::max(spread, s);
        for (std::size_t i = 0; i < n; ++i) {
            // Stored as documented: (u8 - 128) * block scale + mean.
            const float decoded = float(int(dq.scaleCodes[i]) - 128) * dq.scaleBlockScales[i / 256]
                + dq.scaleMean;
            QVERIFY(std::abs(decoded - dq.scales[i]) <= 1e-6f * spread);
            // Within half a step of the block's int8 grid of the original scale.
            QVERIFY(std::abs(dq.scales[i] - plain.scales[i])
                <= 0.5f * dq.scaleBlockScales[i / 256] * 1.001f);
        }
        // Codes chosen against the decoded scales: still the nearest level.
        expectNearest(dq, w);
        const double errPlain = (w - plain.dequantize()).square().sum().item<double>();
        const double errDq = (w - dq.dequantize()).square().sum().item<double>();
        QVERIFY(errDq < 1.1 * errPlain);
    }

    void bitsPerWeightAsPredicted()
    {
        at::manual_seed(4);
        for (const std::int64_t cols : { 128, 172, 64 }) {
            const at::Tensor w = at::randn({ 8, cols });
            for (const WeightFormat &f : { nf4(64), nf4(128), nf4(0), fp8(0), fp8(32) }) {
                const PackedMatrix m = packCodebook(w, f);
                QCOMPARE(m.bitsPerWeight(), f.bitsPerWeight(cols));
            }
            // Double quantization: the per-row formula spreads the block scales evenly, the
            // matrix stores whole ones and the mean: at most two f32 more.
            const PackedMatrix m = packCodebook(w, nf4(64, true));
            const double predicted = nf4(64, true).bitsPerWeight(cols) * double(8 * cols) / 8.0;
            QVERIFY(double(m.storageBytes()) - predicted >= 0.0);
            QVERIFY(double(m.storageBytes()) - predicted <= 8.0);
        }
        QVERIFY(std::abs(nf4(64).bitsPerWeight(4096) - 4.5) < 1e-9);
        QVERIFY(std::abs(nf4(64, true).bitsPerWeight(4096) - (4.0 + 8.0 * (1 + 4.0 / 256) / 64))
            < 1e-9);
    }

    void callerScales()
    {
        at::manual_seed(5);
        const at::Tensor w = at::randn({ 4, 96 });
        const PackedMatrix rtn = packCodebook(w, nf4(32));
        const at::Tensor scales = at::tensor(rtn.scales).view({ 4, 3 });
        // The absmax scales reproduce packCodebook.
        const PackedMatrix same = packCodebookWithScales(w, nf4(32), scales);
        QVERIFY(same.codes == rtn.codes);
        // Halved scales: values beyond them round onto the ends of the grid.
        const PackedMatrix half = packCodebookWithScales(w, nf4(32), scales * 0.5);
        const at::Tensor dq = half.dequantize();
        for (std::int64_t r = 0; r < 4; ++r)
            for (std::int64_t c = 0; c < 96; ++c) {
                const float s = half.scales[std::size_t(r * 3 + c / 32)];
                QVERIFY(std::abs(dq[r][c].item<float>()) <= s * 1.000001f);
            }
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, packCodebookWithScales(w, nf4(32), at::ones({ 4, 2 })));
    }

    void nearestCodes()
    {
        const std::vector<float> &l = codebookValues(nf4());
        const at::Tensor v = at::tensor(l).view({ 4, 4 });
        const at::Tensor codes = nearestCodebookCodes(v, nf4());
        QCOMPARE(codes.sizes().vec(), std::vector<std::int64_t>({ 4, 4 }));
        QVERIFY(at::equal(codes.reshape({ -1 }), at::arange(16, at::kLong)));
    }

    void importanceErrorForCodebooks()
    {
        at::manual_seed(6);
        const at::Tensor w = at::randn({ 8, 64 });
        const std::vector<double> ones(64, 1.0);
        const double expected = (w - fakeQuantize(w, nf4(32))).square().sum().item<double>() / 8;
        QVERIFY(std::abs(importanceWeightedError(w, nf4(32), ones) - expected) < 1e-6 * expected);
    }

    void badFormats()
    {
        const at::Tensor w = at::randn({ 2, 8 });
        WeightFormat integer;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, codebookValues(integer));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, packCodebook(w, integer));
        WeightFormat fp8Wrong = fp8();
        fp8Wrong.bits = 4;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, packCodebook(w, fp8Wrong));
        WeightFormat fp8Dq = fp8();
        fp8Dq.doubleQuant = true;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, packCodebook(w, fp8Dq));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, packCodebook(at::randn({ 2, 2, 2 }), nf4()));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, packCodebook(w.to(at::kDouble), nf4()));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, packCodebook(at::zeros({ 0, 8 }), nf4()));
    }
};

QTEST_GUILESS_MAIN(TestCodebook)
#include "tst_codebook.moc"
