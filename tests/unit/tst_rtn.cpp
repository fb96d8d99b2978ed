// SPDX-License-Identifier: GPL-3.0-or-later
// Round-to-nearest fake quantization: small cases worked by hand (codes, levels, zero points),
// a ragged last group, all-zero groups, a direct element-by-element reference on random
// matrices, error falling with every added bit, the importance-weighted error and bad inputs.
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>
#include <random>
#include <set>

using namespace lathe;

namespace {

at::Tensor matrix(std::int64_t rows, std::int64_t cols, const std::vector<float> &values)
{
    return at::tensor(at::ArrayRef<float>(values), at::kFloat).view({ rows, cols }).clone();
}

at::Tensor randomMatrix(std::int64_t rows, std::int64_t cols, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> v(std::size_t(rows * cols));
    for (float &x : v)
        x = normal(rng);
    return matrix(rows, cols, v);
}

WeightFormat fmt(int bits, int group, bool symmetric)
{
    WeightFormat f;
    f.bits = bits;
    f.groupSize = group;
    f.symmetric = symmetric;
    return f;
}

void expectClose(const at::Tensor &actual, const at::Tensor &expected, double atol = 1e-6)
{
    QCOMPARE(actual.sizes().vec(), expected.sizes().vec());
    const double diff = (actual - expected).abs().max().item<double>();
    QVERIFY2(diff <= atol, qPrintable(QString("max |difference| %1").arg(diff)));
}

// Element-by-element reference of the documented formulas, one group at a time.
at::Tensor reference(const at::Tensor &w, const WeightFormat &f)
{
    const std::int64_t rows = w.size(0), cols = w.size(1);
    const std::int64_t group = f.groupSize == 0 ? cols : f.groupSize;
    at::Tensor out = at::empty_like(w);
    auto in = w.accessor<float, 2>();
    auto o = out.accessor<float, 2>();
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t start = 0; start < cols; start += group) {
            const std::int64_t end = std::min(cols, start + group);
            float lo = 0.0f, hi = 0.0f, absmax = 0.0f;
            for (std::int64_t c = start; c < end; ++c) {
                lo = std::min(lo, in[r][c]);
                hi = std::max(hi, in[r][c]);
                absmax = std::max(absmax, std::abs(in[r][c]));
            }
            for (std::int64_t c = start; c < end; ++c) {
                if (f.symmetric) {
                    const float qmax = float((1 << (f.bits - 1)) - 1);
                    const float scale = absmax / qmax;
                    const float q = scale > 0 ? std::nearbyint(in[r][c] / scale) : 0.0f;
                    o[r][c] = std::clamp(q, -qmax, qmax) * scale;
                } else {
                    const float qmax = float((1 << f.bits) - 1);
                    const float scale = (hi - lo) / qmax;
                    const float safe = scale > 0 ? scale : 1.0f;
                    const float zero = std::clamp(std::nearbyint(-lo / safe), 0.0f, qmax);
                    const float q = std::clamp(std::nearbyint(in[r][c] / safe) + zero, 0.0f, qmax);
                    o[r][c] = (q - zero) * scale;
                }
            }
        }
    }
    return out;
}

double sumSquaredError(const at::Tensor &w, const WeightFormat &f)
{
    return (w - fakeQuantizeRtn(w, f)).square().sum().item<double>();
}

} // namespace

