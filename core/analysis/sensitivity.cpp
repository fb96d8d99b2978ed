// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/sensitivity.h"

#include "analysis/activationstats.h"
#include "analysis/linearmodules.h"
#include "model/model.h"
#include "model/transformer.h"
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

namespace lathe {

namespace {

// Base log-probabilities are kept in memory up to this size; above it they are recomputed for
// every sequence of every variant (twice the forward passes, but bounded memory).
constexpr std::size_t kCacheBytes = 512u * 1024u * 1024u;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Log-softmax (f32) of the logits that predict ids[1..n-1]: [n-1, vocab].
at::Tensor predictionLogProbs(const Transformer &model, const std::vector<std::int32_t> &ids)
{
    const at::Tensor logits = model.logits(ids);
    const auto rows = static_cast<std::int64_t>(ids.size()) - 1;
    return at::log_softmax(logits.slice(0, 0, rows).to(at::kFloat), -1);
}

// Sum over rows of -log p(target).
double sumNll(const at::Tensor &logProbs, const std::vector<std::int32_t> &ids)
{
    std::vector<std::int64_t> targets(ids.begin() + 1, ids.end());
    const at::Tensor t = at::tensor(at::ArrayRef<std::int64_t>(targets), at::kLong).unsqueeze(1);
    return -logProbs.gather(1, t).to(at::kDouble).sum().item<double>();
}

// Sum over rows of KL(p || q) = sum_v p_v (log p_v - log q_v).
double sumKl(const at::Tensor &logP, const at::Tensor &logQ)
{
    const at::Tensor perRow = (logP.exp() * (logP - logQ)).sum(-1);
    return perRow.to(at::kDouble).sum().item<double>();
}

struct Damage {
    double perplexity = 0.0;
    double meanKl = 0.0;
};

// Runs every sequence through the original and through variants, comparing each variant's
// next-token distributions with the original's.
class DamageMeter {
public:
    DamageMeter(const std::shared_ptr<const Model> &model,
        const std::vector<std::vector<std::int32_t>> &sequences, const CancelToken &cancel)
        : m_original(model)
        , m_cancel(cancel)
    {
        for (const auto &s : sequences)
            if (s.size() >= 2) // a shorter one predicts nothing
                m_sequences.push_back(&s);
        for (const auto *s : m_sequences)
            m_scored += static_cast<std::int64_t>(s->size()) - 1;
        if (m_scored == 0)
            throw InvalidArgument("sensitivity: no calibration sequence has the 2 tokens needed "
                                  "for one scored prediction");
        const auto bytes = static_cast<std::size_t>(m_scored)
            * static_cast<std::size_t>(model->config().vocabSize) * sizeof(float);
        m_cached = bytes <= kCacheBytes;
        double nll = 0.0;
        for (const auto *s : m_sequences) {
            m_cancel.throwIfCancelled();
            at::Tensor lp = predictionLogProbs(m_original, *s);
            nll += sumNll(lp, *s);
            if (m_cached)
                m_baseLogProbs.push_back(std::move(lp));
        }
        m_basePerplexity = std::exp(nll / static_cast<double>(m_scored));
    }

    double basePerplexity() const { return m_basePerplexity; }
    std::int64_t scoredTokens() const { return m_scored; }

