// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli analyze MODEL --out DIR`: statistics of every stored weight tensor, written as
// DIR/weights.json (one object per tensor) and DIR/weights.csv. With --bench it also measures
// the machine's read bandwidth and reports the statistics throughput as a fraction of it.
// --activations adds activation statistics on a calibration text (activations.json/.csv),
// --sensitivity the damage of compressing each linear module and block alone
// (sensitivity.json/.csv).
#include "clicommon.h"
#include "clitext.h"

#include "analysis/activationstats.h"
#include "analysis/sensitivity.h"
#include "analysis/weightstats.h"
#include "eval/membench.h"
#include "io/checkpoint.h"
#include "model/model.h"
#include "model/transformer.h"
#include "text/tokenizer.h"
#include "util/atomicfile.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <filesystem>
#include <optional>

namespace lathe::cli {

namespace {

struct AnalyzeOptions {
    std::string model;
    std::string out;
    int bins = 128;
    bool logHistogram = false;
    double outlierK = 6.0;
    bool noChannels = false;
    bool bench = false;
    // Activation statistics and sensitivity, both on windows of the calibration text.
    bool activations = false;
    bool sensitivity = false;
    std::string calib;
    int samples = ActivationStatsOptions().samples;
    std::optional<int> ctx; // default: 256, or the model's context if shorter
    int bits = 4;
    int group = 128;
    bool asym = false;
    bool noBlocks = false;
};

std::string outPath(const std::string &folder, const char *file)
{
    return (std::filesystem::path(folder) / file).string();
}

// Checked before any work so that a typo costs nothing.
void checkCalibrationOptions(const AnalyzeOptions &o)
{
    if (!o.activations && !o.sensitivity)
        return;
    if (o.calib.empty())
        throw InvalidArgument(std::string(o.activations ? "--activations" : "--sensitivity")
            + " needs --calib FILE: a text file to run the model on (for example "
              "calibration-mixed.txt)");
    requireExists(o.calib);
    if (o.samples < 1)
        throw InvalidArgument("--samples: expected at least 1, got " + std::to_string(o.samples));
    if (o.ctx && *o.ctx < 2)
        throw InvalidArgument("--ctx: expected at least 2 tokens, got " + std::to_string(*o.ctx));
    if (o.sensitivity) {
        if (o.bits < 2 || o.bits > 8)
            throw InvalidArgument("--bits: expected 2..8, got " + std::to_string(o.bits));
        if (o.group < 0)
            throw InvalidArgument("--group: expected 0 (per channel) or a positive group size, got "
                + std::to_string(o.group));
    }
}

// What --activations and --sensitivity add to the summary.
struct CalibrationOutputs {
    Json summary = Json::object();
    std::vector<std::string> lines;
};

CalibrationOutputs runCalibrationAnalyses(
    const AnalyzeOptions &o, const std::string &model, const GlobalOptions &globals)
{
    CalibrationOutputs out;
    if (!o.activations && !o.sensitivity)
        return out;
    const std::string text = readTextFile(o.calib);
    const auto tokenizer = loadTokenizerFor(model);
    std::shared_ptr<Model> loaded;
    withPathContext(model, [&] {
        ProgressLine progress(globals, "loading");
        loaded = Model::load(model, progress.callback(), cancelToken());
    });
    const std::int64_t trained = loaded->config().maxPositions;
    const int ctx = o.ctx ? *o.ctx : int(trained > 0 ? std::min<std::int64_t>(256, trained) : 256);
    if (trained > 0 && ctx > trained)
        printStatus("lathe-cli: warning: --ctx " + std::to_string(ctx)
            + " is longer than the model's context of " + std::to_string(trained)
            + " tokens; positions beyond it were never trained");
    std::vector<std::vector<std::int32_t>> sequences;
    withPathContext(o.calib, [&] {
        sequences = calibrationSequences(*tokenizer, text, o.samples, ctx);
    });
    out.summary["calibration"] = o.calib;
    out.summary["samples"] = sequences.size();
    out.summary["ctx"] = ctx;
    Json header { { "model", model }, { "calibration", o.calib },
        { "samples", sequences.size() }, { "ctx", ctx } };

    std::optional<ActivationStats> activations;
    if (o.activations) {
        ActivationStatsOptions options;
        options.samples = o.samples;
        options.ctx = ctx;
        const Transformer transformer(loaded);
        {
            ProgressLine progress(globals, "activations");
            activations = computeActivationStats(
                transformer, sequences, options, progress.callback(), cancelToken());
            progress.finish();
        }
        Json j = header;
        const Json stats = activationStatsToJson(*activations);
        for (const auto &[key, value] : stats.items())
            j[key] = value;
        const std::string jsonPath = outPath(o.out, "activations.json");
        const std::string csvPath = outPath(o.out, "activations.csv");
        writeFileAtomically(jsonPath, j.dump(1) + "\n");
        writeFileAtomically(csvPath, activationStatsCsv(*activations));
        out.summary["activations_json"] = jsonPath;
        out.summary["activations_csv"] = csvPath;
        out.lines.push_back("Activations: " + jsonPath + " (" + std::to_string(activations->tokens)
            + " tokens in " + std::to_string(activations->sequences) + " sequences)");
        out.lines.push_back("Table:       " + csvPath);
    }

    if (o.sensitivity) {
        SensitivityOptions options;
        options.format.bits = o.bits;
        options.format.groupSize = o.group;
        options.format.symmetric = !o.asym;
        options.blocks = !o.noBlocks;
        SensitivityResult r;
        {
            ProgressLine progress(globals, "sensitivity");
            r = computeSensitivity(loaded, sequences, options,
                activations ? &*activations : nullptr, progress.callback(), cancelToken());
            progress.finish();
        }
        Json j = header;
        const Json result = sensitivityToJson(r);
        for (const auto &[key, value] : result.items())
            j[key] = value;
        std::vector<double> proxy, kl;
        for (const SensitivityEntry &e : r.modules) {
            proxy.push_back(e.proxy);
            kl.push_back(e.meanKl);
        }
        const double rho = spearmanRho(proxy, kl);
        if (activations)
            j["spearman_rho_proxy_kl"] = rho;
        const std::string jsonPath = outPath(o.out, "sensitivity.json");
        const std::string csvPath = outPath(o.out, "sensitivity.csv");
        writeFileAtomically(jsonPath, j.dump(1) + "\n");
        writeFileAtomically(csvPath, sensitivityCsv(r));
        out.summary["sensitivity_json"] = jsonPath;
        out.summary["sensitivity_csv"] = csvPath;
        out.summary["format"] = r.format.label();
        out.summary["base_perplexity"] = r.basePerplexity;
        out.summary["scored_tokens"] = r.scoredTokens;
        out.summary["sensitivity_seconds"] = r.seconds;
        if (activations)
            out.summary["spearman_rho_proxy_kl"] = rho; // NaN -> null
        out.lines.push_back("Sensitivity (" + r.format.label() + "): " + jsonPath + " ("
            + std::to_string(r.modules.size() + r.blocks.size()) + " parts, base perplexity "
            + formatFixed(r.basePerplexity, 4) + ", " + formatFixed(r.seconds, 2) + " s)");
        out.lines.push_back("Table:       " + csvPath);
        if (activations)
            out.lines.push_back("Spearman rho between proxy and mean KL over "
                + std::to_string(r.modules.size()) + " modules: "
                + (std::isnan(rho) ? std::string("n/a") : formatFixed(rho, 3)));
    }
    return out;
}

void runAnalyze(const AnalyzeOptions &o, const GlobalOptions &globals)
{
    if (o.bins < 1 || o.bins > 1'000'000)
        throw InvalidArgument("--bins: expected 1..1000000, got " + std::to_string(o.bins));
    if (!(o.outlierK > 0))
        throw InvalidArgument("--outlier-k: expected a positive number");
    checkCalibrationOptions(o);
    const std::string model = resolveModelArgument(o.model);
    requireExists(model);
    std::error_code ec;
    std::filesystem::create_directories(o.out, ec);
    if (ec)
        throw IoError("cannot create '" + o.out + "': " + ec.message());

    WeightStatsOptions options;
    options.bins = o.bins;
    options.logMagnitude = o.logHistogram;
    options.outlierK = o.outlierK;
    options.channelAbsmax = !o.noChannels;

    std::vector<WeightStats> stats;
    std::size_t storedBytes = 0;
    double seconds = 0;
    withPathContext(model, [&] {
        const auto checkpoint = Checkpoint::open(model);
        for (const TensorView &t : checkpoint->tensors())
            if (dtypeIsFloat(t.dtype) || dtypeIsQuantized(t.dtype))
                storedBytes += t.nbytes;
        ProgressLine progress(globals, "weights");
        const auto start = std::chrono::steady_clock::now();
        stats = computeAllWeightStats(*checkpoint, options, progress.callback(), cancelToken());
        seconds = secondsSince(start);
        progress.finish();
    });

    Json tensors = Json::array();
    for (const WeightStats &s : stats)
        tensors.push_back(weightStatsToJson(s, options.channelAbsmax));
    const std::string jsonPath = (std::filesystem::path(o.out) / "weights.json").string();
    const std::string csvPath = (std::filesystem::path(o.out) / "weights.csv").string();
    writeFileAtomically(jsonPath, Json { { "model", model }, { "tensors", tensors } }.dump(1) + "\n");
    writeFileAtomically(csvPath, weightStatsCsv(stats));
    const CalibrationOutputs calibration = runCalibrationAnalyses(o, model, globals);

    Json summary;
    summary["model"] = model;
    summary["tensors"] = stats.size();
    summary["weights_json"] = jsonPath;
    summary["weights_csv"] = csvPath;
    summary["seconds"] = seconds;
    summary["stored_bytes"] = storedBytes;
    const double gbPerSecond = seconds > 0 ? double(storedBytes) / seconds / 1e9 : 0.0;
    summary["gb_per_second"] = gbPerSecond;
    double bandwidth = 0;
    if (o.bench) {
        // Each tensor is read twice (moments, then histograms and outliers).
        bandwidth = measureReadBandwidth().gbPerSecond;
        summary["memory_read_gb_per_second"] = bandwidth;
        summary["fraction_of_bandwidth"] = gbPerSecond / bandwidth;
        summary["passes_over_data"] = 2;
    }
    for (const auto &[key, value] : calibration.summary.items())
        summary[key] = value;
    if (globals.json) {
        printJson(summary);
        return;
    }
    printLine("Analyzed " + std::to_string(stats.size()) + " tensors in "
        + formatFixed(seconds, 2) + " s (" + formatFixed(gbPerSecond, 2) + " GB/s)");
    printLine("Statistics: " + jsonPath);
    printLine("Table:      " + csvPath);
    if (o.bench)
        printLine("Memory read bandwidth " + formatFixed(bandwidth, 2) + " GB/s; statistics at "
            + formatFixed(gbPerSecond / bandwidth, 2) + " of it");
    for (const std::string &line : calibration.lines)
        printLine(line);
}

} // namespace

Command addAnalyzeCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto options = std::make_shared<AnalyzeOptions>();
    CLI::App *cmd = parent.add_subcommand("analyze",
        "Statistics of every weight tensor (moments, outliers, percentiles, histograms, "
        "channel absmax) as JSON and CSV; optionally activation statistics and per-module "
        "sensitivity on a calibration text");
    cmd->footer("Example: lathe-cli analyze demo --out stats --activations --sensitivity "
                "--calib calibration.txt --samples 8 --ctx 128 --bits 4 --group 32");
    cmd->add_option("MODEL", options->model,
           "Model: HF folder, .safetensors or .gguf file, or 'demo'")
        ->required();
    cmd->add_option("--out", options->out,
           "Folder for weights.json and weights.csv (and activations.*, sensitivity.*)")
        ->required();
    cmd->add_option("--bins", options->bins, "Histogram bins (default 128)");
    cmd->add_flag("--log-histogram", options->logHistogram,
        "Histogram over log10|w| (zeros counted apart) instead of w");
    cmd->add_option("--outlier-k", options->outlierK,
        "Outliers lie more than K standard deviations from the mean (default 6)");
    cmd->add_flag("--no-channels", options->noChannels,
        "Leave out the per-row and per-column absmax arrays");
    cmd->add_flag("--bench", options->bench,
        "Also measure memory read bandwidth and report throughput as a fraction of it");
    cmd->add_flag("--activations", options->activations,
        "Activation statistics of every linear module's input on --calib "
        "(activations.json, activations.csv)");
    CLI::Option *sensitivity = cmd->add_flag("--sensitivity", options->sensitivity,
        "Compress each linear module (and each block) alone with round-to-nearest and measure "
        "perplexity and mean KL divergence on --calib (sensitivity.json, sensitivity.csv); "
        "with --activations also the importance-weighted error proxy");
    cmd->add_option("--calib", options->calib,
        "Calibration text file for --activations and --sensitivity (required by them)");
    cmd->add_option("--samples", options->samples,
        "Calibration windows (default " + std::to_string(options->samples) + ")");
    cmd->add_option("--ctx", options->ctx,
        "Tokens per calibration window (default: 256, or the model's context if shorter)");
    cmd->add_option("--bits", options->bits, "Sensitivity: bits per weight, 2..8 (default 4)")
        ->needs(sensitivity);
    cmd->add_option("--group", options->group,
           "Sensitivity: columns per scale, 0 = one scale per output channel (default 128)")
        ->needs(sensitivity);
    cmd->add_flag("--asym", options->asym,
           "Sensitivity: asymmetric (scale and zero point) instead of symmetric")
        ->needs(sensitivity);
    cmd->add_flag("--no-blocks", options->noBlocks,
           "Sensitivity: measure single modules only, not whole decoder blocks")
        ->needs(sensitivity);
    addCommonOptions(*cmd, globals);
    return { cmd, [options, &globals] { runAnalyze(*options, globals); } };
}

} // namespace lathe::cli
