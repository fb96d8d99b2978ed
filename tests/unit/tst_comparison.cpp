// SPDX-License-Identifier: GPL-3.0-or-later
// Comparison statistics (KLD, delta-p, same top token, percentiles, standard errors) against a
// direct double-precision computation on hand-made logits, and evaluateComparison on tiny
// random models: self-comparison gives 0 / 100 %, both perplexities match evaluatePerplexity.
#include "eval/comparison.h"
#include "eval/perplexity.h"
#include "model/model.h"
#include "model/modelspec.h"
#include "model/transformer.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace lathe;

namespace {

constexpr std::int64_t kRows = 50;
constexpr std::int64_t kVocab = 7;

// Row-major f32 logits with a spread wide enough that some rows disagree on the top token.
std::vector<float> randomLogits(std::mt19937 &rng, double scale)
{
    std::normal_distribution<double> normal(0.0, scale);
    std::vector<float> v(static_cast<std::size_t>(kRows * kVocab));
    for (float &x : v)
        x = static_cast<float>(normal(rng));
    return v;
}

at::Tensor asTensor(const std::vector<float> &v)
{
    return at::from_blob(const_cast<float *>(v.data()), { kRows, kVocab }, at::kFloat).clone();
}

// log-softmax of one row, in double from the f32 logits.
std::vector<double> logSoftmax(const std::vector<float> &v, std::int64_t row)
{
    std::vector<double> out(static_cast<std::size_t>(kVocab));
    double maxValue = -INFINITY;
    for (std::int64_t j = 0; j < kVocab; ++j)
        maxValue = std::max(maxValue, double(v[std::size_t(row * kVocab + j)]));
    double sum = 0.0;
    for (std::int64_t j = 0; j < kVocab; ++j)
        sum += std::exp(double(v[std::size_t(row * kVocab + j)]) - maxValue);
    for (std::int64_t j = 0; j < kVocab; ++j)
        out[std::size_t(j)] = double(v[std::size_t(row * kVocab + j)]) - maxValue - std::log(sum);
    return out;
}

std::size_t argmax(const std::vector<double> &v)
{
    return std::size_t(std::max_element(v.begin(), v.end()) - v.begin());
}

double mean(const std::vector<double> &v)
{
    double s = 0.0;
    for (double x : v)
        s += x;
    return s / double(v.size());
}

double stderrOfMean(const std::vector<double> &v)
{
    const double m = mean(v);
    double s = 0.0;
    for (double x : v)
        s += (x - m) * (x - m);
    return std::sqrt(s / double(v.size() - 1) / double(v.size()));
}

// The q-th percentile by its definition, independently of percentileOfSorted: the value at
// fractional rank q/100 * (n-1) of the sorted values, interpolated between its neighbours.
double directPercentile(std::vector<double> v, double q)
{
    std::sort(v.begin(), v.end());
    const double h = q / 100.0 * double(v.size() - 1);
    const auto below = std::size_t(h);
    if (below + 1 >= v.size())
        return v.back();
    return v[below] * (1.0 - (h - double(below))) + v[below + 1] * (h - double(below));
}

bool close(double a, double b, double tolerance = 1e-6)
{
    return std::abs(a - b) <= tolerance * (1.0 + std::abs(b));
}

#define VERIFY_CLOSE(a, b)                                                                         \
    QVERIFY2(close((a), (b)),                                                                      \
        qPrintable(QString("%1 = %2, expected %3").arg(#a).arg(a, 0, 'g', 12).arg(b, 0, 'g', 12)))

void checkPercentiles(const Percentiles &p, const std::vector<double> &v)
{
    VERIFY_CLOSE(p.p99_9, directPercentile(v, 99.9));
    VERIFY_CLOSE(p.p99, directPercentile(v, 99));
    VERIFY_CLOSE(p.p95, directPercentile(v, 95));
    VERIFY_CLOSE(p.p90, directPercentile(v, 90));
    VERIFY_CLOSE(p.median, directPercentile(v, 50));
    VERIFY_CLOSE(p.p10, directPercentile(v, 10));
    VERIFY_CLOSE(p.p5, directPercentile(v, 5));
    VERIFY_CLOSE(p.p1, directPercentile(v, 1));
    VERIFY_CLOSE(p.p0_1, directPercentile(v, 0.1));
}

ModelConfig tinyConfig(std::int64_t vocab)
{
    ModelConfig c;
    c.arch = Architecture::Llama;
    c.modelType = "llama";
    c.hiddenSize = 32;
    c.intermediateSize = 48;
    c.numLayers = 2;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.headDim = 8;
    c.vocabSize = vocab;
    c.maxPositions = 64;
    c.bosTokenIds = { 1 };
    return c;
}

std::shared_ptr<const Model> tinyModel(std::uint64_t seed, std::int64_t vocab = 40)
{
    const ModelConfig c = tinyConfig(vocab);
    at::manual_seed(seed);
    std::map<std::string, at::Tensor> weights;
    for (const TensorSpec &spec : tensorSpecs(c))
        if (!spec.optional)
            weights[spec.name] = spec.shape.size() == 1 ? 1 + 0.1 * at::randn(spec.shape)
                                                        : 0.3 * at::randn(spec.shape);
    return Model::fromWeights(c, weights);
}

std::vector<std::int32_t> someIds(std::int64_t n, std::int64_t vocab)
{
    std::vector<std::int32_t> ids;
    for (std::int64_t i = 0; i < n; ++i)
        ids.push_back(static_cast<std::int32_t>((i * 7 + i / 3) % vocab));
    return ids;
}

} // namespace

class TestComparison : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void percentileInterpolatesBetweenRanks()
    {
        const std::vector<double> five = { 1, 2, 3, 4, 5 };
        QCOMPARE(percentileOfSorted(five, 50), 3.0);
        QCOMPARE(percentileOfSorted(five, 0), 1.0);
        QCOMPARE(percentileOfSorted(five, 100), 5.0);
        QVERIFY(close(percentileOfSorted(five, 10), 1.4, 1e-12));
        QVERIFY(close(percentileOfSorted(five, 99.9), 4.996, 1e-12));
        QVERIFY(close(percentileOfSorted(five, 0.1), 1.004, 1e-12));
        QCOMPARE(percentileOfSorted({ 2.5 }, 99.9), 2.5);
        // 0, 1, ..., 100: the p-th percentile is p.
        std::vector<double> hundred;
        for (int i = 0; i <= 100; ++i)
            hundred.push_back(i);
        for (double q : { 0.1, 1.0, 5.0, 10.0, 50.0, 90.0, 95.0, 99.0, 99.9 })
            QVERIFY(close(percentileOfSorted(hundred, q), q, 1e-12));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, percentileOfSorted({}, 50));
    }

    void statisticsMatchDirectComputation()
    {
        std::mt19937 rng(42);
        const std::vector<float> base = randomLogits(rng, 2.0);
        std::vector<float> other = base;
        std::normal_distribution<double> noise(0.0, 0.8);
        for (float &x : other)
            x += static_cast<float>(noise(rng));
        std::vector<std::int64_t> targets;
        std::uniform_int_distribution<std::int64_t> pick(0, kVocab - 1);
        for (std::int64_t i = 0; i < kRows; ++i)
            targets.push_back(pick(rng));

        const std::vector<TokenComparison> tokens
            = compareLogits(asTensor(base), asTensor(other), targets);
        QCOMPARE(std::int64_t(tokens.size()), kRows);

        std::vector<double> kld, deltaP, nllBase, nllOther, ratio;
        int same = 0;
        for (std::int64_t i = 0; i < kRows; ++i) {
            const std::vector<double> lb = logSoftmax(base, i);
            const std::vector<double> lo = logSoftmax(other, i);
            double k = 0.0;
            for (std::int64_t j = 0; j < kVocab; ++j)
                k += std::exp(lb[std::size_t(j)]) * (lb[std::size_t(j)] - lo[std::size_t(j)]);
            const auto y = std::size_t(targets[std::size_t(i)]);
            kld.push_back(k);
            deltaP.push_back(std::exp(lo[y]) - std::exp(lb[y]));
            nllBase.push_back(-lb[y]);
            nllOther.push_back(-lo[y]);
            ratio.push_back(lb[y] - lo[y]);
            const bool sameTop = argmax(lb) == argmax(lo);
            same += sameTop ? 1 : 0;
            const TokenComparison &t = tokens[std::size_t(i)];
            QVERIFY(close(t.kld, k, 1e-5));
            QVERIFY(close(t.pBase, std::exp(lb[y]), 1e-5));
            QVERIFY(close(t.pOther, std::exp(lo[y]), 1e-5));
            QVERIFY(close(t.nllBase, -lb[y], 1e-5));
            QCOMPARE(t.sameTop, sameTop);
        }
        // The case is meant to exercise both outcomes of same-top.
        QVERIFY(same > 0 && same < kRows);

        // The summary of the per-token values is exact arithmetic on them: compare with the
        // engine's own per-token values at 1e-9, and with the direct ones at 1e-5.
        const ComparisonResult r = summarizeComparison(tokens);
        QCOMPARE(r.scoredTokens, kRows);
        QVERIFY(close(r.nllBase, mean(nllBase), 1e-5));
        QVERIFY(close(r.nllOther, mean(nllOther), 1e-5));
        QVERIFY(close(r.pplBase, std::exp(mean(nllBase)), 1e-5));
        QVERIFY(close(r.pplOther, std::exp(mean(nllOther)), 1e-5));
        QVERIFY(close(r.lnPplRatio, mean(ratio), 1e-5));
        QVERIFY(close(r.lnPplRatioStderr, stderrOfMean(ratio), 1e-5));
        QVERIFY(close(r.kld.mean, mean(kld), 1e-5));
        QVERIFY(close(r.kld.standardError, stderrOfMean(kld), 1e-5));
        QVERIFY(close(r.kld.max, *std::max_element(kld.begin(), kld.end()), 1e-5));
        QVERIFY(close(r.kld.min, *std::min_element(kld.begin(), kld.end()), 1e-5));
        QVERIFY(close(r.deltaP.mean, mean(deltaP), 1e-5));
        QVERIFY(close(r.deltaP.standardError, stderrOfMean(deltaP), 1e-5));
        double squares = 0.0;
        for (double d : deltaP)
            squares += d * d;
        QVERIFY(close(r.deltaP.rms, std::sqrt(squares / kRows), 1e-5));

        std::vector<double> engineKld, engineDeltaP;
        for (const TokenComparison &t : tokens) {
            engineKld.push_back(t.kld);
            engineDeltaP.push_back(t.pOther - t.pBase);
        }
        checkPercentiles(r.kld.percentiles, engineKld);
        checkPercentiles(r.deltaP.percentiles, engineDeltaP);
        QCOMPARE(r.tokenKld.size(), std::size_t(kRows));
        QCOMPARE(r.tokenKld[7], static_cast<float>(engineKld[7]));

        const double f = double(same) / kRows;
        QVERIFY(close(r.sameTop, 100.0 * f, 1e-12));
        QVERIFY(close(r.sameTopStderr, 100.0 * std::sqrt(f * (1 - f) / (kRows - 1)), 1e-12));

        // Pearson correlation of the per-token NLLs, from its definition.
        const double mb = mean(nllBase), mo = mean(nllOther);
        double sxy = 0, sxx = 0, syy = 0;
        for (std::size_t i = 0; i < nllBase.size(); ++i) {
            sxy += (nllBase[i] - mb) * (nllOther[i] - mo);
            sxx += (nllBase[i] - mb) * (nllBase[i] - mb);
            syy += (nllOther[i] - mo) * (nllOther[i] - mo);
        }
        QVERIFY(close(r.nllCorrelation, sxy / std::sqrt(sxx * syy), 1e-5));
        QVERIFY(r.nllCorrelation > 0.0 && r.nllCorrelation < 1.0);
    }

    void identicalLogitsGiveZeroDivergence()
    {
        std::mt19937 rng(3);
        const std::vector<float> base = randomLogits(rng, 3.0);
        std::vector<std::int64_t> targets;
        for (std::int64_t i = 0; i < kRows; ++i)
            targets.push_back(i % kVocab);
        const ComparisonResult r
            = summarizeComparison(compareLogits(asTensor(base), asTensor(base), targets));
        QCOMPARE(r.kld.mean, 0.0);
        QCOMPARE(r.kld.max, 0.0);
        QCOMPARE(r.kld.min, 0.0);
        QCOMPARE(r.kld.standardError, 0.0);
        QCOMPARE(r.kld.percentiles.p99_9, 0.0);
        QCOMPARE(r.deltaP.mean, 0.0);
        QCOMPARE(r.deltaP.rms, 0.0);
        QCOMPARE(r.lnPplRatio, 0.0);
        QCOMPARE(r.lnPplRatioStderr, 0.0);
        QCOMPARE(r.sameTop, 100.0);
        QCOMPARE(r.sameTopStderr, 0.0);
        QCOMPARE(r.pplBase, r.pplOther);
        QVERIFY(close(r.nllCorrelation, 1.0, 1e-12));
    }

    void refusesBadLogits()
    {
        const at::Tensor a = at::zeros({ 3, 5 });
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, compareLogits(a, at::zeros({ 3, 6 }), { 0, 1, 2 }));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, compareLogits(a, a, { 0, 1 }));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, compareLogits(a, a, { 0, 1, 5 }));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, summarizeComparison({}));
    }

    void selfComparisonOfAModel_data()
    {
        QTest::addColumn<int>("protocol");
        QTest::newRow("windows") << int(PerplexityProtocol::Windows);
        QTest::newRow("llama.cpp") << int(PerplexityProtocol::LlamaCpp);
    }

    void selfComparisonOfAModel()
    {
        QFETCH(int, protocol);
        const Transformer model(tinyModel(5));
        PerplexityOptions o;
        o.ctx = 16;
        o.protocol = PerplexityProtocol(protocol);
        const std::vector<std::int32_t> ids = someIds(70, 40);
        std::vector<double> fractions;
        const ComparisonResult r = evaluateComparison(
            model, model, ids, o, [&](double f, const std::string &) { fractions.push_back(f); });
        const PerplexityResult p = evaluatePerplexity(model, ids, o);
        QCOMPARE(r.kld.mean, 0.0);
        QCOMPARE(r.kld.max, 0.0);
        QCOMPARE(r.sameTop, 100.0);
        QCOMPARE(r.scoredTokens, p.scoredTokens);
        QCOMPARE(r.windows, p.chunks);
        QVERIFY(close(r.pplBase, p.ppl, 1e-12));
        QCOMPARE(r.pplOther, r.pplBase);
        QCOMPARE(fractions.size(), std::size_t(r.windows + 1));
        QCOMPARE(fractions.back(), 1.0);
    }

    void differentModelsMatchTheirPerplexities()
    {
        const Transformer base(tinyModel(5));
        const Transformer other(tinyModel(6));
        PerplexityOptions o;
        o.ctx = 16;
        o.maxChunks = 3;
        const std::vector<std::int32_t> ids = someIds(70, 40);
        const ComparisonResult r = evaluateComparison(base, other, ids, o);
        QVERIFY(close(r.pplBase, evaluatePerplexity(base, ids, o).ppl, 1e-12));
        QVERIFY(close(r.pplOther, evaluatePerplexity(other, ids, o).ppl, 1e-12));
        QCOMPARE(r.windows, std::int64_t(3));
        QCOMPARE(r.scoredTokens, std::int64_t(48));
        QVERIFY(r.kld.mean > 0.0);
        QVERIFY(r.kld.min >= -1e-12);
        QVERIFY(r.sameTop < 100.0);
    }

    void refusesBadInput()
    {
        const Transformer base(tinyModel(5));
        const Transformer smaller(tinyModel(6, 30));
        PerplexityOptions o;
        o.ctx = 16;
        try {
            evaluateComparison(base, smaller, someIds(40, 30), o);
            QFAIL("different vocabularies were accepted");
        } catch (const InvalidArgument &e) {
            const std::string m = e.what();
            QVERIFY2(
                m.find("40") != std::string::npos && m.find("30") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, evaluateComparison(base, base, { 1, 2, 40, 3 }, o));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, evaluateComparison(base, base, { 1 }, o));
        o.protocol = PerplexityProtocol::LlamaCpp;
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, evaluateComparison(base, base, someIds(15, 40), o));

        CancelToken cancel;
        cancel.cancel();
        QVERIFY_THROWS_EXCEPTION(
            CancelledError, evaluateComparison(base, base, someIds(40, 40), o, {}, cancel));
    }
};

QTEST_GUILESS_MAIN(TestComparison)
#include "tst_comparison.moc"
