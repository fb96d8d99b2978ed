// SPDX-License-Identifier: GPL-3.0-or-later
// Activation statistics from calibration text: for the input of every linear module the
// per-channel absmax and mean square (the importance matrix that importance-weighted
// quantization, AWQ and GPTQ read), the features whose absmax exceeds LLM.int8's outlier
// threshold, and the per-token norm of the hidden state after every decoder layer.
#pragma once

#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

class Tokenizer;
class Transformer;

struct ActivationStatsOptions {
    int samples = 16;               // calibration sequences
    int ctx = 256;                  // tokens per sequence
    double outlierThreshold = 6.0;  // LLM.int8: a feature with |x| above this is an outlier
};

struct ModuleActivationStats {
    std::string module; // LinearModule::name ("model.layers.0.self_attn.q_proj")
    std::string kind;   // LinearModule::kind
    std::int64_t layer = 0;
    std::int64_t tokens = 0;              // rows seen
    std::vector<float> channelAbsmax;     // per input channel: max |x|
    std::vector<double> channelMeanSquare; // per input channel: mean x^2 (importance)
    double absmax = 0.0;                  // max over channels
    double meanSquare = 0.0;              // mean over channels of channelMeanSquare
    int outlierFeatures = 0;              // channels whose absmax > outlierThreshold
};

struct LayerHiddenStats {
    std::int64_t layer = 0;
    std::vector<float> tokenNorms; // L2 norm of the residual stream per token, sequence by sequence
    double meanNorm = 0.0;
    double maxNorm = 0.0;
};

struct ActivationStats {
    ActivationStatsOptions options;
    std::int64_t sequences = 0;
    std::int64_t tokens = 0;
    std::vector<ModuleActivationStats> modules; // linearModules() order; q/k/v carry equal data
    std::vector<LayerHiddenStats> layers;
    const ModuleActivationStats *find(const std::string &module) const; // nullptr when absent
};

// `samples` consecutive, non-overlapping windows of `ctx` tokens from the start of `text`,
// each beginning with BOS when the tokenizer adds one (BOS counts toward ctx). Throws
// InvalidArgument when the text is too short for one window; fewer windows are returned when
// it is too short for all of them.
std::vector<std::vector<std::int32_t>> calibrationSequences(
    const Tokenizer &tokenizer, const std::string &text, int samples, int ctx);

// Runs every sequence through `model` with a ForwardObserver; progress after each sequence,
// CancelledError when cancelled. Sums in double; the result does not depend on thread count.
ActivationStats computeActivationStats(const Transformer &model,
    const std::vector<std::vector<std::int32_t>> &sequences,
    const ActivationStatsOptions &options = {}, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// JSON: {"sequences", "tokens", "outlier_threshold", "modules": [{"name", "kind", "layer",
// "tokens", "absmax", "mean_square", "outlier_features", "channel_absmax", "channel_mean_square"}],
// "layers": [{"layer", "mean_norm", "max_norm", "token_norms"}]}.
nlohmann::ordered_json activationStatsToJson(const ActivationStats &stats, bool withChannels = true);
// One row per module (scalars only).
std::string activationStatsCsv(const ActivationStats &stats);

} // namespace lathe
