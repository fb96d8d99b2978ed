// SPDX-License-Identifier: GPL-3.0-or-later
#include "cmd_benchanalysis.h"
#include "tempfolder.h"

#include "benchmodel.h"

#include "analysis/weightstats.h"
#include "eval/membench.h"
#include "io/checkpoint.h"
#include "io/safetensorswriter.h"
#include "model/modelspec.h"
#include "util/error.h"
#include "util/threadpool.h"

#include <ATen/ATen.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace lathe::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

DType parseDtype(const std::string &name)
{
    if (name == "f32")
        return DType::F32;
    if (name == "bf16")
        return DType::BF16;
    if (name == "f16")
        return DType::F16;
    throw InvalidArgument("--dtype: expected f32, bf16 or f16, got '" + name + "'");
}

at::ScalarType scalarType(DType d)
{
    return d == DType::F32 ? at::kFloat : d == DType::BF16 ? at::kBFloat16 : at::kHalf;
}

// Stored bytes of every tensor of `config` in `dtype` (what the statistics read).
std::uint64_t modelBytes(const ModelConfig &config, DType dtype)
{
    std::uint64_t bytes = 0;
    for (const TensorSpec &spec : tensorSpecs(config)) {
        if (spec.optional || (spec.name == "lm_head.weight" && config.tieWordEmbeddings))
            continue;
        std::uint64_t n = 1;
        for (auto d : spec.shape)
            n *= std::uint64_t(d);
        bytes += n * std::uint64_t(dtypeBlockBytes(dtype));
    }
    return bytes;
}

// Writes the random model in `dtype`, converting one tensor at a time so the f32 copy of
// the whole model never coexists with the converted one.
void writeRandomModel(const ModelConfig &config, DType dtype, const fs::path &folder)
{
    auto weights = randomWeights(config, 1234);
    SafetensorsWriter writer;
    writer.setMetadata("format", "pt");
    for (auto &[name, w] : weights) {
        if (dtype != DType::F32)
            w = w.to(scalarType(dtype)).contiguous();
        writer.addTensor(name, dtype, w.sizes().vec(), w.data_ptr(), w.nbytes());
    }
    writer.write((folder / "model.safetensors").string());
    std::ofstream(folder / "config.json") << benchConfigJson(config);
}

// Statistics of one in-memory tensor far larger than the caches, per dtype: the kernels'
// throughput without file mapping or small tensors in the way.
Json kernelThroughput(DType dtype, std::int64_t bytes, double bandwidth, int repeats)
{
    const std::int64_t cols = 4096;
    const std::int64_t rows = std::max<std::int64_t>(
        1, bytes / std::int64_t(dtypeBlockBytes(dtype)) / cols);
    at::manual_seed(99);
    const at::Tensor t = (at::randn({rows, cols}, at::kFloat) * 0.02).to(scalarType(dtype));
    TensorView view;
    view.name = "kernel";
    view.dtype = dtype;
    view.shape = {rows, cols};
    view.data = static_cast<const std::uint8_t *>(t.data_ptr());
    view.nbytes = t.nbytes();
    computeWeightStats(view); // warm-up: page faults, thread pool, buffers
    double best = 0;
    for (int r = 0; r < std::max(1, repeats); ++r) {
        const auto start = Clock::now();
        computeWeightStats(view);
        const double s = secondsSince(start);
        if (best == 0 || s < best)
            best = s;
    }
    const double gbs = double(view.nbytes) / best / 1e9;
    return Json{{"dtype", dtypeName(dtype)},
                {"shape", view.shape},
                {"bytes", view.nbytes},
                {"seconds", best},
                {"gb_per_second", gbs},
                {"fraction_of_bandwidth", bandwidth > 0 ? gbs / bandwidth : 0.0},
                // 16-bit tensors are read once, every other dtype twice (see weightstats.cpp)
                {"passes_over_data", dtype == DType::BF16 || dtype == DType::F16 ? 1 : 2}};
}

double loadAverage()
{
    double load[1] = {0};
    return ::getloadavg(load, 1) == 1 ? load[0] : -1.0;
}

} // namespace

