// SPDX-License-Identifier: GPL-3.0-or-later
#include "clirecipe.h"
#include "clitext.h"

#include "analysis/activationstats.h"
#include "export/hfexportvariant.h"
#include "model/model.h"
#include "recipe/recipeyaml.h"
#include "recipe/runrecipe.h"
#include "text/tokenizer.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <cmath>

namespace lathe::cli {

namespace {

Json quantizationJson(const QuantizeResult &r)
{
    Json j;
    j["method"] = r.recipe.quantization->method;
    j["format"] = r.recipe.quantization->format;
    j["bits_per_weight"] = r.plan.bitsPerWeight();
    j["quantized_weights"] = r.plan.quantizedWeights;
    j["quantized_bytes"] = static_cast<std::uint64_t>(std::llround(r.plan.quantizedBits / 8.0));
    Json modules = Json::array();
    for (const ModuleQuantReport &m : r.modules)
        modules.push_back({ { "name", m.module }, { "method", m.method }, { "format", m.format },
            { "bits_per_weight", m.bitsPerWeight }, { "relative_error", m.relativeError } });
    j["modules"] = modules;
    return j;
}

Json pruningJson(const PruneResult &r)
{
    const PruningStage &stage = *r.recipe.pruning;
    Json j;
    j["method"] = stage.method;
    j["pattern"] = stage.pattern;
    j["sparsity"] = r.sparsity;
    j["parameters_before"] = r.parametersBefore;
    j["parameters_after"] = r.parametersAfter;
    if (!stage.blocks.empty())
        j["removed_blocks"] = stage.blocks;
    if (!r.blockInfluence.empty())
        j["block_influence"] = r.blockInfluence;
    Json modules = Json::array();
    for (const ModulePruneReport &m : r.modules)
        modules.push_back({ { "name", m.module }, { "sparsity", m.sparsity() },
            { "zeros", m.zeros }, { "weights", m.weights }, { "removed", m.removed } });
    j["modules"] = modules;
    return j;
}

// quantize.json keeps its flat keys (README); pruning adds a "pruning" object, and prune.json
// is that object's keys at the top.
Json reportJson(const RecipeRunOptions &o, const std::string &model, const RecipeResult &r,
    const Model &base, const Json &calibration)
{
    const Json pruning = r.pruning ? pruningJson(*r.pruning) : Json();
    const Json quantization = r.quantization ? quantizationJson(*r.quantization) : Json();
    Json j;
    j["model"] = model;
    j["out"] = o.out;
    j["recipe"] = r.recipe.name;
    if (r.quantization) {
        j["method"] = quantization["method"];
        j["format"] = quantization["format"];
    } else {
        for (const char *key : { "method", "pattern", "sparsity", "parameters_before",
                 "parameters_after", "removed_blocks", "block_influence" })
            if (pruning.contains(key))
                j[key] = pruning[key];
    }
    j["calibration"] = calibration;
    if (r.quantization)
        for (const char *key : { "bits_per_weight", "quantized_weights", "quantized_bytes" })
            j[key] = quantization[key];
    j["variant_bytes"] = r.variant->weightBytes();
    j["original_bytes"] = base.weightBytes();
    j["seconds"] = r.seconds;
    if (r.quantization && r.pruning)
        j["pruning"] = pruning;
    j["modules"] = r.quantization ? quantization["modules"] : pruning["modules"];
    return j;
}

void printSummary(const std::string &modelPath, const RecipeResult &r, const Model &base,
    const RecipeRunOptions &o)
{
    if (r.pruning)
        printLine("Pruned " + modelPath + " with " + r.pruning->recipe.pruning->method + ": "
            + formatFixed(100.0 * r.pruning->sparsity, 2) + " % of the linear weights zero; "
            + "parameters " + std::to_string(r.pruning->parametersBefore) + " -> "
            + std::to_string(r.pruning->parametersAfter));
    if (r.quantization)
        printLine("Quantized " + std::to_string(r.variant->packedWeights().size())
            + " modules (" + r.recipe.name + "); bits per weight "
            + formatFixed(r.quantization->plan.bitsPerWeight(), 3)
            + " over the quantized modules");
    printLine("Weights " + formatFixed(base.weightBytes() / 1e6, 3) + " MB -> "
        + formatFixed(r.variant->weightBytes() / 1e6, 3) + " MB in "
        + formatFixed(r.seconds, 2) + " s");
    printLine("Written: " + o.out + " (Hugging Face folder, recipe.yaml, " + o.reportFile + ")");
}

} // namespace

void addRecipeRunOptions(CLI::App &cmd, RecipeRunOptions &o)
{
    cmd.add_option("--calib", o.calib, "Calibration text (methods that read activations)");
    cmd.add_option("--tokenizer", o.tokenizer,
        "Tokenizer for --calib when MODEL has none (a folder, tokenizer.json or .gguf)");
    cmd.add_option("--samples", o.samples, "Calibration windows (default: the recipe's, 32)");
    cmd.add_option("--ctx", o.ctx,
        "Tokens per calibration window (default: the recipe's, 256, at most the model's "
        "context)");
    cmd.add_option("--out", o.out, "Folder to write (must not exist)")->required();
    cmd.add_flag("--overwrite", o.overwrite, "Replace --out when it exists");
}

void runRecipeCommand(const RecipeRunOptions &o, Recipe recipe, const GlobalOptions &globals)
{
    if (!o.calib.empty())
        recipe.calibration.file = o.calib;
    if (o.samples)
        recipe.calibration.samples = *o.samples;
    if (o.ctx)
        recipe.calibration.ctx = *o.ctx;
    if (recipe.calibration.samples < 1)
        throw InvalidArgument("--samples: expected at least 1");
    if (recipe.calibration.ctx < 2)
        throw InvalidArgument("--ctx: expected at least 2 tokens");
    const bool calibrate = recipeNeedsCalibration(recipe);
    if (calibrate && recipe.calibration.file.empty())
        throw InvalidArgument("--calib FILE is needed: the recipe '" + recipe.name
            + "' reads calibration text (for example calibration-mixed.txt)");
    if (calibrate)
        requireExists(recipe.calibration.file);

    const std::string modelPath = resolveModelArgument(o.model);
    requireExists(modelPath);
    std::shared_ptr<Model> base;
    withPathContext(modelPath, [&] {
        ProgressLine progress(globals, "loading");
        base = Model::load(modelPath, progress.callback(), cancelToken());
    });

    std::vector<std::vector<std::int32_t>> sequences;
    Json calibration = nullptr;
    if (calibrate) {
        const std::string text = readTextFile(recipe.calibration.file);
        const auto tokenizer = loadTokenizerFor(o.tokenizer.empty() ? modelPath : o.tokenizer);
        int ctx = recipe.calibration.ctx;
        const std::int64_t trained = base->config().maxPositions;
        if (trained > 0 && ctx > trained) {
            printStatus("lathe-cli: calibration windows shortened from " + std::to_string(ctx)
                + " to the model's context of " + std::to_string(trained) + " tokens");
            ctx = int(trained);
            recipe.calibration.ctx = ctx;
        }
        withPathContext(recipe.calibration.file, [&] {
            sequences = calibrationSequences(*tokenizer, text, recipe.calibration.samples, ctx);
        });
        calibration = { { "file", recipe.calibration.file }, { "samples", sequences.size() },
            { "ctx", ctx } };
    }

    RecipeResult result;
    {
        ProgressLine progress(globals, o.commandName);
        result = runRecipe(base, recipe, sequences, progress.callback(), cancelToken());
        progress.finish();
    }
    // The recipe as run (planner rules, chosen blocks written in), with its calibration.
    result.recipe.calibration = recipe.calibration;
    const Json report = reportJson(o, modelPath, result, *base, calibration);

    HfExportOptions options;
    options.overwrite = o.overwrite;
    options.extraFiles["recipe.yaml"] = recipeToYaml(result.recipe);
    options.extraFiles[o.reportFile] = report.dump(1) + "\n";
    withPathContext(o.out, [&] {
        ProgressLine progress(globals, "export");
        exportHfFolder(*result.variant, o.out, options, progress.callback(), cancelToken());
        progress.finish();
    });
    if (globals.json)
        printJson(report);
    else
        printSummary(modelPath, result, *base, o);
}

} // namespace lathe::cli
