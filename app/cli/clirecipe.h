// SPDX-License-Identifier: GPL-3.0-or-later
// What `quantize` and `prune` share: load the model, read the calibration text the recipe
// needs, run the recipe (recipe/runrecipe.h: pruning, then quantization), and write the
// variant as a Hugging Face folder with recipe.yaml and a JSON report, atomically.
#pragma once

#include "clicommon.h"

#include "recipe/recipe.h"

#include <optional>
#include <string>
#include <utility>

namespace lathe::cli {

struct RecipeRunOptions {
    RecipeRunOptions(std::string report, std::string command)
        : reportFile(std::move(report))
        , commandName(std::move(command))
    {
    }
    std::string model;
    std::string calib;
    std::string tokenizer;
    std::optional<int> samples;
    std::optional<int> ctx;
    std::string out;
    bool overwrite = false;
    std::string reportFile;  // "quantize.json" or "prune.json"
    std::string commandName; // "quantize" or "prune", for messages
};

// Adds --calib, --tokenizer, --samples, --ctx, --out and --overwrite to `command`.
void addRecipeRunOptions(CLI::App &command, RecipeRunOptions &o);

// Runs `recipe` as the options say and prints a summary (or the report with --json).
void runRecipeCommand(const RecipeRunOptions &o, Recipe recipe, const GlobalOptions &globals);

} // namespace lathe::cli
