// SPDX-License-Identifier: GPL-3.0-or-later
// Folding per-input-channel scales s (AWQ, SmoothQuant) into a Llama-family model without
// changing the function it computes: every module reading the input gets W diag(s), and
// whatever produces the input absorbs 1/s (the RMSNorm weight before q/k/v and gate/up,
// v_proj's output rows before o_proj when there is one KV head per query head, up_proj's
// output rows before down_proj).
#pragma once

#include "model/forwardobserver.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lathe {

class Model;
struct ModelConfig;

// Whether the producer of `input` can absorb 1/s (o_proj only without grouped-query
// attention, since a KV head's channels feed several query heads' outputs).
bool canFoldInputScales(const ModelConfig &config, LinearInput input);

// Weight names of the modules of decoder layer `layer` that read `input`, in forward order.
std::vector<std::string> modulesReading(const ModelConfig &config, std::int64_t layer,
    LinearInput input);

// Folds `scales` [in] (> 0) for `input` of decoder layer `layer`. `tensors` holds tensors
// already changed (by name); everything else is read from `base`. The new f32 values of the
// readers' weights and of the producer (norm weight, or v_proj/up_proj weight and bias) are
// written into `tensors`; nothing is changed in place. Throws InvalidArgument when the input
// cannot absorb scales (canFoldInputScales) or the length does not fit.
void foldInputScales(const Model &base, std::int64_t layer, LinearInput input,
    const at::Tensor &scales, std::map<std::string, at::Tensor> &tensors);

} // namespace lathe
