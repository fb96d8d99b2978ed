// SPDX-License-Identifier: GPL-3.0-or-later
#include "recipe/runrecipe.h"

#include "model/model.h"
#include "prune/prune.h"
#include "util/error.h"

#include <chrono>

namespace lathe {

namespace {

bool methodNeedsCalibration(const std::string &method)
{
    return !method.empty() && method != "rtn" && method != "none";
}

bool quantizationNeedsCalibration(const QuantizationStage &stage)
{
    if (stage.plan || stage.importanceWeighted || methodNeedsCalibration(stage.method))
        return true;
    for (const QuantRule &rule : stage.rules)
        if (methodNeedsCalibration(rule.method))
            return true;
    return false;
}

} // namespace

bool recipeNeedsCalibration(const Recipe &recipe)
{
    return (recipe.pruning && pruningNeedsCalibration(*recipe.pruning))
        || (recipe.quantization && quantizationNeedsCalibration(*recipe.quantization));
}

RecipeResult runRecipe(const std::shared_ptr<const Model> &base, const Recipe &recipe,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress,
    const CancelToken &cancel)
{
    if (!recipe.pruning && !recipe.quantization)
        throw InvalidArgument("the recipe '" + recipe.name
            + "' has neither a pruning nor a quantization section: nothing to do");
    const auto start = std::chrono::steady_clock::now();
    RecipeResult result;
    result.recipe = recipe;
    std::shared_ptr<const Model> current = base;
    // Progress: pruning and quantization share the bar when both run.
    const double split = recipe.pruning && recipe.quantization ? 0.5 : 1.0;
    if (recipe.pruning) {
        PruneResult pruned = pruneModel(base, *recipe.pruning, calibration,
            subProgress(progress, 0.0, split, "pruning: "), cancel);
        result.recipe.pruning = pruned.recipe.pruning;
        result.variant = pruned.variant;
        current = pruned.variant;
        result.pruning = std::move(pruned);
    }
    if (recipe.quantization) {
        Recipe quantizeOnly;
        quantizeOnly.name = recipe.name;
        quantizeOnly.calibration = recipe.calibration;
        quantizeOnly.quantization = recipe.quantization;
        QuantizeResult quantized = quantizeModel(current, quantizeOnly, calibration,
            subProgress(progress, 1.0 - split, 1.0, "quantizing: "), cancel);
        result.recipe.quantization = quantized.recipe.quantization;
        result.variant = quantized.variant;
        result.quantization = std::move(quantized);
    }
    result.seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace lathe