void runAnalysisBench(const AnalysisBenchOptions &o, const GlobalOptions &globals)
{
    const DType dtype = parseDtype(o.dtype);
    const int threads = threadCount();
    ProgressLine progress(globals, "bench");
    const double loadBefore = loadAverage();

    progress.update(0.0, "measuring memory bandwidth");
    BandwidthOptions bwOptions;
    bwOptions.threads = threads;
    bwOptions.bytes = static_cast<std::size_t>(o.bandwidthMb) << 20;
    const BandwidthResult bandwidth = measureReadBandwidth(bwOptions);
    cancelToken().throwIfCancelled();
    progress.update(0.0, "measuring histogram counting");
    const CountingResult counting = measureHistogramCounting(bwOptions);
    cancelToken().throwIfCancelled();

    Json kernels = Json::array();
    for (DType d : {DType::F32, DType::BF16, DType::F16}) {
        progress.update(0.0, std::string("statistics of one large ") + dtypeName(d) + " tensor");
        at::InferenceMode guard;
        kernels.push_back(
            kernelThroughput(d, o.kernelMb << 20, bandwidth.gbPerSecond, o.repeats));
        cancelToken().throwIfCancelled();
    }

    std::unique_ptr<TempFolder> folder;
    std::string path = o.model;
    ModelConfig config;
    double writeSeconds = 0;
    if (path.empty()) {
        config = benchShapeConfig(o.shape, o.layers);
        folder = std::make_unique<TempFolder>("lathe-statsbench");
        progress.update(0.0, "writing a random " + o.shape + " model (" + o.dtype + ")");
        const auto start = Clock::now();
        {
            at::InferenceMode guard;
            writeRandomModel(config, dtype, folder->path());
        }
        writeSeconds = secondsSince(start);
        path = (folder->path() / "model.safetensors").string();
    }

    std::uint64_t bytes = 0;
    std::size_t tensors = 0;
    double firstSeconds = 0, bestSeconds = 0;
    {
        const auto checkpoint = Checkpoint::open(path);
        for (const TensorView &t : checkpoint->tensors())
            if (dtypeIsFloat(t.dtype) || dtypeIsQuantized(t.dtype)) {
                bytes += t.nbytes;
                ++tensors;
            }
        for (int r = 0; r < std::max(1, o.repeats); ++r) {
            progress.update(double(r) / double(std::max(1, o.repeats)), "all weight statistics");
            const auto start = Clock::now();
            const auto stats = computeAllWeightStats(*checkpoint, {}, {}, cancelToken());
            const double s = secondsSince(start);
            if (r == 0)
                firstSeconds = s;
            if (bestSeconds == 0 || s < bestSeconds)
                bestSeconds = s;
        }
    }
    progress.finish();

    const double gbs = bestSeconds > 0 ? double(bytes) / bestSeconds / 1e9 : 0.0;
    Json j;
    j["model"] = o.model.empty() ? "random " + o.shape + " shape ("
                                       + std::to_string(config.numLayers) + " layers, " + o.dtype
                                       + ")"
                                 : o.model;
    j["threads"] = threads;
    j["load_average_before"] = loadBefore;
    j["load_average_after"] = loadAverage();
    j["memory_read_gb_per_second"] = bandwidth.gbPerSecond;
    j["memory_read_bytes"] = bandwidth.bytes;
    // The rate of counting bf16 values into a 65536-bin histogram alone: every 16-bit tensor's
    // statistics need that much work, so it caps their throughput below the bandwidth.
    j["histogram_counting_gb_per_second"] = counting.gbPerSecond;
    j["histogram_counting_fraction_of_bandwidth"] =
        bandwidth.gbPerSecond > 0 ? counting.gbPerSecond / bandwidth.gbPerSecond : 0.0;
    j["kernels"] = kernels;
    j["tensors"] = tensors;
    j["bytes"] = bytes;
    if (o.model.empty())
        j["write_seconds"] = writeSeconds;
    j["first_seconds"] = firstSeconds; // includes faulting in the mapped file
    j["seconds"] = bestSeconds;
    j["repeats"] = std::max(1, o.repeats);
    j["gb_per_second"] = gbs;
    j["fraction_of_bandwidth"] = bandwidth.gbPerSecond > 0 ? gbs / bandwidth.gbPerSecond : 0.0;
    if (o.model.empty()) {
        const ModelConfig full = benchShapeConfig(o.shape, 0);
        const std::uint64_t fullBytes = modelBytes(full, dtype);
        j["full_model_layers"] = full.numLayers;
        j["full_model_bytes"] = fullBytes;
        // Same throughput over the whole model's bytes (exact when layers were not reduced).
        j["full_model_seconds"] =
            bytes > 0 ? bestSeconds * double(fullBytes) / double(bytes) : 0.0;
        j["full_model_extrapolated"] = config.numLayers != full.numLayers;
    }
    if (globals.json) {
        printJson(j);
        return;
    }
    printLine("model        " + j["model"].get<std::string>() + ", " + std::to_string(tensors)
              + " tensors, " + formatFixed(double(bytes) / 1e9, 2) + " GB");
    printLine("machine      memory read " + formatFixed(bandwidth.gbPerSecond, 2) + " GB/s on "
              + std::to_string(threads) + " threads; counting bf16 values into a histogram "
              + formatFixed(counting.gbPerSecond, 2) + " GB/s = "
              + formatFixed(100.0 * j["histogram_counting_fraction_of_bandwidth"].get<double>(), 0)
              + "%");
    for (const Json &k : kernels)
        printLine("kernel       " + k["dtype"].get<std::string>() + ": "
                  + formatFixed(k["gb_per_second"].get<double>(), 2) + " GB/s = "
                  + formatFixed(100.0 * k["fraction_of_bandwidth"].get<double>(), 0)
                  + "% of memory bandwidth");
    printLine("statistics   " + formatFixed(bestSeconds, 3) + " s (first run "
              + formatFixed(firstSeconds, 3) + " s), " + formatFixed(gbs, 2) + " GB/s = "
              + formatFixed(100.0 * j["fraction_of_bandwidth"].get<double>(), 0)
              + "% of memory bandwidth");
    if (o.model.empty())
        printLine("full model   " + formatFixed(j["full_model_seconds"].get<double>(), 2)
                  + " s for " + std::to_string(j["full_model_layers"].get<std::int64_t>())
                  + " layers"
                  + (j["full_model_extrapolated"].get<bool>() ? " (extrapolated)" : ""));
}

} // namespace lathe::cli
