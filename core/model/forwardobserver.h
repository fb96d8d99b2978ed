// SPDX-License-Identifier: GPL-3.0-or-later
// A hook into Transformer's forward pass for analysis: it sees the input of every linear
// module and the residual stream after every decoder layer, without copying anything when no
// observer is set. Used by activation statistics (importance matrix, outlier features).
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>

namespace lathe {

// Which linear modules of a decoder layer read an input (modules that share an input are
// reported once: q/k/v read the attention norm's output, gate/up the MLP norm's output).
enum class LinearInput {
    Attention,       // q_proj, k_proj, v_proj (GPT-2: attn.c_attn)
    AttentionOutput, // o_proj (GPT-2: attn.c_proj)
    Mlp,             // gate_proj, up_proj (GPT-2: mlp.c_fc)
    MlpOutput,       // down_proj (GPT-2: mlp.c_proj)
};

class ForwardObserver {
public:
    virtual ~ForwardObserver() = default;
    // x [tokens, in_features] f32, valid only during the call.
    virtual void linearInput(std::int64_t layer, LinearInput input, const at::Tensor &x)
    {
        (void)layer, (void)input, (void)x;
    }
    // The residual stream [tokens, hidden] after decoder layer `layer` (before the final norm).
    virtual void layerOutput(std::int64_t layer, const at::Tensor &x) { (void)layer, (void)x; }
};

} // namespace lathe
