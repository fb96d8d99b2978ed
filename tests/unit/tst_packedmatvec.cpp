// SPDX-License-Identifier: GPL-3.0-or-later
// The packed decode kernel on every path this CPU runs (portable, AVX2, AVX-512): y equals
// dequantize() times x within float rounding for every container (2, 3, 4, 8 bits and the widths
// stored in them), both symmetries, per-channel and grouped scales, groups not a multiple of 8
// or of the kernels' blocks, ragged last groups, row counts that are not a multiple of the rows
// a kernel does at once, stories260K's 172 columns, codebook formats (NF4 with and without
// double quantization, FP8 E4M3 including its NaN codes) and the threaded split of large
// matrices.
#include "quant/packedmatrix.h"
#include "quant/packedmatvec.h"
#include "quant/rtn.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace lathe;

namespace {

std::vector<PackedMatvecPath> supportedPaths()
{
    std::vector<PackedMatvecPath> paths;
    for (PackedMatvecPath p :
         { PackedMatvecPath::Scalar, PackedMatvecPath::Avx2, PackedMatvecPath::Avx512 })
        if (packedMatvecSupported(p))
            paths.push_back(p);
    return paths;
}

at::Tensor randomTensor(std::vector<std::int64_t> shape, unsigned seed, float sigma = 1.0f)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    at::Tensor t = at::empty(shape, at::kFloat);
    float *p = t.data_ptr<float>();
    for (std::int64_t i = 0; i < t.numel(); ++i)
        p[i] = normal(rng);
    return t;
}

// Random codes of `bits` bits, random positive scales, random zero points (asymmetric) packed
// directly, so every code value and zero point is exercised, not only what rounding produces.
PackedMatrix randomPacked(const WeightFormat &f, std::int64_t rows, std::int64_t cols,
                          unsigned seed)
{
    const std::int64_t group = f.groupSize == 0 ? cols : std::min<std::int64_t>(f.groupSize, cols);
    const std::int64_t groups = (cols + group - 1) / group;
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> code(0, (1 << f.bits) - 1);
    std::uniform_real_distribution<float> scale(0.01f, 0.1f);
    at::Tensor codes = at::empty({ rows, groups, group }, at::kInt);
    at::Tensor scales = at::empty({ rows, groups }, at::kFloat);
    at::Tensor zeros = at::empty({ rows, groups }, at::kInt);
    for (std::int64_t i = 0; i < codes.numel(); ++i)
        codes.data_ptr<int>()[i] = code(rng);
    for (std::int64_t i = 0; i < scales.numel(); ++i) {
        scales.data_ptr<float>()[i] = scale(rng);
        zeros.data_ptr<int>()[i] = f.symmetric || f.scheme != WeightScheme::Integer
            ? 1 << (f.bits - 1)
            : code(rng);
    }
    return packCodes(f, rows, cols, codes, scales, zeros);
}

// Every supported path against dequantize() x computed in double: each output within float
// rounding of the sum of |w x| (the sums run in another order).
void checkAllPaths(const PackedMatrix &m, unsigned seed)
{
    const at::Tensor x = randomTensor({ m.cols }, seed);
    const at::Tensor w = m.dequantize().to(at::kDouble);
    const at::Tensor reference = at::mv(w, x.to(at::kDouble));
    const at::Tensor bound = at::mv(w.abs(), x.to(at::kDouble).abs()) * 1e-5 + 1e-30;
    for (PackedMatvecPath path : supportedPaths()) {
        std::vector<float> y(std::size_t(m.rows), std::nanf(""));
        packedMatvec(m, x.data_ptr<float>(), y.data(), path);
        const at::Tensor got = at::from_blob(y.data(), { m.rows }, at::kFloat).to(at::kDouble);
        const at::Tensor excess = (got - reference).abs() - bound;
        const double worst = excess.max().item<double>();
        if (!(worst <= 0.0)) {
            const std::int64_t row = excess.argmax().item<std::int64_t>();
            QFAIL(qPrintable(QString("%1 path, %2 [%3 x %4]: row %5 gives %6, expected %7")
                                 .arg(QString::fromStdString(packedMatvecPathName(path)))
                                 .arg(QString::fromStdString(m.format.name()))
                                 .arg(m.rows)
                                 .arg(m.cols)
                                 .arg(row)
                                 .arg(got[row].item<double>(), 0, 'g', 9)
                                 .arg(reference[row].item<double>(), 0, 'g', 9)));
        }
    }
}

} // namespace

class TestPackedMatvec : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reportsPaths();
    void integerFormats_data();
    void integerFormats();
    void codebookFormats_data();
    void codebookFormats();
    void everyFp8Code();
    void threadedLargeMatrix();
    void autoPathMatchesBest();
};

