// SPDX-License-Identifier: GPL-3.0-or-later
// What made a compressed variant, in plain types: the variant bar's label, the recipe as run,
// its size.
#pragma once

#include <cstdint>
#include <string>

namespace lathe {

// What made a variant, for the variant bar, the Evaluate view and exports.
struct VariantInfo {
    std::string name;        // recipe name, or a generated one ("W4 g128 GPTQ")
    std::string recipeYaml;  // the recipe as run (planner rules written in)
    std::string method;      // quantization method name ("none" when the recipe only prunes)
    std::string format;      // quantization default format name ("f32" when only pruned)
    std::string pruning;     // "wanda 50%", "sparsegpt 2:4", "heads -4"; "" when not pruned
    double sparsity = 0.0;   // zeros / weights over the decoder's linear modules
    std::int64_t parameters = 0;   // after structured pruning, smaller than the original's
    double bitsPerWeight = 0.0;    // over quantized modules, scales included (32: f32)
    std::uint64_t weightBytes = 0; // the variant's weights as held in memory
    double seconds = 0.0;          // wall time of the whole recipe
};

} // namespace lathe
