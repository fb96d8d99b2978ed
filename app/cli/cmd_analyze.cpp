// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli analyze MODEL --out DIR`: statistics of every stored weight tensor, written as
// DIR/weights.json (one object per tensor) and DIR/weights.csv. With --bench it also measures
// the machine's read bandwidth and reports the statistics throughput as a fraction of it.
#include "clicommon.h"

#include "analysis/weightstats.h"
#include "eval/membench.h"
#include "io/checkpoint.h"
#include "util/atomicfile.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <filesystem>

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
};

void runAnalyze(const AnalyzeOptions &o, const GlobalOptions &globals)
{
    if (o.bins < 1 || o.bins > 1'000'000)
        throw InvalidArgument("--bins: expected 1..1000000, got " + std::to_string(o.bins));
    if (!(o.outlierK > 0))
        throw InvalidArgument("--outlier-k: expected a positive number");
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
}

} // namespace

Command addAnalyzeCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto options = std::make_shared<AnalyzeOptions>();
    CLI::App *cmd = parent.add_subcommand("analyze",
        "Statistics of every weight tensor (moments, outliers, percentiles, histograms, "
        "channel absmax) as JSON and CSV");
    cmd->add_option("MODEL", options->model,
           "Model: HF folder, .safetensors or .gguf file, or 'demo'")
        ->required();
    cmd->add_option("--out", options->out, "Folder for weights.json and weights.csv")->required();
    cmd->add_option("--bins", options->bins, "Histogram bins (default 128)");
    cmd->add_flag("--log-histogram", options->logHistogram,
        "Histogram over log10|w| (zeros counted apart) instead of w");
    cmd->add_option("--outlier-k", options->outlierK,
        "Outliers lie more than K standard deviations from the mean (default 6)");
    cmd->add_flag("--no-channels", options->noChannels,
        "Leave out the per-row and per-column absmax arrays");
    cmd->add_flag("--bench", options->bench,
        "Also measure memory read bandwidth and report throughput as a fraction of it");
    addCommonOptions(*cmd, globals);
    return { cmd, [options, &globals] { runAnalyze(*options, globals); } };
}

} // namespace lathe::cli
