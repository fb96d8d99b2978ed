// SPDX-License-Identifier: GPL-3.0-or-later
// Packed round-to-nearest weights: unpacking gives exactly fakeQuantizeRtn's values for every
// bit width, group size (ragged last groups, groups not a multiple of 8, per channel) and both
// symmetries; the packed matrix-vector product equals the product with the dequantized matrix;
// every code packed reads back as it was (3-bit codes split over two planes included); bits
// per weight count codes, scales and zero points; bad inputs are refused.
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
    void codesReadBack();
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

void TestPackedMatrix::codesReadBack()
{
    // Random codes for every width, with groups whose low plane (3 bits) ends in a full run of
    // 16 bytes, a shorter run, or both; code(row, col) returns exactly what was packed.
    std::mt19937 rng(17);
    for (int bits = 2; bits <= 8; ++bits)
        for (int group : { 0, 8, 24, 32, 56, 64, 72, 128 })
            for (std::int64_t cols : { 7, 172, 200, 1000 }) {
                const WeightFormat f = fmt(bits, group, false);
                const std::int64_t rows = 3;
                const std::int64_t g = group == 0 ? cols : std::min<std::int64_t>(group, cols);
                const std::int64_t groups = (cols + g - 1) / g;
                std::uniform_int_distribution<int> code(0, (1 << bits) - 1);
                at::Tensor codes = at::empty({ rows, groups, g }, at::kInt);
                for (std::int64_t i = 0; i < codes.numel(); ++i)
                    codes.data_ptr<int>()[i] = code(rng);
                at::Tensor zeros = at::empty({ rows, groups }, at::kInt);
                for (std::int64_t i = 0; i < zeros.numel(); ++i)
                    zeros.data_ptr<int>()[i] = code(rng);
                const PackedMatrix m
                    = packCodes(f, rows, cols, codes, at::ones({ rows, groups }), zeros);
                QCOMPARE(m.containerBits, bits <= 4 ? bits : 8);
                QCOMPARE(m.codes.size(), std::size_t(rows * groups * m.groupStride
                                                     * m.containerBits / 8));
                const at::Tensor flat = codes.view({ rows, groups * g });
                for (std::int64_t r = 0; r < rows; ++r)
                    for (std::int64_t c = 0; c < cols; ++c)
                        if (m.code(r, c) != flat[r][c].item<int>())
                            QFAIL(qPrintable(QString("%1 %2 cols: code(%3, %4) = %5, packed %6")
                                                 .arg(QString::fromStdString(f.name()))
                                                 .arg(cols).arg(r).arg(c)
                                                 .arg(int(m.code(r, c)))
                                                 .arg(flat[r][c].item<int>())));
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
    // 3 bits take exactly 3 bits (two planes): int3 g32 = 3 + 1, g64 = 3 + 0.5.
    QCOMPARE(packRtn(w, fmt(3, 32, true)).bitsPerWeight(), 4.0);
    QCOMPARE(packRtn(w, fmt(3, 64, true)).bitsPerWeight(), 3.5);
    QCOMPARE(parseWeightFormat("int3-g64").bitsPerWeight(256), 3.5);
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
