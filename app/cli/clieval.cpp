// SPDX-License-Identifier: GPL-3.0-or-later
#include "clieval.h"

#include "clitext.h"

#include "eval/tokenfile.h"
#include "io/modelconfig.h"
#include "text/tokenizer.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>

namespace lathe::cli {

void addEvaluationOptions(
    CLI::App &command, EvaluationCliOptions &o, const std::string &tokenizerOwner)
{
    // Exactly one of the two: a usage error otherwise.
    CLI::Option_group *source = command.add_option_group("Input", "The text to score");
    source->add_option(
        "--ids", o.idsFile, "File of token ids separated by spaces, commas or newlines");
    source->add_option("--text", o.textFile,
        "Text file, encoded with " + tokenizerOwner
            + " tokenizer (llamacpp protocol: with its special tokens, BOS first, "
              "as llama-perplexity does)");
    source->require_option(1);
    command
        .add_option("--ctx", o.ctx,
            "Window / chunk length in tokens (default: 512, or the model's context "
            "length if shorter)")
        ->check(CLI::PositiveNumber);
    command
        .add_option(
            "--protocol", o.protocol, "windows (default) or llamacpp (also accepted: llama.cpp)")
        ->transform(CLI::Validator(
            [](std::string &value) -> std::string {
                std::string v = value;
                std::transform(v.begin(), v.end(), v.begin(),
                    [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                if (v == "windows" || v == "llamacpp" || v == "llama.cpp") {
                    value = v == "windows" ? "windows" : "llamacpp";
                    return {};
                }
                return "'" + value + "' is not a protocol (use windows or llamacpp)";
            },
            "", "protocol"))
        ->type_name("NAME")
        ->default_val("windows");
    command
        .add_option("--chunks", o.chunks, "Evaluate at most this many windows / chunks; 0 = all")
        ->check(CLI::NonNegativeNumber)
        ->default_val(0);
}

std::string evaluationProtocolHelp()
{
    return "Protocols:\n"
           "  windows   non-overlapping windows of --ctx tokens, each run from position 0;\n"
           "            every next-token prediction is scored\n"
           "  llamacpp  llama.cpp's llama-perplexity: chunks of --ctx tokens, first id\n"
           "            replaced by BOS, only the second half scored (compare with\n"
           "            llama.cpp's published numbers)\n";
}

std::vector<std::int32_t> evaluationIds(const EvaluationCliOptions &o, const std::string &modelPath)
{
    std::vector<std::int32_t> ids;
    if (!o.idsFile.empty()) {
        requireExists(o.idsFile);
        withPathContext(o.idsFile, [&] { ids = readTokenIds(o.idsFile); });
    } else {
        const std::string text = readTextFile(o.textFile);
        const auto tokenizer = loadTokenizerFor(modelPath);
        const bool special = o.protocol != "windows";
        withPathContext(modelPath, [&] { ids = tokenizer->encode(text, special); });
    }
    return ids;
}

PerplexityOptions evaluationOptions(const EvaluationCliOptions &o, const ModelConfig &config)
{
    PerplexityOptions options;
    options.maxChunks = o.chunks;
    options.protocol
        = o.protocol == "windows" ? PerplexityProtocol::Windows : PerplexityProtocol::LlamaCpp;
    const std::int64_t trained = config.maxPositions;
    options.ctx = o.ctx ? *o.ctx : (trained > 0 ? std::min<std::int64_t>(512, trained) : 512);
    if (trained > 0 && options.ctx > trained)
        printStatus("lathe-cli: warning: --ctx " + std::to_string(options.ctx)
            + " is longer than the model's context of " + std::to_string(trained)
            + " tokens; positions beyond it were never trained");
    return options;
}

} // namespace lathe::cli
