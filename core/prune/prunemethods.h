// SPDX-License-Identifier: GPL-3.0-or-later
// The pruning methods in one table (name, kind, what it needs, a line for users), from which
// the recipe reader, the CLI help and the GUI's method list are generated, and the N:M pattern
// grammar. Plain types: no libtorch.
#pragma once

#include <string>
#include <vector>

namespace lathe {

struct PruneMethod {
    std::string name;        // "magnitude", "wanda", "sparsegpt", "heads", "channels", "blocks"
    bool structured = false; // removes whole heads/channels/blocks (new shapes, new config)
    bool needsCalibration = false; // blocks only when no explicit block list is given
    std::string description;
};

const std::vector<PruneMethod> &pruneMethods();
// Throws InvalidArgument listing the known names.
const PruneMethod &findPruneMethod(const std::string &name);

// "N:M": N zeros in every M consecutive inputs of a row. "" gives {0, 0} (unstructured).
struct PrunePattern {
    int zeros = 0;
    int group = 0;
    bool semiStructured() const { return group > 0; }
};
// Throws InvalidArgument saying what is expected ("2:4", "4:8", 0 < N < M <= 64).
PrunePattern parsePrunePattern(const std::string &text);

} // namespace lathe
