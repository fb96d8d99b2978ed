// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/trainablellama.h"

#include "model/rope.h"
#include "util/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace lathe {

namespace {

at::Tensor rmsNorm(const at::Tensor &x, const at::Tensor &w, double eps)
{
    return x * at::rsqrt(x.pow(2).mean(-1, true) + eps) * w;
}

at::Tensor project(const at::Tensor &x, const at::Tensor &w)
{
    return at::matmul(x, w.t());
}

std::string layerName(std::int64_t l, const char *suffix)
{
    return "model.layers." + std::to_string(l) + "." + suffix;
}

} // namespace

TrainableLlama::TrainableLlama(ModelConfig config)
    : m_config(std::move(config))
{
    const ModelConfig &c = m_config;
    if (c.arch != Architecture::Llama)
        throw UnsupportedError(
            "the trainer builds Llama models only, not '" + architectureName(c.arch) + "'");
    if (c.attentionBias || c.mlpBias || c.qkNorm || c.slidingWindow > 0
        || !c.ropeScaling.type.empty() || c.hiddenAct != "silu")
        throw UnsupportedError("the trainer supports plain Llama blocks only (no biases, qk "
                               "norms, sliding windows or rope scaling)");
    const std::int64_t h = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
    add("model.embed_tokens.weight", { c.vocabSize, h }, true);
    for (std::int64_t l = 0; l < c.numLayers; ++l) {
        add(layerName(l, "input_layernorm.weight"), { h }, false);
        add(layerName(l, "self_attn.q_proj.weight"), { q, h }, true);
        add(layerName(l, "self_attn.k_proj.weight"), { kv, h }, true);
        add(layerName(l, "self_attn.v_proj.weight"), { kv, h }, true);
        add(layerName(l, "self_attn.o_proj.weight"), { h, q }, true);
        add(layerName(l, "post_attention_layernorm.weight"), { h }, false);
        add(layerName(l, "mlp.gate_proj.weight"), { c.intermediateSize, h }, true);
        add(layerName(l, "mlp.up_proj.weight"), { c.intermediateSize, h }, true);
        add(layerName(l, "mlp.down_proj.weight"), { h, c.intermediateSize }, true);
    }
    add("model.norm.weight", { h }, false);
    if (!c.tieWordEmbeddings)
        add("lm_head.weight", { c.vocabSize, h }, true);

    // The engine's angles: f32 position times f32 inverse frequency, std::cos/sin in f32.
    const Rope rope(c);
    const std::int64_t half = c.headDim / 2, positions = std::max<std::int64_t>(1, c.maxPositions);
    m_cos = at::empty({ positions, half }, at::kFloat);
    m_sin = at::empty({ positions, half }, at::kFloat);
    float *cp = m_cos.data_ptr<float>(), *sp = m_sin.data_ptr<float>();
    for (std::int64_t p = 0; p < positions; ++p)
        for (std::int64_t i = 0; i < half; ++i) {
            const float angle = static_cast<float>(p) * rope.invFreq()[static_cast<std::size_t>(i)];
            cp[p * half + i] = std::cos(angle);
            sp[p * half + i] = std::sin(angle);
        }
    initialize(0);
}

at::Tensor &TrainableLlama::add(
    const std::string &name, std::vector<std::int64_t> shape, bool decay)
{
    m_names.push_back(name);
    m_params.push_back(at::zeros(shape, at::kFloat).set_requires_grad(true));
    m_decay.push_back(decay);
    return m_params.back();
}

void TrainableLlama::initialize(std::uint64_t seed)
{
    torch::NoGradGuard noGrad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const double residualStd = 0.02 / std::sqrt(2.0 * static_cast<double>(m_config.numLayers));
    for (std::size_t i = 0; i < m_params.size(); ++i) {
        at::Tensor &p = m_params[i];
        const std::string &name = m_names[i];
        if (p.dim() == 1) {
            p.fill_(1.0);
        } else {
            const bool residual = name.find("o_proj") != std::string::npos
                || name.find("down_proj") != std::string::npos;
            p.normal_(0.0, residual ? residualStd : 0.02, gen);
        }
    }
}

at::Tensor TrainableLlama::rotate(const at::Tensor &x) const
{
    const std::int64_t tokens = x.size(2), half = m_config.headDim / 2;
    const at::Tensor c = m_cos.narrow(0, 0, tokens), s = m_sin.narrow(0, 0, tokens);
    const at::Tensor x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
    return at::cat({ x1 * c - x2 * s, x2 * c + x1 * s }, -1);
}

