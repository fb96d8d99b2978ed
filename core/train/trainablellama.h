// SPDX-License-Identifier: GPL-3.0-or-later
// A Llama whose weights are libtorch leaf tensors with requires_grad, so autograd can train
// it. The forward pass computes exactly what the inference engine (model/transformer.cpp)
// computes for a config: embedding, RMSNorm, rotary embeddings with the same f32 angles,
// grouped-query causal attention, SwiGLU MLP, tied or untied head.
#pragma once

#include "io/modelconfig.h"
#include "model/forwardobserver.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lathe {

class TrainableLlama {
public:
    // Throws UnsupportedError for an architecture other than llama, biases or rope scaling.
    explicit TrainableLlama(ModelConfig config);

    const ModelConfig &config() const { return m_config; }

    // Fresh weights from `seed`: N(0, 0.02) for matrices (residual outputs scaled down by
    // 1/sqrt(2 * layers)), ones for norms.
    void initialize(std::uint64_t seed);

    // ids [batch, tokens] (int64) -> logits [batch, tokens, vocab], positions 0..tokens-1.
    // `observer` sees linear inputs and layer outputs as [batch*tokens, features] (detached):
    // an independent check of the engine's hooks, and feature losses for distillation.
    at::Tensor forward(const at::Tensor &ids, ForwardObserver *observer = nullptr) const;
    // Mean next-token cross-entropy: inputs and targets [batch, tokens] (int64).
    at::Tensor loss(const at::Tensor &inputs, const at::Tensor &targets) const;

    // Trainable tensors under their Hugging Face names, in checkpoint order (no lm_head when
    // tied).
    const std::vector<std::string> &names() const { return m_names; }
    const std::vector<at::Tensor> &parameters() const { return m_params; }
    // Whether weight decay applies (matrices and embeddings yes, norms no).
    bool decays(std::size_t index) const { return m_decay[index]; }
    std::int64_t parameterCount() const;

    // The weights as detached contiguous f32 tensors under HF names (shares storage).
    std::map<std::string, at::Tensor> weights() const;
    // Copies values in; every parameter must be present with its shape (InvalidArgument).
    void loadWeights(const std::map<std::string, at::Tensor> &weights);

private:
    at::Tensor &add(const std::string &name, std::vector<std::int64_t> shape, bool decay);
    at::Tensor rotate(const at::Tensor &x) const; // x [batch, heads, tokens, headDim]

    ModelConfig m_config;
    std::vector<std::string> m_names;
    std::vector<at::Tensor> m_params;
    std::vector<bool> m_decay;
    at::Tensor m_cos, m_sin; // [maxPositions, headDim/2], computed like model/rope.cpp
};

} // namespace lathe
