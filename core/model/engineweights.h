// SPDX-License-Identifier: GPL-3.0-or-later
// The weights of a Model arranged the way the forward pass reads them: one struct per layer,
// every matrix contiguous f32 [out, in] or packed. Llama-family tensors are the model's own (no copy);
// GPT-2's Conv1D [in, out] matrices are transposed once, c_attn split into q/k/v.
#pragma once

#include <ATen/Tensor.h>

#include <memory>
#include <vector>

namespace lathe {

class Model;
struct PackedMatrix;

// A linear layer's weight [out, in]: contiguous f32, or packed codes (then `f32` is undefined)
// for the layers of a compressed variant.
struct LinearWeight {
    at::Tensor f32;
    std::shared_ptr<const PackedMatrix> packed;
    bool int8Activations = false; // quantize the input to int8 per token first (W8A8)

    bool defined() const { return f32.defined() || packed != nullptr; }
    std::int64_t outFeatures() const;
};

enum class NormKind { Rms, Layer };
enum class Activation { Silu, GeluTanh, GeluErf };

struct LayerWeights {
    at::Tensor norm1, norm1Bias;          // [hidden] (bias: LayerNorm only)
    LinearWeight wq, wk, wv, wo;          // [heads*headDim, hidden] ... [hidden, heads*headDim]
    at::Tensor bq, bk, bv, bo;            // undefined when absent
    at::Tensor qNorm, kNorm;              // [headDim], qwen3 only
    at::Tensor norm2, norm2Bias;          // [hidden]
    LinearWeight wGate, wUp, wDown;       // [ffn, hidden], [ffn, hidden], [hidden, ffn]
    at::Tensor bGate, bUp, bDown;         // undefined when absent; no gate for GPT-2
};

struct EngineWeights {
    NormKind norm = NormKind::Rms;
    Activation activation = Activation::Silu;
    bool rotary = true;        // rope (llama family) or learned positions (GPT-2)
    at::Tensor embed;          // [vocab, hidden]
    at::Tensor positions;      // [maxPositions, hidden], GPT-2 only
    std::vector<LayerWeights> layers;
    at::Tensor finalNorm, finalNormBias; // [hidden]
    LinearWeight lmHead;       // [vocab, hidden]
};

// Throws UnsupportedError for an activation Lathe does not implement.
EngineWeights buildEngineWeights(const Model &model);

} // namespace lathe
