// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/transformer.h"

#include "model/engineweights.h"
#include "model/matvec.h"
#include "model/ops.h"
#include "model/rope.h"
#include "quant/packedmatrix.h"
#include "quant/packedmatvec.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace lathe {

namespace {

const float *ptrOrNull(const at::Tensor &t) { return t.defined() ? t.data_ptr<float>() : nullptr; }

// Output rows of a packed weight dequantized per prefill GEMM: a 256 x 8192 tile is 8 MB.
constexpr std::int64_t kPackedTileRows = 256;

// y = x W^T (+ b). x [rows, in] -> [rows, out]. One row (decode) goes through Lathe's own
// matrix-vector kernels (f32 or packed); more rows through the BLAS GEMM, a packed weight
// dequantized one tile of output rows at a time so no full f32 copy of it ever exists.
// x with each row (token) rounded symmetrically to int8 and back, scale = row absmax / 127:
// SmoothQuant's dynamic per-token activation quantization, simulated in f32.
at::Tensor fakeQuantizeInt8PerToken(const at::Tensor &x)
{
    const at::Tensor scale = x.abs().amax({ 1 }, true).div_(127.0);
    const at::Tensor safe = at::where(scale > 0, scale, at::ones_like(scale));
    return at::round(x / safe).clamp_(-127.0, 127.0).mul_(safe);
}

at::Tensor linear(const at::Tensor &xIn, const LinearWeight &w, const at::Tensor &b)
{
    const at::Tensor x = w.int8Activations ? fakeQuantizeInt8PerToken(xIn) : xIn;
    const std::int64_t out = w.outFeatures();
    if (w.packed) {
        const PackedMatrix &p = *w.packed;
        at::Tensor y = at::empty({x.size(0), out}, at::kFloat);
        if (x.size(0) == 1) {
            packedMatvec(p, x.data_ptr<float>(), y.data_ptr<float>());
        } else {
            for (std::int64_t r0 = 0; r0 < out; r0 += kPackedTileRows) {
                const std::int64_t r1 = std::min(out, r0 + kPackedTileRows);
                y.narrow(1, r0, r1 - r0).copy_(at::mm(x, p.dequantizeRows(r0, r1).t()));
            }
        }
        if (b.defined())
            y.add_(b);
        return y;
    }
    if (x.size(0) == 1) {
        at::Tensor y = at::empty({1, out}, at::kFloat);
        matvec(w.f32.data_ptr<float>(), x.data_ptr<float>(), y.data_ptr<float>(), out,
               w.f32.size(1), ptrOrNull(b));
        return y;
    }
    return b.defined() ? at::addmm(b, x, w.f32.t()) : at::mm(x, w.f32.t());
}

// f32 weights read by the fused decode matvec (packed or int8-input ones go through linear()).
bool fusable(const LinearWeight &w) { return !w.packed && !w.int8Activations; }

MatvecJob job(const LinearWeight &w, const at::Tensor &b, const at::Tensor &x, at::Tensor &y)
{
    return MatvecJob{w.f32.data_ptr<float>(), x.data_ptr<float>(), y.data_ptr<float>(),
                     ptrOrNull(b), w.f32.size(0), w.f32.size(1)};
}

void activateInPlace(at::Tensor &x, Activation a)
{
    switch (a) {
    case Activation::Silu:
        at::silu_(x);
        return;
    case Activation::GeluTanh:
        x = at::gelu(x, "tanh");
        return;
    case Activation::GeluErf:
        x = at::gelu(x);
        return;
    }
}

// Causal attention of `n` new queries (positions start..start+n-1) over the cached keys,
// through batched GEMMs. q [n, heads*headDim] -> [n, heads*headDim]. With window > 0 the query
// at position i sees keys j with i - window < j <= i, as transformers' sliding-window mask
// (kv_idx > q_idx - sliding_window): `window` keys, itself included.
at::Tensor attendMany(const at::Tensor &q, const at::Tensor &keys, const at::Tensor &values,
                      std::int64_t heads, std::int64_t start, float scale, std::int64_t window)
{
    const std::int64_t n = q.size(0);
    const std::int64_t kvHeads = keys.size(0), headDim = keys.size(2);
    const std::int64_t group = heads / kvHeads, total = start + n;
    // Query head h = kv * group + g reads kv head kv (HF repeat_kv order).
    const at::Tensor qh = q.view({n, kvHeads, group, headDim}).permute({1, 2, 0, 3});
    at::Tensor out = at::empty({kvHeads, group, n, headDim}, at::kFloat);

    // Queries in blocks so the score matrix stays below ~64 MB for long prompts.
    const std::int64_t budget = 16 * 1024 * 1024;
    const std::int64_t block = std::max<std::int64_t>(1, budget / (heads * total));
    for (std::int64_t q0 = 0; q0 < n; q0 += block) {
        const std::int64_t nb = std::min(block, n - q0);
        // Keys [lo, hi) cover every key a query of this block may see.
        const std::int64_t hi = start + q0 + nb;
        const std::int64_t lo = window > 0 ? std::max<std::int64_t>(0, start + q0 - window + 1) : 0;
        const at::Tensor k = keys.narrow(1, lo, hi - lo);   // [kvHeads, hi-lo, headDim]
        const at::Tensor v = values.narrow(1, lo, hi - lo); // [kvHeads, hi-lo, headDim]
        const at::Tensor qb = qh.narrow(2, q0, nb).reshape({kvHeads, group * nb, headDim});
        at::Tensor scores = at::bmm(qb, k.transpose(1, 2)).mul_(scale); // [kv, group*nb, hi-lo]
        const at::Tensor pos = at::arange(start + q0, hi, at::kLong).unsqueeze(1); // [nb, 1]
        const at::Tensor key = at::arange(lo, hi, at::kLong).unsqueeze(0);         // [1, hi-lo]
        at::Tensor hidden = key > pos; // future keys
        if (window > 0)
            hidden.logical_or_(key <= pos - window); // keys older than the window
        scores.view({kvHeads, group, nb, hi - lo})
            .masked_fill_(hidden, -std::numeric_limits<float>::infinity());
        const at::Tensor probs = at::softmax(scores, -1);
        out.narrow(2, q0, nb).copy_(at::bmm(probs, v).view({kvHeads, group, nb, headDim}));
    }
    return out.permute({2, 0, 1, 3}).reshape({n, heads * headDim});
}

} // namespace

