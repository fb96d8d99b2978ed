// SPDX-License-Identifier: GPL-3.0-or-later
// Weight statistics against direct computation in double precision on tensors made here
// (f32, bf16, f16 and Q8_0; larger than one streaming piece): exact counts, moments to 1e-6
// relative, histograms that sum to the element count and match per-value binning bin for bin,
// channel absmax, percentiles within a bin, and results that do not depend on the thread
// count or on the alignment of the mapped data.
#include "analysis/weightstats.h"
#include "util/error.h"
#include "util/halffloat.h"
#include "util/threadpool.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace lathe;

namespace {

struct Owned {
    std::vector<std::uint8_t> bytes;
    TensorView view;
};

// A [rows, cols] tensor of heavy-tailed values with exact zeros and planted outliers.
std::vector<float> sampleValues(std::int64_t rows, std::int64_t cols, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.01f, 0.05f);
    std::vector<float> v(std::size_t(rows * cols));
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = normal(rng);
        if (i % 97 == 0)
            v[i] = 0.0f;
        if (i % 5003 == 0)
            v[i] = (i % 2 ? 1.0f : -0.8f); // far beyond 6 std
    }
    return v;
}

Owned makeView(DType dtype, std::int64_t rows, std::int64_t cols, const std::vector<float> &v)
{
    Owned o;
    if (dtype == DType::F32) {
        o.bytes.resize(v.size() * 4);
        std::memcpy(o.bytes.data(), v.data(), o.bytes.size());
    } else if (dtype == DType::BF16 || dtype == DType::F16) {
        o.bytes.resize(v.size() * 2);
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::uint16_t h = dtype == DType::BF16 ? floatToBf16(v[i]) : floatToF16(v[i]);
            std::memcpy(o.bytes.data() + 2 * i, &h, 2);
        }
    } else { // Q8_0: per 32 values an f16 scale and 32 int8 codes
        for (std::size_t b = 0; b < v.size() / 32; ++b) {
            float amax = 0;
            for (int k = 0; k < 32; ++k)
                amax = std::max(amax, std::abs(v[b * 32 + std::size_t(k)]));
            const float d = amax / 127.0f;
            const std::uint16_t dh = floatToF16(d);
            o.bytes.push_back(std::uint8_t(dh & 0xFF));
            o.bytes.push_back(std::uint8_t(dh >> 8));
            for (int k = 0; k < 32; ++k)
                o.bytes.push_back(std::uint8_t(std::int8_t(
                    d > 0 ? std::lround(v[b * 32 + std::size_t(k)] / d) : 0)));
        }
    }
    o.view.name.assign(1, 'w');
    o.view.dtype = dtype;
    o.view.shape = { rows, cols };
    o.view.data = o.bytes.data();
    o.view.nbytes = o.bytes.size();
    return o;
}

// The display histogram binned value by value, the way the header describes it.
std::vector<std::uint64_t> directHistogram(const std::vector<float> &v, const WeightHistogram &h,
    std::uint64_t &zeros)
{
    const int bins = int(h.counts.size());
    const double span = h.hi - h.lo, scale = span > 0 ? bins / span : 0.0;
    std::vector<std::uint64_t> counts(h.counts.size(), 0);
    zeros = 0;
    for (float f : v) {
        const double x = f;
        if (h.logMagnitude && x == 0) {
            ++zeros;
            continue;
        }
        const double w = h.logMagnitude ? std::log10(std::abs(x)) : x;
        ++counts[std::size_t(std::clamp(int((w - h.lo) * scale), 0, bins - 1))];
    }
    return counts;
}

void compareRelative(double got, double expected, const char *what)
{
    const double tol = 1e-6 * std::max(1.0, std::abs(expected));
    QVERIFY2(std::abs(got - expected) <= tol,
        qPrintable(QString("%1: got %2 expected %3").arg(what).arg(got, 0, 'g', 12).arg(expected, 0, 'g', 12)));
}

