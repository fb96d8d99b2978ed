// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/comparison.h"

#include "eval/evalwindows.h"
#include "model/kvcache.h"
#include "model/transformer.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

namespace lathe {

namespace {

// Rows per block in compareLogits: bounds the double-precision temporaries to about
// 4 M values (32 MB) whatever the vocabulary.
std::int64_t rowsPerBlock(std::int64_t vocab)
{
    return std::max<std::int64_t>(1, (std::int64_t(1) << 22) / std::max<std::int64_t>(1, vocab));
}

// sd / sqrt(n) with the sample sd (n - 1), from deviations about the mean (two passes:
// exactly 0 for identical values, where a one-pass formula leaves rounding noise).
double standardErrorOfMean(const std::vector<double> &values, double mean)
{
    const auto n = static_cast<double>(values.size());
    if (values.size() < 2)
        return 0.0;
    double squaredDeviations = 0.0;
    for (const double v : values)
        squaredDeviations += (v - mean) * (v - mean);
    return std::sqrt(squaredDeviations / (n - 1.0) / n);
}

Distribution summarize(std::vector<double> values)
{
    Distribution d;
    const auto n = static_cast<std::int64_t>(values.size());
    double sum = 0.0;
    double sumSquares = 0.0;
    for (const double v : values) {
        sum += v;
        sumSquares += v * v;
    }
    d.mean = sum / static_cast<double>(n);
    d.rms = std::sqrt(sumSquares / static_cast<double>(n));
    d.standardError = standardErrorOfMean(values, d.mean);
    std::sort(values.begin(), values.end());
    d.min = values.front();
    d.max = values.back();
    Percentiles &p = d.percentiles;
    p.p99_9 = percentileOfSorted(values, 99.9);
    p.p99 = percentileOfSorted(values, 99.0);
    p.p95 = percentileOfSorted(values, 95.0);
    p.p90 = percentileOfSorted(values, 90.0);
    p.median = percentileOfSorted(values, 50.0);
    p.p10 = percentileOfSorted(values, 10.0);
    p.p5 = percentileOfSorted(values, 5.0);
    p.p1 = percentileOfSorted(values, 1.0);
    p.p0_1 = percentileOfSorted(values, 0.1);
    return d;
}

} // namespace

double percentileOfSorted(const std::vector<double> &sorted, double q)
{
    if (sorted.empty())
        throw InvalidArgument("percentile of an empty set of values");
    const double position
        = std::clamp(q, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
    const auto lower = static_cast<std::size_t>(std::floor(position));
    const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
    const double fraction = position - static_cast<double>(lower);
    if (fraction == 0.0)
        return sorted[lower];
    return sorted[lower] + fraction * (sorted[upper] - sorted[lower]);
}

std::vector<TokenComparison> compareLogits(const at::Tensor &baseLogits,
    const at::Tensor &otherLogits, const std::vector<std::int64_t> &targets)
{
    if (baseLogits.dim() != 2 || baseLogits.sizes() != otherLogits.sizes())
        throw InvalidArgument("compare: the two models' logits differ in shape ("
            + std::to_string(baseLogits.dim() == 2 ? baseLogits.size(1) : -1) + " vs "
            + std::to_string(otherLogits.dim() == 2 ? otherLogits.size(1) : -1)
            + " vocabulary entries)");
    const std::int64_t count = baseLogits.size(0);
    const std::int64_t vocab = baseLogits.size(1);
    if (static_cast<std::int64_t>(targets.size()) != count)
        throw InvalidArgument("compare: " + std::to_string(targets.size()) + " targets for "
            + std::to_string(count) + " rows of logits");
    for (const std::int64_t t : targets)
        if (t < 0 || t >= vocab)
            throw InvalidArgument("compare: target id " + std::to_string(t)
                + " is outside the vocabulary of " + std::to_string(vocab));

    std::vector<TokenComparison> out(static_cast<std::size_t>(count));
    const std::int64_t block = rowsPerBlock(vocab);
    for (std::int64_t begin = 0; begin < count; begin += block) {
        const std::int64_t end = std::min(count, begin + block);
        // log-softmax in f32 (as evaluatePerplexity), everything after it in double.
        const at::Tensor lb
            = at::log_softmax(baseLogits.slice(0, begin, end).to(at::kFloat), -1).to(at::kDouble);
        const at::Tensor lo
            = at::log_softmax(otherLogits.slice(0, begin, end).to(at::kFloat), -1).to(at::kDouble);
        const at::Tensor kld = (lb.exp() * (lb - lo)).sum(-1).contiguous();
        const at::Tensor topBase = lb.argmax(-1).contiguous();
        const at::Tensor topOther = lo.argmax(-1).contiguous();
        const at::Tensor idx = at::tensor(at::ArrayRef<std::int64_t>(targets.data() + begin,
                                              static_cast<std::size_t>(end - begin)),
            at::kLong)
                                   .unsqueeze(1);
        const at::Tensor pickedBase = lb.gather(1, idx).squeeze(1).contiguous();
        const at::Tensor pickedOther = lo.gather(1, idx).squeeze(1).contiguous();
        const double *k = kld.data_ptr<double>();
        const double *b = pickedBase.data_ptr<double>();
        const double *o = pickedOther.data_ptr<double>();
        const std::int64_t *tb = topBase.data_ptr<std::int64_t>();
        const std::int64_t *to = topOther.data_ptr<std::int64_t>();
        for (std::int64_t r = 0; r < end - begin; ++r) {
            TokenComparison &t = out[static_cast<std::size_t>(begin + r)];
            t.kld = k[r];
            t.nllBase = -b[r];
            t.nllOther = -o[r];
            t.pBase = std::exp(b[r]);
            t.pOther = std::exp(o[r]);
            t.sameTop = tb[r] == to[r];
        }
    }
    return out;
}

ComparisonResult summarizeComparison(const std::vector<TokenComparison> &tokens)
{
    if (tokens.empty())
        throw InvalidArgument("compare: no scored tokens to summarize");
    const auto n = static_cast<std::int64_t>(tokens.size());
    const double nd = static_cast<double>(n);
    ComparisonResult r;
    r.scoredTokens = n;

    std::vector<double> kld;
    std::vector<double> deltaP;
    kld.reserve(tokens.size());
    deltaP.reserve(tokens.size());
    r.tokenKld.reserve(tokens.size());
    double sumBase = 0.0;
    double sumOther = 0.0;
    std::vector<double> ratio; // per-token ln(p_base / p_other) = nll_other - nll_base
    ratio.reserve(tokens.size());
    std::int64_t same = 0;
    for (const TokenComparison &t : tokens) {
        kld.push_back(t.kld);
        deltaP.push_back(t.pOther - t.pBase);
        r.tokenKld.push_back(static_cast<float>(t.kld));
        sumBase += t.nllBase;
        sumOther += t.nllOther;
        ratio.push_back(t.nllOther - t.nllBase);
        same += t.sameTop ? 1 : 0;
    }
    r.nllBase = sumBase / nd;
    r.nllOther = sumOther / nd;
    r.pplBase = std::exp(r.nllBase);
    r.pplOther = std::exp(r.nllOther);
    double sumRatio = 0.0;
    for (const double d : ratio)
        sumRatio += d;
    r.lnPplRatio = sumRatio / nd;
    r.lnPplRatioStderr = standardErrorOfMean(ratio, r.lnPplRatio);

    // Pearson correlation about the means (two passes: no cancellation).
    double sxy = 0.0;
    double sxx = 0.0;
    double syy = 0.0;
    for (const TokenComparison &t : tokens) {
        const double x = t.nllBase - r.nllBase;
        const double y = t.nllOther - r.nllOther;
        sxy += x * y;
        sxx += x * x;
        syy += y * y;
    }
    r.nllCorrelation = sxx > 0.0 && syy > 0.0 ? sxy / std::sqrt(sxx * syy)
                                              : std::numeric_limits<double>::quiet_NaN();

    r.kld = summarize(std::move(kld));
    r.deltaP = summarize(std::move(deltaP));

    const double f = static_cast<double>(same) / nd;
    r.sameTop = 100.0 * f;
    r.sameTopStderr = n >= 2 ? 100.0 * std::sqrt(f * (1.0 - f) / (nd - 1.0)) : 0.0;
    return r;
}

ComparisonResult evaluateComparison(const Transformer &base, const Transformer &other,
    const std::vector<std::int32_t> &ids, const PerplexityOptions &options,
    const ProgressFn &progress, const CancelToken &cancel)
{
    const std::int64_t vocab = base.config().vocabSize;
    const std::int64_t otherVocab = other.config().vocabSize;
    if (vocab != otherVocab)
        throw InvalidArgument("compare: the base model has a vocabulary of " + std::to_string(vocab)
            + " tokens and the other model one of " + std::to_string(otherVocab)
            + "; only variants of the same model can be compared");
    const std::int64_t windows = evalWindowCount(ids, vocab, options, "compare");

    const std::int64_t bos = base.config().bosTokenId();
    const auto start = std::chrono::steady_clock::now();
    c10::InferenceMode inferenceMode;
    KVCache baseCache = base.newCache(options.ctx);
    KVCache otherCache = other.newCache(options.ctx);

    std::vector<TokenComparison> tokens;
    const std::string total = std::to_string(windows);
    reportProgress(progress, 0.0, "compare: window 0/" + total);
    for (std::int64_t k = 0; k < windows; ++k) {
        cancel.throwIfCancelled();
        const EvalWindow w = evalWindow(ids, options, k, bos);
        const auto count = static_cast<std::int64_t>(w.targets.size());
        baseCache.clear();
        otherCache.clear();
        const at::Tensor baseRows
            = base.forward(w.input, baseCache).slice(0, w.firstRow, w.firstRow + count);
        const at::Tensor otherRows
            = other.forward(w.input, otherCache).slice(0, w.firstRow, w.firstRow + count);
        const std::vector<TokenComparison> part = compareLogits(baseRows, otherRows, w.targets);
        tokens.insert(tokens.end(), part.begin(), part.end());
        reportProgress(progress, static_cast<double>(k + 1) / static_cast<double>(windows),
            "compare: window " + std::to_string(k + 1) + "/" + total);
    }

    ComparisonResult result = summarizeComparison(tokens);
    result.windows = windows;
    result.seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace lathe
