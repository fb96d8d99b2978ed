// SPDX-License-Identifier: GPL-3.0-or-later
// ModelConfig from GGUF metadata: general.architecture picks the "<arch>." key prefix;
// tokenizer.ggml.* gives the vocabulary size and special ids; a few properties GGUF keeps
// no key for (biases, q/k norms, tied output) are read off the tensor list.
#include "io/gguf.h"
#include "io/modelconfig.h"

#include "io/tensorview.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

namespace lathe {

namespace {

constexpr const char *kSupported = "llama, mistral, qwen2, qwen3, gpt2";

class MetadataReader {
public:
    MetadataReader(const GgufFile &gguf, std::string prefix)
        : m_gguf(gguf), m_prefix(std::move(prefix))
    {
    }

    [[noreturn]] void fail(const std::string &problem) const
    {
        throw FormatError("GGUF file '" + m_gguf.path() + "': " + problem);
    }

    // An integer key; per-layer arrays are accepted when all layers agree.
    std::optional<std::int64_t> optInt(const std::string &name) const
    {
        const std::string key = m_prefix + name;
        const GgufValue *v = m_gguf.find(key);
        if (!v)
            return std::nullopt;
        if (v->isArray()) {
            if (v->ints.empty())
                fail("metadata key '" + key + "' should be an integer, got " + v->toString());
            for (auto x : v->ints)
                if (x != v->ints.front())
                    throw UnsupportedError("GGUF file '" + m_gguf.path() + "': '" + key
                                           + "' differs between layers, which Lathe does "
                                             "not support");
            return v->ints.front();
        }
        const auto i = m_gguf.getInt(key);
        if (!i)
            fail("metadata key '" + key + "' should be an integer, got " + v->toString());
        return i;
    }

    std::int64_t requiredInt(const std::string &name) const
    {
        const auto v = optInt(name);
        if (!v)
            fail("missing metadata key '" + m_prefix + name + "'");
        if (*v <= 0)
            fail("metadata key '" + m_prefix + name + "' must be positive, got "
                 + std::to_string(*v));
        return *v;
    }

    std::optional<double> optFloat(const std::string &name) const
    {
        const std::string key = m_prefix + name;
        const GgufValue *v = m_gguf.find(key);
        if (!v)
            return std::nullopt;
        const auto f = m_gguf.getFloat(key);
        if (!f || v->isArray())
            fail("metadata key '" + key + "' should be a number, got " + v->toString());
        return f;
    }

