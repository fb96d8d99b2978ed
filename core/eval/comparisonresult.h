// SPDX-License-Identifier: GPL-3.0-or-later
// The statistics of comparing a model with its original (see eval/comparison.h for the
// definitions) in plain types, so the GUI can show them without libtorch.
#pragma once

#include <cstdint>
#include <vector>

namespace lathe {

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

// The statistics of a set of positions (the pure part of evaluateComparison). Throws
// InvalidArgument when `tokens` is empty.
ComparisonResult summarizeComparison(const std::vector<TokenComparison> &tokens);

} // namespace lathe
