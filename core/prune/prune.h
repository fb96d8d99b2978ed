// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a recipe's pruning stage: the unstructured pruners (magnitude, Wanda, SparseGPT, each
// optionally N:M) zero weights in place of shape; the structured ones (heads, channels, blocks)
// return a smaller model with a new config. The base model is never changed.
#pragma once

#include "prune/pruneresult.h"
#include "util/progress.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace lathe {

class Model;

// `calibration`: token windows (calibrationSequences); may be empty only when the method
// needs none (magnitude, or blocks with an explicit list). Throws InvalidArgument naming what
// is wrong; CancelledError when cancelled.
PruneResult pruneModel(const std::shared_ptr<const Model> &base, const PruningStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// Whether running `stage` reads calibration text.
bool pruningNeedsCalibration(const PruningStage &stage);

} // namespace lathe
