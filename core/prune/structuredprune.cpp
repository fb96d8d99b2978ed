// SPDX-License-Identifier: GPL-3.0-or-later
#include "prune/structuredprune.h"

#include "analysis/linearmodules.h"
#include "model/model.h"
#include "model/transformer.h"
#include "prune/blockinfluence.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace lathe {

namespace {

using Weights = std::map<std::string, at::Tensor>;

std::string layerPrefix(std::int64_t layer)
{
    return "model.layers." + std::to_string(layer) + ".";
}

bool hasTokens(const std::vector<std::vector<std::int32_t>> &sequences)
{
    for (const auto &s : sequences)
        if (!s.empty())
            return true;
    return false;
}

std::int64_t tokenCount(const std::vector<std::vector<std::int32_t>> &sequences)
{
    std::int64_t n = 0;
    for (const auto &s : sequences)
        n += std::int64_t(s.size());
    return n;
}

// The `k` entries of the lowest score (ties: the lower index first), ascending by index.
std::vector<std::int64_t> lowest(const at::Tensor &score, std::int64_t k)
{
    const at::Tensor s = score.to(at::kDouble).contiguous();
    const double *p = s.data_ptr<double>();
    std::vector<std::int64_t> order(std::size_t(s.numel()));
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = std::int64_t(i);
    std::stable_sort(order.begin(), order.end(),
        [p](std::int64_t a, std::int64_t b) { return p[a] < p[b]; });
    order.resize(std::size_t(k));
    std::sort(order.begin(), order.end());
    return order;
}

std::vector<std::int64_t> complement(std::int64_t n, const std::vector<std::int64_t> &removed)
{
    const std::set<std::int64_t> gone(removed.begin(), removed.end());
    std::vector<std::int64_t> kept;
    for (std::int64_t i = 0; i < n; ++i)
        if (!gone.count(i))
            kept.push_back(i);
    return kept;
}

at::Tensor indexTensor(const std::vector<std::int64_t> &indices)
{
    return at::tensor(indices, at::kLong);
}

// Slices `name` (and its bias, when `withBias` and present) along `dim` to `index`.
void slice(Weights &w, const std::string &name, std::int64_t dim, const at::Tensor &index,
    bool withBias)
{
    w[name + ".weight"] = w.at(name + ".weight").index_select(dim, index).contiguous();
    if (!withBias)
        return;
    auto it = w.find(name + ".bias");
    if (it != w.end())
        it->second = it->second.index_select(0, index).contiguous();
}

// Importance on the calibration text, gathered in one forward pass per sequence: per layer
// the energy each query head adds to the residual stream through o_proj (sum over tokens of
// |x_h W_o[:, h]^T|^2) and the sum of |x| per down_proj input channel.
class ScoreObserver : public ForwardObserver {
public:
    ScoreObserver(const Model &model, bool heads, bool channels)
        : m_heads(heads), m_channels(channels)
    {
        const ModelConfig &c = model.config();
        m_numHeads = c.numHeads;
        m_headDim = c.headDim;
        for (std::int64_t l = 0; l < c.numLayers; ++l) {
            if (heads) {
                const at::Tensor &o = model.weight(layerPrefix(l) + "self_attn.o_proj.weight");
                m_oProj.push_back(o.reshape({ c.hiddenSize, c.numHeads, c.headDim }));
                headEnergy.push_back(at::zeros({ c.numHeads }, at::kDouble));
            }
            if (channels)
                channelAbs.push_back(at::zeros({ c.intermediateSize }, at::kDouble));
        }
    }

    std::vector<at::Tensor> headEnergy; // per layer [numHeads]
    std::vector<at::Tensor> channelAbs; // per layer [intermediate]: sum over tokens of |x|

