// SPDX-License-Identifier: GPL-3.0-or-later
// Tensor names of llama.cpp's GGUF files mapped to Hugging Face names for the llama family
// (llama, mistral, qwen2, qwen3), and the undoing of the q/k row permutation that
// llama.cpp's HF -> GGUF converter applies to llama-architecture models.
#pragma once

#include "io/modelconfig.h"

#include <cstdint>
#include <optional>
#include <string>

namespace lathe {

struct GgufNameMapping {
    std::string hfName; // e.g. "model.layers.0.self_attn.q_proj.weight"
    // > 0: llama.cpp's converter permuted this tensor's rows for this many heads; pass the
    // rows through unpermuteQkRows() to get Hugging Face's rotate-half layout back.
    std::int64_t permuteHeads = 0;
};

// The Hugging Face name of a GGUF tensor ("blk.3.ffn_up.weight" ->
// "model.layers.3.mlp.up_proj.weight"); nullopt for names without an HF counterpart
// (e.g. rope_freqs.weight), block numbers outside config.numLayers, and architectures
// whose tensors need more than a rename (gpt2).
std::optional<GgufNameMapping> mapGgufTensorName(const std::string &ggufName,
                                                 const ModelConfig &config);
// The inverse rename (HF -> GGUF) for the same tensors; nullopt when there is none.
std::optional<std::string> hfToGgufTensorName(const std::string &hfName,
                                              const ModelConfig &config);

// Undoes llama.cpp's permutation of a [rows, cols] row-major q or k weight (or a bias with
// cols == 1): within each of `heads` heads, GGUF row 2*i + c holds HF row c*(d/2) + i,
// where d = rows / heads. Throws InvalidArgument unless rows is a multiple of 2 * heads.
// src and dst must not overlap.
void unpermuteQkRows(const float *src, float *dst, std::int64_t rows, std::int64_t cols,
                     std::int64_t heads);
// The converter's own permutation (HF -> GGUF), for writing GGUF files.
void permuteQkRows(const float *src, float *dst, std::int64_t rows, std::int64_t cols,
                   std::int64_t heads);

} // namespace lathe
