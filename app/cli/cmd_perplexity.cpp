// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli perplexity MODEL (--text FILE | --ids FILE) --ctx N`: perplexity over a text or
// a file of token ids, with Lathe's non-overlapping windows or llama.cpp's llama-perplexity
// protocol.
#include "clicommon.h"
#include "clieval.h"

#include "eval/perplexity.h"
#include "model/model.h"
#include "model/transformer.h"
#include "util/demomodel.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <memory>

namespace lathe::cli {

namespace {

struct PerplexityCliOptions {
    std::string model;
    EvaluationCliOptions eval;
};

void run(const PerplexityCliOptions &o, const GlobalOptions &globals)
{
    const std::string modelPath = resolveModelArgument(o.model);
    const std::vector<std::int32_t> ids = evaluationIds(o.eval, modelPath);
    requireExists(modelPath);

    std::shared_ptr<Model> model;
    withPathContext(modelPath, [&] {
        ProgressLine progress(globals, "loading");
        model = Model::load(modelPath, progress.callback(), cancelToken());
    });
    const PerplexityOptions options = evaluationOptions(o.eval, model->config());
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
        if (!o.eval.idsFile.empty())
            j["ids_file"] = o.eval.idsFile;
        else
            j["text_file"] = o.eval.textFile;
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
    cmd->footer(evaluationProtocolHelp() +
                "Example: lathe-cli perplexity models/tinystories-656k --text story.txt --ctx 128");
    cmd->add_option("MODEL", o->model,
                    "Hugging Face folder, .safetensors file with config.json beside it, .gguf, "
                    "or 'demo'")
        ->required();
    addEvaluationOptions(*cmd, o->eval, "the model's");
    addCommonOptions(*cmd, globals);

    return {cmd, [o, &globals] { run(*o, globals); }};
}

} // namespace lathe::cli
