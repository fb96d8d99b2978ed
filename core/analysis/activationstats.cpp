// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/activationstats.h"

#include "analysis/linearmodules.h"
#include "model/forwardobserver.h"
#include "model/transformer.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace lathe {

namespace {

// Running per-channel statistics of one linear input (shared by the modules reading it).
struct InputAccumulator {
    at::Tensor absmax;    // [in] f32
    at::Tensor sumSquare; // [in] f64
    std::int64_t tokens = 0;
};

class StatsObserver : public ForwardObserver {
public:
    explicit StatsObserver(std::int64_t layers) : m_norms(static_cast<std::size_t>(layers)) {}

    void linearInput(std::int64_t layer, LinearInput input, const at::Tensor &x) override
    {
        InputAccumulator &acc = m_inputs[{ layer, input }];
        const at::Tensor absmax = x.abs().amax(0);
        const at::Tensor sumSquare = x.to(at::kDouble).square().sum(0);
        if (!acc.absmax.defined()) {
            acc.absmax = absmax;
            acc.sumSquare = sumSquare;
        } else {
            acc.absmax = at::maximum(acc.absmax, absmax);
            acc.sumSquare.add_(sumSquare);
        }
        acc.tokens += x.size(0);
    }

    void layerOutput(std::int64_t layer, const at::Tensor &x) override
    {
        const at::Tensor norms = x.to(at::kDouble).square().sum(1).sqrt().to(at::kFloat);
        auto &out = m_norms[static_cast<std::size_t>(layer)];
        const float *p = norms.data_ptr<float>();
        out.insert(out.end(), p, p + norms.numel());
    }

    const InputAccumulator *find(std::int64_t layer, LinearInput input) const
    {
        const auto it = m_inputs.find({ layer, input });
        return it == m_inputs.end() ? nullptr : &it->second;
    }
    std::vector<std::vector<float>> &norms() { return m_norms; }

private:
    std::map<std::pair<std::int64_t, LinearInput>, InputAccumulator> m_inputs;
    std::vector<std::vector<float>> m_norms;
};

ModuleActivationStats moduleStats(
    const LinearModule &module, const InputAccumulator &acc, double threshold)
{
    ModuleActivationStats s;
    s.module = module.name;
    s.kind = module.kind;
    s.layer = module.layer;
    s.tokens = acc.tokens;
    const at::Tensor absmax = acc.absmax.contiguous();
    const at::Tensor meanSquare = (acc.sumSquare / static_cast<double>(acc.tokens)).contiguous();
    s.channelAbsmax.assign(absmax.data_ptr<float>(), absmax.data_ptr<float>() + absmax.numel());
    s.channelMeanSquare.assign(
        meanSquare.data_ptr<double>(), meanSquare.data_ptr<double>() + meanSquare.numel());
    double sum = 0.0;
    for (std::size_t i = 0; i < s.channelAbsmax.size(); ++i) {
        s.absmax = std::max(s.absmax, static_cast<double>(s.channelAbsmax[i]));
        s.outlierFeatures += s.channelAbsmax[i] > threshold ? 1 : 0;
        sum += s.channelMeanSquare[i];
    }
    s.meanSquare = s.channelMeanSquare.empty() ? 0.0 : sum / double(s.channelMeanSquare.size());
    return s;
}

LayerHiddenStats layerStats(std::int64_t layer, std::vector<float> norms)
{
    LayerHiddenStats s;
    s.layer = layer;
    double sum = 0.0;
    for (float v : norms) {
        sum += v;
        s.maxNorm = std::max(s.maxNorm, static_cast<double>(v));
    }
    s.meanNorm = norms.empty() ? 0.0 : sum / double(norms.size());
    s.tokenNorms = std::move(norms);
    return s;
}

} // namespace

const ModuleActivationStats *ActivationStats::find(const std::string &module) const
{
    for (const ModuleActivationStats &m : modules)
        if (m.module == module)
            return &m;
    return nullptr;
}

