// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli compare BASE OTHER (--text FILE | --ids FILE) --ctx N`: how far a model (a
// compressed variant) is from its original on the same tokens: perplexity of both and the KL
// divergence statistics of llama.cpp's `llama-perplexity --kl-divergence`.
//
// JSON keys (--json), all over the scored positions of the windows:
//   ppl_base, ppl_other            perplexity of each model
//   nll_base, nll_other            mean negative log-likelihood per token (nats)
//   ln_ppl_ratio(_stderr)          mean of nll_other - nll_base = ln(ppl_other / ppl_base)
//   nll_correlation                Pearson correlation of the per-token NLLs (null if constant)
//   kld_mean, kld_stderr           KL(base || other) per token, nats
//   kld_max, kld_p99_9, kld_p99, kld_p95, kld_p90, kld_median, kld_p10, kld_p5, kld_p1,
//   kld_p0_1, kld_min              its distribution (percentiles interpolate linearly)
//   delta_p_mean, delta_p_stderr   p_other - p_base of the correct token (probability 0..1)
//   delta_p_rms, delta_p_max, delta_p_p99_9 ... delta_p_p0_1, delta_p_min
//   same_top, same_top_stderr      percent of positions where both rank the same token first
//   scored_tokens, windows, protocol, ctx, seconds, base, other, ids_file / text_file
#include "clicommon.h"
#include "clieval.h"

#include "eval/comparison.h"
#include "model/model.h"
#include "model/transformer.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lathe::cli {