    void linearInput(std::int64_t layer, LinearInput input, const at::Tensor &x) override
    {
        const std::size_t l = std::size_t(layer);
        if (m_heads && input == LinearInput::AttentionOutput) {
            const at::Tensor xh = x.reshape({ x.size(0), m_numHeads, m_headDim });
            // [heads, tokens, hidden]: what each head writes into the residual stream.
            const at::Tensor contribution = at::einsum("thd,khd->htk", { xh, m_oProj[l] });
            headEnergy[l] += contribution.square().sum({ 1, 2 }).to(at::kDouble);
        }
        if (m_channels && input == LinearInput::MlpOutput)
            channelAbs[l] += x.abs().sum(0).to(at::kDouble);
    }

private:
    bool m_heads, m_channels;
    std::int64_t m_numHeads = 0, m_headDim = 0;
    std::vector<at::Tensor> m_oProj; // per layer [hidden, heads, headDim]
};

void runScores(const std::shared_ptr<const Model> &base, ScoreObserver &observer,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress,
    const CancelToken &cancel)
{
    Transformer transformer(base);
    transformer.setObserver(&observer);
    for (std::size_t i = 0; i < calibration.size(); ++i) {
        cancel.throwIfCancelled();
        if (!calibration[i].empty())
            transformer.logits(calibration[i]);
        reportProgress(progress, 0.9 * double(i + 1) / double(calibration.size()),
            "ranking on calibration sequence " + std::to_string(i + 1) + "/"
                + std::to_string(calibration.size()));
    }
}

void pruneHeads(const std::shared_ptr<const Model> &base, const PruningStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, ModelConfig &config, Weights &w,
    const ProgressFn &progress, const CancelToken &cancel)
{
    const std::int64_t heads = config.numHeads, kvHeads = config.numKvHeads;
    const std::int64_t group = heads / kvHeads, d = config.headDim;
    if (stage.count % group != 0)
        throw InvalidArgument("pruning heads: this model shares each key/value head among "
            + std::to_string(group) + " query heads (grouped-query attention), so whole groups "
            "are removed and the head count (" + std::to_string(stage.count)
            + ") must be a multiple of " + std::to_string(group));
    const std::int64_t groups = stage.count / group;
    if (groups >= kvHeads)
        throw InvalidArgument("pruning heads: removing " + std::to_string(stage.count) + " of "
            + std::to_string(heads) + " heads per layer would leave no attention head");

    ScoreObserver observer(*base, true, false);
    runScores(base, observer, calibration, progress, cancel);
    for (std::int64_t l = 0; l < config.numLayers; ++l) {
        const at::Tensor groupEnergy = observer.headEnergy[std::size_t(l)]
                                           .reshape({ kvHeads, group })
                                           .sum(1);
        const std::vector<std::int64_t> kept
            = complement(kvHeads, lowest(groupEnergy, groups));
        std::vector<std::int64_t> qRows, kvRows;
        for (std::int64_t g : kept) {
            for (std::int64_t r = g * group * d; r < (g + 1) * group * d; ++r)
                qRows.push_back(r);
            for (std::int64_t r = g * d; r < (g + 1) * d; ++r)
                kvRows.push_back(r);
        }
        const at::Tensor qIndex = indexTensor(qRows), kvIndex = indexTensor(kvRows);
        const std::string a = layerPrefix(l) + "self_attn.";
        slice(w, a + "q_proj", 0, qIndex, true);
        slice(w, a + "k_proj", 0, kvIndex, true);
        slice(w, a + "v_proj", 0, kvIndex, true);
        slice(w, a + "o_proj", 1, qIndex, false); // its bias is per hidden unit: unchanged
    }
    config.numHeads -= stage.count;
    config.numKvHeads -= groups;
    config.headDim = d; // explicit: hidden_size no longer equals heads x head_dim
}

void pruneChannels(const std::shared_ptr<const Model> &base, const PruningStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, ModelConfig &config, Weights &w,
    const ProgressFn &progress, const CancelToken &cancel)
{
    const std::int64_t ffn = config.intermediateSize;
    if (stage.count >= ffn)
        throw InvalidArgument("pruning channels: removing " + std::to_string(stage.count)
            + " of " + std::to_string(ffn) + " FFN channels per layer would leave none");
    ScoreObserver observer(*base, false, true);
    runScores(base, observer, calibration, progress, cancel);
    const double tokens = double(tokenCount(calibration));
    for (std::int64_t l = 0; l < config.numLayers; ++l) {
        const std::string m = layerPrefix(l) + "mlp.";
        const at::Tensor &down = w.at(m + "down_proj.weight");
        const at::Tensor score = (observer.channelAbs[std::size_t(l)] / tokens)
            * down.to(at::kDouble).norm(2, { 0 });
        const at::Tensor index = indexTensor(complement(ffn, lowest(score, stage.count)));
        slice(w, m + "gate_proj", 0, index, true);
        slice(w, m + "up_proj", 0, index, true);
        slice(w, m + "down_proj", 1, index, false);
    }
    config.intermediateSize -= stage.count;
}

// Returns the blocks removed (ascending) and fills `influence` when calibration is given.
std::vector<std::int64_t> pruneBlocks(const std::shared_ptr<const Model> &base,
    const PruningStage &stage, const std::vector<std::vector<std::int32_t>> &calibration,
    ModelConfig &config, Weights &w, std::vector<double> &influence, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const std::int64_t layers = config.numLayers;
    std::vector<std::int64_t> removed;
    if (hasTokens(calibration)) {
        const ProgressFn inner = [&](double f, const std::string &msg) {
            reportProgress(progress, 0.9 * f, msg);
        };
        influence = blockInfluence(base, calibration, inner, cancel);
    }
    if (!stage.blocks.empty()) {
        for (int b : stage.blocks) {
            if (b < 0 || b >= layers)
                throw InvalidArgument("pruning blocks: block " + std::to_string(b)
                    + " does not exist (the model has blocks 0.." + std::to_string(layers - 1)
                    + ")");
            removed.push_back(b);
        }
        std::sort(removed.begin(), removed.end());
        if (std::adjacent_find(removed.begin(), removed.end()) != removed.end())
            throw InvalidArgument("pruning blocks: a block is listed twice");
    } else {
        if (stage.count <= 0)
            throw InvalidArgument("pruning blocks needs a positive count or a list of blocks");
        if (influence.empty())
            throw InvalidArgument("the 'blocks' pruning method ranks blocks by their influence "
                                  "on calibration text; give calibration text or list the "
                                  "blocks to remove");
        if (stage.count < layers)
            removed = lowest(at::tensor(influence, at::kDouble), stage.count);
        else
            removed.assign(std::size_t(stage.count), 0); // reported just below
    }
    if (std::int64_t(removed.size()) >= layers)
        throw InvalidArgument("pruning blocks: removing " + std::to_string(removed.size())
            + " of " + std::to_string(layers) + " blocks would leave none");

    const std::vector<std::int64_t> kept = complement(layers, removed);
    std::map<std::int64_t, std::int64_t> newIndex;
    for (std::size_t i = 0; i < kept.size(); ++i)
        newIndex[kept[i]] = std::int64_t(i);
    Weights out;
    const std::string prefix = "model.layers.";
    for (auto &[name, tensor] : w) {
        if (name.rfind(prefix, 0) != 0) {
            out[name] = tensor;
            continue;
        }
        const std::size_t dot = name.find('.', prefix.size());
        const std::int64_t layer = std::stoll(name.substr(prefix.size(), dot - prefix.size()));
        auto it = newIndex.find(layer);
        if (it != newIndex.end())
            out[layerPrefix(it->second) + name.substr(dot + 1)] = tensor;
    }
    w = std::move(out);
    std::int64_t window = 0; // layers before the first windowed one that remain
    for (std::int64_t k : kept)
        window += k < config.slidingWindowFromLayer ? 1 : 0;
    config.slidingWindowFromLayer = window;
    config.numLayers = std::int64_t(kept.size());
    return removed;
}

// The old name of a new model's module (blocks are renumbered).
std::string oldName(const std::string &name, const std::vector<std::int64_t> &keptLayers)
{
    if (keptLayers.empty())
        return name;
    const std::string prefix = "model.layers.";
    const std::size_t dot = name.find('.', prefix.size());
    const std::size_t layer = std::stoul(name.substr(prefix.size(), dot - prefix.size()));
    return layerPrefix(keptLayers[layer]) + name.substr(dot + 1);
}

} // namespace

