// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/quantplan.h"

#include "analysis/linearmodules.h"
#include "model/modelspec.h"
#include "util/error.h"

#include <cmath>
#include <map>

namespace lathe {

namespace {

// What set a module's method or format, so an invalid combination names the rule to fix.
std::string ruleLabel(const QuantRule &rule, std::size_t index)
{
    std::string s = "rule " + std::to_string(index + 1);
    std::string what;
    const auto add = [&](const std::string &part) { what += (what.empty() ? "" : ", ") + part; };
    if (!rule.match.empty())
        add("match '" + rule.match + "'");
    if (!rule.kind.empty())
        add("kind '" + rule.kind + "'");
    if (rule.firstLayer >= 0 || rule.lastLayer >= 0)
        add("layers " + (rule.firstLayer >= 0 ? std::to_string(rule.firstLayer) : "") + "-"
            + (rule.lastLayer >= 0 ? std::to_string(rule.lastLayer) : ""));
    return what.empty() ? s : s + " (" + what + ")";
}

const char *const kDefaultOrigin = "the recipe's default";

// "none" keeps f32; anything else must be a weight format.
std::optional<WeightFormat> parseFormatOrNone(const std::string &name, const std::string &origin)
{
    if (name == "none")
        return std::nullopt;
    try {
        return parseWeightFormat(name);
    } catch (const InvalidArgument &e) {
        throw InvalidArgument(origin + ": " + e.what() + ", or none");
    }
}

QuantMethod parseMethodAt(const std::string &name, const std::string &origin)
{
    try {
        return parseQuantMethod(name);
    } catch (const InvalidArgument &e) {
        throw InvalidArgument(origin + ": " + e.what());
    }
}

struct ParsedRule {
    const QuantRule *rule = nullptr;
    std::string label;
    bool setsFormat = false;
    std::optional<WeightFormat> format;
    bool setsMethod = false;
    QuantMethod method = QuantMethod::Rtn;
};

bool ruleMatches(const QuantRule &r, const ModulePlan &m)
{
    if (!r.match.empty() && !globMatch(r.match, m.module))
        return false;
    if (!r.kind.empty() && r.kind != m.kind)
        return false;
    const bool ranged = r.firstLayer >= 0 || r.lastLayer >= 0;
    if (ranged && m.layer < 0) // the head is in no layer
        return false;
    if (r.firstLayer >= 0 && m.layer < r.firstLayer)
        return false;
    if (r.lastLayer >= 0 && m.layer > r.lastLayer)
        return false;
    return true;
}

bool ignored(const std::vector<std::string> &ignore, const ModulePlan &m)
{
    for (const std::string &pattern : ignore)
        if (pattern == m.kind || globMatch(pattern, m.module))
            return true;
    return false;
}

void checkRule(const QuantRule &r, const std::string &label, const ModelConfig &config,
    const std::vector<std::string> &kinds)
{
    const std::int64_t layers = config.numLayers;
    const auto outside = [&](int layer) { return layer < -1 || layer >= layers; };
    if (outside(r.firstLayer) || outside(r.lastLayer))
        throw InvalidArgument(label
            + ": the layer range lies outside the model, whose layers are 0-"
            + std::to_string(layers - 1));
    if (r.firstLayer >= 0 && r.lastLayer >= 0 && r.firstLayer > r.lastLayer)
        throw InvalidArgument(label + ": the layer range is empty (first layer "
            + std::to_string(r.firstLayer) + " after last layer " + std::to_string(r.lastLayer)
            + ")");
    if (!r.kind.empty()) {
        bool known = r.kind == "lm_head";
        std::string list;
        for (const std::string &k : kinds) {
            known = known || k == r.kind;
            list += k + ", ";
        }
        if (!known)
            throw InvalidArgument(label + ": '" + r.kind
                + "' is not a module kind of this model; expected one of " + list + "lm_head");
    }
}

// Each tensor's element count, by name, from the architecture's tensor list.
std::map<std::string, std::vector<std::int64_t>> shapes(const ModelConfig &config)
{
    std::map<std::string, std::vector<std::int64_t>> out;
    for (const TensorSpec &spec : tensorSpecs(config))
        if (!spec.optional)
            out[spec.name] = spec.shape;
    return out;
}

std::int64_t elements(const std::vector<std::int64_t> &shape)
{
    std::int64_t n = 1;
    for (std::int64_t d : shape)
        n *= d;
    return n;
}

} // namespace

bool globMatch(const std::string &pattern, const std::string &text)
{
    // Iterative matching with one backtrack point (the last '*'): linear in practice.
    std::size_t p = 0, t = 0, star = std::string::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (star != std::string::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

double QuantPlan::bitsPerWeight() const
{
    return quantizedWeights > 0 ? quantizedBits / double(quantizedWeights) : 0.0;
}

std::string methodFormatMismatch(QuantMethod method, const WeightFormat &format)
{
    if (method == QuantMethod::Gptq && format.scheme != WeightScheme::Integer)
        return "GPTQ needs an integer format (int<bits>...)";
    if (method == QuantMethod::SmoothQuant
        && !(format.scheme == WeightScheme::Integer && format.bits == 8 && format.groupSize == 0
            && format.symmetric))
        return "SmoothQuant needs int8 (per channel, symmetric)";
    return {};
}

std::vector<WeightFormat> planCandidates(const PlanSettings &plan, const std::string &method)
{
    if (plan.candidates.empty())
        throw InvalidArgument("the plan has no candidate formats");
    const QuantMethod m = parseQuantMethod(method);
    std::vector<WeightFormat> out;
    for (const std::string &name : plan.candidates) {
        const WeightFormat format = parseWeightFormat(name);
        if (methodFormatMismatch(m, format).empty())
            out.push_back(format);
    }
    if (out.empty())
        throw InvalidArgument("no candidate format of the plan suits method " + method + ": "
            + methodFormatMismatch(m, parseWeightFormat(plan.candidates.front())));
    return out;
}

QuantPlan resolveQuantPlan(const QuantizationStage &stage, const ModelConfig &config)
{
    const std::optional<WeightFormat> defaultFormat
        = parseFormatOrNone(stage.format, "the recipe's default format");
    const QuantMethod defaultMethod = parseMethodAt(stage.method, "the recipe's default method");

    const std::vector<std::string> kinds = linearModuleKinds(config);
    std::vector<ParsedRule> rules;
    for (std::size_t i = 0; i < stage.rules.size(); ++i) {
        const QuantRule &r = stage.rules[i];
        ParsedRule p;
        p.rule = &r;
        p.label = ruleLabel(r, i);
        checkRule(r, p.label, config, kinds);
        if (!r.format.empty()) {
            p.setsFormat = true;
            p.format = parseFormatOrNone(r.format, p.label);
        }
        if (!r.method.empty()) {
            p.setsMethod = true;
            p.method = parseMethodAt(r.method, p.label);
        }
        rules.push_back(std::move(p));
    }

    const auto tensorShapes = shapes(config);
    const bool transposed = config.arch == Architecture::Gpt2; // Conv1D: [in, out]
    QuantPlan plan;
    std::vector<ModulePlan> modules;
    for (const LinearModule &lm : linearModules(config)) {
        ModulePlan m;
        m.module = lm.name;
        m.kind = lm.kind;
        m.layer = lm.layer;
        const auto &shape = tensorShapes.at(lm.weight);
        m.rows = transposed ? shape[1] : shape[0];
        m.cols = transposed ? shape[0] : shape[1];
        modules.push_back(std::move(m));
    }
    {
        ModulePlan head;
        head.module = "lm_head";
        head.kind = "lm_head";
        head.layer = -1;
        head.rows = config.vocabSize;
        head.cols = config.hiddenSize;
        modules.push_back(std::move(head));
    }

    for (ModulePlan &m : modules) {
        std::optional<WeightFormat> format = defaultFormat;
        QuantMethod method = defaultMethod;
        std::string formatOrigin = kDefaultOrigin, methodOrigin = kDefaultOrigin;
        for (const ParsedRule &r : rules) {
            if (!ruleMatches(*r.rule, m))
                continue;
            if (r.setsFormat) {
                format = r.format;
                formatOrigin = r.label;
            }
            if (r.setsMethod) {
                method = r.method;
                methodOrigin = r.label;
            }
        }
        if (ignored(stage.ignore, m))
            format.reset();
        m.method = method;
        m.format = format;
        if (!format)
            continue;
        // The method came from one place and the format maybe from another: name both.
        const auto fail = [&](const std::string &need) {
            const std::string who = methodOrigin == formatOrigin
                ? methodOrigin
                : methodOrigin + " (method) and " + formatOrigin + " (format)";
            throw InvalidArgument(who + ": " + m.module + " gets method " + quantMethodName(method)
                + " with format " + format->name() + "; " + need);
        };
        if (const std::string need = methodFormatMismatch(method, *format); !need.empty())
            fail(need);
        m.bitsPerWeight = format->bitsPerWeight(m.cols);
    }

    // Sizes: every tensor the forward pass reads, f32 unless its module is quantized. A tied
    // head is the embedding itself, counted once, unless it is quantized into its own copy.
    double quantizedBytes = 0.0;
    std::map<std::string, const ModulePlan *> byWeight;
    for (const ModulePlan &m : modules)
        byWeight[m.module + ".weight"] = &m;
    std::uint64_t original = 0, unchanged = 0;
    for (const auto &[name, shape] : tensorShapes) {
        const std::uint64_t f32Bytes = std::uint64_t(elements(shape)) * 4;
        const bool isHead = name == "lm_head.weight";
        const ModulePlan *m = byWeight.count(name) ? byWeight.at(name) : nullptr;
        if (!(isHead && config.tieWordEmbeddings))
            original += f32Bytes;
        if (m && m->format) {
            const double weights = double(m->rows) * double(m->cols);
            plan.quantizedWeights += m->rows * m->cols;
            plan.quantizedBits += weights * m->bitsPerWeight;
            quantizedBytes += weights * m->bitsPerWeight / 8.0;
        } else if (!(isHead && config.tieWordEmbeddings)) {
            unchanged += f32Bytes;
        }
    }
    plan.originalBytes = original;
    plan.totalBytes = unchanged + std::uint64_t(std::llround(quantizedBytes));
    plan.modules = std::move(modules);
    return plan;
}

} // namespace lathe
