// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/ggufnames.h"

#include "util/error.h"

#include <array>
#include <cstring>
#include <utility>

namespace lathe {

namespace {

// GGUF name (without "blk.N.") -> HF name (without "model.layers.N.").
constexpr std::array<std::pair<const char *, const char *>, 18> kBlockNames{{
    {"attn_norm.weight", "input_layernorm.weight"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"attn_q.weight", "self_attn.q_proj.weight"},
    {"attn_q.bias", "self_attn.q_proj.bias"},
    {"attn_k.weight", "self_attn.k_proj.weight"},
    {"attn_k.bias", "self_attn.k_proj.bias"},
    {"attn_v.weight", "self_attn.v_proj.weight"},
    {"attn_v.bias", "self_attn.v_proj.bias"},
    {"attn_output.weight", "self_attn.o_proj.weight"},
    {"attn_output.bias", "self_attn.o_proj.bias"},
    {"attn_q_norm.weight", "self_attn.q_norm.weight"},
    {"attn_k_norm.weight", "self_attn.k_norm.weight"},
    {"ffn_gate.weight", "mlp.gate_proj.weight"},
    {"ffn_gate.bias", "mlp.gate_proj.bias"},
    {"ffn_up.weight", "mlp.up_proj.weight"},
    {"ffn_up.bias", "mlp.up_proj.bias"},
    {"ffn_down.weight", "mlp.down_proj.weight"},
    {"ffn_down.bias", "mlp.down_proj.bias"},
}};

constexpr std::array<std::pair<const char *, const char *>, 3> kGlobalNames{{
    {"token_embd.weight", "model.embed_tokens.weight"},
    {"output_norm.weight", "model.norm.weight"},
    {"output.weight", "lm_head.weight"},
}};

bool isLlamaFamily(Architecture a) { return a != Architecture::Gpt2; }

// llama.cpp permutes q/k rows only when converting llama-architecture checkpoints (Mistral
// checkpoints are converted as llama too); qwen2/qwen3 keep HF's layout.
std::int64_t permutedHeads(const std::string &suffix, const ModelConfig &config)
{
    if (config.arch != Architecture::Llama && config.arch != Architecture::Mistral)
        return 0;
    if (suffix == "attn_q.weight" || suffix == "attn_q.bias")
        return config.numHeads;
    if (suffix == "attn_k.weight" || suffix == "attn_k.bias")
        return config.numKvHeads > 0 ? config.numKvHeads : config.numHeads;
    return 0;
}

// Parses "<prefix><N>.<rest>" with N a plain decimal below `limit` (when limit > 0).
bool splitLayer(const std::string &name, const std::string &prefix, std::int64_t limit,
                std::int64_t &layer, std::string &rest)
{
    if (name.compare(0, prefix.size(), prefix) != 0)
        return false;
    std::size_t pos = prefix.size();
    const std::size_t digits = pos;
    std::int64_t n = 0;
    while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9') {
        if (pos - digits >= 9)
            return false;
        n = n * 10 + (name[pos] - '0');
        ++pos;
    }
    if (pos == digits || pos >= name.size() || name[pos] != '.')
        return false;
    if (pos - digits > 1 && name[digits] == '0')
        return false; // "blk.01" is not a name llama.cpp writes
    if (limit > 0 && n >= limit)
        return false;
    layer = n;
    rest = name.substr(pos + 1);
    return true;
}

void checkPermuteArgs(std::int64_t rows, std::int64_t cols, std::int64_t heads)
{
    if (heads <= 0 || rows <= 0 || cols <= 0 || rows % (2 * heads) != 0)
        throw InvalidArgument("cannot (un)permute q/k rows: " + std::to_string(rows)
                              + " rows are not a positive multiple of 2 x "
                              + std::to_string(heads) + " heads");
}

// Copies rows between the two layouts; `toHf` picks the direction.
void moveRows(const float *src, float *dst, std::int64_t rows, std::int64_t cols,
              std::int64_t heads, bool toHf)
{
    checkPermuteArgs(rows, cols, heads);
    const std::int64_t headDim = rows / heads;
    const std::int64_t halfDim = headDim / 2;
    const auto rowBytes = static_cast<std::size_t>(cols) * sizeof(float);
    for (std::int64_t h = 0; h < heads; ++h) {
        for (std::int64_t i = 0; i < halfDim; ++i) {
            for (std::int64_t c = 0; c < 2; ++c) {
                const std::int64_t ggufRow = h * headDim + 2 * i + c;
                const std::int64_t hfRow = h * headDim + c * halfDim + i;
                const std::int64_t from = toHf ? ggufRow : hfRow;
                const std::int64_t to = toHf ? hfRow : ggufRow;
                std::memcpy(dst + to * cols, src + from * cols, rowBytes);
            }
        }
    }
}

} // namespace

std::optional<GgufNameMapping> mapGgufTensorName(const std::string &ggufName,
                                                 const ModelConfig &config)
{
    if (!isLlamaFamily(config.arch))
        return std::nullopt;
    for (const auto &[gguf, hf] : kGlobalNames)
        if (ggufName == gguf)
            return GgufNameMapping{hf, 0};
    std::int64_t layer = 0;
    std::string rest;
    if (!splitLayer(ggufName, "blk.", config.numLayers, layer, rest))
        return std::nullopt;
    for (const auto &[gguf, hf] : kBlockNames) {
        if (rest != gguf)
            continue;
        return GgufNameMapping{"model.layers." + std::to_string(layer) + "." + hf,
                               permutedHeads(rest, config)};
    }
    return std::nullopt;
}

std::optional<std::string> hfToGgufTensorName(const std::string &hfName,
                                              const ModelConfig &config)
{
    if (!isLlamaFamily(config.arch))
        return std::nullopt;
    for (const auto &[gguf, hf] : kGlobalNames)
        if (hfName == hf)
            return std::string(gguf);
    std::int64_t layer = 0;
    std::string rest;
    if (!splitLayer(hfName, "model.layers.", config.numLayers, layer, rest))
        return std::nullopt;
    for (const auto &[gguf, hf] : kBlockNames) {
        if (rest != hf)
            continue;
        return "blk." + std::to_string(layer) + "." + gguf;
    }
    return std::nullopt;
}

void unpermuteQkRows(const float *src, float *dst, std::int64_t rows, std::int64_t cols,
                     std::int64_t heads)
{
    moveRows(src, dst, rows, cols, heads, true);
}

void permuteQkRows(const float *src, float *dst, std::int64_t rows, std::int64_t cols,
                   std::int64_t heads)
{
    moveRows(src, dst, rows, cols, heads, false);
}

} // namespace lathe
