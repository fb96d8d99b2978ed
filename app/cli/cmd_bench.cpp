// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli bench [MODEL]`: load, prefill and decode speed, reported against the machine's
// own limits measured in the same run (streaming-read bandwidth for decode, GEMM peak for
// prefill). Without a model it builds a random one of a known shape.
#include "benchmodel.h"
#include "benchpacked.h"
#include "benchspeed.h"
#include "clicommon.h"
#include "cmd_benchanalysis.h"
#include "tempfolder.h"

#include "eval/membench.h"
#include "io/checkpoint.h"
#include "io/safetensorswriter.h"
#include "model/kvcache.h"
#include "model/model.h"
#include "model/transformer.h"
#include "quant/weightformat.h"
#include "util/demomodel.h"
#include "util/error.h"
#include "util/threadpool.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>

namespace lathe::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct BenchOptions {
    std::string model;
    std::string shape = "tinyllama";
    std::int64_t layers = 0;
    std::int64_t prompt = 256;
    std::int64_t gen = 64;
    std::int64_t bandwidthMb = 1024;
    bool shapeGiven = false;
    bool analysis = false;      // weight-statistics benchmark instead of inference
    std::string dtype = "bf16"; // --analysis: stored dtype of the random model
    int repeats = 3;            // --analysis: timed runs over the model
    std::int64_t kernelMb = 256; // --analysis: size of the one-tensor measurements
    std::vector<std::string> packed; // round-to-nearest variants to time next to the original
};

struct LoadResult {
    std::shared_ptr<Model> model;
    double seconds = 0.0;
    std::uint64_t bytes = 0;
    double writeSeconds = 0.0; // random model only: writing the temporary checkpoint
};

// Weight bytes one decode step reads, and the parameters of the matrix products (what
// prefill multiplies with). Lookup-only tables (the input embedding when the head is not
// tied to it, GPT-2's positions) are read one row per token and left out.
struct WeightTraffic {
    std::uint64_t bytesPerToken = 0;
    std::int64_t matmulParameters = 0;
};

WeightTraffic weightTraffic(const Model &model)
{
    WeightTraffic t;
    const at::Tensor *head = model.findWeight("lm_head.weight");
    std::set<const void *> seen;
    for (const auto &[name, w] : model.weights()) {
        if (!seen.insert(w.data_ptr()).second)
            continue; // tied: one tensor under two names
        const bool embedding = name == "model.embed_tokens.weight"
                               || name == "transformer.wte.weight";
        const bool lookupOnly = name == "transformer.wpe.weight"
                                || (embedding && head && head->data_ptr() != w.data_ptr());
        if (lookupOnly)
            continue;
        t.bytesPerToken += w.nbytes();
        if (w.dim() == 2)
            t.matmulParameters += w.numel();
    }
    return t;
}

LoadResult loadRandom(const ModelConfig &config, ProgressLine &progress)
{
    progress.update(0.0, "building random weights");
    auto weights = randomWeights(config, 1234);
    LoadResult r;
    r.model = Model::fromWeights(config, weights);

    // Load time needs a file: write the same weights once, time Model::load, clean up.
    TempFolder folder("lathe-bench");
    progress.update(0.0, "writing a temporary checkpoint");
    const auto writeStart = Clock::now();
    {
        SafetensorsWriter writer;
        writer.setMetadata("format", "pt");
        for (const auto &[name, w] : weights)
            writer.addTensor(name, DType::F32, w.sizes().vec(), w.data_ptr(), w.nbytes());
        writer.write((folder.path() / "model.safetensors").string());
        std::ofstream(folder.path() / "config.json") << benchConfigJson(config);
    }
    r.writeSeconds = secondsSince(writeStart);
    weights.clear();
    r.bytes = fs::file_size(folder.path() / "model.safetensors");

    progress.update(0.0, "loading the temporary checkpoint");
    const auto start = Clock::now();
    auto loaded = Model::load(folder.path().string(), {}, cancelToken());
    r.seconds = secondsSince(start);
    loaded.reset(); // benchmark the in-memory copy; the file goes with the folder
    return r;
}

