// SPDX-License-Identifier: GPL-3.0-or-later
#include "api/compression.h"

#include "analysis/activationstats.h"
#include "api/loadedmodel.h"
#include "eval/comparison.h"
#include "eval/speedprobe.h"
#include "export/hfexportvariant.h"
#include "model/model.h"
#include "model/transformer.h"
#include "quant/planner.h"
#include "prune/blockinfluence.h"
#include "prune/prunemethods.h"
#include "quant/quantizemodel.h"
#include "recipe/runrecipe.h"
#include "recipe/recipeyaml.h"
#include "text/tokenizerloader.h"
#include "util/atomicfile.h"
#include "util/error.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include <unistd.h>

namespace lathe {

namespace {

std::shared_ptr<const Model> runnableModel(const LoadedModel &model)
{
    if (!model.runnable())
        throw UnsupportedError(model.displayName() + " cannot run: " + model.notRunnableReason());
    return model.model();
}

const ModelConfig &configOf(const LoadedModel &model)
{
    if (!model.summary().config)
        throw UnsupportedError(model.displayName() + " has no usable config: "
            + (model.notRunnableReason().empty() ? std::string("no config.json was found")
                                                 : model.notRunnableReason()));
    return *model.summary().config;
}

const QuantizationStage &stageOf(const Recipe &recipe)
{
    if (!recipe.quantization)
        throw InvalidArgument("the recipe" + (recipe.name.empty() ? "" : " '" + recipe.name + "'")
            + " has no quantization section");
    return *recipe.quantization;
}

// Calibration windows as the recipe asks for them, from the model's own tokenizer (a variant's
// path is its original's, so it finds the same tokenizer).
std::vector<std::vector<std::int32_t>> calibrationWindows(
    const LoadedModel &model, const Recipe &recipe, const std::string &text)
{
    const auto tokenizer = loadTokenizer(model.path());
    return calibrationSequences(
        *tokenizer, text, recipe.calibration.samples, recipe.calibration.ctx);
}

// A rule the planner wrote: an exact module name and a format, nothing else.
bool isPlannerRule(const QuantRule &rule, const std::set<std::string> &modules)
{
    return modules.count(rule.match) != 0 && rule.kind.empty() && rule.firstLayer < 0
        && rule.lastLayer < 0 && rule.method.empty() && !rule.format.empty();
}

std::string methodLabel(const std::string &method)
{
    if (method == "rtn")
        return "RTN";
    if (method == "gptq")
        return "GPTQ";
    if (method == "awq")
        return "AWQ";
    if (method == "smoothquant")
        return "SmoothQuant";
    return method;
}

std::string formatDecimal(double value, int decimals)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

// "wanda 50%", "sparsegpt 2:4", "heads -4", "blocks -2"
std::string pruningLabel(const PruningStage &stage)
{
    if (findPruneMethod(stage.method).structured)
        return stage.method + " -" + std::to_string(stage.method == "blocks" && !stage.blocks.empty()
                                                         ? int(stage.blocks.size())
                                                         : stage.count);
    if (!stage.pattern.empty())
        return stage.method + " " + stage.pattern;
    return stage.method + " " + formatDecimal(100.0 * stage.sparsity, 0) + "%";
}

// "int4-g128 GPTQ", or "mixed 4.31 bpw RTN" when modules got different formats.
std::string generatedName(const QuantizationStage &stage, const QuantPlan &plan)
{
    std::set<std::string> formats;
    for (const ModulePlan &m : plan.modules)
        if (m.format)
            formats.insert(m.format->name());
    const std::string method = methodLabel(stage.method);
    if (formats.size() > 1)
        return "mixed " + formatDecimal(plan.bitsPerWeight(), 2) + " bpw " + method;
    return (formats.empty() ? stage.format : *formats.begin()) + " " + method;
}

std::uint64_t residentBytes()
{
    std::FILE *f = std::fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long size = 0;
    unsigned long long resident = 0;
    const int read = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    if (read != 2)
        return 0;
    const long page = sysconf(_SC_PAGESIZE);
    return static_cast<std::uint64_t>(resident)
        * static_cast<std::uint64_t>(page > 0 ? page : 4096);
}

} // namespace

QuantPlan previewQuantPlan(const LoadedModel &model, const Recipe &recipe)
{
    return resolveQuantPlan(stageOf(recipe), configOf(model));
}

Recipe planRecipeForBudget(const LoadedModel &model, const Recipe &recipe,
    const std::string &calibrationText, double *predictedDamage, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const auto engine = runnableModel(model);
    const QuantizationStage &stage = stageOf(recipe);
    const PlanSettings settings = stage.plan.value_or(PlanSettings {});
    const std::vector<WeightFormat> candidates = planCandidates(settings, stage.method);

    // The planner only chooses among modules the recipe quantizes at all: ignored modules
    // and modules a rule keeps in f32 stay as they are.
    Recipe base = recipe;
    base.quantization->plan.reset();
    const QuantPlan plan = resolveQuantPlan(*base.quantization, configOf(model));
    std::map<std::string, const ModulePlan *> planned;
    for (const ModulePlan &m : plan.modules)
        if (m.format)
            planned[m.module] = &m;
    if (planned.empty())
        throw InvalidArgument("plan for budget: the recipe quantizes no module");

    reportProgress(progress, 0.0, "tokenizing the calibration text");
    const auto windows = calibrationWindows(model, recipe, calibrationText);
    cancel.throwIfCancelled();
    PlannerProblem problem = measurePlannerProblem(engine, windows, candidates, progress, cancel);
    problem.modules.erase(std::remove_if(problem.modules.begin(), problem.modules.end(),
                              [&](const PlannerModule &m) { return !planned.count(m.module); }),
        problem.modules.end());
    if (problem.modules.empty())
        throw InvalidArgument("plan for budget: the recipe quantizes none of the decoder's "
                              "linear modules");

    double weights = 0.0;
    double plannedBits = 0.0;
    for (const PlannerModule &m : problem.modules) {
        const double n = double(m.rows) * double(m.cols);
        weights += n;
        plannedBits += n * planned[m.module]->bitsPerWeight;
    }
    if (settings.targetBitsPerWeight > 0.0) {
        problem.targetBitsPerWeight = settings.targetBitsPerWeight;
    } else if (settings.targetMegabytes > 0.0) {
        // What the planner does not choose (embedding, norms, head, ignored modules) keeps its
        // size; the rest of the budget is spread over the planned modules' weights.
        const double fixedBytes = double(plan.totalBytes) - plannedBits / 8.0;
        const double budgetBytes = settings.targetMegabytes * 1e6 - fixedBytes;
        if (budgetBytes <= 0.0)
            throw InvalidArgument("plan for budget: " + formatDecimal(settings.targetMegabytes, 2)
                + " MB is less than the parts the planner does not choose ("
                + formatDecimal(fixedBytes / 1e6, 2) + " MB)");
        problem.targetBitsPerWeight = budgetBytes * 8.0 / weights;
    } else {
        throw InvalidArgument("plan for budget: give a target in bits per weight or megabytes");
    }

    const PlannerSolution solution = solvePlan(problem);
    if (predictedDamage)
        *predictedDamage = solution.predictedDamage;

    // Rules of an earlier plan for the same modules would only be overridden: drop them.
    std::set<std::string> names;
    for (const PlannerModule &m : problem.modules)
        names.insert(m.module);
    std::vector<QuantRule> &rules = base.quantization->rules;
    rules.erase(std::remove_if(rules.begin(), rules.end(),
                    [&](const QuantRule &r) { return isPlannerRule(r, names); }),
        rules.end());
    for (std::size_t i = 0; i < problem.modules.size(); ++i) {
        QuantRule rule;
        rule.match = problem.modules[i].module;
        rule.format = candidates[static_cast<std::size_t>(solution.choice[i])].name();
        rules.push_back(std::move(rule));
    }
    spdlog::info("planned {} modules of {} for {:.2f} bits per weight: {:.2f} achieved, "
                 "predicted damage {:.5f}",
        problem.modules.size(), model.displayName(), problem.targetBitsPerWeight,
        solution.bitsPerWeight, solution.predictedDamage);
    reportProgress(progress, 1.0, "planned");
    return base;
}

std::shared_ptr<LoadedModel> compressLoadedModel(const std::shared_ptr<const LoadedModel> &base,
    const Recipe &recipe, const std::string &calibrationText, const ProgressFn &progress,
    const CancelToken &cancel)
{
    if (!base)
        throw InvalidArgument("no model to compress");
    const auto engine = runnableModel(*base);
    std::vector<std::vector<std::int32_t>> windows;
    if (!calibrationText.empty()) {
        reportProgress(progress, 0.0, "tokenizing the calibration text");
        windows = calibrationWindows(*base, recipe, calibrationText);
    }
    cancel.throwIfCancelled();
    RecipeResult result = runRecipe(engine, recipe, windows, progress, cancel);
    cancel.throwIfCancelled();

    VariantInfo info;
    info.recipeYaml = recipeToYaml(result.recipe);
    info.weightBytes = result.variant->weightBytes();
    info.seconds = result.seconds;
    std::string name;
    if (result.pruning) {
        info.pruning = pruningLabel(*result.recipe.pruning);
        info.sparsity = result.pruning->sparsity;
        name = info.pruning;
    }
    if (result.quantization) {
        const QuantizationStage &stage = *result.recipe.quantization;
        info.method = stage.method;
        info.format = stage.format;
        info.bitsPerWeight = result.quantization->plan.bitsPerWeight();
        name += (name.empty() ? "" : " + ") + generatedName(stage, result.quantization->plan);
    } else {
        info.method = "none";
        info.format = "f32";
        info.bitsPerWeight = 32.0;
    }
    info.parameters = result.variant->parameterCount();
    info.name = recipe.name.empty() ? name : recipe.name;
    spdlog::info("compressed {} as '{}': {:.2f} bits per weight, {:.1f} % zeros, {} in {:.1f} s",
        base->displayName(), info.name, info.bitsPerWeight, 100.0 * info.sparsity,
        formatBytes(info.weightBytes), info.seconds);
    return LoadedModel::fromVariant(*base, std::move(result.variant), std::move(info));
}

std::vector<double> measureBlockInfluence(const LoadedModel &model,
    const std::string &calibrationText, int samples, int ctx, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const auto engine = runnableModel(model);
    Recipe recipe;
    recipe.calibration.samples = samples;
    recipe.calibration.ctx = ctx;
    const auto windows = calibrationWindows(model, recipe, calibrationText);
    if (windows.empty())
        throw InvalidArgument("the calibration text is too short for one window of "
            + std::to_string(ctx) + " tokens");
    return blockInfluence(engine, windows, progress, cancel);
}

VariantEvaluation evaluateVariant(const LoadedModel &base, const LoadedModel &variant,
    const std::string &evaluationText, const EvaluationSettings &settings,
    const ProgressFn &progress, const CancelToken &cancel)
{
    const auto baseEngine = runnableModel(base);
    const auto variantEngine = runnableModel(variant);
    if (baseEngine->config().vocabSize != variantEngine->config().vocabSize)
        throw InvalidArgument("cannot compare " + variant.displayName() + " with "
            + base.displayName() + ": their vocabularies differ");

    PerplexityOptions options;
    options.protocol = PerplexityProtocol::LlamaCpp;
    options.ctx = settings.ctx;
    const std::int64_t trained = baseEngine->config().maxPositions;
    if (trained > 0)
        options.ctx = std::min<std::int64_t>(options.ctx, trained);
    options.maxChunks = std::max(0, settings.maxWindows);

    // The llama.cpp protocol reads the text with its special tokens (BOS first), as
    // `lathe-cli compare --protocol llamacpp` does.
    reportProgress(progress, 0.0, "tokenizing the evaluation text");
    const auto tokenizer = loadTokenizer(base.path());
    const std::vector<std::int32_t> ids = tokenizer->encode(evaluationText, true);
    cancel.throwIfCancelled();

    const Transformer baseTransformer(baseEngine);
    const Transformer variantTransformer(variantEngine);
    const double compareShare = settings.measureSpeed ? 0.8 : 1.0;
    const ProgressFn compareProgress = [&](double f, const std::string &message) {
        reportProgress(progress, f * compareShare, "comparing: " + message);
    };

    VariantEvaluation r;
    r.comparison = evaluateComparison(
        baseTransformer, variantTransformer, ids, options, compareProgress, cancel);
    r.weightBytes = variantEngine->weightBytes();
    const VariantInfo *info = variant.variantInfo();
    r.bitsPerWeight = info ? info->bitsPerWeight : 32.0;

    if (settings.measureSpeed) {
        // A 128-token prompt and 32 greedy tokens, shortened to fit the context.
        constexpr std::int64_t kGen = 32;
        std::int64_t promptLength = std::min<std::int64_t>(128, std::int64_t(ids.size()));
        if (trained > 0)
            promptLength = std::min(promptLength, trained - kGen - 1);
        if (promptLength >= 1) {
            const std::vector<std::int32_t> prompt(ids.begin(), ids.begin() + promptLength);
            reportProgress(progress, compareShare, "timing the variant");
            const SpeedProbe speed = probeSpeed(variantTransformer, prompt, kGen, cancel);
            r.prefillTokensPerSecond = speed.prefillTokensPerSecond();
            r.decodeTokensPerSecond = speed.decodeTokensPerSecond();
            reportProgress(
                progress, compareShare + (1.0 - compareShare) / 2, "timing the original");
            r.baseDecodeTokensPerSecond
                = probeSpeed(baseTransformer, prompt, kGen, cancel).decodeTokensPerSecond();
        }
    }
    r.residentBytes = residentBytes();
    reportProgress(progress, 1.0, "evaluated");
    return r;
}

void exportVariantHf(const LoadedModel &variant, const std::string &outDir,
    const ProgressFn &progress, const CancelToken &cancel)
{
    const auto engine = runnableModel(variant);
    exportHfFolder(*engine, outDir, HfExportOptions {}, progress, cancel);
    if (const VariantInfo *info = variant.variantInfo())
        writeFileAtomically(
            (std::filesystem::path(outDir) / "recipe.yaml").string(), info->recipeYaml);
}

} // namespace lathe
