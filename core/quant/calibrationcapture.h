// SPDX-License-Identifier: GPL-3.0-or-later
// Collects what the calibration-based quantizers need about the inputs of one decoder layer's
// linear modules (or of the output head), by running calibration sequences through a model
// with a ForwardObserver: per input (q/k/v share one, gate/up share one) the per-channel
// absmax and mean square, optionally the GPTQ Hessian and an even subsample of input rows
// (AWQ). The forward pass stops right after the captured layer, so capturing layer l costs
// l + 1 layers per sequence, not the whole model.
#pragma once

#include "model/forwardobserver.h"
#include "util/progress.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace lathe {

class HessianAccumulator;
class Model;

// What to collect for one input of the layer.
struct CaptureRequest {
    bool hessian = false;  // GPTQ
    std::int64_t rows = 0; // AWQ: keep up to this many input rows (evenly subsampled); 0: none
};

struct CapturedInput {
    at::Tensor absmax;     // [in] f32: max |x| per channel (SmoothQuant)
    at::Tensor meanSquare; // [in] f64: mean x^2 per channel (importance)
    at::Tensor meanAbs;    // [in] f32: mean |x| per channel (AWQ)
    at::Tensor hessian;    // [in, in] f64, 2 X^T X / n; undefined unless asked for
    at::Tensor rows;       // [kept, in] f32; undefined unless asked for
    std::int64_t tokens = 0;
};

// The output head's input: the final norm's output. Keyed apart from the decoder inputs.
inline constexpr std::int64_t kHeadLayer = -1;

// Runs `sequences` through `model` and returns the captured inputs of decoder layer `layer`
// (keys: the LinearInput values asked for), or of the output head when layer == kHeadLayer
// (key LinearInput::Attention). Checks `cancel` before each sequence; progress per sequence.
std::map<LinearInput, CapturedInput> captureLayerInputs(const std::shared_ptr<const Model> &model,
    std::int64_t layer, const std::map<LinearInput, CaptureRequest> &requests,
    const std::vector<std::vector<std::int32_t>> &sequences, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

} // namespace lathe
