// SPDX-License-Identifier: GPL-3.0-or-later
// Round-to-nearest with a searched scale: per group, try shrinking the range (ratios 1.0 down
// to `minRatio`) and keep the one with the least squared error, optionally weighted per input
// column by the activation importance (mean x^2 from activation statistics) so that columns
// the model leans on are rounded more carefully. Works for every scheme.
#pragma once

#include "quant/packedmatrix.h"
#include "quant/weightformat.h"

#include <ATen/Tensor.h>

#include <vector>

namespace lathe {

struct ClipSearchOptions {
    int steps = 20;          // ratios 1, 1 - (1 - minRatio)/steps, ..., minRatio
    double minRatio = 0.5;
    std::vector<double> importance; // per input column (empty: plain MSE)
};

// Same layout and format as packWeight(weight, format), never a larger weighted error than it.
// Throws InvalidArgument when importance has the wrong length.
PackedMatrix packWeightClipSearch(const at::Tensor &weight, const WeightFormat &format,
    const ClipSearchOptions &options);

} // namespace lathe