    std::optional<std::string> optString(const std::string &name) const
    {
        return m_gguf.getString(m_prefix + name);
    }

private:
    const GgufFile &m_gguf;
    std::string m_prefix;
};

// "<arch>.attention.sliding_window" (0 or absent: full attention). A per-layer
// "sliding_window_pattern" (bools, true = sliding) is accepted when full layers come first.
void slidingWindowFromMetadata(const GgufFile &gguf, const MetadataReader &md, ModelConfig &c)
{
    const auto window = md.optInt("attention.sliding_window");
    if (!window || *window <= 0)
        return;
    c.slidingWindow = *window;
    const std::string key = c.modelType + ".attention.sliding_window_pattern";
    const GgufValue *pattern = gguf.find(key);
    if (!pattern)
        return;
    if (!pattern->isArray() || pattern->elementType != GgufValue::Type::Bool
        || static_cast<std::int64_t>(pattern->ints.size()) != c.numLayers)
        throw UnsupportedError("GGUF file '" + gguf.path() + "': '" + key
                               + "' is not one true/false per layer, which Lathe does not "
                                 "support");
    const auto &sliding = pattern->ints;
    const auto first = std::find(sliding.begin(), sliding.end(), 1) - sliding.begin();
    if (std::find(sliding.begin() + first, sliding.end(), 0) != sliding.end())
        throw UnsupportedError("GGUF file '" + gguf.path() + "': '" + key
                               + "' puts full-attention layers after sliding-window layers, "
                                 "which Lathe does not support");
    c.slidingWindowFromLayer = first;
    if (first == c.numLayers)
        c.slidingWindow = 0;
}

std::optional<Architecture> parseArchitecture(const std::string &name)
{
    if (name == "llama")
        return Architecture::Llama;
    if (name == "mistral")
        return Architecture::Mistral;
    if (name == "qwen2")
        return Architecture::Qwen2;
    if (name == "qwen3")
        return Architecture::Qwen3;
    if (name == "gpt2")
        return Architecture::Gpt2;
    return std::nullopt;
}

// Special token ids are u32; llama.cpp writes 0xFFFFFFFF (or -1) for "none".
std::optional<std::int64_t> tokenId(const GgufFile &gguf, const std::string &key)
{
    const auto v = gguf.getInt(key);
    if (!v || *v < 0 || *v == 0xFFFFFFFFll)
        return std::nullopt;
    return v;
}

// llama.cpp's converters write output.weight even for tied models (llama2.c exports,
// for one); a byte-identical copy of the embedding is still a tie.
bool outputTiedToEmbedding(const GgufFile &gguf)
{
    const TensorView *out = gguf.findTensor("output.weight");
    if (!out)
        return true;
    const TensorView *emb = gguf.findTensor("token_embd.weight");
    if (!emb || emb->dtype != out->dtype || emb->shape != out->shape || emb->nbytes != out->nbytes)
        return false;
    return emb->data == out->data || std::memcmp(emb->data, out->data, emb->nbytes) == 0;
}

// Rounds recovered parameters to the short decimals they were written with (8, 1, 4).
double snapDecimal(double v)
{
    const double r = std::round(v * 1000.0) / 1000.0;
    return std::fabs(r - v) <= 1e-4 * std::max(1.0, std::fabs(v)) ? r : v;
}

// llama.cpp keeps Llama 3's rope scaling not as metadata but as a rope_freqs.weight tensor
// of per-frequency divisors. They are 1 for short wavelengths, `factor` for long ones, and in
// between 1/r = (1 - s)/factor + s with s = a/wavelength + b. Fixing the original context
// length (the key when present, else Llama 3's 8192) turns a and b back into HF's
// low_freq_factor and high_freq_factor. The result is checked against every divisor.
void ropeScalingFromFreqsTensor(const GgufFile &gguf, const MetadataReader &md, ModelConfig &c)
{
    const TensorView *t = gguf.findTensor("rope_freqs.weight");
    if (!t || !c.ropeScaling.type.empty())
        return;
    const std::int64_t half = c.headDim / 2;
    if (t->dtype != DType::F32 || t->numel() != half)
        throw UnsupportedError("GGUF file '" + gguf.path() + "': rope_freqs.weight should hold "
                               + std::to_string(half) + " f32 values, it has "
                               + std::to_string(t->numel()) + " " + dtypeName(t->dtype));
    const std::vector<float> r = toFloat32(*t);
    double factor = 1.0;
    for (float v : r) {
        if (!std::isfinite(v) || v <= 0.0f)
            md.fail("rope_freqs.weight holds a non-positive or non-finite factor");
        factor = std::max(factor, static_cast<double>(v));
    }
    const auto invFreq = [&](std::int64_t i) {
        return std::pow(c.ropeTheta, -static_cast<double>(2 * i) / static_cast<double>(c.headDim));
    };
    RopeScaling rs;
    rs.type = "llama3";
    rs.factor = snapDecimal(factor);
    rs.originalMaxPositions = md.optInt("rope.scaling.original_context_length").value_or(8192);
    const double orig = static_cast<double>(rs.originalMaxPositions);

    // Least-squares line s = a * x + b over the blended band, x = 1 / wavelength.
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::int64_t i = 0; i < half && factor > 1.0; ++i) {
        const double v = r[static_cast<std::size_t>(i)];
        if (v <= 1.0 + 1e-4 || v >= factor * (1.0 - 1e-4))
            continue;
        const double x = invFreq(i) / (2.0 * std::numbers::pi);
        const double y = (1.0 / v - 1.0 / factor) / (1.0 - 1.0 / factor);
        n += 1;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    const double det = n * sxx - sx * sx;
    if (n >= 2 && det > 0) {
        const double a = (n * sxy - sx * sy) / det;
        const double b = (sy - a * sx) / n;
        if (a > 0) {
            const double width = orig / a; // high_freq_factor - low_freq_factor
            rs.lowFreqFactor = snapDecimal(-b * width);
            rs.highFreqFactor = snapDecimal(rs.lowFreqFactor + width);
        }
    }

    for (std::int64_t i = 0; i < half; ++i) {
        const double wavelen = 2.0 * std::numbers::pi / invFreq(i);
        double want = 1.0;
        if (wavelen > orig / rs.lowFreqFactor) {
            want = rs.factor;
        } else if (wavelen >= orig / rs.highFreqFactor) {
            const double sm = (orig / wavelen - rs.lowFreqFactor)
                              / (rs.highFreqFactor - rs.lowFreqFactor);
            want = 1.0 / ((1.0 - sm) / rs.factor + sm);
        }
        const double got = r[static_cast<std::size_t>(i)];
        if (std::fabs(want - got) > 1e-3 * got)
            throw UnsupportedError("GGUF file '" + gguf.path()
                                   + "': rope_freqs.weight does not follow Llama 3 rope "
                                     "scaling (frequency "
                                   + std::to_string(i) + ": factor " + std::to_string(got)
                                   + "), which Lathe cannot apply");
    }
    if (rs.factor > 1.0)
        c.ropeScaling = rs;
}

} // namespace

ModelConfig configFromGguf(const GgufFile &gguf)
{
    const auto archName = gguf.getString("general.architecture");
    if (!archName)
        throw FormatError("GGUF file '" + gguf.path()
                          + "' has no general.architecture key, so its model type is unknown");
    const auto arch = parseArchitecture(*archName);
    if (!arch)
        throw UnsupportedError("GGUF file '" + gguf.path() + "': architecture '" + *archName
                               + "' is not supported (supported: " + kSupported + ")");

    const MetadataReader md(gguf, *archName + ".");
    ModelConfig c;
    c.arch = *arch;
    c.modelType = *archName;
    c.hiddenSize = md.requiredInt("embedding_length");
    c.intermediateSize = md.requiredInt("feed_forward_length");
    c.numLayers = md.requiredInt("block_count");
    c.numHeads = md.requiredInt("attention.head_count");
    c.numKvHeads = md.optInt("attention.head_count_kv") ? md.requiredInt("attention.head_count_kv")
                                                        : c.numHeads;
    if (c.numHeads % c.numKvHeads != 0)
        md.fail(std::to_string(c.numHeads) + " attention heads cannot be shared by "
                + std::to_string(c.numKvHeads) + " key/value heads");
    if (md.optInt("attention.key_length")) {
        c.headDim = md.requiredInt("attention.key_length");
    } else {
        if (c.hiddenSize % c.numHeads != 0)
            md.fail("embedding length " + std::to_string(c.hiddenSize)
                    + " is not a multiple of the head count " + std::to_string(c.numHeads));
        c.headDim = c.hiddenSize / c.numHeads;
    }
    if (const auto vl = md.optInt("attention.value_length"); vl && *vl != c.headDim)
        throw UnsupportedError("GGUF file '" + gguf.path() + "': value head size "
                               + std::to_string(*vl) + " differs from key head size "
                               + std::to_string(c.headDim) + ", which Lathe does not support");
    if (const auto ctx = md.optInt("context_length"); ctx && *ctx > 0)
        c.maxPositions = *ctx;

    if (c.arch == Architecture::Gpt2) {
        c.normEps = md.optFloat("attention.layer_norm_epsilon").value_or(1e-5);
        c.hiddenAct = "gelu_new";
        c.attentionBias = true;
        c.mlpBias = true;
    } else {
        c.normEps = md.optFloat("attention.layer_norm_rms_epsilon").value_or(1e-5);
        c.hiddenAct = "silu";
        c.ropeTheta = md.optFloat("rope.freq_base").value_or(10000.0);
        if (const auto rd = md.optInt("rope.dimension_count"); rd && *rd != c.headDim)
            throw UnsupportedError("GGUF file '" + gguf.path() + "': rotary embedding covers "
                                   + std::to_string(*rd) + " of " + std::to_string(c.headDim)
                                   + " head dimensions (partial rotary is not supported)");
        const std::string scaling = md.optString("rope.scaling.type").value_or("");
        const auto factor = md.optFloat("rope.scaling.factor");
        if (scaling == "linear") {
            c.ropeScaling.type = "linear";
            c.ropeScaling.factor = factor.value_or(1.0);
        } else if (scaling.empty() || scaling == "none") {
            // Older files state linear scaling as rope.scale_linear.
            if (const auto lin = md.optFloat("rope.scale_linear"); lin && *lin != 1.0) {
                c.ropeScaling.type = "linear";
                c.ropeScaling.factor = *lin;
            }
        } else {
            throw UnsupportedError("GGUF file '" + gguf.path() + "': rope scaling '" + scaling
                                   + "' is not supported (only linear)");
        }
        if (c.ropeScaling.type == "linear" && c.ropeScaling.factor <= 0)
            md.fail("rope scaling factor must be positive");
        ropeScalingFromFreqsTensor(gguf, md, c);
        slidingWindowFromMetadata(gguf, md, c);
        // Biases and q/k norms have no metadata key; the tensors tell. Without tensors
        // (a vocabulary-only file) fall back to what the architecture usually has.
        if (gguf.tensors().empty()) {
            c.attentionBias = c.arch == Architecture::Qwen2;
            c.qkNorm = c.arch == Architecture::Qwen3;
        } else {
            c.attentionBias = gguf.findTensor("blk.0.attn_q.bias") != nullptr;
            c.qkNorm = gguf.findTensor("blk.0.attn_q_norm.weight") != nullptr;
        }
        c.mlpBias = gguf.findTensor("blk.0.ffn_up.bias") != nullptr;
    }

    if (const GgufValue *tokens = gguf.find("tokenizer.ggml.tokens"); tokens && tokens->isArray())
        c.vocabSize = static_cast<std::int64_t>(tokens->arraySize);
    else if (const auto vs = md.optInt("vocab_size"))
        c.vocabSize = *vs;
    else if (const TensorView *emb = gguf.findTensor("token_embd.weight");
             emb && !emb->shape.empty())
        c.vocabSize = emb->shape.front();
    if (c.vocabSize <= 0)
        md.fail("the vocabulary size is unknown (no tokenizer.ggml.tokens, " + *archName
                + ".vocab_size or token_embd.weight)");

    if (const auto bos = tokenId(gguf, "tokenizer.ggml.bos_token_id"))
        c.bosTokenIds.push_back(*bos);
    // llama.cpp stops generation at eos, eot and eom; so does Lathe.
    for (const char *key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                            "tokenizer.ggml.eom_token_id"}) {
        const auto id = tokenId(gguf, key);
        if (!id)
            continue;
        bool seen = false;
        for (auto e : c.eosTokenIds)
            seen = seen || e == *id;
        if (!seen)
            c.eosTokenIds.push_back(*id);
    }

    c.tieWordEmbeddings = outputTiedToEmbedding(gguf);
    return c;
}

} // namespace lathe
