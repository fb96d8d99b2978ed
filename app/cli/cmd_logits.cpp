// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli logits MODEL --ids 1,2,3`: the full logits of one forward pass (positions
// 0..n-1, no cache reuse), as JSON, for comparing against other implementations.
#include "clicommon.h"

#include "model/model.h"
#include "model/transformer.h"
#include "util/demomodel.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

namespace lathe::cli {

namespace {

struct LogitsOptions {
    std::string model;
    std::string ids;
};

// Appends one float with 9 significant digits (enough to round-trip an f32 exactly).
void appendFloat(std::string &out, float v)
{
    if (!std::isfinite(v)) {
        out += "null"; // JSON has no NaN or infinity
        return;
    }
    char buffer[32];
    const int n = std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(v));
    out.append(buffer, static_cast<std::size_t>(n));
}

void printLogits(const std::vector<std::int32_t> &ids, const at::Tensor &logits)
{
    // Written by hand: nlohmann would print each f32 as a 17-digit double.
    const at::Tensor l = logits.to(at::kFloat).contiguous();
    const std::int64_t rows = l.size(0);
    const std::int64_t vocab = l.size(1);
    const float *p = l.data_ptr<float>();
    std::string out = "{\n  \"ids\": [";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i)
            out += ", ";
        out += std::to_string(ids[i]);
    }
    out += "],\n  \"logits\": [\n";
    for (std::int64_t r = 0; r < rows; ++r) {
        out += "    [";
        for (std::int64_t c = 0; c < vocab; ++c) {
            if (c)
                out += ", ";
            appendFloat(out, p[r * vocab + c]);
        }
        out += r + 1 < rows ? "],\n" : "]\n";
    }
    out += "  ]\n}\n";
    std::cout << out;
    std::cout.flush();
}

} // namespace

Command addLogitsCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto options = std::make_shared<LogitsOptions>();
    CLI::App *cmd =
        parent.add_subcommand("logits", "Print the logits of one forward pass as JSON");
    cmd->footer("Runs the ids at positions 0..n-1 (no cache) and prints\n"
                "{\"ids\": [...], \"logits\": [[vocab floats], ...]}, one row per position,\n"
                "9 significant digits. The output is always JSON.\n"
                "Example: lathe-cli logits models/random/llama --ids 1,2,3");
    cmd->add_option("MODEL", options->model,
                    "Hugging Face folder, .safetensors file with config.json beside it, .gguf, "
                    "or 'demo'")
        ->required();
    cmd->add_option("--ids", options->ids, "Input token ids, comma separated (e.g. 1,2,3)")
        ->required();
    addCommonOptions(*cmd, globals); // accepted for uniformity; the output is JSON anyway

    return {cmd, [options, &globals] {
                const auto ids = parseIdList(options->ids, "--ids");
                options->model = resolveModelArgument(options->model);
                requireExists(options->model);
                withPathContext(options->model, [&] {
                    at::InferenceMode guard;
                    ProgressLine progress(globals, "loading");
                    auto model = Model::load(options->model, progress.callback(),
                                             cancelToken());
                    progress.finish();
                    const Transformer transformer(model);
                    const at::Tensor logits = transformer.logits(ids);
                    printLogits(ids, logits);
                });
            }};
}

} // namespace lathe::cli
