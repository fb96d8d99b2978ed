// SPDX-License-Identifier: GPL-3.0-or-later
#include "prune/unstructuredprune.h"

#include "model/model.h"
#include "prune/prunemask.h"
#include "prune/sparsegpt.h"
#include "quant/calibrationcapture.h"
#include "quant/quantplan.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>

namespace lathe {

namespace {

enum class Method { Magnitude, Wanda, SparseGpt };

Method parseMethod(const std::string &name)
{
    if (name == "magnitude")
        return Method::Magnitude;
    if (name == "wanda")
        return Method::Wanda;
    if (name == "sparsegpt")
        return Method::SparseGpt;
    throw InvalidArgument("'" + name
        + "' is not an unstructured pruning method (expected magnitude, wanda or sparsegpt)");
}

bool ruleMatches(const PruneRule &r, const LinearModule &m)
{
    if (!r.match.empty() && !globMatch(r.match, m.name))
        return false;
    if (!r.kind.empty() && r.kind != m.kind)
        return false;
    if (r.firstLayer >= 0 && m.layer < r.firstLayer)
        return false;
    if (r.lastLayer >= 0 && m.layer > r.lastLayer)
        return false;
    return true;
}

std::string ruleLabel(const PruneRule &r, std::size_t index)
{
    std::string label = "pruning rule " + std::to_string(index + 1);
    if (!r.match.empty())
        label += " ('" + r.match + "')";
    else if (!r.kind.empty())
        label += " (" + r.kind + ")";
    return label;
}

void checkSparsity(double s, const std::string &where)
{
    if (!(s >= 0.0 && s <= 1.0))
        throw InvalidArgument(where + ": sparsity " + std::to_string(s)
            + " lies outside 0..1 (the fraction of each module's weights set to zero)");
}

// Rules against the model: layer ranges inside it, kinds it has.
void checkRules(const PruningStage &stage, const ModelConfig &config)
{
    const std::vector<std::string> kinds = linearModuleKinds(config);
    const std::int64_t layers = config.numLayers;
    for (std::size_t i = 0; i < stage.rules.size(); ++i) {
        const PruneRule &r = stage.rules[i];
        const std::string label = ruleLabel(r, i);
        const auto outside = [&](int layer) { return layer < -1 || layer >= layers; };
        if (outside(r.firstLayer) || outside(r.lastLayer))
            throw InvalidArgument(label + ": the layer range lies outside the model, whose "
                                          "layers are 0-"
                + std::to_string(layers - 1));
        if (r.firstLayer >= 0 && r.lastLayer >= 0 && r.firstLayer > r.lastLayer)
            throw InvalidArgument(label + ": the layer range is empty (first layer "
                + std::to_string(r.firstLayer) + " after last layer "
                + std::to_string(r.lastLayer) + ")");
        if (!r.kind.empty() && std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end()) {
            std::string list;
            for (const std::string &k : kinds)
                list += (list.empty() ? "" : ", ") + k;
            throw InvalidArgument(label + ": '" + r.kind
                + "' is not a decoder module kind of this model; expected one of " + list);
        }
    }
}

std::string percent(double s)
{
    return std::to_string(int(std::lround(s * 100.0))) + "%";
}

} // namespace

double moduleSparsity(const PruningStage &stage, const LinearModule &module)
{
    const NmPattern pattern = parseNmPattern(stage.pattern);
    checkSparsity(stage.sparsity, "the pruning stage");
    double s = stage.sparsity;
    for (std::size_t i = 0; i < stage.rules.size(); ++i) {
        const PruneRule &r = stage.rules[i];
        if (r.sparsity < 0.0 || !ruleMatches(r, module))
            continue;
        checkSparsity(r.sparsity, ruleLabel(r, i));
        s = r.sparsity;
    }
    for (const std::string &ignore : stage.ignore)
        if (ignore == module.kind || globMatch(ignore, module.name))
            return 0.0;
    if (s > 0.0 && !pattern.unstructured())
        return pattern.sparsity();
    return s;
}

PruneResult pruneUnstructured(const std::shared_ptr<const Model> &base, const PruningStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const auto start = std::chrono::steady_clock::now();
    if (!base)
        throw InvalidArgument("pruning needs a model");
    const Method method = parseMethod(stage.method);
    const NmPattern pattern = parseNmPattern(stage.pattern);
    checkSparsity(stage.sparsity, "the pruning stage");
    const ModelConfig &config = base->config();
    if (config.arch == Architecture::Gpt2)
        throw UnsupportedError("unstructured pruning supports Llama-family models only; this "
                               "model's architecture is "
            + architectureName(config.arch));
    checkRules(stage, config);
    const bool calibrated = method != Method::Magnitude;
    if (calibrated && calibration.empty())
        throw InvalidArgument(stage.method
            + " pruning weighs weights by the layer inputs and needs calibration text");
    if (method == Method::SparseGpt && (stage.blockSize <= 0 || !(stage.damping >= 0.0)))
        throw InvalidArgument("sparsegpt: the block size must be positive and the damping "
                              "non-negative");

    const std::vector<LinearModule> modules = linearModules(config);
    std::vector<std::vector<std::pair<const LinearModule *, double>>> byLayer(
        std::size_t(config.numLayers));
    for (const LinearModule &m : modules) {
        const double s = moduleSparsity(stage, m);
        if (s > 0.0)
            byLayer.at(std::size_t(m.layer)).emplace_back(&m, s);
    }

    PruneResult result;
    result.recipe.name = stage.method + " "
        + (pattern.unstructured() ? percent(stage.sparsity) : stage.pattern);
    result.recipe.pruning = stage;

    std::map<std::string, at::Tensor> replaced;
    std::shared_ptr<const Model> current = base;
    bool stale = false;
    const double layers = double(config.numLayers);
    for (std::int64_t layer = 0; layer < config.numLayers; ++layer) {
        cancel.throwIfCancelled();
        const auto &todo = byLayer[std::size_t(layer)];
        const double from = double(layer) / layers, to = double(layer + 1) / layers;
        const std::string where
            = "layer " + std::to_string(layer + 1) + "/" + std::to_string(config.numLayers);
        if (todo.empty())
            continue;

        // Every module of the layer is pruned against inputs captured before any of them
        // changes (one capture per layer), on the model with the earlier layers pruned.
        std::map<LinearInput, CapturedInput> captured;
        if (calibrated) {
            if (stale) {
                VariantChanges changes;
                changes.replaced = replaced;
                current = Model::variant(base, std::move(changes));
                stale = false;
            }
            std::map<LinearInput, CaptureRequest> requests;
            for (const auto &[m, s] : todo) {
                CaptureRequest r;
                r.hessian = method == Method::SparseGpt;
                requests[m->input] = r;
            }
            captured = captureLayerInputs(current, layer, requests, calibration,
                subProgress(progress, from, from + 0.6 * (to - from), where + " calibration: "),
                cancel);
        }

        std::size_t done = 0;
        for (const auto &[m, s] : todo) {
            cancel.throwIfCancelled();
            reportProgress(progress,
                from + (to - from) * (0.6 + 0.4 * double(done) / double(todo.size())),
                where + ": " + m->name + " (" + stage.method + " "
                    + (pattern.unstructured() ? percent(s) : stage.pattern) + ")");
            const at::Tensor &w = base->weight(m->weight);
            at::Tensor pruned;
            switch (method) {
            case Method::Magnitude:
                pruned = applyPruneMask(w, pruneMask(magnitudeScores(w), s, pattern));
                break;
            case Method::Wanda: {
                const CapturedInput &c = captured.at(m->input);
                pruned = applyPruneMask(w, pruneMask(wandaScores(w, c.meanSquare), s, pattern));
                break;
            }
            case Method::SparseGpt: {
                const CapturedInput &c = captured.at(m->input);
                SparseGptOptions options;
                options.sparsity = s;
                options.pattern = pattern;
                options.damping = stage.damping;
                options.blockSize = stage.blockSize;
                pruned = sparseGptPrune(w, c.hessian, options);
                break;
            }
            }
            replaced[m->weight] = pruned;
            ++done;
        }
        stale = true;
    }

    VariantChanges changes;
    changes.replaced = replaced;
    result.variant = Model::variant(base, std::move(changes));

    std::int64_t zeros = 0, weights = 0;
    for (const LinearModule &m : modules) {
        const auto it = replaced.find(m.weight);
        const at::Tensor &t = it != replaced.end() ? it->second : base->weight(m.weight);
        ModulePruneReport r;
        r.module = m.name;
        r.zeros = (t == 0).sum().item<std::int64_t>();
        r.weights = t.numel();
        zeros += r.zeros;
        weights += r.weights;
        result.modules.push_back(r);
    }
    result.sparsity = weights ? double(zeros) / double(weights) : 0.0;
    result.parametersBefore = base->parameterCount();
    result.parametersAfter = result.variant->parameterCount();
    result.seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("{}: {} modules pruned, {:.1f}% of the decoder's linear weights zero, {:.1f} s",
        result.recipe.name, replaced.size(), 100.0 * result.sparsity, result.seconds);
    reportProgress(progress, 1.0,
        "pruned " + std::to_string(replaced.size()) + " modules to " + percent(result.sparsity)
            + " zeros in " + std::to_string(int(std::lround(result.seconds))) + " s");
    return result;
}

} // namespace lathe
