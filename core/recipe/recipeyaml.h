// SPDX-License-Identifier: GPL-3.0-or-later
// Recipes as YAML (yaml-cpp): `lathe_recipe: 1` first, then `name`, `calibration` and
// `quantization` sections (see the README's Recipes section for every key). Reading checks
// everything (unknown keys, wrong types, unknown formats and methods, schema version) and
// names the line and what was expected; writing emits every key, so a saved recipe documents
// itself and reads back equal.
#pragma once

#include "recipe/recipe.h"

#include <string>

namespace lathe {

// `source` names the text in errors ("my-recipe.yaml"). Throws FormatError
// "my-recipe.yaml line 7: 'bits' ... expected ...".
Recipe parseRecipeYaml(const std::string &yamlText, const std::string &source);
std::string recipeToYaml(const Recipe &recipe);

// Files: read (IoError when unreadable) and write atomically (temporary file, then rename).
Recipe loadRecipe(const std::string &path);
void saveRecipe(const Recipe &recipe, const std::string &path);

} // namespace lathe
