// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a recipe's quantization stage on a model and returns the compressed variant: packed
// weights for every quantized module, every other tensor shared with the original. Methods
// that need calibration (GPTQ, AWQ, SmoothQuant, importance-weighted RTN) run layer by layer:
// each decoder layer's inputs are collected with the layers before it already quantized, so
// later layers correct for earlier layers' error (sequential quantization).
#pragma once

#include "quant/quantplan.h"
#include "recipe/recipe.h"
#include "util/progress.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class Model;

struct ModuleQuantReport {
    std::string module;
    std::string method;       // QuantMethod name
    std::string format;       // WeightFormat name, "f32" when left alone
    double bitsPerWeight = 32.0;
    double relativeError = 0.0; // ||W - Q(W)||_F / ||W||_F (after AWQ scaling: of the scaled W)
};

struct QuantizeResult {
    std::shared_ptr<Model> variant;
    QuantPlan plan;                       // after the planner, when the recipe asks for one
    Recipe recipe;                        // as run: planner output written in as rules
    std::vector<ModuleQuantReport> modules;
    double seconds = 0.0;
};

// `calibration`: token windows (calibrationSequences); may be empty only when no module's
// method needs them (InvalidArgument naming the method otherwise). Progress per module,
// CancelledError when cancelled (the base model is never changed).
QuantizeResult quantizeModel(const std::shared_ptr<const Model> &base, const Recipe &recipe,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

} // namespace lathe