// Everything computed directly from the decoded values, in double.
void checkAgainstDirect(const TensorView &view)
{
    const std::vector<float> v = toFloat32(view);
    const auto n = double(v.size());
    double mean = 0;
    for (float x : v)
        mean += x;
    mean /= n;
    double m2 = 0, m3 = 0, m4 = 0, mn = v[0], mx = v[0];
    std::int64_t zeros = 0;
    for (float x : v) {
        const double d = x - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
        mn = std::min(mn, double(x));
        mx = std::max(mx, double(x));
        zeros += x == 0;
    }
    const double var = m2 / n, sd = std::sqrt(var);
    std::int64_t outliers = 0;
    for (float x : v)
        outliers += std::abs(x - mean) > 6.0 * sd;

    const WeightStats s = computeWeightStats(view);
    QCOMPARE(s.count, std::int64_t(v.size()));
    compareRelative(s.mean, mean, "mean");
    compareRelative(s.std, sd, "std");
    compareRelative(s.skewness, (m3 / n) / std::pow(var, 1.5), "skewness");
    compareRelative(s.kurtosis, (m4 / n) / (var * var) - 3.0, "kurtosis");
    QCOMPARE(s.min, mn);
    QCOMPARE(s.max, mx);
    QCOMPARE(s.absmax, std::max(-mn, mx));
    QCOMPARE(s.zeros, zeros);
    QCOMPARE(s.outliers, outliers);
    QVERIFY(outliers > 0);
    std::uint64_t histogramTotal = 0;
    for (auto c : s.histogram.counts)
        histogramTotal += c;
    QCOMPARE(histogramTotal, std::uint64_t(v.size()));

    const std::int64_t rows = view.shape[0], cols = view.shape[1];
    for (std::int64_t r = 0; r < rows; r += 37) {
        float a = 0;
        for (std::int64_t c = 0; c < cols; ++c)
            a = std::max(a, std::abs(v[std::size_t(r * cols + c)]));
        QCOMPARE(s.rowAbsmax[std::size_t(r)], a);
    }
    for (std::int64_t c = 0; c < cols; c += 13) {
        float a = 0;
        for (std::int64_t r = 0; r < rows; ++r)
            a = std::max(a, std::abs(v[std::size_t(r * cols + c)]));
        QCOMPARE(s.colAbsmax[std::size_t(c)], a);
    }

    std::vector<float> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    const double binWidth = (mx - mn) / 65536.0;
    for (const auto &[p, value] : s.percentiles) {
        const double rank = p / 100.0 * (n - 1);
        const double exact = sorted[std::size_t(std::floor(rank))];
        QVERIFY2(std::abs(value - exact) <= 2 * binWidth,
            qPrintable(QString("p%1: %2 vs %3").arg(p).arg(value).arg(exact)));
    }
}

} // namespace