    Damage measure(const Transformer &variant) const
    {
        double nll = 0.0;
        double kl = 0.0;
        for (std::size_t i = 0; i < m_sequences.size(); ++i) {
            m_cancel.throwIfCancelled();
            const auto &ids = *m_sequences[i];
            const at::Tensor base
                = m_cached ? m_baseLogProbs[i] : predictionLogProbs(m_original, ids);
            const at::Tensor lq = predictionLogProbs(variant, ids);
            nll += sumNll(lq, ids);
            kl += sumKl(base, lq);
        }
        const double n = static_cast<double>(m_scored);
        return { std::exp(nll / n), kl / n };
    }

private:
    Transformer m_original;
    CancelToken m_cancel;
    std::vector<const std::vector<std::int32_t> *> m_sequences;
    std::int64_t m_scored = 0;
    bool m_cached = false;
    std::vector<at::Tensor> m_baseLogProbs;
    double m_basePerplexity = 0.0;
};

// The model with the named weights replaced by their fake-quantized versions; every other
// tensor is shared with the original. Quantized here, one part at a time, so that only one
// part's quantized copy exists at any time.
std::shared_ptr<const Model> variantWith(
    const Model &model, const std::vector<std::string> &names, const WeightFormat &format)
{
    std::map<std::string, at::Tensor> weights = model.weights();
    for (const std::string &name : names)
        weights[name] = fakeQuantize(model.weight(name), format);
    return Model::fromWeights(model.config(), std::move(weights));
}

// ActivationStats::find, kept here so that this file links without activationstats.cpp.
const ModuleActivationStats *findModule(const ActivationStats &stats, const std::string &name)
{
    for (const ModuleActivationStats &m : stats.modules)
        if (m.module == name)
            return &m;
    return nullptr;
}

// importanceWeightedError() relative to the same weighting of the weight itself: the squared
// error of the module's output over its mean square (noise to signal). Absolute errors are
// not comparable across module kinds (a down_proj reads inputs far smaller than a q_proj's,
// yet writes straight into the residual stream); measured on tinystories-656k and the demo
// model, the relative error ranks modules like the measured KL and the absolute one does not.
double relativeError(
    const at::Tensor &weight, const WeightFormat &format, const std::vector<double> &importance)
{
    const double error = importanceWeightedError(weight, format, importance);
    if (static_cast<std::int64_t>(importance.size()) != weight.size(1) || weight.size(0) == 0)
        return error;
    const at::Tensor imp = at::tensor(at::ArrayRef<double>(importance), at::kDouble);
    const double signal = (weight.square().sum(0).to(at::kDouble) * imp).sum().item<double>()
        / static_cast<double>(weight.size(0));
    return signal > 0.0 ? error / signal : 0.0;
}

bool isLlamaFamily(Architecture arch)
{
    return arch == Architecture::Llama || arch == Architecture::Mistral
        || arch == Architecture::Qwen2 || arch == Architecture::Qwen3;
}

} // namespace

SensitivityResult computeSensitivity(const std::shared_ptr<const Model> &model,
    const std::vector<std::vector<std::int32_t>> &sequences, const SensitivityOptions &options,
    const ActivationStats *activations, const ProgressFn &progress, const CancelToken &cancel)
{
    if (!model)
        throw InvalidArgument("sensitivity: no model");
    const ModelConfig &config = model->config();
    if (!isLlamaFamily(config.arch))
        throw UnsupportedError("sensitivity analysis supports Llama-family models (llama, "
                               "mistral, qwen2, qwen3), not "
            + architectureName(config.arch));
    // Checks the format before any forward pass (InvalidArgument for bad bits or group).
    fakeQuantize(at::zeros({ 1, 1 }), options.format);

    const auto start = std::chrono::steady_clock::now();
    c10::InferenceMode inferenceMode;
    const std::vector<LinearModule> modules = linearModules(config);
    const std::size_t parts = (options.modules ? modules.size() : 0)
        + (options.blocks ? static_cast<std::size_t>(config.numLayers) : 0);
    const double steps = static_cast<double>(parts + 1); // + the original model's run
    const std::string ofParts = "/" + std::to_string(parts) + ")";

    reportProgress(progress, 0.0, "original model");
    cancel.throwIfCancelled();
    const DamageMeter meter(model, sequences, cancel);

    SensitivityResult result;
    result.format = options.format;
    result.basePerplexity = meter.basePerplexity();
    result.scoredTokens = meter.scoredTokens();

    // Proxies per module (a block's is the sum over its modules).
    std::map<std::string, double> proxies;
    for (const LinearModule &m : modules) {
        double proxy = kNaN;
        if (activations)
            if (const ModuleActivationStats *a = findModule(*activations, m.name))
                proxy
                    = relativeError(model->weight(m.weight), options.format, a->channelMeanSquare);
        proxies[m.name] = proxy;
    }

    std::size_t done = 0;
    auto measurePart = [&](SensitivityEntry entry, const std::vector<std::string> &weights,
                           const std::string &what) {
        ++done;
        reportProgress(progress, static_cast<double>(done) / steps,
            what + " (" + std::to_string(done) + ofParts);
        cancel.throwIfCancelled();
        const Transformer variant(variantWith(*model, weights, options.format));
        const Damage d = meter.measure(variant);
        entry.perplexity = d.perplexity;
        entry.deltaPerplexity = d.perplexity - result.basePerplexity;
        entry.meanKl = d.meanKl;
        return entry;
    };

    if (options.modules) {
        for (const LinearModule &m : modules) {
            SensitivityEntry e;
            e.name = m.name;
            e.kind = m.kind;
            e.layer = m.layer;
            e.proxy = proxies.at(m.name);
            result.modules.push_back(
                measurePart(e, { m.weight }, "layer " + std::to_string(m.layer) + " " + m.kind));
        }
    }
    if (options.blocks) {
        for (std::int64_t layer = 0; layer < config.numLayers; ++layer) {
            SensitivityEntry e;
            e.name = "model.layers." + std::to_string(layer);
            e.kind = "block";
            e.layer = layer;
            std::vector<std::string> weights;
            for (const LinearModule &m : modules)
                if (m.layer == layer) {
                    weights.push_back(m.weight);
                    e.proxy += proxies.at(m.name); // NaN when any is missing
                }
            result.blocks.push_back(
                measurePart(e, weights, "layer " + std::to_string(layer) + " block"));
        }
    }

    result.seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    reportProgress(progress, 1.0, "done");
    return result;
}

double spearmanRho(const std::vector<double> &a, const std::vector<double> &b)
{
    if (a.size() != b.size())
        throw InvalidArgument("Spearman's rho needs two lists of equal length, got "
            + std::to_string(a.size()) + " and " + std::to_string(b.size()));
    // Pairs with a NaN on either side (no proxy) do not take part.
    std::vector<double> x, y;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!std::isnan(a[i]) && !std::isnan(b[i])) {
            x.push_back(a[i]);
            y.push_back(b[i]);
        }
    const std::size_t n = x.size();
    if (n < 2)
        return kNaN;

