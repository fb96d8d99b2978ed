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

#include "eval/comparisonresult.h"
#include "eval/perplexity.h"
#include "util/progress.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace lathe {

class Transformer;

// Per-position values of logits rows [count, vocab] of both models (any float dtype; both the
// same shape) against `targets` (count ids). Throws InvalidArgument on mismatched shapes or a
// target outside the vocabulary.
std::vector<TokenComparison> compareLogits(const at::Tensor &baseLogits,
    const at::Tensor &otherLogits, const std::vector<std::int64_t> &targets);

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
