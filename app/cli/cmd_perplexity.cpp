// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli perplexity MODEL (--text FILE | --ids FILE) --ctx N`: perplexity over a text or
// a file of token ids, with Lathe's non-overlapping windows or llama.cpp's llama-perplexity
// protocol.
#include "clicommon.h"
#include "clitext.h"

#include "eval/perplexity.h"
#include "eval/tokenfile.h"
#include "model/model.h"
#include "model/transformer.h"
#include "text/tokenizer.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

namespace lathe::cli {

namespace {

struct PerplexityCliOptions {
    std::string model;
    std::string idsFile;
    std::string textFile;
    std::optional<std::int64_t> ctx; // default: 512, or the model's context if shorter
    std::string protocol = "windows";
    std::int64_t chunks = 0;
};

void run(const PerplexityCliOptions &o, const GlobalOptions &globals)
{
    PerplexityOptions options;
    options.maxChunks = o.chunks;
    options.protocol = o.protocol == "windows" ? PerplexityProtocol::Windows
                                               : PerplexityProtocol::LlamaCpp;

    const std::string modelPath = resolveModelArgument(o.model);
    std::vector<std::int32_t> ids;
    if (!o.idsFile.empty()) {
        requireExists(o.idsFile);
        withPathContext(o.idsFile, [&] { ids = readTokenIds(o.idsFile); });
    } else {
        const std::string text = readTextFile(o.textFile);
        const auto tokenizer = loadTokenizerFor(modelPath);
        // llama-perplexity tokenizes with the tokenizer's special tokens (BOS first), and its
        // chunks start at that BOS; the windows protocol scores the bare text, as the
        // reference ids of the shared data were made (add_special_tokens=False).
        const bool special = options.protocol == PerplexityProtocol::LlamaCpp;
        withPathContext(modelPath, [&] { ids = tokenizer->encode(text, special); });
    }
    requireExists(modelPath);

    std::shared_ptr<Model> model;
    withPathContext(modelPath, [&] {
        ProgressLine progress(globals, "loading");
        model = Model::load(modelPath, progress.callback(), cancelToken());
    });
    const std::int64_t trained = model->config().maxPositions;
    options.ctx = o.ctx ? *o.ctx : (trained > 0 ? std::min<std::int64_t>(512, trained) : 512);
    if (trained > 0 && options.ctx > trained)
        printStatus("lathe-cli: warning: --ctx " + std::to_string(options.ctx)
                    + " is longer than the model's context of " + std::to_string(trained)
                    + " tokens; positions beyond it were never trained");
    const Transformer transformer(model);

    PerplexityResult r;
    {
        ProgressLine progress(globals, "perplexity");
        r = evaluatePerplexity(transformer, ids, options, progress.callback(), cancelToken());
    }

    const std::string protocol = perplexityProtocolName(options.protocol);
    if (globals.json) {
        Json j;
        j["ppl"] = r.ppl;
        j["mean_nll"] = r.meanNll;
        j["tokens"] = r.scoredTokens;
        j["processed_tokens"] = r.processedTokens;
        j["chunks"] = r.chunks;
        j["seconds"] = r.seconds;
        j["tokens_per_s"] = r.tokensPerSecond;
        j["protocol"] = protocol;
        j["ctx"] = options.ctx;
        j["chunk_nll"] = r.chunkNll;
        j["model"] = modelPath;
        if (!o.idsFile.empty())
            j["ids_file"] = o.idsFile;
        else
            j["text_file"] = o.textFile;
        printJson(j);
    } else {
        printLine("perplexity " + formatFixed(r.ppl, 4) + " (mean NLL " + formatFixed(r.meanNll, 4)
                  + " nats) over " + std::to_string(r.scoredTokens) + " scored tokens");
        printLine(std::to_string(r.chunks) + " chunks of " + std::to_string(options.ctx)
                  + " tokens, " + protocol + " protocol; " + formatFixed(r.seconds, 2) + " s, "
                  + formatFixed(r.tokensPerSecond, 1) + " tokens/s");
    }
}

} // namespace

Command addPerplexityCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<PerplexityCliOptions>();
    CLI::App *cmd =
        parent.add_subcommand("perplexity", "Perplexity of a model on a text or token-id file");
    cmd->footer("Protocols:\n"
                "  windows   non-overlapping windows of --ctx tokens, each run from position 0;\n"
                "            every next-token prediction is scored\n"
                "  llamacpp  llama.cpp's llama-perplexity: chunks of --ctx tokens, first id\n"
                "            replaced by BOS, only the second half scored (compare with\n"
                "            llama.cpp's published numbers)\n"
                "Example: lathe-cli perplexity models/tinystories-656k --text story.txt --ctx 128");
    cmd->add_option("MODEL", o->model,
                    "Hugging Face folder, .safetensors file with config.json beside it, .gguf, "
                    "or 'demo'")
        ->required();
    // Exactly one of the two: a usage error otherwise.
    CLI::Option_group *source = cmd->add_option_group("Input", "The text to score");
    source->add_option("--ids", o->idsFile,
                       "File of token ids separated by spaces, commas or newlines");
    source->add_option("--text", o->textFile,
                       "Text file, encoded with the model's tokenizer (llamacpp protocol: with "
                       "its special tokens, BOS first, as llama-perplexity does)");
    source->require_option(1);
    cmd->add_option("--ctx", o->ctx,
                    "Window / chunk length in tokens (default: 512, or the model's context "
                    "length if shorter)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--protocol", o->protocol,
                    "windows (default) or llamacpp (also accepted: llama.cpp)")
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
    cmd->add_option("--chunks", o->chunks, "Evaluate at most this many windows / chunks; 0 = all")
        ->check(CLI::NonNegativeNumber)
        ->default_val(0);
    addCommonOptions(*cmd, globals);

    return {cmd, [o, &globals] { run(*o, globals); }};
}

} // namespace lathe::cli
