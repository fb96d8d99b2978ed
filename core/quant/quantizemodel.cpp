// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/quantizemodel.h"

#include "analysis/linearmodules.h"
#include "model/model.h"
#include "quant/awq.h"
#include "quant/awqfold.h"
#include "quant/calibrationcapture.h"
#include "quant/clipsearch.h"
#include "quant/gptq.h"
#include "quant/packedmatrix.h"
#include "quant/planner.h"
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>

namespace lathe {

namespace {

constexpr const char *kHeadWeight = "lm_head.weight";

bool usesGptq(const ModulePlan &m, const QuantizationStage &stage)
{
    return m.method == QuantMethod::Gptq
        || (m.method == QuantMethod::Awq && stage.awq.then == "gptq");
}

bool needsCalibration(const ModulePlan &m, const QuantizationStage &stage)
{
    if (!m.format)
        return false;
    return m.method != QuantMethod::Rtn || stage.importanceWeighted;
}

std::vector<double> toVector(const at::Tensor &t)
{
    const at::Tensor d = t.to(at::kDouble).contiguous();
    return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

// "the planner" step: measures the damage table, solves it and writes one rule per module.
void applyPlanner(const std::shared_ptr<const Model> &base, QuantizationStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const PlanSettings settings = *stage.plan;
    stage.plan.reset();
    if (calibration.empty())
        throw InvalidArgument("planning for a budget measures every module's sensitivity and "
                              "needs calibration text");
    const std::vector<WeightFormat> candidates = planCandidates(settings, stage.method);

    // Only the modules this stage quantizes take part (rules or ignore may leave some f32).
    const QuantPlan before = resolveQuantPlan(stage, base->config());
    std::map<std::string, const ModulePlan *> planned;
    for (const ModulePlan &m : before.modules)
        if (m.format && m.kind != "lm_head")
            planned[m.module] = &m;

    PlannerProblem problem
        = measurePlannerProblem(base, calibration, candidates, progress, cancel);
    std::vector<PlannerModule> kept;
    std::int64_t weights = 0;
    for (PlannerModule &m : problem.modules)
        if (planned.count(m.module)) {
            weights += m.rows * m.cols;
            kept.push_back(std::move(m));
        }
    problem.modules = std::move(kept);
    if (problem.modules.empty())
        return;

    if (settings.targetBitsPerWeight > 0) {
        problem.targetBitsPerWeight = settings.targetBitsPerWeight;
    } else if (settings.targetMegabytes > 0) {
        // Everything outside the planned modules keeps its size; they share what is left.
        const double fixedBytes
            = double(before.originalBytes) - 4.0 * double(weights);
        const double budgetBits = (settings.targetMegabytes * 1e6 - fixedBytes) * 8.0;
        if (budgetBits <= 0)
            throw InvalidArgument("a budget of " + std::to_string(settings.targetMegabytes)
                + " MB is smaller than the parts of the model that are not quantized");
        problem.targetBitsPerWeight = budgetBits / double(weights);
    } else {
        throw InvalidArgument("the plan needs a target: bits per weight or megabytes");
    }
    const PlannerSolution solution = solvePlan(problem);
    for (std::size_t i = 0; i < problem.modules.size(); ++i) {
        QuantRule rule;
        rule.match = problem.modules[i].module;
        rule.format = candidates[std::size_t(solution.choice[i])].name();
        stage.rules.push_back(rule);
    }
    spdlog::info("planner: {} modules at {:.3f} bits per weight (target {:.3f}), predicted "
                 "damage {:.5f}",
        problem.modules.size(), solution.bitsPerWeight, problem.targetBitsPerWeight,
        solution.predictedDamage);
}

// The modules that read one input, how to fold scales into its producer, and what was
// captured about it.
struct InputGroup {
    std::vector<const ModulePlan *> modules; // quantized readers
    std::vector<std::string> readers;        // every reader's weight name
    bool foldable = false;
    std::function<void(const at::Tensor &)> fold;
    const CapturedInput *captured = nullptr;
    at::Tensor scales; // set once folded
};

class LayerQuantizer {
public:
    LayerQuantizer(const std::shared_ptr<const Model> &base, const QuantizationStage &stage,
        std::map<std::string, at::Tensor> &tensors, VariantChanges &changes,
        std::vector<ModuleQuantReport> &reports)
        : m_base(base), m_stage(stage), m_tensors(tensors), m_changes(changes), m_reports(reports)
    {
    }

    const at::Tensor &current(const std::string &name) const
    {
        const auto it = m_tensors.find(name);
        return it != m_tensors.end() ? it->second : m_base->weight(name);
    }

    // Searches and folds the group's scales (AWQ or SmoothQuant), when any module asks.
    void scale(InputGroup &g) const
    {
        bool awq = false, smooth = false;
        const ModulePlan *first = nullptr;
        std::vector<at::Tensor> weights;
        for (const ModulePlan *m : g.modules) {
            if (m->method == QuantMethod::Awq || m->method == QuantMethod::SmoothQuant) {
                awq |= m->method == QuantMethod::Awq;
                smooth |= m->method == QuantMethod::SmoothQuant;
                first = first ? first : m;
                weights.push_back(current(m->module + ".weight"));
            }
        }
        if (awq && smooth)
            throw InvalidArgument(first->module + ": modules reading the same input cannot mix "
                                                  "AWQ and SmoothQuant");
        if (!first || !g.foldable || !g.captured)
            return; // o_proj with grouped-query attention: no producer to absorb 1/s
        at::Tensor s;
        if (awq) {
            AwqOptions options;
            options.gridPoints = m_stage.awq.gridPoints;
            options.clipSearch = m_stage.awq.clipSearch;
            const AwqResult r = awqSearchScales(weights, g.captured->rows, *first->format, options);
            s = r.scales;
            spdlog::debug("awq {}: alpha {:.2f}, error {:.4g} -> {:.4g}", first->module, r.alpha,
                r.errorBefore, r.errorAfter);
        } else {
            std::vector<at::Tensor> all;
            for (const std::string &name : g.readers)
                all.push_back(current(name));
            s = smoothQuantScales(all, g.captured->absmax, m_stage.smoothQuant.alpha);
        }
        g.fold(s);
        g.scales = s.to(at::kFloat).contiguous();
    }

    void quantize(const InputGroup &g, const ModulePlan &m) const
    {
        const std::string name = m.module + ".weight";
        at::Tensor w = current(name);
        const WeightFormat &format = *m.format;
        const CapturedInput *c = g.captured;
        auto hessian = [&] {
            if (!c || !c->hessian.defined())
                throw InvalidArgument(m.module + ": GPTQ needs calibration activations");
            if (!g.scales.defined())
                return c->hessian;
            // The module now reads x / s: H' = diag(1/s) H diag(1/s).
            const at::Tensor inv = g.scales.to(at::kDouble).reciprocal();
            return c->hessian * inv.unsqueeze(0) * inv.unsqueeze(1);
        };
        GptqOptions gptq;
        gptq.damping = m_stage.gptq.damping;
        gptq.actOrder = m_stage.gptq.actOrder;
        gptq.blockSize = m_stage.gptq.blockSize;

        PackedMatrix packed;
        switch (m.method) {
        case QuantMethod::Rtn:
            if (m_stage.clipSearch || m_stage.importanceWeighted) {
                ClipSearchOptions options;
                if (m_stage.importanceWeighted && c)
                    options.importance = toVector(c->meanSquare);
                packed = packWeightClipSearch(w, format, options);
            } else {
                packed = packWeight(w, format);
            }
            break;
        case QuantMethod::Gptq:
            packed = gptqQuantize(w, hessian(), format, gptq);
            break;
        case QuantMethod::Awq:
            if (m_stage.awq.clipSearch && c && c->rows.defined()) {
                const at::Tensor x
                    = g.scales.defined() ? c->rows / g.scales.unsqueeze(0) : c->rows;
                w = awqClipWeight(w, x, format);
            }
            packed = m_stage.awq.then == "gptq" ? gptqQuantize(w, hessian(), format, gptq)
                                                : packWeight(w, format);
            break;
        case QuantMethod::SmoothQuant:
            packed = packWeight(w, format);
            m_changes.int8Activations.insert(name);
            break;
        }
        const at::Tensor reference = current(name);
        const double norm = reference.norm().item<double>();
        ModuleQuantReport report;
        report.module = m.module;
        report.method = quantMethodName(m.method);
        report.format = format.name();
        report.bitsPerWeight = packed.bitsPerWeight();
        report.relativeError
            = norm > 0 ? (reference - packed.dequantize()).norm().item<double>() / norm : 0.0;
        m_reports.push_back(report);
        m_changes.packed[name] = std::make_shared<const PackedMatrix>(std::move(packed));
    }

private:
    std::shared_ptr<const Model> m_base;
    const QuantizationStage &m_stage;
    std::map<std::string, at::Tensor> &m_tensors;
    VariantChanges &m_changes;
    std::vector<ModuleQuantReport> &m_reports;
};

// The changes so far as a variant description: folded f32 tensors that were not packed.
VariantChanges snapshot(const VariantChanges &changes, const std::map<std::string, at::Tensor> &t)
{
    VariantChanges out;
    out.packed = changes.packed;
    out.int8Activations = changes.int8Activations;
    for (const auto &[name, tensor] : t)
        if (!changes.packed.count(name))
            out.replaced[name] = tensor;
    return out;
}

} // namespace

QuantizeResult quantizeModel(const std::shared_ptr<const Model> &base, const Recipe &recipe,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const auto start = std::chrono::steady_clock::now();
    if (!base)
        throw InvalidArgument("quantization needs a model");
    if (!recipe.quantization)
        throw InvalidArgument("the recipe" + (recipe.name.empty() ? "" : " '" + recipe.name + "'")
            + " has no quantization section");
    const ModelConfig &config = base->config();
    if (config.arch == Architecture::Gpt2)
        throw UnsupportedError("quantizing GPT-2 models is not supported yet");

    QuantizeResult result;
    result.recipe = recipe;
    QuantizationStage &stage = *result.recipe.quantization;
    const double planShare = stage.plan ? 0.3 : 0.0;
    if (stage.plan)
        applyPlanner(base, stage, calibration,
            subProgress(progress, 0.0, planShare, "planning: "), cancel);
    result.plan = resolveQuantPlan(stage, config);

    std::vector<std::vector<const ModulePlan *>> byLayer(std::size_t(config.numLayers));
    const ModulePlan *head = nullptr;
    for (const ModulePlan &m : result.plan.modules) {
        if (needsCalibration(m, stage) && calibration.empty())
            throw InvalidArgument(m.module + ": " + quantMethodName(m.method)
                + (m.method == QuantMethod::Rtn ? " with importance weighting" : "")
                + " needs calibration text");
        if (!m.format)
            continue;
        if (m.kind == "lm_head")
            head = &m;
        else
            byLayer.at(std::size_t(m.layer)).push_back(&m);
    }

    std::map<std::string, at::Tensor> tensors; // folded f32 values
    VariantChanges changes;
    const LayerQuantizer quantizer(base, stage, tensors, changes, result.modules);
    std::shared_ptr<const Model> current = base;
    bool stale = false;
    const double steps = double(config.numLayers + (head ? 1 : 0));
    const double share = 1.0 - planShare;
    const std::vector<LinearInput> inputs = { LinearInput::Attention,
        LinearInput::AttentionOutput, LinearInput::Mlp, LinearInput::MlpOutput };

    for (std::int64_t layer = 0; layer <= config.numLayers; ++layer) {
        cancel.throwIfCancelled();
        const bool isHead = layer == config.numLayers;
        std::vector<const ModulePlan *> modules;
        if (isHead && head)
            modules.push_back(head);
        else if (!isHead)
            modules = byLayer[std::size_t(layer)];
        if (modules.empty())
            continue;
        const double from = planShare + share * double(layer) / steps;
        const double to = planShare + share * double(layer + 1) / steps;
        const std::string where = isHead ? std::string("output head")
                                         : "layer " + std::to_string(layer + 1) + "/"
                + std::to_string(config.numLayers);

        // Which modules read which input, and what to capture about it.
        std::map<LinearInput, InputGroup> groups;
        std::map<LinearInput, CaptureRequest> requests;
        for (LinearInput input : inputs) {
            if (isHead && input != LinearInput::Attention)
                continue;
            InputGroup g;
            g.readers = isHead ? std::vector<std::string> { kHeadWeight }
                               : modulesReading(config, layer, input);
            for (const ModulePlan *m : modules)
                if (isHead || std::find(g.readers.begin(), g.readers.end(), m->module + ".weight")
                        != g.readers.end())
                    g.modules.push_back(m);
            if (g.modules.empty())
                continue;
            bool capture = false;
            CaptureRequest request;
            for (const ModulePlan *m : g.modules) {
                capture |= needsCalibration(*m, stage);
                request.hessian |= usesGptq(*m, stage);
                if (m->method == QuantMethod::Awq)
                    request.rows = AwqOptions().maxRows;
            }
            if (capture)
                requests[input] = request;
            if (isHead) {
                g.foldable = true;
                g.fold = [&tensors, &quantizer](const at::Tensor &s) {
                    const at::Tensor sf = s.to(at::kFloat);
                    tensors["model.norm.weight"]
                        = (quantizer.current("model.norm.weight") / sf).contiguous();
                    tensors[kHeadWeight]
                        = (quantizer.current(kHeadWeight) * sf.unsqueeze(0)).contiguous();
                };
            } else {
                g.foldable = canFoldInputScales(config, input);
                g.fold = [&tensors, &base, layer, input](const at::Tensor &s) {
                    foldInputScales(*base, layer, input, s, tensors);
                };
            }
            groups.emplace(input, std::move(g));
        }

        std::map<LinearInput, CapturedInput> captured;
        if (!requests.empty()) {
            if (stale) {
                current = Model::variant(base, snapshot(changes, tensors));
                stale = false;
            }
            captured = captureLayerInputs(current, isHead ? kHeadLayer : layer, requests,
                calibration, subProgress(progress, from, from + 0.5 * (to - from),
                                 where + " calibration: "),
                cancel);
            for (auto &[input, c] : captured)
                groups.at(input).captured = &c;
        }

        // Every fold first: o_proj's and down_proj's scales change v_proj's and up_proj's rows.
        for (auto &[input, g] : groups)
            quantizer.scale(g);
        std::size_t done = 0;
        for (auto &[input, g] : groups) {
            for (const ModulePlan *m : g.modules) {
                cancel.throwIfCancelled();
                reportProgress(progress,
                    from + (to - from) * (0.5 + 0.5 * double(done) / double(modules.size())),
                    where + ": " + m->module + " (" + quantMethodName(m->method) + " "
                        + m->format->name() + ")");
                quantizer.quantize(g, *m);
                ++done;
            }
        }
        stale = true;
    }

    // Modules left in f32 are reported too, in plan order.
    std::map<std::string, ModuleQuantReport> reports;
    for (ModuleQuantReport &r : result.modules)
        reports[r.module] = std::move(r);
    result.modules.clear();
    for (const ModulePlan &m : result.plan.modules) {
        auto it = reports.find(m.module);
        if (it != reports.end()) {
            result.modules.push_back(std::move(it->second));
        } else {
            ModuleQuantReport r;
            r.module = m.module;
            r.method = "none";
            r.format = "f32";
            result.modules.push_back(r);
        }
    }
    result.variant = Model::variant(base, snapshot(changes, tensors));
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    reportProgress(progress, 1.0, "quantized " + std::to_string(changes.packed.size())
            + " modules in " + std::to_string(int(std::lround(result.seconds))) + " s");
    return result;
}

} // namespace lathe
