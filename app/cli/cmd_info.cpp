// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli info MODEL`: what a checkpoint holds (architecture, size, dtypes, tensors),
// without loading the weights.
#include "clicommon.h"

#include "io/modelsummary.h"
#include "util/demomodel.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>

namespace lathe::cli {

namespace {

struct InfoOptions {
    std::string model;
    bool noTensors = false;
};

Json configJson(const ModelConfig &c)
{
    Json j;
    j["model_type"] = c.modelType;
    j["architecture"] = architectureName(c.arch);
    j["hidden_size"] = c.hiddenSize;
    j["intermediate_size"] = c.intermediateSize;
    j["num_hidden_layers"] = c.numLayers;
    j["num_attention_heads"] = c.numHeads;
    j["num_key_value_heads"] = c.numKvHeads;
    j["head_dim"] = c.headDim;
    j["vocab_size"] = c.vocabSize;
    j["max_position_embeddings"] = c.maxPositions;
    j["norm_eps"] = c.normEps;
    j["rope_theta"] = c.ropeTheta;
    if (c.ropeScaling.type.empty()) {
        j["rope_scaling"] = nullptr;
    } else {
        j["rope_scaling"] = {{"type", c.ropeScaling.type},
                             {"factor", c.ropeScaling.factor},
                             {"low_freq_factor", c.ropeScaling.lowFreqFactor},
                             {"high_freq_factor", c.ropeScaling.highFreqFactor},
                             {"original_max_position_embeddings",
                              c.ropeScaling.originalMaxPositions}};
    }
    j["attention_bias"] = c.attentionBias;
    j["mlp_bias"] = c.mlpBias;
    j["qk_norm"] = c.qkNorm;
    j["tie_word_embeddings"] = c.tieWordEmbeddings;
    j["hidden_act"] = c.hiddenAct;
    j["bos_token_ids"] = c.bosTokenIds;
    j["eos_token_ids"] = c.eosTokenIds;
    Json g = Json::object();
    const auto &d = c.generation;
    if (d.temperature)
        g["temperature"] = *d.temperature;
    if (d.topK)
        g["top_k"] = *d.topK;
    if (d.topP)
        g["top_p"] = *d.topP;
    if (d.minP)
        g["min_p"] = *d.minP;
    if (d.repetitionPenalty)
        g["repetition_penalty"] = *d.repetitionPenalty;
    if (d.maxNewTokens)
        g["max_new_tokens"] = *d.maxNewTokens;
    if (d.doSample)
        g["do_sample"] = *d.doSample;
    j["generation"] = std::move(g);
    return j;
}

std::string shapeText(const std::vector<std::int64_t> &shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

std::string padRight(const std::string &s, std::size_t width)
{
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string padLeft(const std::string &s, std::size_t width)
{
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

void printText(const ModelSummary &s, bool withTensors)
{
    std::size_t keyWidth = 0;
    for (const auto &[key, value] : s.card)
        keyWidth = std::max(keyWidth, key.size());
    for (const auto &[key, value] : s.card)
        printLine(padRight(key, keyWidth) + "  " + value);
    if (!s.configError.empty())
        printLine(padRight("Config", keyWidth) + "  not usable: " + s.configError);
    else if (!s.hasConfig)
        printLine(padRight("Config", keyWidth) + "  none (no config.json beside the weights)");
    if (!withTensors)
        return;

    const std::vector<std::string> head{"name", "shape", "dtype", "params", "bytes"};
    std::vector<std::vector<std::string>> rows;
    rows.reserve(s.tensors.size());
    for (const auto &t : s.tensors)
        rows.push_back({t.name, shapeText(t.shape), t.dtype, std::to_string(t.parameters),
                        formatBytes(t.bytes)});
    std::vector<std::size_t> width(head.size());
    for (std::size_t c = 0; c < head.size(); ++c) {
        width[c] = head[c].size();
        for (const auto &r : rows)
            width[c] = std::max(width[c], r[c].size());
    }
    const auto format = [&width](const std::vector<std::string> &r) {
        // Text columns left-aligned, numbers right-aligned.
        return padRight(r[0], width[0]) + "  " + padRight(r[1], width[1]) + "  "
               + padRight(r[2], width[2]) + "  " + padLeft(r[3], width[3]) + "  "
               + padLeft(r[4], width[4]);
    };
    printLine("");
    printLine("Tensors (" + std::to_string(s.tensors.size()) + ")");
    printLine(format(head));
    for (const auto &r : rows)
        printLine(format(r));
}

void printJsonSummary(const ModelSummary &s, bool withTensors)
{
    Json j;
    j["path"] = s.path;
    j["format"] = s.format;
    j["architecture"] = s.architecture;
    j["parameters"] = s.parameters;
    j["bytes"] = s.bytes;
    j["size"] = formatBytes(s.bytes);
    j["parameters_by_dtype"] = s.parametersByDtype;
    j["has_config"] = s.hasConfig;
    j["config"] = s.config ? configJson(*s.config) : Json(nullptr);
    if (!s.configError.empty())
        j["config_error"] = s.configError;
    j["tensor_count"] = s.tensors.size();
    if (withTensors) {
        Json tensors = Json::array();
        for (const auto &t : s.tensors)
            tensors.push_back({{"name", t.name},
                               {"shape", t.shape},
                               {"dtype", t.dtype},
                               {"parameters", t.parameters},
                               {"bytes", t.bytes}});
        j["tensors"] = std::move(tensors);
    }
    printJson(j);
}

} // namespace

Command addInfoCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto options = std::make_shared<InfoOptions>();
    CLI::App *cmd = parent.add_subcommand("info", "Describe a model and list its tensors");
    cmd->footer("Prints architecture, parameters, data types, size and a table of every tensor\n"
                "(name, shape, dtype, parameters, bytes). Reads headers only, so it is fast on\n"
                "any size; works on bare .safetensors files without a config.json.\n"
                "Example: lathe-cli info --json models/tinystories-656k");
    cmd->add_option("MODEL", options->model,
                    "Hugging Face folder, .safetensors file (bare files too), .gguf file, or "
                    "'demo'")
        ->required();
    cmd->add_flag("--no-tensors", options->noTensors, "Leave out the tensor table");
    addCommonOptions(*cmd, globals);

    return {cmd, [options, &globals] {
                options->model = resolveModelArgument(options->model);
                requireExists(options->model);
                withPathContext(options->model, [&] {
                    ProgressLine progress(globals, "reading");
                    const ModelSummary summary =
                        summarizeModel(options->model, progress.callback(), cancelToken());
                    progress.finish();
                    if (globals.json)
                        printJsonSummary(summary, !options->noTensors);
                    else
                        printText(summary, !options->noTensors);
                });
            }};
}

} // namespace lathe::cli