    // Ranks 1..n; tied values share the average of the ranks they span.
    auto ranks = [n](const std::vector<double> &v) {
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), std::size_t(0));
        std::sort(
            order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return v[i] < v[j]; });
        std::vector<double> r(n);
        for (std::size_t i = 0; i < n;) {
            std::size_t j = i;
            while (j + 1 < n && v[order[j + 1]] == v[order[i]])
                ++j;
            const double average = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
            for (std::size_t k = i; k <= j; ++k)
                r[order[k]] = average;
            i = j + 1;
        }
        return r;
    };
    const std::vector<double> rx = ranks(x), ry = ranks(y);
    // Pearson correlation of the ranks (exact with ties, unlike the 1 - 6 sum d^2 shortcut).
    const double mean = (static_cast<double>(n) + 1.0) / 2.0;
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        sxy += (rx[i] - mean) * (ry[i] - mean);
        sxx += (rx[i] - mean) * (rx[i] - mean);
        syy += (ry[i] - mean) * (ry[i] - mean);
    }
    if (sxx == 0.0 || syy == 0.0)
        return kNaN; // one side is constant: no ranking to compare
    return sxy / std::sqrt(sxx * syy);
}

namespace {

// JSON has no NaN or infinity: a missing proxy or a broken variant's perplexity is null.
nlohmann::ordered_json number(double v)
{
    return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json entryJson(const SensitivityEntry &e)
{
    nlohmann::ordered_json j;
    j["name"] = e.name;
    j["kind"] = e.kind;
    j["layer"] = e.layer;
    j["perplexity"] = number(e.perplexity);
    j["delta_perplexity"] = number(e.deltaPerplexity);
    j["mean_kl"] = number(e.meanKl);
    j["proxy"] = number(e.proxy);
    return j;
}

} // namespace

nlohmann::ordered_json sensitivityToJson(const SensitivityResult &r)
{
    nlohmann::ordered_json j;
    j["format"] = r.format.label();
    j["bits"] = r.format.bits;
    j["group_size"] = r.format.groupSize;
    j["symmetric"] = r.format.symmetric;
    j["base_perplexity"] = number(r.basePerplexity);
    j["scored_tokens"] = r.scoredTokens;
    j["modules"] = nlohmann::ordered_json::array();
    for (const SensitivityEntry &e : r.modules)
        j["modules"].push_back(entryJson(e));
    j["blocks"] = nlohmann::ordered_json::array();
    for (const SensitivityEntry &e : r.blocks)
        j["blocks"].push_back(entryJson(e));
    j["seconds"] = r.seconds;
    return j;
}

std::string sensitivityCsv(const SensitivityResult &r)
{
    std::ostringstream os;
    os.precision(9);
    os << "name,kind,layer,perplexity,delta_perplexity,mean_kl,proxy\n";
    for (const auto *list : { &r.modules, &r.blocks })
        for (const SensitivityEntry &e : *list)
            os << e.name << ',' << e.kind << ',' << e.layer << ',' << e.perplexity << ','
               << e.deltaPerplexity << ',' << e.meanKl << ',' << e.proxy << '\n';
    return os.str();
}

} // namespace lathe
