// SPDX-License-Identifier: GPL-3.0-or-later
// Unstructured and semi-structured (N:M) pruning of a Llama-family model's decoder linear
// modules: magnitude (|W|, no calibration), Wanda (|W| x input-channel norm) and SparseGPT
// (OBS updates with the calibration Hessian). Layer by layer: each layer's inputs are captured
// on the model with the earlier layers already pruned. The result is a variant whose pruned
// weights are replaced f32 tensors (same shapes, zeros exactly 0.0f); everything else is
// shared with the base model.
#pragma once

#include "analysis/linearmodules.h"
#include "prune/pruneresult.h"
#include "recipe/recipe.h"
#include "util/progress.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace lathe {

class Model;

// stage.method "magnitude", "wanda" or "sparsegpt"; stage.pattern "" (unstructured, each row
// loses round(sparsity * cols) weights) or "N:M" (N zeros in every M consecutive inputs of each
// row; a ragged last group of length L < M gets floor(N * L / M)). `calibration`: token
// windows (calibrationSequences), needed by wanda and sparsegpt. Progress per layer; checks
// `cancel` between layers (CancelledError; `base` is never changed). Throws InvalidArgument
// for an unknown method, a malformed pattern, a sparsity outside 0..1, a bad rule or missing
// calibration; UnsupportedError for architectures other than the Llama family.
PruneResult pruneUnstructured(const std::shared_ptr<const Model> &base, const PruningStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// Target sparsity of one module: stage.sparsity, then each matching rule that sets one (later
// rules win, like QuantRule), then `ignore` (globs via globMatch, or a kind) gives 0. 0 means
// the module is left alone. With an N:M pattern every module that is pruned at all gets N/M
// (the pattern fixes it). Throws InvalidArgument for a sparsity outside 0..1 or a malformed
// pattern.
double moduleSparsity(const PruningStage &stage, const LinearModule &module);

} // namespace lathe