std::vector<std::vector<std::int32_t>> calibrationSequences(
    const Tokenizer &tokenizer, const std::string &text, int samples, int ctx)
{
    if (samples < 1 || ctx < 2)
        throw InvalidArgument("calibration needs at least 1 sample of at least 2 tokens");
    const std::vector<std::int32_t> ids = tokenizer.encode(text, false);
    const bool bos = tokenizer.addsBos() && tokenizer.bosId() >= 0;
    const std::size_t body = static_cast<std::size_t>(ctx) - (bos ? 1 : 0);
    if (ids.size() < body)
        throw InvalidArgument("the calibration text has " + std::to_string(ids.size())
            + " tokens; one window needs " + std::to_string(body));
    std::vector<std::vector<std::int32_t>> sequences;
    for (std::size_t start = 0; start + body <= ids.size()
         && static_cast<int>(sequences.size()) < samples;
         start += body) {
        std::vector<std::int32_t> seq;
        if (bos)
            seq.push_back(tokenizer.bosId());
        seq.insert(seq.end(), ids.begin() + long(start), ids.begin() + long(start + body));
        sequences.push_back(std::move(seq));
    }
    return sequences;
}

ActivationStats computeActivationStats(const Transformer &model,
    const std::vector<std::vector<std::int32_t>> &sequences, const ActivationStatsOptions &options,
    const ProgressFn &progress, const CancelToken &cancel)
{
    if (sequences.empty())
        throw InvalidArgument("activation statistics need at least one calibration sequence");
    const ModelConfig &config = model.config();
    StatsObserver observer(config.numLayers);
    // The observer is attached to a private Transformer view so the caller's stays untouched.
    Transformer run(model.modelPtr());
    run.setObserver(&observer);
    ActivationStats stats;
    stats.options = options;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        cancel.throwIfCancelled();
        run.logits(sequences[i]);
        stats.tokens += static_cast<std::int64_t>(sequences[i].size());
        reportProgress(progress, double(i + 1) / double(sequences.size()),
            "sequence " + std::to_string(i + 1) + "/" + std::to_string(sequences.size()));
    }
    stats.sequences = static_cast<std::int64_t>(sequences.size());
    for (const LinearModule &module : linearModules(config)) {
        const InputAccumulator *acc = observer.find(module.layer, module.input);
        if (!acc)
            throw InvalidArgument("no activations were seen for " + module.name);
        stats.modules.push_back(moduleStats(module, *acc, options.outlierThreshold));
    }
    for (std::int64_t l = 0; l < config.numLayers; ++l)
        stats.layers.push_back(layerStats(l, std::move(observer.norms()[std::size_t(l)])));
    return stats;
}

nlohmann::ordered_json activationStatsToJson(const ActivationStats &stats, bool withChannels)
{
    nlohmann::ordered_json j;
    j["sequences"] = stats.sequences;
    j["tokens"] = stats.tokens;
    j["outlier_threshold"] = stats.options.outlierThreshold;
    nlohmann::ordered_json modules = nlohmann::ordered_json::array();
    for (const ModuleActivationStats &m : stats.modules) {
        nlohmann::ordered_json o;
        o["name"] = m.module;
        o["kind"] = m.kind;
        o["layer"] = m.layer;
        o["tokens"] = m.tokens;
        o["absmax"] = m.absmax;
        o["mean_square"] = m.meanSquare;
        o["outlier_features"] = m.outlierFeatures;
        if (withChannels) {
            o["channel_absmax"] = m.channelAbsmax;
            o["channel_mean_square"] = m.channelMeanSquare;
        }
        modules.push_back(std::move(o));
    }
    j["modules"] = std::move(modules);
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const LayerHiddenStats &l : stats.layers) {
        nlohmann::ordered_json o;
        o["layer"] = l.layer;
        o["mean_norm"] = l.meanNorm;
        o["max_norm"] = l.maxNorm;
        if (withChannels)
            o["token_norms"] = l.tokenNorms;
        layers.push_back(std::move(o));
    }
    j["layers"] = std::move(layers);
    return j;
}

std::string activationStatsCsv(const ActivationStats &stats)
{
    std::ostringstream s;
    s.precision(9);
    s << "name,kind,layer,tokens,absmax,mean_square,outlier_features\n";
    for (const ModuleActivationStats &m : stats.modules)
        s << m.module << ',' << m.kind << ',' << m.layer << ',' << m.tokens << ',' << m.absmax
          << ',' << m.meanSquare << ',' << m.outlierFeatures << '\n';
    return s.str();
}

} // namespace lathe
