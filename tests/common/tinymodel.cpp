// SPDX-License-Identifier: GPL-3.0-or-later
#include "tinymodel.h"

#include "model/modelspec.h"

#include <ATen/ATen.h>

namespace lathe::test {

ModelConfig tinyLlamaConfig(std::int64_t hidden, std::int64_t ffn, std::int64_t vocab)
{
    ModelConfig c;
    c.arch = Architecture::Llama;
    c.modelType = "llama";
    c.hiddenSize = hidden;
    c.intermediateSize = ffn;
    c.numLayers = 2;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.headDim = hidden / 4;
    c.vocabSize = vocab;
    c.maxPositions = 64;
    return c;
}

std::map<std::string, at::Tensor> tinyRandomWeights(const ModelConfig &config, std::uint64_t seed)
{
    at::manual_seed(seed);
    std::map<std::string, at::Tensor> weights;
    for (const TensorSpec &spec : tensorSpecs(config))
        if (!spec.optional)
            weights[spec.name] = spec.shape.size() == 1 ? 1 + 0.1 * at::randn(spec.shape)
                                                        : 0.2 * at::randn(spec.shape);
    return weights;
}

} // namespace lathe::test
