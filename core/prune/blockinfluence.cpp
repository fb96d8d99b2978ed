// SPDX-License-Identifier: GPL-3.0-or-later
#include "prune/blockinfluence.h"

#include "model/model.h"
#include "model/modelspec.h"
#include "model/transformer.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <string>

namespace lathe {

namespace {

// Compares the residual stream after each block with the one before it. The stream entering
// block 0 is the embedding (plus learned positions), which the observer does not see, so it
// is set before each sequence.
class InfluenceObserver : public ForwardObserver {
public:
    explicit InfluenceObserver(std::int64_t layers) : sumCos(std::size_t(layers), 0.0) {}

    at::Tensor previous; // [tokens, hidden]
    std::vector<double> sumCos;

    void layerOutput(std::int64_t layer, const at::Tensor &x) override
    {
        const at::Tensor cos = at::cosine_similarity(previous, x, 1, 1e-8);
        sumCos[std::size_t(layer)] += cos.to(at::kDouble).sum().item<double>();
        previous = x.clone(); // the forward pass updates x in place
    }
};

} // namespace

std::vector<double> blockInfluence(const std::shared_ptr<const Model> &model,
    const std::vector<std::vector<std::int32_t>> &sequences, const ProgressFn &progress,
    const CancelToken &cancel)
{
    if (!model)
        throw InvalidArgument("block influence needs a model");
    const ModelConfig &c = model->config();
    const at::Tensor &embed = model->weight(embeddingName(c));
    const at::Tensor *positions = c.arch == Architecture::Gpt2
        ? model->findWeight("transformer.wpe.weight")
        : nullptr;

    c10::InferenceMode guard;
    InfluenceObserver observer(c.numLayers);
    Transformer transformer(model);
    transformer.setObserver(&observer);
    std::int64_t tokens = 0;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        cancel.throwIfCancelled();
        const std::vector<std::int32_t> &ids = sequences[i];
        if (!ids.empty()) {
            std::vector<std::int64_t> wide(ids.begin(), ids.end());
            for (std::int64_t id : wide)
                if (id < 0 || id >= c.vocabSize)
                    throw InvalidArgument("calibration token id " + std::to_string(id)
                        + " is outside the vocabulary (0.." + std::to_string(c.vocabSize - 1)
                        + ")");
            const at::Tensor index = at::tensor(wide, at::kLong);
            observer.previous = embed.index_select(0, index);
            if (positions)
                observer.previous = observer.previous + positions->narrow(0, 0, index.size(0));
            transformer.logits(ids);
            tokens += std::int64_t(ids.size());
        }
        reportProgress(progress, double(i + 1) / double(sequences.size()),
            "block influence: sequence " + std::to_string(i + 1) + "/"
                + std::to_string(sequences.size()));
    }
    if (tokens == 0)
        throw InvalidArgument("block influence needs calibration text; the sequences given "
                              "hold no tokens");
    std::vector<double> out;
    out.reserve(observer.sumCos.size());
    for (double s : observer.sumCos)
        out.push_back(1.0 - s / double(tokens));
    return out;
}

} // namespace lathe
