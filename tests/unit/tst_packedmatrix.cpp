// SPDX-License-Identifier: GPL-3.0-or-later
// Packed round-to-nearest weights: unpacking gives exactly fakeQuantizeRtn's values for every
// bit width, group size (ragged last groups, groups not a multiple of 8, per channel) and both
// symmetries; the packed matrix-vector product equals the product with the dequantized matrix;
// bits per weight count codes, scales and zero points; bad inputs are refused.
#include "quant/packedmatrix.h"
#include "quant/packedmatvec.h"
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>
#include <random>

using namespace lathe;

namespace {

at::Tensor randomMatrix(std::int64_t rows, std::int64_t cols, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    at::Tensor t = at::empty({ rows, cols }, at::kFloat);
    float *p = t.data_ptr<float>();
    for (std::int64_t i = 0; i < t.numel(); ++i)
        p[i] = normal(rng);
    if (rows > 1 && cols > 3) { // an outlier and an all-zero stretch
        p[cols + 3] = 0.9f;
        for (std::int64_t c = 0; c < cols; ++c)
            p[(rows - 1) * cols + c] = 0.0f;
    }
    return t;
}

WeightFormat fmt(int bits, int group, bool symmetric)
{
    return WeightFormat { .bits = bits, .groupSize = group, .symmetric = symmetric };
}

} // namespace

class TestPackedMatrix : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void unpacksToFakeQuantization_data();
    void unpacksToFakeQuantization();
    void bitsPerWeight();
    void refusesBadInput();
    void formatNames();
};

void TestPackedMatrix::unpacksToFakeQuantization_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("group");
    QTest::addColumn<bool>("symmetric");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    for (int bits : { 2, 3, 4, 5, 8 })
        for (int group : { 0, 32, 12, 64 })
            for (bool sym : { true, false }) {
                const QByteArray name = QByteArray::number(bits) + "b g"
                    + QByteArray::number(group) + (sym ? " sym" : " asym");
                QTest::newRow(name + " 9x172") << bits << group << sym << 9 << 172;
                QTest::newRow(name + " 33x64") << bits << group << sym << 33 << 64;
                QTest::newRow(name + " 4x5") << bits << group << sym << 4 << 5;
            }
}

void TestPackedMatrix::unpacksToFakeQuantization()
{
    QFETCH(int, bits);
    QFETCH(int, group);
    QFETCH(bool, symmetric);
    QFETCH(int, rows);
    QFETCH(int, cols);
    const WeightFormat f = fmt(bits, group, symmetric);
    const at::Tensor w = randomMatrix(rows, cols, unsigned(bits * 1000 + group + rows));
    const PackedMatrix m = packRtn(w, f);
    const at::Tensor expected = fakeQuantizeRtn(w, f);
    QVERIFY(m.dequantize().equal(expected));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            QVERIFY(m.code(r, c) < (1 << bits));

    // The packed product against a double-precision product with the dequantized matrix.
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<std::size_t>(cols));
    std::vector<float> y(static_cast<std::size_t>(rows), -1.0f);
    for (float &v : x)
        v = normal(rng);
    packedMatvec(m, x.data(), y.data());
    const at::Tensor wd = expected.to(at::kDouble);
    for (std::int64_t r = 0; r < rows; ++r) {
        double ref = 0.0, mag = 0.0;
        for (std::int64_t c = 0; c < cols; ++c) {
            ref += wd[r][c].item<double>() * double(x[std::size_t(c)]);
            mag += std::abs(wd[r][c].item<double>() * double(x[std::size_t(c)]));
        }
        QVERIFY2(std::abs(double(y[std::size_t(r)]) - ref) <= 1e-5 * (mag + 1e-6),
            qPrintable(QString("row %1: %2 vs %3").arg(r).arg(y[std::size_t(r)]).arg(ref)));
    }
}

void TestPackedMatrix::bitsPerWeight()
{
    // int4 g32 symmetric: 32 codes of 4 bits + one f32 scale per 32 weights = 5 bits.
    const at::Tensor w = randomMatrix(8, 256, 1);
    QCOMPARE(packRtn(w, fmt(4, 32, true)).bitsPerWeight(), 5.0);
    // Asymmetric adds an 8-bit zero point per group.
    QCOMPARE(packRtn(w, fmt(4, 32, false)).bitsPerWeight(), 5.25);
    // int8 per channel: 8 bits + 32 / 256 for the row's scale.
    QCOMPARE(packRtn(w, fmt(8, 0, true)).bitsPerWeight(), 8.125);
    // 3 bits are held in 4-bit containers, and that is what memory holds.
    QCOMPARE(packRtn(w, fmt(3, 32, true)).bitsPerWeight(), 5.0);
    // A ragged row pads its last group: 172 columns in g32 -> 6 groups of 32 codes.
    const PackedMatrix ragged = packRtn(randomMatrix(2, 172, 2), fmt(4, 32, true));
    QCOMPARE(ragged.storageBytes(), std::size_t(2 * (6 * 16 + 6 * 4)));
}

void TestPackedMatrix::refusesBadInput()
{
    const at::Tensor w = randomMatrix(4, 8, 3);
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, packRtn(w, fmt(9, 32, true)));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, packRtn(w, fmt(1, 32, true)));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, packRtn(w, fmt(4, -1, true)));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, packRtn(w.view({ 32 }), fmt(4, 32, true)));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, packRtn(w.to(at::kDouble), fmt(4, 32, true)));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, packRtn(at::empty({ 0, 8 }), fmt(4, 32, true)));
}

void TestPackedMatrix::formatNames()
{
    const WeightFormat a = parseWeightFormat("int4-g32");
    QCOMPARE(a.bits, 4);
    QCOMPARE(a.groupSize, 32);
    QVERIFY(a.symmetric);
    const WeightFormat b = parseWeightFormat("int8");
    QCOMPARE(b.groupSize, 0); // per output channel
    QVERIFY(!parseWeightFormat("int3-g64-asym").symmetric);
    for (const char *name : { "int2", "int4-g32", "int8-g128-asym", "int5-asym" })
        QCOMPARE(parseWeightFormat(name).name(), std::string(name));
    for (const char *bad : { "", "int9", "int1", "int4-g0", "int4g32", "int4-g32-sym", "q4_0" })
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, parseWeightFormat(bad));
}

QTEST_GUILESS_MAIN(TestPackedMatrix)
#include "tst_packedmatrix.moc"
