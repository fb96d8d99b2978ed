// SPDX-License-Identifier: GPL-3.0-or-later
// The GUI's entry points to compression and evaluation in plain types (no libtorch, no Qt):
// preview a recipe's plan (the live meter), plan for a budget, compress into a variant (prune
// and/or quantize), measure block influence, evaluate
// a variant against its original, export it. Each call is synchronous; the GUI runs the long
// ones in worker jobs with progress and cancel.
#pragma once

#include "api/variantinfo.h"
#include "eval/comparisonresult.h"
#include "quant/quantplan.h"
#include "recipe/recipe.h"
#include "util/progress.h"

#include <memory>
#include <string>
#include <vector>

namespace lathe {

class LoadedModel;

// The plan `recipe` gives `model` (per-module formats, bits, sizes) without quantizing.
// Throws Error when the model is not runnable or the recipe does not fit it.
QuantPlan previewQuantPlan(const LoadedModel &model, const Recipe &recipe);

// Measures every candidate's per-module damage on `calibrationText` and returns `recipe` with
// per-module rules that meet plan.targetBitsPerWeight (or targetMegabytes) at the least
// predicted damage (quant/planner.h); `predictedDamage` receives the plan's predicted KL.
Recipe planRecipeForBudget(const LoadedModel &model, const Recipe &recipe,
    const std::string &calibrationText, double *predictedDamage = nullptr,
    const ProgressFn &progress = {}, const CancelToken &cancel = {});

// Runs `recipe` on `base` (pruning, then quantization; recipe/runrecipe.h), calibrating on
// `calibrationText` (may be empty when no stage needs it). The result is a LoadedModel whose
// engine model shares every tensor it did not change with `base`; LoadedModel::variantInfo()
// describes it.
std::shared_ptr<LoadedModel> compressLoadedModel(const std::shared_ptr<const LoadedModel> &base,
    const Recipe &recipe, const std::string &calibrationText, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// Block influence, 1 - cos(h_in, h_out) per decoder block, on `samples` windows of `ctx`
// tokens of `calibrationText` (prune/blockinfluence.h): the blocks to drop first are the
// least influential.
std::vector<double> measureBlockInfluence(const LoadedModel &model,
    const std::string &calibrationText, int samples = 16, int ctx = 128,
    const ProgressFn &progress = {}, const CancelToken &cancel = {});

// A variant measured against its original on the same tokens of `evaluationText`.
struct VariantEvaluation {
    ComparisonResult comparison;     // ppl both, KLD statistics, same-top, ...
    double bitsPerWeight = 0.0;
    std::uint64_t weightBytes = 0;
    double prefillTokensPerSecond = 0.0; // the variant's, on a 128-token prompt
    double decodeTokensPerSecond = 0.0;  // the variant's, 32 greedy tokens
    double baseDecodeTokensPerSecond = 0.0;
    std::uint64_t residentBytes = 0;     // process resident memory after the run
};

struct EvaluationSettings {
    int ctx = 256;       // tokens per window (llama.cpp protocol: BOS first, second half scored)
    int maxWindows = 16; // 0 = every window of the text
    bool measureSpeed = true;
};

VariantEvaluation evaluateVariant(const LoadedModel &base, const LoadedModel &variant,
    const std::string &evaluationText, const EvaluationSettings &settings = {},
    const ProgressFn &progress = {}, const CancelToken &cancel = {});

// Writes the variant as a Hugging Face folder (export/hfexportvariant.h) plus recipe.yaml.
void exportVariantHf(const LoadedModel &variant, const std::string &outDir,
    const ProgressFn &progress = {}, const CancelToken &cancel = {});

} // namespace lathe