LoadResult loadFile(const std::string &path, ProgressLine &progress)
{
    requireExists(path);
    LoadResult r;
    withPathContext(path, [&] {
        const auto start = Clock::now();
        r.model = Model::load(path, progress.callback(), cancelToken());
        r.seconds = secondsSince(start);
    });
    if (auto ckpt = r.model->checkpoint())
        r.bytes = ckpt->totalBytes();
    return r;
}

void run(const BenchOptions &o, const GlobalOptions &globals)
{
    if (!o.model.empty() && (o.shapeGiven || o.layers > 0))
        throw InvalidArgument("--shape and --layers describe the random model; they cannot be "
                              "used together with MODEL");
    const int threads = threadCount();
    ProgressLine progress(globals, "bench");

    // The machine's limits first, before the model takes memory and cache.
    progress.update(0.0, "measuring memory bandwidth");
    BandwidthOptions bwOptions;
    bwOptions.threads = threads;
    bwOptions.bytes = static_cast<std::size_t>(o.bandwidthMb) << 20;
    const BandwidthResult bandwidth = measureReadBandwidth(bwOptions);
    cancelToken().throwIfCancelled();
    progress.update(0.0, "measuring GEMM throughput");
    const GemmResult gemm = measureGemm();
    cancelToken().throwIfCancelled();

    const ModelConfig randomConfig =
        o.model.empty() ? benchShapeConfig(o.shape, o.layers) : ModelConfig{};
    LoadResult load = o.model.empty() ? loadRandom(randomConfig, progress)
                                      : loadFile(o.model, progress);
    const Model &model = *load.model;
    const ModelConfig &config = model.config();
    if (o.prompt + o.gen > config.maxPositions)
        throw InvalidArgument("--prompt + --gen (" + std::to_string(o.prompt + o.gen)
                              + " tokens) exceed the model's context of "
                              + std::to_string(config.maxPositions) + " tokens");

    const Transformer transformer(load.model);
    std::mt19937 rng(42);
    std::uniform_int_distribution<std::int32_t> pick(
        0, static_cast<std::int32_t>(config.vocabSize - 1));
    std::vector<std::int32_t> prompt(static_cast<std::size_t>(o.prompt));
    for (auto &id : prompt)
        id = pick(rng);

    const SpeedResult speed = measureSpeed(transformer, prompt, o.gen, progress, "f32");
    const double warmupSeconds = speed.warmupSeconds;
    const double prefillSeconds = speed.prefillSeconds;
    const double decodeSeconds = speed.decodeSeconds;
    Json packed = Json::array();
    for (const std::string &name : o.packed)
        packed.push_back(benchPackedVariant(load.model, parseWeightFormat(name), prompt, o.gen,
            speed.decodeTokensPerSecond(), progress));
    progress.finish();

    const WeightTraffic traffic = weightTraffic(model);
    const double prefillTps = prefillSeconds > 0 ? double(o.prompt) / prefillSeconds : 0.0;
    const double decodeTps = decodeSeconds > 0 ? double(o.gen) / decodeSeconds : 0.0;
    const double decodeGbs = double(traffic.bytesPerToken) * decodeTps / 1e9;
    const double prefillGflops = 2.0 * double(traffic.matmulParameters) * prefillTps / 1e9;

    Json j;
    j["model"] = o.model.empty() ? "random " + o.shape + " shape ("
                                       + std::to_string(config.numLayers) + " layers, f32)"
                                 : o.model;
    j["architecture"] = architectureName(config.arch);
    j["layers"] = config.numLayers;
    j["parameters"] = model.parameterCount();
    j["weight_bytes"] = model.weightBytes();
    j["decode_bytes_per_token"] = traffic.bytesPerToken;
    j["threads"] = threads;
    j["load_seconds"] = load.seconds;
    j["load_bytes"] = load.bytes;
    if (o.model.empty())
        j["write_seconds"] = load.writeSeconds;
    j["warmup_seconds"] = warmupSeconds; // first passes: page faults, scratch buffers
    j["prefill_tokens"] = o.prompt;
    j["prefill_seconds"] = prefillSeconds;
    j["prefill_tokens_per_s"] = prefillTps;
    j["prefill_gflops"] = prefillGflops;
    j["decode_tokens"] = o.gen;
    j["decode_seconds"] = decodeSeconds;
    j["decode_tokens_per_s"] = decodeTps;
    j["decode_weight_gbs"] = decodeGbs;
    j["memory_bandwidth_gbs"] = bandwidth.gbPerSecond;
    j["memory_bandwidth_bytes"] = bandwidth.bytes;
    j["gemm_gflops"] = gemm.gflops;
    j["gemm_n"] = gemm.n;
    j["decode_fraction_of_bandwidth"] =
        bandwidth.gbPerSecond > 0 ? decodeGbs / bandwidth.gbPerSecond : 0.0;
    j["prefill_fraction_of_gemm"] = gemm.gflops > 0 ? prefillGflops / gemm.gflops : 0.0;
    if (!o.packed.empty())
        j["packed"] = packed;

    if (globals.json) {
        printJson(j);
        return;
    }
    const auto pct = [](double f) { return formatFixed(100.0 * f, 0) + "%"; };
    printLine("model        " + j["model"].get<std::string>() + ", "
              + std::to_string(model.parameterCount()) + " parameters, "
              + formatFixed(double(model.weightBytes()) / 1e9, 2) + " GB of f32 weights");
    printLine("threads      " + std::to_string(threads));
    printLine("machine      memory read " + formatFixed(bandwidth.gbPerSecond, 1) + " GB/s, GEMM "
              + formatFixed(gemm.gflops, 1) + " GFLOP/s (" + std::to_string(gemm.n) + "^3 f32)");
    printLine("load         " + formatFixed(load.seconds, 3) + " s ("
              + formatFixed(double(load.bytes) / 1e9, 2) + " GB)");
    printLine("prefill      " + formatFixed(prefillTps, 1) + " tokens/s ("
              + std::to_string(o.prompt) + " tokens), " + formatFixed(prefillGflops, 1)
              + " GFLOP/s = "
              + pct(j["prefill_fraction_of_gemm"].get<double>()) + " of GEMM peak");
    printLine("decode       " + formatFixed(decodeTps, 2) + " tokens/s (" + std::to_string(o.gen)
              + " tokens), " + formatFixed(decodeGbs, 1) + " GB/s of weights = "
              + pct(j["decode_fraction_of_bandwidth"].get<double>()) + " of memory bandwidth");
    for (const Json &p : packed)
        printLine("packed       " + p["format"].get<std::string>() + ": "
                  + formatFixed(p["bits_per_weight"].get<double>(), 2) + " bits/weight, decode "
                  + formatFixed(p["decode_tokens_per_s"].get<double>(), 2) + " tokens/s ("
                  + formatFixed(p["decode_speedup"].get<double>(), 2) + "x f32), prefill "
                  + formatFixed(p["prefill_tokens_per_s"].get<double>(), 1) + " tokens/s");
}

} // namespace

