// SPDX-License-Identifier: GPL-3.0-or-later
// Per-layer sensitivity: compress one linear module (or one whole decoder block) with a chosen
// format, keep everything else original, and measure the damage on calibration tokens: delta
// perplexity and mean KL divergence from the original's next-token distribution. Plus a proxy
// that needs no forward pass: the importance-weighted squared quantization error, relative to
// the module's output.
#pragma once

#include "quant/weightformat.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class Model;
struct ActivationStats;

struct SensitivityOptions {
    WeightFormat format;
    bool modules = true; // one entry per linear module
    bool blocks = true;  // one entry per decoder block (all its linear modules compressed)
};

struct SensitivityEntry {
    std::string name;  // module name, or "model.layers.3" for a block
    std::string kind;  // LinearModule::kind, or "block"
    std::int64_t layer = 0;
    double perplexity = 0.0;      // of the model with only this part compressed
    double deltaPerplexity = 0.0; // perplexity - base perplexity
    double meanKl = 0.0;          // mean over scored tokens of KL(original || compressed), nats
    double proxy = 0.0;           // sum over modules of importanceWeightedError() divided by
                                  // the same weighting of W itself (relative output error);
                                  // NaN without activation statistics
};

struct SensitivityResult {
    WeightFormat format;
    double basePerplexity = 0.0;
    std::int64_t scoredTokens = 0;
    std::vector<SensitivityEntry> modules; // linearModules() order
    std::vector<SensitivityEntry> blocks;  // layer order
    double seconds = 0.0;
};

// Runs the measurement on `sequences` (each scored from position 0: every next-token
// prediction counts). `activations` (optional) feeds the proxy. Progress names the part being
// measured and reaches 1.0; CancelledError when cancelled. Llama-family models only
// (UnsupportedError otherwise).
SensitivityResult computeSensitivity(const std::shared_ptr<const Model> &model,
    const std::vector<std::vector<std::int32_t>> &sequences, const SensitivityOptions &options,
    const ActivationStats *activations = nullptr, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// Spearman's rank correlation (average ranks for ties); NaN for fewer than 2 pairs.
double spearmanRho(const std::vector<double> &a, const std::vector<double> &b);

// JSON {"format", "bits", "group_size", "symmetric", "base_perplexity", "scored_tokens",
// "modules": [{"name", "kind", "layer", "perplexity", "delta_perplexity", "mean_kl", "proxy"}],
// "blocks": [...], "seconds"}; CSV: one row per entry (modules, then blocks).
nlohmann::ordered_json sensitivityToJson(const SensitivityResult &result);
std::string sensitivityCsv(const SensitivityResult &result);

} // namespace lathe
