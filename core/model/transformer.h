// SPDX-License-Identifier: GPL-3.0-or-later
// The forward pass (f32 on CPU) for the Llama family (llama, mistral, qwen2, qwen3) and GPT-2.
// Prefill uses libtorch GEMMs; single-token decode uses Lathe's own threaded matrix-vector
// kernels (see matvec.h), because stock BLAS gemv is far from the memory-bandwidth bound.
#pragma once

#include "model/forwardobserver.h"
#include "model/kvcache.h"
#include "model/model.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace lathe {

class Transformer {
public:
    explicit Transformer(std::shared_ptr<const Model> model);
    ~Transformer();

    const Model &model() const { return *m_model; }
    std::shared_ptr<const Model> modelPtr() const { return m_model; }
    const ModelConfig &config() const { return m_model->config(); }

    // A cache able to hold `capacity` tokens (default: the model's max positions).
    KVCache newCache(std::int64_t capacity = 0) const;

    // Runs `ids` at positions cache.length() .. cache.length()+ids.size()-1, appends their
    // keys/values to the cache and returns logits [ids.size(), vocab] (f32). Throws
    // InvalidArgument for ids outside the vocabulary or when the cache is full.
    at::Tensor forward(const std::vector<std::int32_t> &ids, KVCache &cache) const;
    // Same, but only the last position's logits ([vocab]): what generation needs.
    at::Tensor forwardLast(const std::vector<std::int32_t> &ids, KVCache &cache) const;
    // No-cache convenience: logits [ids.size(), vocab] for positions 0..n-1.
    at::Tensor logits(const std::vector<std::int32_t> &ids) const;

    // Analysis hook (nullptr: none). The observer sees every later forward call on this
    // Transformer; set it only while no other thread runs forward on it.
    void setObserver(ForwardObserver *observer) { m_observer = observer; }

private:
    void checkInput(const std::vector<std::int32_t> &ids, KVCache &cache) const;
    at::Tensor run(const std::vector<std::int32_t> &ids, KVCache &cache, bool lastOnly) const;
    // One decoder layer over x [tokens, hidden], in place.
    void layer(std::int64_t index, at::Tensor &x, KVCache &cache, std::int64_t start) const;

    struct Impl;
    std::shared_ptr<const Model> m_model;
    std::unique_ptr<Impl> m_impl;
    ForwardObserver *m_observer = nullptr;
};

} // namespace lathe