class TestRtn : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void labels()
    {
        QCOMPARE(fmt(4, 128, true).label(), std::string("int4 g128 sym"));
        QCOMPARE(fmt(8, 0, false).label(), std::string("int8 per-channel asym"));
        QCOMPARE(fmt(2, 32, false).label(), std::string("int2 g32 asym"));
    }

    void symmetricByHand()
    {
        // 4 bits: codes -7..7; absmax 1.75 -> scale 0.25 (exact in binary).
        const at::Tensor w = matrix(1, 6, { 1.75f, -0.6f, 0.3f, 0.0f, -1.1f, 0.9f });
        // -0.6/0.25 = -2.4 -> -2; 0.3/0.25 = 1.2 -> 1; -1.1/0.25 = -4.4 -> -4; 0.9 -> 3.6 -> 4
        const at::Tensor expected = matrix(1, 6, { 1.75f, -0.5f, 0.25f, 0.0f, -1.0f, 1.0f });
        expectClose(fakeQuantizeRtn(w, fmt(4, 0, true)), expected);

        // 2 bits symmetric: codes -1, 0, 1 (three levels); absmax 2 -> scale 2.
        const at::Tensor w2 = matrix(1, 4, { 2.0f, 0.9f, -1.1f, -0.2f });
        expectClose(fakeQuantizeRtn(w2, fmt(2, 0, true)), matrix(1, 4, { 2, 0, -2, 0 }));
    }

    void perChannelScalesAreIndependent()
    {
        // Row 0 absmax 7 (scale 1), row 1 absmax 0.7 (scale 0.1).
        const at::Tensor w = matrix(2, 3, { 7.0f, 2.4f, -3.6f, 0.7f, 0.24f, -0.36f });
        const at::Tensor expected = matrix(2, 3, { 7.0f, 2.0f, -4.0f, 0.7f, 0.2f, -0.4f });
        expectClose(fakeQuantizeRtn(w, fmt(4, 0, true)), expected);
        // A group as wide as the row is per-channel; a wider one too.
        expectClose(fakeQuantizeRtn(w, fmt(4, 3, true)), expected);
        expectClose(fakeQuantizeRtn(w, fmt(4, 128, true)), expected);
    }

    void asymmetricZeroPoint()
    {
        // 3 bits: codes 0..7; range [-1.5, 2.0] -> scale 0.5, zero point round(3) = 3.
        const at::Tensor w = matrix(1, 5, { -1.5f, 0.2f, 0.8f, 2.0f, -0.7f });
        // round(w/0.5) = -3, 0, 2, 4, -1; +3 = 0, 3, 5, 7, 2; (q-3)*0.5:
        const at::Tensor expected = matrix(1, 5, { -1.5f, 0.0f, 1.0f, 2.0f, -0.5f });
        expectClose(fakeQuantizeRtn(w, fmt(3, 0, false)), expected);

        // All positive: the range still includes 0 (zero point 0), 2 bits: scale 0.5.
        const at::Tensor pos = matrix(1, 4, { 0.5f, 1.0f, 1.5f, 1.2f });
        expectClose(
            fakeQuantizeRtn(pos, fmt(2, 0, false)), matrix(1, 4, { 0.5f, 1.0f, 1.5f, 1.0f }));
        // All negative: zero point at the top code.
        expectClose(
            fakeQuantizeRtn(-pos, fmt(2, 0, false)), matrix(1, 4, { -0.5f, -1.0f, -1.5f, -1.0f }));

        // Asymmetric uses all 2^bits levels where symmetric uses 2^bits - 1: 2-bit asym on
        // [-1, 2] has levels -1, 0, 1, 2.
        const at::Tensor w4 = matrix(1, 4, { -1.0f, 0.4f, 1.2f, 2.0f });
        expectClose(fakeQuantizeRtn(w4, fmt(2, 0, false)), matrix(1, 4, { -1, 0, 1, 2 }));
    }

    void groupsAndRaggedLastGroup()
    {
        // 172 columns in groups of 64: 64 + 64 + 44. The last group holds small values only,
        // so its scale must come from its own 44 columns.
        const at::Tensor w = randomMatrix(3, 172, 7);
        w.slice(1, 128, 172).mul_(0.01);
        for (bool sym : { true, false }) {
            const WeightFormat f = fmt(4, 64, sym);
            const at::Tensor q = fakeQuantizeRtn(w, f);
            QCOMPARE(q.sizes().vec(), (std::vector<std::int64_t> { 3, 172 }));
            QVERIFY(q.is_contiguous());
            expectClose(q, reference(w, f), 1e-7);
            // Relative error of the small tail group is as small as the others'.
            const at::Tensor tail = w.slice(1, 128, 172);
            const double rel = (tail - q.slice(1, 128, 172)).abs().max().item<double>()
                / tail.abs().max().item<double>();
            QVERIFY2(rel < 0.1, qPrintable(QString::number(rel)));
        }
    }

    void matchesReferenceOnRandomMatrices()
    {
        const at::Tensor w = randomMatrix(17, 100, 3);
        for (int bits = 2; bits <= 8; ++bits)
            for (int group : { 0, 1, 16, 32, 33, 100, 256 })
                for (bool sym : { true, false }) {
                    const WeightFormat f = fmt(bits, group, sym);
                    expectClose(fakeQuantizeRtn(w, f), reference(w, f), 1e-7);
                }
    }

    void levelsPerGroup()
    {
        const at::Tensor w = randomMatrix(4, 256, 11);
        for (int bits = 2; bits <= 6; ++bits)
            for (bool sym : { true, false }) {
                const at::Tensor q = fakeQuantizeRtn(w, fmt(bits, 64, sym)).contiguous();
                const float *p = q.data_ptr<float>();
                for (std::int64_t g = 0; g < 4 * 4; ++g) {
                    std::set<float> levels(p + g * 64, p + (g + 1) * 64);
                    const std::size_t most = sym ? (1u << bits) - 1 : (1u << bits);
                    QVERIFY2(levels.size() <= most,
                        qPrintable(QString("%1 levels at %2 bits").arg(levels.size()).arg(bits)));
                }
            }
    }

    void zeroGroupsStayZero()
    {
        at::Tensor w = randomMatrix(2, 96, 5);
        w.slice(1, 32, 64).zero_();
        w[1].zero_();
        for (bool sym : { true, false }) {
            const at::Tensor q = fakeQuantizeRtn(w, fmt(3, 32, sym));
            QVERIFY(at::isfinite(q).all().item<bool>());
            QCOMPARE(q.slice(1, 32, 64).abs().max().item<float>(), 0.0f);
            QCOMPARE(q[1].abs().max().item<float>(), 0.0f);
        }
        const at::Tensor zeros = at::zeros({ 3, 5 });
        QCOMPARE(fakeQuantizeRtn(zeros, fmt(2, 0, false)).abs().max().item<float>(), 0.0f);
    }

    void valuesOnTheGridAreKept()
    {
        // Every row holds codes -127..127 times its own scale, with +-127 present: 8-bit
        // symmetric per-channel reproduces it exactly.
        at::Tensor codes = at::randint(-127, 128, { 5, 40 }, at::kLong).to(at::kFloat);
        codes.select(1, 0).fill_(127);
        codes.select(1, 1).fill_(-127);
        const at::Tensor scales = at::tensor({ 0.5f, 0.25f, 1.0f, 0.125f, 2.0f }).unsqueeze(1);
        const at::Tensor w = codes * scales;
        QVERIFY(at::equal(fakeQuantizeRtn(w, fmt(8, 0, true)), w));
    }

    void errorFallsWithEveryBit()
    {
        const at::Tensor w = randomMatrix(64, 172, 13);
        for (int group : { 0, 32, 64 })
            for (bool sym : { true, false }) {
                double previous = INFINITY;
                for (int bits = 2; bits <= 8; ++bits) {
                    const double e = sumSquaredError(w, fmt(bits, group, sym));
                    QVERIFY2(e < previous,
                        qPrintable(QString("g%1 %2 bits: %3 >= %4")
                                       .arg(group)
                                       .arg(bits)
                                       .arg(e)
                                       .arg(previous)));
                    previous = e;
                }
            }
        // Smaller groups fit better.
        QVERIFY(sumSquaredError(w, fmt(4, 32, true)) < sumSquaredError(w, fmt(4, 0, true)));
    }

    void importanceWeightedErrorByHand()
    {
        // 2-bit symmetric per row: row 0 [1, 0.5] -> scale 1 -> [1, 0] (0.5 rounds to even 0,
        // diff 0.5); row 1 [0.25, -1] -> [0, -1] (diff 0.25).
        const at::Tensor w = matrix(2, 2, { 1.0f, 0.5f, 0.25f, -1.0f });
        const WeightFormat f = fmt(2, 0, true);
        expectClose(fakeQuantizeRtn(w, f), matrix(2, 2, { 1, 0, 0, -1 }));
        // (3 * 0.25^2 + 5 * 0.5^2) / 2 rows = (0.1875 + 1.25) / 2
        QCOMPARE(importanceWeightedError(w, f, { 3.0, 5.0 }), 0.71875);
        QCOMPARE(importanceWeightedError(w, f, { 0.0, 0.0 }), 0.0);

        // Uniform importance: plain mean squared error times the column count.
        const at::Tensor r = randomMatrix(8, 50, 17);
        const WeightFormat f4 = fmt(4, 16, false);
        const double direct = sumSquaredError(r, f4) / 8.0;
        const double weighted = importanceWeightedError(r, f4, std::vector<double>(50, 1.0));
        QVERIFY2(std::abs(weighted - direct) <= 1e-6 * direct,
            qPrintable(QString("%1 vs %2").arg(weighted).arg(direct)));
    }

    void invalidArguments()
    {
        const at::Tensor w = randomMatrix(4, 8, 1);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, fakeQuantizeRtn(w, fmt(1, 0, true)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, fakeQuantizeRtn(w, fmt(9, 0, true)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, fakeQuantizeRtn(w, fmt(4, -1, true)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, fakeQuantizeRtn(w.flatten(), fmt(4, 0, true)));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, fakeQuantizeRtn(w.to(at::kDouble), fmt(4, 0, true)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, fakeQuantizeRtn(at::Tensor(), fmt(4, 0, true)));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, importanceWeightedError(w, fmt(4, 0, true), { 1.0, 2.0 }));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
            importanceWeightedError(w, fmt(0, 0, true), std::vector<double>(8, 1.0)));
        try {
            fakeQuantizeRtn(w, fmt(9, 0, true));
        } catch (const InvalidArgument &e) {
            QVERIFY2(QString(e.what()).contains("2..8"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestRtn)
#include "tst_rtn.moc"
