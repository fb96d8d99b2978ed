// SPDX-License-Identifier: GPL-3.0-or-later
// A compression recipe: what to do to a model, as the GUI configures it and the CLI runs it.
// Plain types; YAML in recipeyaml.h. Stages are optional sections: `pruning` runs first, then
// `quantization` (distillation will join them).
//
// Rule precedence: the stage's method/format apply to every decoder linear module; then each
// rule that matches a module, in order, overrides what it sets (later rules win); `ignore`
// patterns leave modules unquantized whatever the rules say. The output head is quantized only
// when no ignore pattern matches "lm_head" (default: ignored); the embedding never is.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lathe {

inline constexpr int kRecipeSchemaVersion = 1;

struct QuantRule {
    std::string match;     // glob on the module name ("model.layers.*.mlp.down_proj"); "" = any
    std::string kind;      // LinearModule::kind ("down_proj", "q_proj", "lm_head"); "" = any
    int firstLayer = -1;   // layer range, inclusive; -1 = open
    int lastLayer = -1;
    std::string format;    // WeightFormat name, "none" = keep f32; "" = unchanged
    std::string method;    // QuantMethod name; "" = unchanged
    bool operator==(const QuantRule &) const = default;
};

struct GptqSettings {
    double damping = 0.01; // fraction of mean diag(H) added to the diagonal
    bool actOrder = true;  // descending diag(H) order, static groups
    int blockSize = 128;   // columns per lazy batch update
    bool operator==(const GptqSettings &) const = default;
};

struct AwqSettings {
    int gridPoints = 20;    // alpha candidates
    bool clipSearch = true; // AWQ's weight clipping search after scaling
    std::string then = "rtn"; // quantizer after scaling: "rtn" or "gptq"
    bool operator==(const AwqSettings &) const = default;
};

struct SmoothQuantSettings {
    double alpha = 0.5; // migration strength: 0 keeps activations, 1 moves all into weights
    bool operator==(const SmoothQuantSettings &) const = default;
};

// "Plan for budget": choose per-module formats among candidates for a size target.
struct PlanSettings {
    double targetBitsPerWeight = 0.0; // over the quantized modules; 0 = use targetMegabytes
    double targetMegabytes = 0.0;     // whole model's weight bytes (f32 parts included)
    // From 2.5 to 8 bits per weight (int3-g64 3.5, int4-g128 4.25, int4-g32 5): room to trade
    // bits from robust modules to sensitive ones around every common target. nf4-g128 costs what
    // int4-g128 costs and is often better, so each module also picks its 4-bit grid.
    std::vector<std::string> candidates
        = { "int2-g64", "int3-g64", "int4-g128", "nf4-g128", "int4-g32", "int8" };
    bool operator==(const PlanSettings &) const = default;
};

struct QuantizationStage {
    std::string method = "rtn";       // QuantMethod name
    std::string format = "int4-g128"; // WeightFormat name
    bool clipSearch = false;          // rtn: MSE-optimal scale per group
    bool importanceWeighted = false;  // rtn: weight the clip search by activation importance
    std::vector<std::string> ignore = { "lm_head" }; // globs on module names, or a kind
    std::vector<QuantRule> rules;
    GptqSettings gptq;
    AwqSettings awq;
    SmoothQuantSettings smoothQuant;
    std::optional<PlanSettings> plan; // when set, the planner writes per-module rules first
    bool operator==(const QuantizationStage &) const = default;
};

// Pruning, applied before quantization when a recipe has both. Unstructured methods zero
// weights inside each linear module (the shapes stay); structured ones remove whole attention
// heads, FFN channels or decoder blocks, so the model really gets smaller (a new config).
struct PruneRule {
    std::string match;   // glob on the module name; "" = any
    std::string kind;    // LinearModule::kind; "" = any
    int firstLayer = -1; // layer range, inclusive; -1 = open
    int lastLayer = -1;
    double sparsity = -1.0; // fraction of zeros, 0..1; < 0 = unchanged; 0 = leave the module
    bool operator==(const PruneRule &) const = default;
};

struct PruningStage {
    // magnitude | wanda | sparsegpt (unstructured or N:M); heads | channels | blocks (structured)
    std::string method = "wanda";
    double sparsity = 0.5;   // unstructured: fraction of each module's weights set to zero
    std::string pattern;     // "" = unstructured, "2:4" / "4:8" = N zeros in every M inputs
    int count = 0;           // structured: heads (of each layer, whole KV groups under GQA),
                             // FFN channels (of each layer) or decoder blocks to remove
    std::vector<int> blocks; // blocks: exactly these (0-based); empty = the `count` blocks of
                             // least block influence on the calibration text
    std::vector<std::string> ignore = { "lm_head" }; // globs on module names, or a kind
    std::vector<PruneRule> rules;                    // per-module sparsity overrides
    double damping = 0.01;   // sparsegpt: fraction of the mean Hessian diagonal added
    int blockSize = 128;     // sparsegpt: columns per lazy batch update
    bool operator==(const PruningStage &) const = default;
};

struct CalibrationSettings {
    std::string file;   // text file (CLI --calib overrides); "" = none given
    int samples = 32;   // sequences
    int ctx = 256;      // tokens each
    bool operator==(const CalibrationSettings &) const = default;
};

struct Recipe {
    int schemaVersion = kRecipeSchemaVersion;
    std::string name;        // shown in the variant bar ("W4 g128 GPTQ")
    CalibrationSettings calibration;
    std::optional<PruningStage> pruning;          // runs first
    std::optional<QuantizationStage> quantization;
    bool operator==(const Recipe &) const = default;
};

} // namespace lathe