namespace {

struct CompareCliOptions {
    std::string base;
    std::string other;
    EvaluationCliOptions eval;
};

std::shared_ptr<Model> loadModel(const std::string &path, const GlobalOptions &globals)
{
    requireExists(path);
    std::shared_ptr<Model> model;
    withPathContext(path, [&] {
        ProgressLine progress(globals, "loading");
        model = Model::load(path, progress.callback(), cancelToken());
    });
    return model;
}

// Percentile rows in the order llama.cpp prints them, highest first.
std::vector<std::pair<std::string, double>> percentileRows(const Percentiles &p)
{
    return { { "p99_9", p.p99_9 }, { "p99", p.p99 }, { "p95", p.p95 }, { "p90", p.p90 },
        { "median", p.median }, { "p10", p.p10 }, { "p5", p.p5 }, { "p1", p.p1 },
        { "p0_1", p.p0_1 } };
}

void addDistribution(Json &j, const std::string &prefix, const Distribution &d, bool rms)
{
    j[prefix + "_mean"] = d.mean;
    j[prefix + "_stderr"] = d.standardError;
    if (rms)
        j[prefix + "_rms"] = d.rms;
    j[prefix + "_max"] = d.max;
    for (const auto &[name, value] : percentileRows(d.percentiles))
        j[prefix + "_" + name] = value;
    j[prefix + "_min"] = d.min;
}

// "99.9%" from "p99_9", "median" as is.
std::string percentileLabel(const std::string &key)
{
    if (key == "median")
        return key;
    std::string label = key.substr(1);
    for (char &c : label)
        if (c == '_')
            c = '.';
    return label + "%";
}

void printRow(const std::string &label, const std::string &value)
{
    std::string line = label;
    line.resize(std::max<std::size_t>(line.size() + 1, 32), ' ');
    printLine(line + value);
}

std::string withError(double value, double error, int decimals)
{
    return formatFixed(value, decimals) + " +- " + formatFixed(error, decimals);
}

void printDistribution(const std::string &name, const Distribution &d, int decimals, bool rms)
{
    printRow("mean " + name, withError(d.mean, d.standardError, decimals));
    if (rms)
        printRow("RMS " + name, formatFixed(d.rms, decimals));
    printRow("max " + name, formatFixed(d.max, decimals));
    for (const auto &[key, value] : percentileRows(d.percentiles))
        printRow(percentileLabel(key) + " " + name, formatFixed(value, decimals));
    printRow("min " + name, formatFixed(d.min, decimals));
}

void run(const CompareCliOptions &o, const GlobalOptions &globals)
{
    const std::string basePath = resolveModelArgument(o.base);
    const std::string otherPath = resolveModelArgument(o.other);
    // The same tokens for both: BASE's tokenizer, as `perplexity BASE` would encode them.
    const std::vector<std::int32_t> ids = evaluationIds(o.eval, basePath);
    const std::shared_ptr<Model> base = loadModel(basePath, globals);
    const std::shared_ptr<Model> other = loadModel(otherPath, globals);
    if (base->config().vocabSize != other->config().vocabSize)
        throw InvalidArgument("cannot compare '" + basePath + "' (vocabulary of "
            + std::to_string(base->config().vocabSize) + " tokens) with '" + otherPath
            + "' (vocabulary of " + std::to_string(other->config().vocabSize)
            + " tokens): only variants of the same model can be compared");
    const PerplexityOptions options = evaluationOptions(o.eval, base->config());
    const Transformer baseTransformer(base);
    const Transformer otherTransformer(other);

    ComparisonResult r;
    {
        ProgressLine progress(globals, "compare");
        r = evaluateComparison(
            baseTransformer, otherTransformer, ids, options, progress.callback(), cancelToken());
    }

    const std::string protocol = perplexityProtocolName(options.protocol);
    if (globals.json) {
        Json j;
        j["ppl_base"] = r.pplBase;
        j["ppl_other"] = r.pplOther;
        j["nll_base"] = r.nllBase;
        j["nll_other"] = r.nllOther;
        j["ln_ppl_ratio"] = r.lnPplRatio;
        j["ln_ppl_ratio_stderr"] = r.lnPplRatioStderr;
        j["nll_correlation"] = r.nllCorrelation; // NaN is written as null
        addDistribution(j, "kld", r.kld, false);
        addDistribution(j, "delta_p", r.deltaP, true);
        j["same_top"] = r.sameTop;
        j["same_top_stderr"] = r.sameTopStderr;
        j["scored_tokens"] = r.scoredTokens;
        j["windows"] = r.windows;
        j["protocol"] = protocol;
        j["ctx"] = options.ctx;
        j["seconds"] = r.seconds;
        j["base"] = basePath;
        j["other"] = otherPath;
        if (!o.eval.idsFile.empty())
            j["ids_file"] = o.eval.idsFile;
        else
            j["text_file"] = o.eval.textFile;
        printJson(j);
        return;
    }
    printRow("PPL(base)", formatFixed(r.pplBase, 4));
    printRow("PPL(other)", formatFixed(r.pplOther, 4));
    printRow("mean NLL base", formatFixed(r.nllBase, 6));
    printRow("mean NLL other", formatFixed(r.nllOther, 6));
    printRow("mean ln(PPL(other)/PPL(base))", withError(r.lnPplRatio, r.lnPplRatioStderr, 6));
    printRow("PPL ratio", formatFixed(std::exp(r.lnPplRatio), 6));
    printRow("Cor(NLL other, NLL base)", formatFixed(100.0 * r.nllCorrelation, 2) + "%");
    printDistribution("KLD", r.kld, 6, false);
    // delta-p in percentage points, as llama.cpp prints it.
    Distribution deltaP = r.deltaP;
    for (double *v : { &deltaP.mean, &deltaP.standardError, &deltaP.rms, &deltaP.max, &deltaP.min,
             &deltaP.percentiles.p99_9, &deltaP.percentiles.p99, &deltaP.percentiles.p95,
             &deltaP.percentiles.p90, &deltaP.percentiles.median, &deltaP.percentiles.p10,
             &deltaP.percentiles.p5, &deltaP.percentiles.p1, &deltaP.percentiles.p0_1 })
        *v *= 100.0;
    printDistribution("delta-p (%)", deltaP, 4, true);
    printRow("same top token", withError(r.sameTop, r.sameTopStderr, 3) + " %");
    printLine(std::to_string(r.scoredTokens) + " scored tokens in " + std::to_string(r.windows)
        + " windows of " + std::to_string(options.ctx) + " tokens, " + protocol + " protocol; "
        + formatFixed(r.seconds, 2) + " s");
}

} // namespace

Command addCompareCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<CompareCliOptions>();
    CLI::App *cmd = parent.add_subcommand("compare",
        "Compare a model (e.g. a compressed variant) with its original on the same "
        "tokens: perplexity of both, KL divergence, delta-p, same top token");
    cmd->footer(evaluationProtocolHelp()
        + "Both models run on the same windows; KLD is KL(BASE || OTHER) per scored token.\n"
          "Example: lathe-cli compare models/tinystories-656k variant/ --text story.txt "
          "--ctx 128 --json");
    const std::string modelHelp = "Hugging Face folder, .safetensors file with config.json "
                                  "beside it, .gguf, or 'demo'";
    cmd->add_option("BASE", o->base, "The original model: " + modelHelp)->required();
    cmd->add_option("OTHER", o->other, "The model to compare with it: " + modelHelp)->required();
    addEvaluationOptions(*cmd, o->eval, "BASE's");
    addCommonOptions(*cmd, globals);

    return { cmd, [o, &globals] { run(*o, globals); } };
}

} // namespace lathe::cli