class TestWeightStats : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesDirectComputation_data()
    {
        QTest::addColumn<int>("dtype");
        QTest::newRow("f32") << int(DType::F32);
        QTest::newRow("bf16") << int(DType::BF16);
        QTest::newRow("f16") << int(DType::F16);
        QTest::newRow("q8_0") << int(DType::Q8_0);
    }

    void matchesDirectComputation()
    {
        QFETCH(int, dtype);
        const std::int64_t rows = 300, cols = 256; // 76800 values: two streaming pieces
        const Owned t = makeView(DType(dtype), rows, cols, sampleValues(rows, cols, 7));
        checkAgainstDirect(t.view);
    }

    void logMagnitudeHistogram()
    {
        const Owned t = makeView(DType::F32, 64, 96, sampleValues(64, 96, 3));
        WeightStatsOptions o;
        o.logMagnitude = true;
        o.bins = 40;
        const WeightStats s = computeWeightStats(t.view, o);
        QCOMPARE(s.histogram.counts.size(), std::size_t(40));
        std::uint64_t total = s.histogram.zeros;
        for (auto c : s.histogram.counts)
            total += c;
        QCOMPARE(total, std::uint64_t(s.count));
        QCOMPARE(std::int64_t(s.histogram.zeros), s.zeros);
        QVERIFY(s.histogram.hi == std::log10(s.absmax));
    }

    // Every binning path (derived from the fine histogram, per value, log-magnitude, and the
    // 16-bit one from distinct values) against binning each value directly.
    void histogramsMatchPerValueBinning_data()
    {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<int>("bins");
        QTest::addColumn<bool>("logMagnitude");
        for (DType d : { DType::F32, DType::BF16, DType::F16, DType::Q8_0 })
            for (int bins : { 128, 100, 1 })
                for (bool log : { false, true })
                    QTest::addRow("%s-%d%s", dtypeName(d).c_str(), bins, log ? "-log" : "")
                        << int(d) << bins << log;
    }

    void histogramsMatchPerValueBinning()
    {
        QFETCH(int, dtype);
        QFETCH(int, bins);
        QFETCH(bool, logMagnitude);
        const Owned t = makeView(DType(dtype), 96, 512, sampleValues(96, 512, 13));
        WeightStatsOptions o;
        o.bins = bins;
        o.logMagnitude = logMagnitude;
        const WeightStats s = computeWeightStats(t.view, o);
        std::uint64_t zeros = 0;
        const auto expected = directHistogram(toFloat32(t.view), s.histogram, zeros);
        QCOMPARE(s.histogram.counts, expected);
        QCOMPARE(s.histogram.zeros, zeros);
    }

    // Unaligned data (possible inside a mapped file) takes the converting path: same results.
    void unalignedDataGivesSameResults_data()
    {
        QTest::addColumn<int>("dtype");
        QTest::newRow("f32") << int(DType::F32);
        QTest::newRow("bf16") << int(DType::BF16);
    }

    void unalignedDataGivesSameResults()
    {
        QFETCH(int, dtype);
        const Owned t = makeView(DType(dtype), 200, 160, sampleValues(200, 160, 17));
        std::vector<std::uint8_t> shifted(t.bytes.size() + 1);
        std::memcpy(shifted.data() + 1, t.bytes.data(), t.bytes.size());
        TensorView odd = t.view;
        odd.data = shifted.data() + 1;
        const WeightStats a = computeWeightStats(t.view), b = computeWeightStats(odd);
        compareRelative(b.mean, a.mean, "mean");
        compareRelative(b.std, a.std, "std");
        compareRelative(b.kurtosis, a.kurtosis, "kurtosis");
        QCOMPARE(b.min, a.min);
        QCOMPARE(b.max, a.max);
        QCOMPARE(b.zeros, a.zeros);
        QCOMPARE(b.outliers, a.outliers);
        QCOMPARE(b.histogram.counts, a.histogram.counts);
        QCOMPARE(b.rowAbsmax, a.rowAbsmax);
        QCOMPARE(b.colAbsmax, a.colAbsmax);
    }

    // Channels of a 3-D tensor: rows are the first dimension, columns the last.
    void channelAbsmaxOf3dTensor()
    {
        const std::int64_t a = 6, b = 70, c = 48;
        Owned t = makeView(DType::BF16, a * b, c, sampleValues(a * b, c, 19));
        t.view.shape = { a, b, c };
        const WeightStats s = computeWeightStats(t.view);
        const std::vector<float> v = toFloat32(t.view);
        QCOMPARE(s.rowAbsmax.size(), std::size_t(a));
        QCOMPARE(s.colAbsmax.size(), std::size_t(c));
        std::vector<float> rows(std::size_t(a), 0.0f), cols(std::size_t(c), 0.0f);
        for (std::size_t i = 0; i < v.size(); ++i) {
            const float m = std::abs(v[i]);
            rows[i / std::size_t(b * c)] = std::max(rows[i / std::size_t(b * c)], m);
            cols[i % std::size_t(c)] = std::max(cols[i % std::size_t(c)], m);
        }
        QCOMPARE(s.rowAbsmax, rows);
        QCOMPARE(s.colAbsmax, cols);
    }

    void sameResultForAnyThreadCount_data()
    {
        QTest::addColumn<int>("dtype");
        QTest::newRow("f32") << int(DType::F32);
        QTest::newRow("bf16") << int(DType::BF16);
    }

    void sameResultForAnyThreadCount()
    {
        QFETCH(int, dtype);
        // Large enough (2.15 M values) to be split into several ranges over the threads.
        const Owned t = makeView(DType(dtype), 2100, 1024, sampleValues(2100, 1024, 11));
        const int before = threadCount();
        setThreadCount(1);
        const WeightStats one = computeWeightStats(t.view);
        setThreadCount(4);
        const WeightStats four = computeWeightStats(t.view);
        setThreadCount(before);
        QCOMPARE(one.mean, four.mean);
        QCOMPARE(one.kurtosis, four.kurtosis);
        QCOMPARE(one.histogram.counts, four.histogram.counts);
        QCOMPARE(one.rowAbsmax, four.rowAbsmax);
        QCOMPARE(one.colAbsmax, four.colAbsmax);
        QCOMPARE(one.percentiles, four.percentiles);
    }

    void jsonNamesTheStatistics()
    {
        const Owned t = makeView(DType::F32, 8, 32, sampleValues(8, 32, 5));
        const auto j = weightStatsToJson(computeWeightStats(t.view));
        for (const char *key : { "name", "mean", "std", "absmax", "kurtosis", "skewness",
                 "zero_fraction", "outlier_fraction", "percentiles", "histogram" })
            QVERIFY2(j.contains(key), key);
        QCOMPARE(j.at("name").get<std::string>(), std::string("w"));
        const std::string csv = weightStatsCsv({ computeWeightStats(t.view) });
        QVERIFY(csv.rfind("name,dtype,count,mean,std", 0) == 0);
        QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), 2L);
    }

    void rejectsIntegersAndCancels()
    {
        Owned t = makeView(DType::F32, 300, 256, sampleValues(300, 256, 1));
        CancelToken cancel;
        cancel.cancel();
        QVERIFY_THROWS_EXCEPTION(CancelledError, computeWeightStats(t.view, {}, cancel));
        t.view.dtype = DType::I32;
        QVERIFY_THROWS_EXCEPTION(UnsupportedError, computeWeightStats(t.view));
    }
};

QTEST_GUILESS_MAIN(TestWeightStats)
#include "tst_weightstats.moc"