PruneResult pruneStructured(const std::shared_ptr<const Model> &base, const PruningStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const auto started = std::chrono::steady_clock::now();
    if (!base)
        throw InvalidArgument("structured pruning needs a model");
    const std::string &method = stage.method;
    if (method != "heads" && method != "channels" && method != "blocks")
        throw InvalidArgument("'" + method + "' is not a structured pruning method (heads, "
                                             "channels or blocks)");
    if (base->config().arch == Architecture::Gpt2)
        throw UnsupportedError("structured pruning supports Llama-family models (llama, "
                               "mistral, qwen2, qwen3), not GPT-2");
    if (!base->packedWeights().empty() || !base->int8Activations().empty())
        throw UnsupportedError("structured pruning needs an unquantized model; prune first, "
                               "then quantize");
    if (method != "blocks" && stage.count <= 0)
        throw InvalidArgument("pruning " + method + " needs a positive count (per layer)");
    if (method != "blocks" && !hasTokens(calibration))
        throw InvalidArgument("the '" + method + "' pruning method ranks " + method
            + " on calibration text; none was given");

    c10::InferenceMode guard;
    ModelConfig config = base->config();
    Weights weights = base->weights(); // shares every tensor; sliced ones are replaced
    PruneResult result;
    result.recipe.name = "prune " + method;
    result.recipe.pruning = stage;
    std::vector<std::int64_t> keptLayers;
    if (method == "heads") {
        pruneHeads(base, stage, calibration, config, weights, progress, cancel);
    } else if (method == "channels") {
        pruneChannels(base, stage, calibration, config, weights, progress, cancel);
    } else {
        const std::vector<std::int64_t> removed = pruneBlocks(base, stage, calibration, config,
            weights, result.blockInfluence, progress, cancel);
        result.recipe.pruning->blocks.assign(removed.begin(), removed.end());
        keptLayers = complement(base->config().numLayers, removed);
    }
    cancel.throwIfCancelled();
    reportProgress(progress, 0.95, "building the pruned model");
    result.variant = Model::fromWeights(config, std::move(weights), base);

    std::int64_t zeros = 0, total = 0;
    for (const LinearModule &m : linearModules(result.variant->config())) {
        const at::Tensor &t = result.variant->weight(m.weight);
        ModulePruneReport r;
        r.module = m.name;
        r.weights = t.numel();
        r.zeros = (t == 0).sum().item<std::int64_t>();
        r.removed = base->weight(oldName(m.weight, keptLayers)).numel() - r.weights;
        zeros += r.zeros;
        total += r.weights;
        result.modules.push_back(r);
    }
    result.sparsity = total ? double(zeros) / double(total) : 0.0;
    result.parametersBefore = base->parameterCount();
    result.parametersAfter = result.variant->parameterCount();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                         .count();
    reportProgress(progress, 1.0, "pruned " + method);
    return result;
}

} // namespace lathe
