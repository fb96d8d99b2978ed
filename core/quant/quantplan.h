// SPDX-License-Identifier: GPL-3.0-or-later
// A recipe's quantization stage resolved against one model: for every decoder linear module
// (and the output head) the method and format it gets, or none. Plain types, no libtorch, so
// the GUI's per-module table and live size meter read it directly.
#pragma once

#include "io/modelconfig.h"
#include "quant/quanttypes.h"
#include "recipe/recipe.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lathe {

struct ModulePlan {
    std::string module;      // "model.layers.3.mlp.down_proj", "lm_head"
    std::string kind;        // LinearModule::kind, or "lm_head"
    std::int64_t layer = -1; // -1 for the head
    std::int64_t rows = 0;   // output features
    std::int64_t cols = 0;   // input features
    std::optional<WeightFormat> format; // none: stays f32
    QuantMethod method = QuantMethod::Rtn;
    double bitsPerWeight = 32.0; // format's exact cost for this shape (32 when f32)
};

struct QuantPlan {
    std::vector<ModulePlan> modules;  // linearModules() order, then the head
    std::int64_t quantizedWeights = 0; // weights of modules that get a format
    double quantizedBits = 0.0;        // their bits, scales included
    std::uint64_t totalBytes = 0;      // every weight of the model after quantization
    std::uint64_t originalBytes = 0;   // every weight of the model in f32
    // Mean bits per weight over the quantized modules (0 when none).
    double bitsPerWeight() const;
};

// Resolves `stage` for `config` (Llama family). Throws InvalidArgument naming the rule and the
// problem (unknown format or method, GPTQ with a codebook format, a layer range outside the
// model, SmoothQuant with a format other than int8 per channel).
// Empty when `method` can use `format`, else what the method needs, in words.
std::string methodFormatMismatch(QuantMethod method, const WeightFormat &format);

// The plan's candidate formats that the stage's method can use (nf4 is left out under GPTQ).
// Throws InvalidArgument when none is left or a name is not a format.
std::vector<WeightFormat> planCandidates(const PlanSettings &plan, const std::string &method);

QuantPlan resolveQuantPlan(const QuantizationStage &stage, const ModelConfig &config);

// Shell-style glob: '*' matches any run of characters (dots included), '?' any one character;
// everything else matches itself. Rules and ignore patterns use it on module names.
bool globMatch(const std::string &pattern, const std::string &text);

} // namespace lathe