struct Transformer::Impl {
    EngineWeights w;
    std::optional<Rope> rope;

    at::Tensor norm(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias,
                    float eps) const
    {
        at::Tensor out = at::empty_like(x);
        const std::int64_t n = x.size(-1), rows = x.numel() / n;
        if (bias.defined())
            ops::layerNorm(x.data_ptr<float>(), weight.data_ptr<float>(), bias.data_ptr<float>(),
                           out.data_ptr<float>(), rows, n, eps);
        else
            ops::rmsNorm(x.data_ptr<float>(), weight.data_ptr<float>(), out.data_ptr<float>(),
                         rows, n, eps);
        return out;
    }
};

Transformer::Transformer(std::shared_ptr<const Model> model)
    : m_model(std::move(model)), m_impl(std::make_unique<Impl>())
{
    if (!m_model)
        throw InvalidArgument("Transformer needs a model");
    applyEngineThreadSettings();
    c10::InferenceMode guard;
    m_impl->w = buildEngineWeights(*m_model);
    if (m_impl->w.rotary)
        m_impl->rope.emplace(m_model->config());
}

Transformer::~Transformer() = default;

KVCache Transformer::newCache(std::int64_t capacity) const
{
    const ModelConfig &c = config();
    if (capacity <= 0)
        capacity = c.maxPositions;
    return KVCache(c.numLayers, c.numKvHeads, c.headDim, capacity);
}

at::Tensor Transformer::forward(const std::vector<std::int32_t> &ids, KVCache &cache) const
{
    c10::InferenceMode guard;
    return run(ids, cache, false);
}

