// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/modelspec.h"

#include "util/error.h"

namespace lathe {

namespace {

using Shape = std::vector<std::int64_t>;

void llamaSpecs(const ModelConfig &c, std::vector<TensorSpec> &out)
{
    const std::int64_t h = c.hiddenSize, qDim = c.numHeads * c.headDim;
    const std::int64_t kvDim = c.numKvHeads * c.headDim, ffn = c.intermediateSize;
    out.push_back({"model.embed_tokens.weight", {c.vocabSize, h}});
    for (std::int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        const std::string a = p + "self_attn.";
        const bool qkvBias = c.attentionBias;
        out.push_back({p + "input_layernorm.weight", {h}});
        out.push_back({a + "q_proj.weight", {qDim, h}});
        out.push_back({a + "q_proj.bias", {qDim}, !qkvBias});
        out.push_back({a + "k_proj.weight", {kvDim, h}});
        out.push_back({a + "k_proj.bias", {kvDim}, !qkvBias});
        out.push_back({a + "v_proj.weight", {kvDim, h}});
        out.push_back({a + "v_proj.bias", {kvDim}, !qkvBias});
        out.push_back({a + "o_proj.weight", {h, qDim}});
        out.push_back({a + "o_proj.bias", {h}, true});
        if (c.qkNorm) {
            out.push_back({a + "q_norm.weight", {c.headDim}});
            out.push_back({a + "k_norm.weight", {c.headDim}});
        }
        out.push_back({p + "post_attention_layernorm.weight", {h}});
        const std::string m = p + "mlp.";
        out.push_back({m + "gate_proj.weight", {ffn, h}});
        out.push_back({m + "gate_proj.bias", {ffn}, !c.mlpBias});
        out.push_back({m + "up_proj.weight", {ffn, h}});
        out.push_back({m + "up_proj.bias", {ffn}, !c.mlpBias});
        out.push_back({m + "down_proj.weight", {h, ffn}});
        out.push_back({m + "down_proj.bias", {h}, !c.mlpBias});
    }
    out.push_back({"model.norm.weight", {h}});
    out.push_back({"lm_head.weight", {c.vocabSize, h}});
}

// GPT-2's Conv1D layers store weights as [in, out].
void gpt2Specs(const ModelConfig &c, std::vector<TensorSpec> &out)
{
    const std::int64_t h = c.hiddenSize, ffn = c.intermediateSize;
    out.push_back({"transformer.wte.weight", {c.vocabSize, h}});
    out.push_back({"transformer.wpe.weight", {c.maxPositions, h}});
    for (std::int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "transformer.h." + std::to_string(i) + ".";
        out.push_back({p + "ln_1.weight", {h}});
        out.push_back({p + "ln_1.bias", {h}});
        out.push_back({p + "attn.c_attn.weight", {h, 3 * h}});
        out.push_back({p + "attn.c_attn.bias", {3 * h}});
        out.push_back({p + "attn.c_proj.weight", {h, h}});
        out.push_back({p + "attn.c_proj.bias", {h}});
        out.push_back({p + "ln_2.weight", {h}});
        out.push_back({p + "ln_2.bias", {h}});
        out.push_back({p + "mlp.c_fc.weight", {h, ffn}});
        out.push_back({p + "mlp.c_fc.bias", {ffn}});
        out.push_back({p + "mlp.c_proj.weight", {ffn, h}});
        out.push_back({p + "mlp.c_proj.bias", {h}});
    }
    out.push_back({"transformer.ln_f.weight", {h}});
    out.push_back({"transformer.ln_f.bias", {h}});
    out.push_back({"lm_head.weight", {c.vocabSize, h}});
}

} // namespace

std::vector<TensorSpec> tensorSpecs(const ModelConfig &config)
{
    std::vector<TensorSpec> out;
    if (config.arch == Architecture::Gpt2)
        gpt2Specs(config, out);
    else
        llamaSpecs(config, out);
    return out;
}

std::string embeddingName(const ModelConfig &config)
{
    return config.arch == Architecture::Gpt2 ? "transformer.wte.weight"
                                             : "model.embed_tokens.weight";
}

void normalizeConfig(ModelConfig &c, const std::string &source)
{
    auto fail = [&](const std::string &what) {
        throw FormatError("the model configuration of '" + source + "' " + what);
    };
    if (c.hiddenSize <= 0 || c.numLayers <= 0 || c.numHeads <= 0 || c.vocabSize <= 0)
        fail("needs positive hidden size, layer count, head count and vocabulary size");
    if (c.numKvHeads <= 0)
        c.numKvHeads = c.numHeads;
    if (c.headDim <= 0)
        c.headDim = c.hiddenSize / c.numHeads;
    if (c.arch == Architecture::Gpt2) {
        c.numKvHeads = c.numHeads;
        if (c.intermediateSize <= 0)
            c.intermediateSize = 4 * c.hiddenSize;
        if (c.hiddenSize % c.numHeads != 0)
            fail("has a hidden size (" + std::to_string(c.hiddenSize)
                 + ") that is not a multiple of the head count (" + std::to_string(c.numHeads)
                 + ")");
    }
    if (c.intermediateSize <= 0)
        fail("needs a positive intermediate_size");
    if (c.headDim <= 0 || (c.arch != Architecture::Gpt2 && c.headDim % 2 != 0))
        fail("gives a head size of " + std::to_string(c.headDim)
             + "; rotary embeddings need an even head size");
    if (c.numHeads % c.numKvHeads != 0)
        fail("has " + std::to_string(c.numHeads) + " attention heads, not a multiple of its "
             + std::to_string(c.numKvHeads) + " key/value heads");
    if (c.maxPositions <= 0)
        fail("needs a positive maximum number of positions");
    if (c.slidingWindow < 0 || c.slidingWindowFromLayer < 0)
        fail("gives a negative sliding window (" + std::to_string(c.slidingWindow)
             + ") or first sliding-window layer (" + std::to_string(c.slidingWindowFromLayer)
             + ")");
}

} // namespace lathe
