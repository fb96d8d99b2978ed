// SPDX-License-Identifier: GPL-3.0-or-later
// Comparison of a model (typically a compressed variant) with its original on the same tokens:
// the statistics llama.cpp's `llama-perplexity --kl-divergence` reports (perplexity of both,
// KL divergence of the next-token distributions, change of the correct token's probability,
// agreement of the top token), so a variant's damage reads the same in both tools.
//
// Definitions, per scored position t with log-probabilities lb (base) and lo (other) from a
// log-softmax in f32, everything after it in double:
//   KLD_t     = sum_v exp(lb_v) (lb_v - lo_v)     KL(base || other), in nats
//   deltaP_t  = exp(lo_y) - exp(lb_y)             y the correct next token
//   sameTop_t = argmax lb == argmax lo            (first index on ties)
//   nll_t     = -lb_y and -lo_y
// Means come with standard errors sd / sqrt(n) (sample sd, n - 1); same-top with the binomial
// sqrt(f (1 - f) / (n - 1)). Percentiles interpolate linearly between the sorted values
// (see percentileOfSorted), like numpy's default.
#pragma once

#include "eval/perplexity.h"
#include "util/progress.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace lathe {

class Transformer;

// The values of one scored position.
struct TokenComparison {
    double kld = 0.0; // KL(base || other), nats
    double pBase = 0.0; // probability of the correct token under the base model
    double pOther = 0.0; // ... under the other model
    bool sameTop = false; // both models put the same token first
    double nllBase = 0.0; // -log pBase
    double nllOther = 0.0; // -log pOther
};

// The percentiles reported for KLD and delta-p, highest first.
struct Percentiles {
    double p99_9 = 0.0;
    double p99 = 0.0;
    double p95 = 0.0;
    double p90 = 0.0;
    double median = 0.0;
    double p10 = 0.0;
    double p5 = 0.0;
    double p1 = 0.0;
    double p0_1 = 0.0;
};

// Summary of one per-token quantity.
struct Distribution {
    double mean = 0.0;
    double standardError = 0.0; // of the mean; 0 with fewer than 2 values
    double rms = 0.0; // sqrt(mean of squares)
    double max = 0.0;
    double min = 0.0;
    Percentiles percentiles;
};

struct ComparisonResult {
    double pplBase = 0.0; // exp(nllBase)
    double pplOther = 0.0; // exp(nllOther)
    double nllBase = 0.0; // mean NLL per scored token, nats
    double nllOther = 0.0;
    double lnPplRatio = 0.0; // mean(nll_other - nll_base) = ln(pplOther / pplBase)
    double lnPplRatioStderr = 0.0; // standard error of that mean
    double nllCorrelation = 0.0; // Pearson correlation of per-token NLL (llama.cpp's
                                 // "Cor(ln(PPL(Q)), ln(PPL(base)))"); NaN when one is constant
    Distribution kld; // KL(base || other) per token
    Distribution deltaP; // pOther - pBase per token
    double sameTop = 0.0; // percent of positions with the same top token
    double sameTopStderr = 0.0; // percent
    std::int64_t scoredTokens = 0;
    std::int64_t windows = 0;
    double seconds = 0.0; // wall time of evaluateComparison (0 from summarize)
    std::vector<float> tokenKld; // KLD of every scored position, in order (for histograms)
};

// Linear interpolation between closest ranks on ascending `sorted` values: position
// q / 100 * (n - 1), q in [0, 100]. Throws InvalidArgument when `sorted` is empty.
double percentileOfSorted(const std::vector<double> &sorted, double q);

// Per-position values of logits rows [count, vocab] of both models (any float dtype; both the
// same shape) against `targets` (count ids). Throws InvalidArgument on mismatched shapes or a
// target outside the vocabulary.
std::vector<TokenComparison> compareLogits(const at::Tensor &baseLogits,
    const at::Tensor &otherLogits, const std::vector<std::int64_t> &targets);

// The statistics of a set of positions (the pure part of evaluateComparison). Throws
// InvalidArgument when `tokens` is empty.
ComparisonResult summarizeComparison(const std::vector<TokenComparison> &tokens);

// Runs both models on the same windows of `ids` (the windows of evaluatePerplexity, so pplBase
// equals evaluatePerplexity(base, ...).ppl), each window from a fresh cache, and summarizes
// every scored position. The llama.cpp protocol puts the base model's BOS first in each chunk.
// Reports progress after each window (reaching 1.0) and checks `cancel` before each one
// (throws CancelledError). Throws InvalidArgument when the vocabularies differ in size, for
// ids outside the vocabulary and for too few ids (as evaluatePerplexity does).
ComparisonResult evaluateComparison(const Transformer &base, const Transformer &other,
    const std::vector<std::int32_t> &ids, const PerplexityOptions &options,
    const ProgressFn &progress = {}, const CancelToken &cancel = {});

} // namespace lathe
