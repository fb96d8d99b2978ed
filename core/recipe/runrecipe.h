// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a whole recipe on a model, stage after stage: pruning first (prune/prune.h), then
// quantization (quant/quantizemodel.h) of the pruned model. The CLI's quantize and prune
// commands and the GUI's Run all go through here, so a recipe gives the same variant wherever
// it runs.
#pragma once

#include "prune/pruneresult.h"
#include "quant/quantizemodel.h"
#include "recipe/recipe.h"
#include "util/progress.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace lathe {

class Model;

struct RecipeResult {
    std::shared_ptr<Model> variant;         // the last stage's model
    Recipe recipe;                          // as run (planner rules, chosen blocks written in)
    std::optional<PruneResult> pruning;     // when the recipe prunes
    std::optional<QuantizeResult> quantization; // when it quantizes
    double seconds = 0.0;
};

// Whether any stage of `recipe` reads calibration text.
bool recipeNeedsCalibration(const Recipe &recipe);

// Throws InvalidArgument when the recipe has no stage or a stage needs calibration that is
// missing; CancelledError when cancelled (the base model is never changed).
RecipeResult runRecipe(const std::shared_ptr<const Model> &base, const Recipe &recipe,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

} // namespace lathe
