// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/engineweights.h"

#include "model/model.h"
#include "quant/packedmatrix.h"
#include "util/error.h"

#include <ATen/ATen.h>

namespace lathe {

namespace {

at::Tensor optionalWeight(const Model &m, const std::string &name)
{
    const at::Tensor *t = m.findWeight(name);
    return t ? *t : at::Tensor();
}

// The model's packed matrix under `name` when it has one, else its f32 tensor.
LinearWeight linearWeight(const Model &m, const std::string &name)
{
    LinearWeight w;
    w.packed = m.findPacked(name);
    if (!w.packed)
        w.f32 = m.weight(name);
    w.int8Activations = m.int8Activations().count(name) > 0;
    return w;
}

Activation activationFor(const std::string &name)
{
    if (name == "silu" || name == "swish")
        return Activation::Silu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
        return Activation::GeluTanh;
    if (name == "gelu")
        return Activation::GeluErf;
    throw UnsupportedError("activation '" + name
                           + "' is not supported (Lathe supports silu, gelu and gelu_new)");
}

EngineWeights llamaWeights(const Model &m)
{
    const ModelConfig &c = m.config();
    EngineWeights w;
    w.norm = NormKind::Rms;
    w.activation = activationFor(c.hiddenAct);
    w.rotary = true;
    w.embed = m.weight("model.embed_tokens.weight");
    for (std::int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        LayerWeights l;
        l.norm1 = m.weight(p + "input_layernorm.weight");
        l.wq = linearWeight(m, p + "self_attn.q_proj.weight");
        l.wk = linearWeight(m, p + "self_attn.k_proj.weight");
        l.wv = linearWeight(m, p + "self_attn.v_proj.weight");
        l.wo = linearWeight(m, p + "self_attn.o_proj.weight");
        l.bq = optionalWeight(m, p + "self_attn.q_proj.bias");
        l.bk = optionalWeight(m, p + "self_attn.k_proj.bias");
        l.bv = optionalWeight(m, p + "self_attn.v_proj.bias");
        l.bo = optionalWeight(m, p + "self_attn.o_proj.bias");
        if (c.qkNorm) {
            l.qNorm = m.weight(p + "self_attn.q_norm.weight");
            l.kNorm = m.weight(p + "self_attn.k_norm.weight");
        }
        l.norm2 = m.weight(p + "post_attention_layernorm.weight");
        l.wGate = linearWeight(m, p + "mlp.gate_proj.weight");
        l.wUp = linearWeight(m, p + "mlp.up_proj.weight");
        l.wDown = linearWeight(m, p + "mlp.down_proj.weight");
        l.bGate = optionalWeight(m, p + "mlp.gate_proj.bias");
        l.bUp = optionalWeight(m, p + "mlp.up_proj.bias");
        l.bDown = optionalWeight(m, p + "mlp.down_proj.bias");
        w.layers.push_back(std::move(l));
    }
    w.finalNorm = m.weight("model.norm.weight");
    w.lmHead = linearWeight(m, "lm_head.weight");
    return w;
}

// Conv1D [in, out] -> Linear [out, in].
at::Tensor linearFromConv1d(const at::Tensor &t) { return t.t().contiguous(); }

EngineWeights gpt2Weights(const Model &m)
{
    const ModelConfig &c = m.config();
    const std::int64_t h = c.hiddenSize;
    EngineWeights w;
    w.norm = NormKind::Layer;
    w.activation = activationFor(c.hiddenAct);
    w.rotary = false;
    w.embed = m.weight("transformer.wte.weight");
    w.positions = m.weight("transformer.wpe.weight");
    for (std::int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "transformer.h." + std::to_string(i) + ".";
        LayerWeights l;
        l.norm1 = m.weight(p + "ln_1.weight");
        l.norm1Bias = m.weight(p + "ln_1.bias");
        const at::Tensor qkv = linearFromConv1d(m.weight(p + "attn.c_attn.weight")); // [3h, h]
        const at::Tensor qkvBias = m.weight(p + "attn.c_attn.bias");                // [3h]
        // Row slices of a contiguous matrix are contiguous.
        l.wq.f32 = qkv.narrow(0, 0, h);
        l.wk.f32 = qkv.narrow(0, h, h);
        l.wv.f32 = qkv.narrow(0, 2 * h, h);
        l.bq = qkvBias.narrow(0, 0, h);
        l.bk = qkvBias.narrow(0, h, h);
        l.bv = qkvBias.narrow(0, 2 * h, h);
        l.wo.f32 = linearFromConv1d(m.weight(p + "attn.c_proj.weight"));
        l.bo = m.weight(p + "attn.c_proj.bias");
        l.norm2 = m.weight(p + "ln_2.weight");
        l.norm2Bias = m.weight(p + "ln_2.bias");
        l.wUp.f32 = linearFromConv1d(m.weight(p + "mlp.c_fc.weight"));
        l.bUp = m.weight(p + "mlp.c_fc.bias");
        l.wDown.f32 = linearFromConv1d(m.weight(p + "mlp.c_proj.weight"));
        l.bDown = m.weight(p + "mlp.c_proj.bias");
        w.layers.push_back(std::move(l));
    }
    w.finalNorm = m.weight("transformer.ln_f.weight");
    w.finalNormBias = m.weight("transformer.ln_f.bias");
    w.lmHead.f32 = m.weight("lm_head.weight");
    return w;
}

} // namespace

std::int64_t LinearWeight::outFeatures() const
{
    return packed ? packed->rows : f32.size(0);
}

EngineWeights buildEngineWeights(const Model &model)
{
    return model.config().arch == Architecture::Gpt2 ? gpt2Weights(model) : llamaWeights(model);
}

} // namespace lathe