void TestPackedMatvec::reportsPaths()
{
    QVERIFY(packedMatvecSupported(PackedMatvecPath::Scalar));
    QVERIFY(packedMatvecSupported(packedMatvecBestPath()));
    qInfo("best packed matvec path: %s", packedMatvecPathName(packedMatvecBestPath()).c_str());
}

void TestPackedMatvec::integerFormats_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("group");
    QTest::addColumn<bool>("symmetric");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    for (int bits = 2; bits <= 8; ++bits)
        for (int group : { 0, 8, 24, 32, 40, 64, 72, 128 })
            for (bool symmetric : { true, false })
                for (auto [rows, cols] : { std::pair { 13, 172 }, std::pair { 6, 256 },
                                           std::pair { 1, 7 }, std::pair { 9, 1000 } }) {
                    const QString name = QString("int%1 g%2 %3 %4x%5")
                                             .arg(bits)
                                             .arg(group)
                                             .arg(symmetric ? "sym" : "asym")
                                             .arg(rows)
                                             .arg(cols);
                    QTest::newRow(qPrintable(name)) << bits << group << symmetric << rows << cols;
                }
}

void TestPackedMatvec::integerFormats()
{
    QFETCH(int, bits);
    QFETCH(int, group);
    QFETCH(bool, symmetric);
    QFETCH(int, rows);
    QFETCH(int, cols);
    const WeightFormat f { .bits = bits, .groupSize = group, .symmetric = symmetric };
    checkAllPaths(randomPacked(f, rows, cols, unsigned(bits * 1000 + group + rows)), 7);
    // Codes a quantizer chose for a real-looking weight, too.
    checkAllPaths(packRtn(randomTensor({ rows, cols }, 3, 0.05f), f), 8);
}

void TestPackedMatvec::codebookFormats_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    for (const char *format : { "nf4", "nf4-g32", "nf4-g128", "nf4-dq", "fp8-e4m3",
                                "fp8-e4m3-g32", "fp8-e4m3-g128" })
        for (auto [rows, cols] : { std::pair { 13, 172 }, std::pair { 7, 512 },
                                   std::pair { 3, 24 } })
            QTest::newRow(qPrintable(QString("%1 %2x%3").arg(format).arg(rows).arg(cols)))
                << QString(format) << rows << cols;
}

void TestPackedMatvec::codebookFormats()
{
    QFETCH(QString, format);
    QFETCH(int, rows);
    QFETCH(int, cols);
    const WeightFormat f = parseWeightFormat(format.toStdString());
    const PackedMatrix m = packWeight(randomTensor({ rows, cols }, 5, 0.05f), f);
    QVERIFY(!m.codebook.empty());
    checkAllPaths(m, 9);
    checkAllPaths(randomPacked(f, rows, cols, 21), 10);
}

void TestPackedMatvec::everyFp8Code()
{
    // 256 columns, each row holding every code once in a shuffled order: the NaN codes must
    // decode to 0 like the codebook says, every other code to its E4M3 value.
    const WeightFormat f = parseWeightFormat("fp8-e4m3");
    const std::int64_t rows = 5, cols = 256;
    at::Tensor codes = at::empty({ rows, 1, cols }, at::kInt);
    std::mt19937 rng(4);
    for (std::int64_t r = 0; r < rows; ++r) {
        std::vector<int> order(256);
        for (int i = 0; i < 256; ++i)
            order[std::size_t(i)] = i;
        std::shuffle(order.begin(), order.end(), rng);
        for (std::int64_t c = 0; c < cols; ++c)
            codes[r][0][c] = order[std::size_t(c)];
    }
    const at::Tensor scales = at::full({ rows, 1 }, 0.01f);
    const PackedMatrix m = packCodes(f, rows, cols, codes, scales, at::zeros({ rows, 1 }));
    checkAllPaths(m, 11);
}

void TestPackedMatvec::threadedLargeMatrix()
{
    // Big enough to be split over the thread pool, with a row count that is not a multiple
    // of any block of rows.
    for (const char *format :
         { "int8", "int4-g32", "int3-g64-asym", "int3-g128", "int3", "int2-g16", "nf4" }) {
        const WeightFormat f = parseWeightFormat(format);
        checkAllPaths(packWeight(randomTensor({ 1003, 320 }, 12, 0.05f), f), 13);
    }
}

void TestPackedMatvec::autoPathMatchesBest()
{
    const PackedMatrix m = packRtn(randomTensor({ 37, 172 }, 14, 0.05f),
                                   parseWeightFormat("int4-g32"));
    const at::Tensor x = randomTensor({ 172 }, 15);
    std::vector<float> a(37), b(37);
    packedMatvec(m, x.data_ptr<float>(), a.data());
    packedMatvec(m, x.data_ptr<float>(), b.data(), packedMatvecBestPath());
    QVERIFY(a == b);
}

QTEST_GUILESS_MAIN(TestPackedMatvec)
#include "tst_packedmatvec.moc"