at::Tensor TrainableLlama::forward(const at::Tensor &ids, ForwardObserver *observer) const
{
    const auto observe = [observer](std::int64_t layer, LinearInput input, const at::Tensor &t) {
        if (observer)
            observer->linearInput(layer, input, t.detach().reshape({ -1, t.size(-1) }));
    };
    const ModelConfig &c = m_config;
    if (ids.dim() != 2)
        throw InvalidArgument("the training forward pass needs ids shaped [batch, tokens]");
    const std::int64_t batch = ids.size(0), tokens = ids.size(1);
    if (tokens > c.maxPositions)
        throw InvalidArgument("a sequence of " + std::to_string(tokens)
            + " tokens is longer than the model's context of " + std::to_string(c.maxPositions));
    const std::int64_t heads = c.numHeads, kvHeads = c.numKvHeads, headDim = c.headDim;
    const std::int64_t group = heads / kvHeads;
    const double eps = c.normEps, scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    const at::Tensor future = at::ones({ tokens, tokens }, at::kBool).triu(1);

    std::size_t p = 0;
    const auto next = [&]() -> const at::Tensor & { return m_params[p++]; };
    const at::Tensor &embed = next();
    at::Tensor x = at::embedding(embed, ids); // [batch, tokens, hidden]
    for (std::int64_t l = 0; l < c.numLayers; ++l) {
        const at::Tensor &n1 = next(), &wq = next(), &wk = next(), &wv = next(), &wo = next();
        const at::Tensor &n2 = next(), &wg = next(), &wu = next(), &wd = next();
        const at::Tensor h = rmsNorm(x, n1, eps);
        observe(l, LinearInput::Attention, h);
        const at::Tensor q
            = rotate(project(h, wq).view({ batch, tokens, heads, headDim }).transpose(1, 2));
        const at::Tensor k
            = rotate(project(h, wk).view({ batch, tokens, kvHeads, headDim }).transpose(1, 2));
        const at::Tensor v
            = project(h, wv).view({ batch, tokens, kvHeads, headDim }).transpose(1, 2);
        // Query head h = kv * group + g reads kv head kv, as the engine (HF repeat_kv order).
        const at::Tensor qg = q.reshape({ batch, kvHeads, group * tokens, headDim });
        at::Tensor scores = at::matmul(qg, k.transpose(-1, -2)).mul(scale); // [b, kv, g*t, t]
        scores = scores.view({ batch, kvHeads, group, tokens, tokens })
                     .masked_fill(future, -std::numeric_limits<float>::infinity());
        const at::Tensor probs
            = at::softmax(scores, -1).view({ batch, kvHeads, group * tokens, tokens });
        const at::Tensor attn = at::matmul(probs, v) // [b, kv, g*t, d]
                                    .view({ batch, heads, tokens, headDim })
                                    .transpose(1, 2)
                                    .reshape({ batch, tokens, heads * headDim });
        observe(l, LinearInput::AttentionOutput, attn);
        x = x + project(attn, wo);
        const at::Tensor h2 = rmsNorm(x, n2, eps);
        observe(l, LinearInput::Mlp, h2);
        const at::Tensor a = at::silu(project(h2, wg)) * project(h2, wu);
        observe(l, LinearInput::MlpOutput, a);
        x = x + project(a, wd);
        if (observer)
            observer->layerOutput(l, x.detach().reshape({ -1, x.size(-1) }));
    }
    const at::Tensor &finalNorm = next();
    const at::Tensor &head = c.tieWordEmbeddings ? embed : next();
    return project(rmsNorm(x, finalNorm, eps), head);
}

at::Tensor TrainableLlama::loss(const at::Tensor &inputs, const at::Tensor &targets) const
{
    const at::Tensor logits = forward(inputs);
    return at::cross_entropy_loss(logits.view({ -1, logits.size(-1) }), targets.reshape({ -1 }));
}

std::int64_t TrainableLlama::parameterCount() const
{
    std::int64_t n = 0;
    for (const at::Tensor &t : m_params)
        n += t.numel();
    return n;
}

std::map<std::string, at::Tensor> TrainableLlama::weights() const
{
    std::map<std::string, at::Tensor> out;
    for (std::size_t i = 0; i < m_params.size(); ++i)
        out[m_names[i]] = m_params[i].detach().contiguous();
    return out;
}

void TrainableLlama::loadWeights(const std::map<std::string, at::Tensor> &weights)
{
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < m_params.size(); ++i) {
        const auto it = weights.find(m_names[i]);
        if (it == weights.end())
            throw InvalidArgument("weights lack tensor '" + m_names[i] + "'");
        if (it->second.sizes() != m_params[i].sizes())
            throw InvalidArgument("tensor '" + m_names[i] + "' has the wrong shape");
        m_params[i].copy_(it->second);
    }
}

} // namespace lathe