Command addBenchCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<BenchOptions>();
    CLI::App *cmd =
        parent.add_subcommand("bench", "Measure load, prefill and decode speed against the "
                                       "machine's limits");
    cmd->footer("Reports speed next to the machine's memory bandwidth (streaming read on all\n"
                "threads) and GEMM peak (2048^3 f32 matmul), both measured in the same run:\n"
                "  decode_fraction_of_bandwidth =\n"
                "      weight bytes read per token x tokens/s / bandwidth\n"
                "  prefill_fraction_of_gemm = 2 x matrix parameters x tokens/s / GEMM FLOP/s\n"
                "Without MODEL a random f32 model of TinyLlama-1.1B's shape is built (about\n"
                "4.4 GB of memory; --layers makes it smaller) and written once to a temporary\n"
                "folder to time loading; the folder is removed afterwards.\n"
                "Example: lathe-cli bench --layers 4 --json\n"
                "With --analysis it times the weight statistics of `lathe-cli analyze` instead:\n"
                "throughput of one large f32, bf16 and f16 tensor and of the whole model (random\n"
                "weights stored as --dtype), as a fraction of the same bandwidth measurement.\n"
                "Example: lathe-cli bench --analysis --dtype bf16 --json");
    cmd->add_option("MODEL", o->model,
                    "Hugging Face folder, .safetensors file with config.json beside it, or .gguf "
                    "(default: a random model)");
    CLI::Option *shape =
        cmd->add_option("--shape", o->shape, "Shape of the random model: " + benchShapeNames())
            ->check(CLI::IsMember({"tinyllama", "tiny"}))
            ->default_val("tinyllama");
    cmd->add_option("--layers", o->layers, "Layers of the random model (default: the shape's)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--prompt", o->prompt, "Prompt tokens for the prefill measurement")
        ->check(CLI::PositiveNumber)
        ->default_val(256);
    cmd->add_option("--gen", o->gen, "Tokens to decode one at a time")
        ->check(CLI::PositiveNumber)
        ->default_val(64);
    cmd->add_option("--bandwidth-mb", o->bandwidthMb,
                    "Buffer of the memory-bandwidth measurement, in MiB (keep it far above the "
                    "CPU caches)")
        ->check(CLI::Range(std::int64_t(16), std::int64_t(1) << 20))
        ->default_val(1024);
    cmd->add_option("--packed", o->packed,
                    "Also time these round-to-nearest variants of the model, its linear weights "
                    "packed (int<bits>[-g<group>][-asym], comma separated, e.g. int8,int4-g32)")
        ->delimiter(',')
        ->check(CLI::Validator(
            [](std::string &name) {
                try {
                    parseWeightFormat(name);
                    return std::string();
                } catch (const std::exception &e) {
                    return std::string(e.what());
                }
            },
            "FORMAT"));
    cmd->add_flag("--analysis", o->analysis,
                  "Benchmark the weight statistics (lathe-cli analyze) instead of inference");
    cmd->add_option("--dtype", o->dtype, "--analysis: dtype of the random model's weights")
        ->check(CLI::IsMember({"f32", "bf16", "f16"}))
        ->default_val("bf16");
    cmd->add_option("--repeats", o->repeats, "--analysis: timed runs; the fastest counts")
        ->check(CLI::Range(1, 100))
        ->default_val(3);
    cmd->add_option("--kernel-mb", o->kernelMb,
                    "--analysis: MiB of each one-tensor measurement (keep it far above the "
                    "CPU caches)")
        ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 16))
        ->default_val(256);
    addCommonOptions(*cmd, globals);

    return {cmd, [o, shape, &globals] {
                o->shapeGiven = shape->count() > 0;
                if (!o->model.empty())
                    o->model = resolveModelArgument(o->model);
                if (o->analysis) {
                    if (!o->model.empty() && (o->shapeGiven || o->layers > 0))
                        throw InvalidArgument("--shape and --layers describe the random model; "
                                              "they cannot be used together with MODEL");
                    AnalysisBenchOptions a;
                    a.model = o->model;
                    a.shape = o->shape;
                    a.layers = o->layers;
                    a.dtype = o->dtype;
                    a.repeats = o->repeats;
                    a.bandwidthMb = o->bandwidthMb;
                    a.kernelMb = o->kernelMb;
                    runAnalysisBench(a, globals);
                    return;
                }
                run(*o, globals);
            }};
}

} // namespace lathe::cli
