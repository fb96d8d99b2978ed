// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmodel.h"

#include "model/modelspec.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace lathe::cli {

std::string benchShapeNames() { return "tinyllama, tiny"; }

ModelConfig benchShapeConfig(const std::string &shape, std::int64_t layers)
{
    ModelConfig c;
    c.arch = Architecture::Llama;
    c.modelType = "llama";
    c.normEps = 1e-5;
    c.ropeTheta = 10000.0;
    c.hiddenAct = "silu";
    c.bosTokenIds = {1};
    c.eosTokenIds = {2};
    c.tieWordEmbeddings = false;
    if (shape == "tinyllama") {
        // TinyLlama-1.1B: a common small Llama with grouped-query attention.
        c.hiddenSize = 2048;
        c.numLayers = 22;
        c.numHeads = 32;
        c.numKvHeads = 4;
        c.intermediateSize = 5632;
        c.vocabSize = 32000;
        c.maxPositions = 2048;
    } else if (shape == "tiny") {
        // A few MB: for smoke tests of the benchmark itself.
        c.hiddenSize = 256;
        c.numLayers = 2;
        c.numHeads = 8;
        c.numKvHeads = 4;
        c.intermediateSize = 688;
        c.vocabSize = 1024;
        c.maxPositions = 1024;
    } else {
        throw InvalidArgument("unknown model shape '" + shape + "' (known: " + benchShapeNames()
                              + ")");
    }
    if (layers > 0)
        c.numLayers = layers;
    c.headDim = c.hiddenSize / c.numHeads;
    return c;
}

std::string benchConfigJson(const ModelConfig &c)
{
    const nlohmann::json j = {
        {"architectures", {"LlamaForCausalLM"}},
        {"model_type", c.modelType},
        {"hidden_size", c.hiddenSize},
        {"intermediate_size", c.intermediateSize},
        {"num_hidden_layers", c.numLayers},
        {"num_attention_heads", c.numHeads},
        {"num_key_value_heads", c.numKvHeads},
        {"head_dim", c.headDim},
        {"vocab_size", c.vocabSize},
        {"max_position_embeddings", c.maxPositions},
        {"rms_norm_eps", c.normEps},
        {"rope_theta", c.ropeTheta},
        {"hidden_act", c.hiddenAct},
        {"tie_word_embeddings", c.tieWordEmbeddings},
        {"attention_bias", c.attentionBias},
        {"mlp_bias", c.mlpBias},
        {"bos_token_id", c.bosTokenId()},
        {"eos_token_id", c.eosTokenIds.empty() ? -1 : c.eosTokenIds.front()},
        {"torch_dtype", "float32"},
    };
    return j.dump(2) + "\n";
}

std::map<std::string, at::Tensor> randomWeights(const ModelConfig &config, std::uint64_t seed)
{
    at::manual_seed(seed);
    const double bound = 0.02 * std::sqrt(3.0); // uniform(-b, b) has std 0.02
    std::map<std::string, at::Tensor> weights;
    for (const TensorSpec &spec : tensorSpecs(config)) {
        if (spec.optional)
            continue;
        if (spec.name == "lm_head.weight" && config.tieWordEmbeddings)
            continue;
        const bool isNorm = spec.name.find("norm") != std::string::npos;
        const bool isBias = spec.name.size() >= 5
                            && spec.name.compare(spec.name.size() - 5, 5, ".bias") == 0;
        at::Tensor t;
        if (isNorm && !isBias)
            t = at::ones(spec.shape, at::kFloat);
        else if (isBias)
            t = at::zeros(spec.shape, at::kFloat);
        else
            t = at::empty(spec.shape, at::kFloat).uniform_(-bound, bound);
        weights.emplace(spec.name, std::move(t));
    }
    return weights;
}

} // namespace lathe::cli
