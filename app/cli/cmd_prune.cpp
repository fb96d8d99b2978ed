// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli prune MODEL (--recipe R.yaml | --method M (--sparsity S [--pattern N:M] |
// --count K | --blocks LIST)) [--calib FILE] --out DIR`: prunes a model and writes it as a
// Hugging Face folder plus the recipe it ran (recipe.yaml) and a report (prune.json).
//
// prune.json keys: model, out, recipe, method, pattern, sparsity (zeros / weights over the
// decoder's linear modules), parameters_before, parameters_after, removed_blocks (blocks),
// block_influence (blocks: 1 - cos(h_in, h_out) per block of the original), calibration,
// variant_bytes, original_bytes, seconds, modules [{name, sparsity, zeros, weights, removed}].
#include "clirecipe.h"

#include "prune/prunemethods.h"
#include "recipe/recipeyaml.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <optional>

namespace lathe::cli {

namespace {

struct PruneCliOptions {
    std::string recipe;
    std::string method;
    std::optional<double> sparsity;
    std::string pattern;
    std::optional<int> count;
    std::vector<int> blocks;
    RecipeRunOptions run { "prune.json", "prune" };
};

Recipe buildRecipe(const PruneCliOptions &o)
{
    if (!o.recipe.empty()) {
        if (!o.method.empty() || o.sparsity || !o.pattern.empty() || o.count || !o.blocks.empty())
            throw InvalidArgument("--recipe already says how to prune; leave out --method, "
                                  "--sparsity, --pattern, --count and --blocks");
        requireExists(o.recipe);
        Recipe r = loadRecipe(o.recipe);
        if (!r.pruning)
            throw InvalidArgument("'" + o.recipe + "' has no pruning section");
        return r;
    }
    if (o.method.empty())
        throw InvalidArgument("say how to prune: --method M (see --help) or --recipe FILE");
    const PruneMethod &method = findPruneMethod(o.method);
    PruningStage stage;
    stage.method = method.name;
    if (method.structured) {
        if (o.sparsity || !o.pattern.empty())
            throw InvalidArgument("--method " + method.name + " removes whole parts: give "
                "--count K" + (method.name == "blocks" ? " or --blocks LIST" : std::string())
                + ", not --sparsity or --pattern");
        if (!o.blocks.empty() && method.name != "blocks")
            throw InvalidArgument("--blocks goes with --method blocks");
        if (!o.count && o.blocks.empty())
            throw InvalidArgument("--method " + method.name + " needs --count K (how many "
                + (method.name == "heads" ? "heads per layer"
                        : method.name == "channels" ? "FFN channels per layer"
                                                    : "blocks") + " to remove)");
        if (o.count && *o.count < 1)
            throw InvalidArgument("--count: expected at least 1");
        stage.count = o.count.value_or(int(o.blocks.size()));
        stage.blocks = o.blocks;
    } else {
        if (o.count || !o.blocks.empty())
            throw InvalidArgument("--method " + method.name + " zeros weights: give --sparsity S "
                                  "and/or --pattern N:M, not --count or --blocks");
        stage.pattern = o.pattern;
        const PrunePattern pattern = parsePrunePattern(o.pattern);
        if (!o.sparsity && !pattern.semiStructured())
            throw InvalidArgument("--method " + method.name + " needs --sparsity S (0..0.99) "
                                  "or --pattern N:M");
        if (o.sparsity && (*o.sparsity < 0.0 || *o.sparsity > 0.99))
            throw InvalidArgument("--sparsity: expected a fraction from 0 to 0.99");
        if (pattern.semiStructured())
            stage.sparsity = double(pattern.zeros) / pattern.group;
        else
            stage.sparsity = *o.sparsity;
    }
    Recipe r;
    r.name = method.name
        + (stage.pattern.empty()
                ? method.structured ? " " + std::to_string(stage.count)
                                    : " " + std::to_string(int(std::lround(stage.sparsity * 100)))
                        + "%"
                : " " + stage.pattern);
    r.pruning = stage;
    return r;
}

std::string methodsHelp()
{
    std::string help = "Methods:\n";
    for (const PruneMethod &m : pruneMethods())
        help += "  " + m.name + std::string(12 - m.name.size(), ' ') + m.description + "\n";
    return help;
}

void run(const PruneCliOptions &o, const GlobalOptions &globals)
{
    runRecipeCommand(o.run, buildRecipe(o), globals);
}

} // namespace

Command addPruneCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<PruneCliOptions>();
    CLI::App *cmd = parent.add_subcommand("prune",
        "Prune a model (magnitude, Wanda, SparseGPT, N:M; or remove heads, FFN channels or "
        "blocks) and write it as a Hugging Face folder with its recipe and a JSON report");
    cmd->footer(methodsHelp()
        + "Examples:\n"
          "  lathe-cli prune demo --method wanda --sparsity 0.5 --calib calib.txt --out demo-w50\n"
          "  lathe-cli prune MODEL --method sparsegpt --pattern 2:4 --calib calib.txt --out OUT\n"
          "  lathe-cli prune MODEL --method blocks --count 1 --calib calib.txt --out OUT\n"
          "  lathe-cli prune MODEL --recipe prune-then-quantize.yaml --calib calib.txt --out OUT");
    cmd->add_option("MODEL", o->run.model,
           "Hugging Face folder, .safetensors file with config.json beside it, .gguf, or 'demo'")
        ->required();
    cmd->add_option("--recipe", o->recipe,
        "Recipe YAML file with a pruning section (a quantization section runs after it)");
    cmd->add_option("--method", o->method,
        "magnitude, wanda, sparsegpt, heads, channels or blocks");
    cmd->add_option("--sparsity", o->sparsity, "Fraction of each module's weights set to zero");
    cmd->add_option("--pattern", o->pattern, "N:M: N zeros in every M inputs (2:4, 4:8)");
    cmd->add_option("--count", o->count,
        "heads/channels: how many to remove in every layer; blocks: how many blocks");
    cmd->add_option("--blocks", o->blocks, "blocks: exactly these (0-based, e.g. 3,5)")
        ->delimiter(',');
    addRecipeRunOptions(*cmd, o->run);
    addCommonOptions(*cmd, globals);
    return { cmd, [o, &globals] { run(*o, globals); } };
}

} // namespace lathe::cli
