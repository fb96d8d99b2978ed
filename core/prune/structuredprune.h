// SPDX-License-Identifier: GPL-3.0-or-later
// Structured pruning: removes whole attention heads, FFN channels or decoder blocks, so the
// variant has a smaller config and smaller tensors (not zeros). Heads and channels are ranked
// per layer on calibration data; blocks by block influence (blockinfluence.h) unless the
// stage names them. Llama-family models only.
#pragma once

#include "prune/pruneresult.h"
#include "recipe/recipe.h"
#include "util/progress.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace lathe {

class Model;

// stage.method:
// - "heads": removes stage.count query heads from every layer (the same number per layer
//   keeps one valid config). Under GQA whole KV groups go (a key/value head with the query
//   heads that read it), so count must be a multiple of numHeads / numKvHeads. Groups are
//   ranked by the energy of their contribution through o_proj on the calibration text.
// - "channels": removes stage.count FFN channels from every layer (gate/up rows, down_proj
//   columns), ranked by mean |input| of down_proj times the L2 norm of its column.
// - "blocks": removes stage.blocks, or else the stage.count blocks of least block influence;
//   the chosen blocks are written into result.recipe.pruning->blocks.
// Untouched tensors are shared with `base`; the variant keeps base's source folder, so an HF
// export copies its tokenizer. Throws InvalidArgument for counts that do not fit or missing
// calibration (naming the method), UnsupportedError for GPT-2 or a quantized base.
PruneResult pruneStructured(const std::shared_ptr<const Model> &base, const PruningStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

} // namespace lathe
