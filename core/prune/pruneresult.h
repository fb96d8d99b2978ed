// SPDX-License-Identifier: GPL-3.0-or-later
// What a pruning run returns: the pruned variant, the recipe as run, and how much of each
// module (and of the whole model) is now zero or gone. Shared by the unstructured pruners
// (unstructuredprune.h) and the structured ones (structuredprune.h).
#pragma once

#include "recipe/recipe.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class Model;

struct ModulePruneReport {
    std::string module;          // HF module name ("model.layers.0.mlp.down_proj")
    std::int64_t zeros = 0;      // weights that are exactly zero after pruning
    std::int64_t weights = 0;    // weights the module has after pruning
    std::int64_t removed = 0;    // weights removed by structured pruning (0 when unstructured)
    double sparsity() const { return weights ? double(zeros) / double(weights) : 0.0; }
};

struct PruneResult {
    std::shared_ptr<Model> variant;
    Recipe recipe;                          // as run (blocks chosen by influence written in)
    std::vector<ModulePruneReport> modules; // decoder linear modules, in model order
    // Block influence 1 - cos(h_in, h_out) per decoder block on the calibration text (filled
    // by the blocks method; empty otherwise).
    std::vector<double> blockInfluence;
    double sparsity = 0.0;                  // zeros / weights over the modules above
    std::int64_t parametersBefore = 0, parametersAfter = 0; // Model::parameterCount()
    double seconds = 0.0;
};

} // namespace lathe
