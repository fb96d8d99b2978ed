// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli quantize MODEL (--recipe R.yaml | --method M --bits B [--group G] [--asym] |
// --format NAME [--method M]) [--calib FILE] [--target-bpw X] --out DIR`: compresses a model
// and writes the variant as a Hugging Face folder (weights dequantized, config and tokenizer
// copied) plus the recipe it ran (recipe.yaml) and a report (quantize.json).
//
// quantize.json keys: model, out, recipe (name), method, format, calibration {file, samples,
// ctx} (null without), bits_per_weight (mean over the quantized modules, scales included),
// quantized_weights, quantized_bytes, variant_bytes (every weight the engine reads),
// original_bytes, seconds, modules [{name, method, format, bits_per_weight,
// relative_error}].
#include "clicommon.h"
#include "clitext.h"

#include "analysis/activationstats.h"
#include "export/hfexportvariant.h"
#include "model/model.h"
#include "quant/quantizemodel.h"
#include "quant/quanttypes.h"
#include "recipe/recipeyaml.h"
#include "text/tokenizer.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

namespace lathe::cli {

namespace {

struct QuantizeCliOptions {
    std::string model;
    std::string recipe;
    std::string method;
    std::optional<int> bits;
    std::optional<int> group;
    bool asym = false;
    std::string format;
    std::string calib;
    std::string tokenizer;
    std::optional<int> samples;
    std::optional<int> ctx;
    std::optional<double> targetBpw;
    std::string out;
    bool overwrite = false;
};

// The recipe the flags describe (or the --recipe file with the flags that override it).
Recipe buildRecipe(const QuantizeCliOptions &o)
{
    if (!o.recipe.empty()) {
        if (!o.method.empty() || o.bits || o.group || o.asym || !o.format.empty())
            throw InvalidArgument("--recipe already says the method and format; leave out "
                                  "--method, --bits, --group, --asym and --format");
        requireExists(o.recipe);
        Recipe r = loadRecipe(o.recipe);
        if (!r.quantization)
            throw InvalidArgument("'" + o.recipe + "' has no quantization section");
        return r;
    }
    if (o.method.empty() && o.format.empty())
        throw InvalidArgument("say what to do: --recipe FILE, --method M --bits B, or "
                              "--format NAME (see --help for the names)");
    std::string method = o.method.empty() ? std::string("rtn") : o.method;
    QuantizationStage stage;
    if (!o.format.empty()) {
        if (o.bits || o.group || o.asym)
            throw InvalidArgument("--format names the whole format; leave out --bits, --group "
                                  "and --asym");
        stage.format = parseWeightFormat(o.format).name();
        if (method == "nf4")
            method = "rtn";
    } else if (method == "nf4") {
        if (o.bits && *o.bits != 4)
            throw InvalidArgument("--method nf4 has 4 bits, not " + std::to_string(*o.bits));
        WeightFormat f;
        f.scheme = WeightScheme::Nf4;
        f.bits = 4;
        f.groupSize = o.group.value_or(64);
        stage.format = f.name();
        method = "rtn";
    } else if (method == "smoothquant") {
        if ((o.bits && *o.bits != 8) || (o.group && *o.group != 0) || o.asym)
            throw InvalidArgument("--method smoothquant uses int8 weights per channel (--bits 8)");
        stage.format = "int8";
    } else {
        if (!o.bits)
            throw InvalidArgument("--method " + method + " needs --bits B (2..8)");
        if (*o.bits < 2 || *o.bits > 8)
            throw InvalidArgument("--bits: expected 2..8, got " + std::to_string(*o.bits));
        const int group = o.group.value_or(*o.bits == 8 ? 0 : 128);
        if (group < 0)
            throw InvalidArgument("--group: expected 0 (per channel) or a positive group size");
        WeightFormat f;
        f.bits = *o.bits;
        f.groupSize = group;
        f.symmetric = !o.asym;
        stage.format = f.name();
    }
    parseQuantMethod(method); // names the known methods when this one is not among them
    stage.method = method;
    Recipe r;
    r.name = method + " " + stage.format;
    r.quantization = stage;
    return r;
}

bool recipeNeedsCalibration(const QuantizationStage &stage)
{
    if (stage.plan || stage.importanceWeighted)
        return true;
    auto needs = [](const std::string &method) {
        return !method.empty() && method != "rtn" && method != "none";
    };
    if (needs(stage.method))
        return true;
    for (const QuantRule &rule : stage.rules)
        if (needs(rule.method))
            return true;
    return false;
}

Json reportJson(const QuantizeCliOptions &o, const std::string &model, const Recipe &recipe,
    const QuantizeResult &r, const Model &base, const Json &calibration)
{
    Json j;
    j["model"] = model;
    j["out"] = o.out;
    j["recipe"] = recipe.name;
    j["method"] = recipe.quantization->method;
    j["format"] = recipe.quantization->format;
    j["calibration"] = calibration;
    j["bits_per_weight"] = r.plan.bitsPerWeight();
    j["quantized_weights"] = r.plan.quantizedWeights;
    j["quantized_bytes"] = static_cast<std::uint64_t>(std::llround(r.plan.quantizedBits / 8.0));
    j["variant_bytes"] = r.variant->weightBytes();
    j["original_bytes"] = base.weightBytes();
    j["seconds"] = r.seconds;
    Json modules = Json::array();
    for (const ModuleQuantReport &m : r.modules)
        modules.push_back({ { "name", m.module }, { "method", m.method }, { "format", m.format },
            { "bits_per_weight", m.bitsPerWeight }, { "relative_error", m.relativeError } });
    j["modules"] = modules;
    return j;
}

void run(const QuantizeCliOptions &o, const GlobalOptions &globals)
{
    Recipe recipe = buildRecipe(o);
    QuantizationStage &stage = *recipe.quantization;
    if (o.targetBpw) {
        if (!(*o.targetBpw > 0))
            throw InvalidArgument("--target-bpw: expected a positive number of bits");
        PlanSettings plan = stage.plan.value_or(PlanSettings {});
        plan.targetBitsPerWeight = *o.targetBpw;
        plan.targetMegabytes = 0;
        stage.plan = plan;
    }
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
    const bool calibrate = recipeNeedsCalibration(stage);
    if (calibrate && recipe.calibration.file.empty())
        throw InvalidArgument("--calib FILE is needed: the " + stage.method
            + (stage.plan ? " recipe with a size target" : " recipe")
            + " reads calibration text (for example calibration-mixed.txt)");
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
        const std::string tokenizerPath = o.tokenizer.empty() ? modelPath : o.tokenizer;
        const auto tokenizer = loadTokenizerFor(tokenizerPath);
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

    QuantizeResult result;
    {
        ProgressLine progress(globals, "quantize");
        result = quantizeModel(base, recipe, sequences, progress.callback(), cancelToken());
        progress.finish();
    }
    // The recipe as run (planner output written in as rules), with the calibration it used.
    result.recipe.calibration = recipe.calibration;
    const Json report = reportJson(o, modelPath, result.recipe, result, *base, calibration);

    HfExportOptions options;
    options.overwrite = o.overwrite;
    options.extraFiles["recipe.yaml"] = recipeToYaml(result.recipe);
    options.extraFiles["quantize.json"] = report.dump(1) + "\n";
    withPathContext(o.out, [&] {
        ProgressLine progress(globals, "export");
        exportHfFolder(*result.variant, o.out, options, progress.callback(), cancelToken());
        progress.finish();
    });

    if (globals.json) {
        printJson(report);
        return;
    }
    printLine("Quantized " + std::to_string(result.variant->packedWeights().size())
        + " modules of " + modelPath + " (" + result.recipe.name + ") in "
        + formatFixed(result.seconds, 2) + " s");
    printLine("Bits per weight " + formatFixed(result.plan.bitsPerWeight(), 3)
        + " over the quantized modules; weights " + formatFixed(base->weightBytes() / 1e6, 3)
        + " MB -> " + formatFixed(result.variant->weightBytes() / 1e6, 3) + " MB");
    printLine("Written: " + o.out + " (Hugging Face folder, recipe.yaml, quantize.json)");
}

} // namespace

Command addQuantizeCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<QuantizeCliOptions>();
    CLI::App *cmd = parent.add_subcommand("quantize",
        "Compress a model (round-to-nearest, GPTQ, AWQ, NF4, SmoothQuant, or a recipe) and "
        "write the variant as a Hugging Face folder with its recipe and a JSON report");
    cmd->footer(quantTypesHelp()
        + "\n--method nf4 means rtn with format nf4 (--group changes its block, default 64).\n"
          "--bits B without --group: a scale per 128 columns (per channel for 8 bits).\n"
          "Examples:\n"
          "  lathe-cli quantize demo --method rtn --bits 8 --out demo-w8\n"
          "  lathe-cli quantize MODEL --method gptq --bits 4 --group 128 --calib calib.txt "
          "--out MODEL-gptq\n"
          "  lathe-cli quantize MODEL --recipe my-recipe.yaml --calib calib.txt --out OUT");
    cmd->add_option("MODEL", o->model,
           "Hugging Face folder, .safetensors file with config.json beside it, .gguf, or 'demo'")
        ->required();
    cmd->add_option("--recipe", o->recipe, "Recipe YAML file (as the Compress view saves it)");
    cmd->add_option("--method", o->method, "rtn, gptq, awq, nf4 or smoothquant");
    cmd->add_option("--bits", o->bits, "Bits per weight, 2..8");
    cmd->add_option("--group", o->group,
        "Columns per scale; 0 = one scale per output channel (default 128, 8 bits: 0)");
    cmd->add_flag("--asym", o->asym, "Asymmetric: a zero point per group");
    cmd->add_option("--format", o->format, "A format by name (see below), e.g. int4-g32, nf4");
    cmd->add_option("--calib", o->calib,
        "Calibration text (needed by gptq, awq, smoothquant and --target-bpw)");
    cmd->add_option("--tokenizer", o->tokenizer,
        "Tokenizer for --calib when MODEL has none (a folder, tokenizer.json or .gguf)");
    cmd->add_option("--samples", o->samples, "Calibration windows (default: the recipe's, 32)");
    cmd->add_option("--ctx", o->ctx,
        "Tokens per calibration window (default: the recipe's, 256, at most the model's "
        "context)");
    std::string candidates;
    for (const std::string &c : PlanSettings {}.candidates)
        candidates += (candidates.empty() ? "" : ", ") + c;
    cmd->add_option("--target-bpw", o->targetBpw,
        "Plan per-module formats for this mean bits per weight (candidates " + candidates
            + " unless the recipe lists others)");
    cmd->add_option("--out", o->out, "Folder to write (must not exist)")->required();
    cmd->add_flag("--overwrite", o->overwrite, "Replace --out when it exists");
    addCommonOptions(*cmd, globals);
    return { cmd, [o, &globals] { run(*o, globals); } };
}

} // namespace lathe::cli