at::Tensor Transformer::forwardLast(const std::vector<std::int32_t> &ids, KVCache &cache) const
{
    c10::InferenceMode guard;
    return run(ids, cache, true).squeeze(0);
}

at::Tensor Transformer::logits(const std::vector<std::int32_t> &ids) const
{
    KVCache cache = newCache(std::max<std::int64_t>(1, static_cast<std::int64_t>(ids.size())));
    return forward(ids, cache);
}

void Transformer::checkInput(const std::vector<std::int32_t> &ids, KVCache &cache) const
{
    const ModelConfig &c = config();
    if (ids.empty())
        throw InvalidArgument("forward needs at least one token id");
    for (std::int32_t id : ids)
        if (id < 0 || id >= c.vocabSize)
            throw InvalidArgument("token id " + std::to_string(id)
                                  + " is outside the vocabulary (0.."
                                  + std::to_string(c.vocabSize - 1) + ")");
    if (cache.numLayers() != c.numLayers || cache.keys(0).size(0) != c.numKvHeads
        || cache.keys(0).size(2) != c.headDim)
        throw InvalidArgument("the KV cache was not made for this model (use newCache())");
    const std::int64_t end = cache.length() + static_cast<std::int64_t>(ids.size());
    if (end > cache.capacity())
        throw InvalidArgument("the KV cache holds " + std::to_string(cache.capacity())
                              + " tokens; " + std::to_string(end) + " do not fit");
    if (!m_impl->w.rotary && end > c.maxPositions)
        throw InvalidArgument("this model has learned positions for "
                              + std::to_string(c.maxPositions) + " tokens; "
                              + std::to_string(end) + " were asked for");
}

at::Tensor Transformer::run(const std::vector<std::int32_t> &ids, KVCache &cache,
                            bool lastOnly) const
{
    checkInput(ids, cache);
    const ModelConfig &c = config();
    const EngineWeights &w = m_impl->w;
    const std::int64_t n = static_cast<std::int64_t>(ids.size()), start = cache.length();
    const std::int64_t hidden = c.hiddenSize;

    at::Tensor x = at::empty({n, hidden}, at::kFloat); // [tokens, hidden]
    {
        const float *embed = w.embed.data_ptr<float>();
        float *dst = x.data_ptr<float>();
        for (std::int64_t t = 0; t < n; ++t)
            std::memcpy(dst + t * hidden, embed + ids[static_cast<std::size_t>(t)] * hidden,
                        sizeof(float) * static_cast<std::size_t>(hidden));
    }
    if (w.positions.defined())
        x.add_(w.positions.narrow(0, start, n));

    for (std::int64_t l = 0; l < c.numLayers; ++l) {
        layer(l, x, cache, start);
        if (m_observer)
            m_observer->layerOutput(l, x);
    }
    cache.setLength(start + n);

    if (lastOnly)
        x = x.narrow(0, n - 1, 1).contiguous(); // [1, hidden]
    x = m_impl->norm(x, w.finalNorm, w.finalNormBias, static_cast<float>(c.normEps));
    return linear(x, w.lmHead, at::Tensor()); // [tokens, vocab]
}

