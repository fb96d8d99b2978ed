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
// relative_error}]; a recipe that also prunes adds pruning {...} as in prune.json
// (cmd_prune.cpp), and its pruning runs first.
#include "clirecipe.h"

#include "quant/quanttypes.h"
#include "recipe/recipeyaml.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <optional>

namespace lathe::cli {

namespace {

struct QuantizeCliOptions {
    std::string recipe;
    std::string method;
    std::optional<int> bits;
    std::optional<int> group;
    bool asym = false;
    std::string format;
    std::optional<double> targetBpw;
    RecipeRunOptions run { "quantize.json", "quantize" };
};

// The recipe the flags describe (or the --recipe file with the flags that override it).
Recipe buildRecipe(const QuantizeCliOptions &o)
{
    if (!o.recipe.empty()) {
        if (!o.method.empty() || o.bits || o.group || o.asym || !o.format.empty())
            throw InvalidArgument("--recipe already says the method and format; leave out "
                                  "--method, --bits, --group, --asym and --format");
        requireExists(o.recipe);
        return loadRecipe(o.recipe); // a pruning section runs first

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

void run(const QuantizeCliOptions &o, const GlobalOptions &globals)
{
    Recipe recipe = buildRecipe(o);
    if (o.targetBpw) {
        if (!recipe.quantization)
            throw InvalidArgument("--target-bpw plans quantization, and the recipe has none");
        if (!(*o.targetBpw > 0))
            throw InvalidArgument("--target-bpw: expected a positive number of bits");
        QuantizationStage &stage = *recipe.quantization;
        PlanSettings plan = stage.plan.value_or(PlanSettings {});
        plan.targetBitsPerWeight = *o.targetBpw;
        plan.targetMegabytes = 0;
        stage.plan = plan;
    }
    runRecipeCommand(o.run, recipe, globals);
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
    cmd->add_option("MODEL", o->run.model,
           "Hugging Face folder, .safetensors file with config.json beside it, .gguf, or 'demo'")
        ->required();
    cmd->add_option("--recipe", o->recipe, "Recipe YAML file (as the Compress view saves it)");
    cmd->add_option("--method", o->method, "rtn, gptq, awq, nf4 or smoothquant");
    cmd->add_option("--bits", o->bits, "Bits per weight, 2..8");
    cmd->add_option("--group", o->group,
        "Columns per scale; 0 = one scale per output channel (default 128, 8 bits: 0)");
    cmd->add_flag("--asym", o->asym, "Asymmetric: a zero point per group");
    cmd->add_option("--format", o->format, "A format by name (see below), e.g. int4-g32, nf4");
    std::string candidates;
    for (const std::string &c : PlanSettings {}.candidates)
        candidates += (candidates.empty() ? "" : ", ") + c;
    cmd->add_option("--target-bpw", o->targetBpw,
        "Plan per-module formats for this mean bits per weight (candidates " + candidates
            + " unless the recipe lists others)");
    addRecipeRunOptions(*cmd, o->run);
    addCommonOptions(*cmd, globals);
    return { cmd, [o, &globals] { run(*o, globals); } };
}

} // namespace lathe::cli
