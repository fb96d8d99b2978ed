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
    std::string method;      // stage method name
    std::string format;      // stage default format name
    double bitsPerWeight = 0.0;    // over quantized modules, scales included
    std::uint64_t weightBytes = 0; // the variant's weights as held in memory
    double seconds = 0.0;          // quantization wall time
};

} // namespace lathe