void Transformer::layer(std::int64_t index, at::Tensor &x, KVCache &cache,
                        std::int64_t start) const
{
    const ModelConfig &c = config();
    const LayerWeights &lw = m_impl->w.layers[static_cast<std::size_t>(index)];
    const std::int64_t n = x.size(0), heads = c.numHeads, kvHeads = c.numKvHeads;
    const std::int64_t headDim = c.headDim;
    const float eps = static_cast<float>(c.normEps);
    const bool decode = n == 1;

    // Attention block.
    const at::Tensor h = m_impl->norm(x, lw.norm1, lw.norm1Bias, eps); // [n, hidden]
    if (m_observer)
        m_observer->linearInput(index, LinearInput::Attention, h);
    at::Tensor q, k, v; // [n, heads*headDim], [n, kvHeads*headDim] x2
    // One parallel section for all three products when they are f32 (decode).
    if (decode && fusable(lw.wq) && fusable(lw.wk) && fusable(lw.wv)) {
        q = at::empty({1, lw.wq.outFeatures()}, at::kFloat);
        k = at::empty({1, lw.wk.outFeatures()}, at::kFloat);
        v = at::empty({1, lw.wv.outFeatures()}, at::kFloat);
        const MatvecJob jobs[3] = {job(lw.wq, lw.bq, h, q), job(lw.wk, lw.bk, h, k),
                                   job(lw.wv, lw.bv, h, v)};
        matvecBatch(jobs, 3);
    } else {
        q = linear(h, lw.wq, lw.bq);
        k = linear(h, lw.wk, lw.bk);
        v = linear(h, lw.wv, lw.bv);
    }
    if (lw.qNorm.defined()) { // qwen3: RMSNorm per head, before rope
        ops::rmsNorm(q.data_ptr<float>(), lw.qNorm.data_ptr<float>(), q.data_ptr<float>(),
                     n * heads, headDim, eps);
        ops::rmsNorm(k.data_ptr<float>(), lw.kNorm.data_ptr<float>(), k.data_ptr<float>(),
                     n * kvHeads, headDim, eps);
    }
    if (m_impl->rope) {
        m_impl->rope->apply(q.data_ptr<float>(), n, heads, start);
        m_impl->rope->apply(k.data_ptr<float>(), n, kvHeads, start);
    }
    at::Tensor &keys = cache.keys(index);     // [kvHeads, capacity, headDim]
    at::Tensor &values = cache.values(index); // [kvHeads, capacity, headDim]
    keys.narrow(1, start, n).copy_(k.view({n, kvHeads, headDim}).transpose(0, 1));
    values.narrow(1, start, n).copy_(v.view({n, kvHeads, headDim}).transpose(0, 1));

    const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
    const std::int64_t window = c.attentionWindow(index); // 0: full causal attention
    at::Tensor attn; // [n, heads*headDim]
    if (decode) {
        // The query at position `start` sees cached positions [first, start].
        const std::int64_t first = window > 0 ? std::max<std::int64_t>(0, start - window + 1) : 0;
        attn = at::empty({1, heads * headDim}, at::kFloat);
        ops::attendOne(q.data_ptr<float>(), keys.data_ptr<float>() + first * headDim,
                       values.data_ptr<float>() + first * headDim, attn.data_ptr<float>(), heads,
                       kvHeads, headDim, keys.size(1), start + 1 - first, scale);
    } else {
        attn = attendMany(q, keys, values, heads, start, scale, window);
    }
    if (m_observer)
        m_observer->linearInput(index, LinearInput::AttentionOutput, attn);
    x.add_(linear(attn, lw.wo, lw.bo));

    // MLP block.
    const at::Tensor h2 = m_impl->norm(x, lw.norm2, lw.norm2Bias, eps); // [n, hidden]
    if (m_observer)
        m_observer->linearInput(index, LinearInput::Mlp, h2);
    at::Tensor a;                                                      // [n, ffn]
    const Activation act = m_impl->w.activation;
    if (lw.wGate.defined()) {
        at::Tensor gate, up;
        if (decode && fusable(lw.wGate) && fusable(lw.wUp)) {
            gate = at::empty({1, lw.wGate.outFeatures()}, at::kFloat);
            up = at::empty({1, lw.wUp.outFeatures()}, at::kFloat);
            const MatvecJob jobs[2] = {job(lw.wGate, lw.bGate, h2, gate),
                                       job(lw.wUp, lw.bUp, h2, up)};
            matvecBatch(jobs, 2);
        } else {
            gate = linear(h2, lw.wGate, lw.bGate);
            up = linear(h2, lw.wUp, lw.bUp);
        }
        activateInPlace(gate, act);
        a = gate.mul_(up);
    } else {
        a = linear(h2, lw.wUp, lw.bUp);
        activateInPlace(a, act);
    }
    a = a.contiguous();
    if (m_observer)
        m_observer->linearInput(index, LinearInput::MlpOutput, a);
    x.add_(linear(a, lw.wDown, lw.bDown));
}

} // namespace lathe
