// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli train --config FILE --out DIR`: trains a small Llama from a YAML config (corpus,
// tokenizer, model shape, optimiser) and writes a Hugging Face folder with a model card.
#include "clicommon.h"

#include "train/trainconfig.h"
#include "train/trainpipeline.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <memory>

namespace lathe::cli {

namespace {

struct TrainCliOptions {
    std::string config;
    std::string out;
    bool resume = false;
};

std::string commandLine(const TrainCliOptions &o, const GlobalOptions &globals)
{
    std::string c = "lathe-cli train --config " + o.config + " --out " + o.out;
    if (globals.threads > 0)
        c += " --threads " + std::to_string(globals.threads);
    return c;
}

void run(const TrainCliOptions &o, const GlobalOptions &globals)
{
    requireExists(o.config);
    TrainConfig config;
    withPathContext(o.config, [&] { config = loadTrainConfig(o.config); });
    checkTrainOutput(o.out, o.resume);

    TrainRunOptions options;
    options.resume = o.resume;
    options.threads = globals.threads;
    options.command = commandLine(o, globals);
    TrainRunReport r;
    {
        ProgressLine progress(globals, "train");
        r = runTraining(config, o.out, options, progress.callback(), cancelToken());
    }

    const double accuracy
        = r.arithmeticTotal > 0 ? static_cast<double>(r.arithmeticCorrect) / r.arithmeticTotal : 0;
    if (globals.json) {
        Json j;
        j["out"] = r.outDir;
        j["parameters"] = r.parameters;
        j["documents"] = r.documents;
        j["train_tokens"] = r.trainTokens;
        j["val_tokens"] = r.valTokens;
        j["steps"] = r.training.steps;
        j["resumed_from"] = r.training.resumedFrom;
        j["training_seconds"] = r.training.seconds;
        j["tokens_per_s"] = r.training.tokensPerSecond;
        j["threads"] = r.training.threads;
        j["final_val_loss"] = r.training.finalValLoss;
        j["val_ppl"] = r.valPerplexity;
        j["untrained_val_ppl"] = r.untrainedValPerplexity;
        j["arithmetic_accuracy"] = accuracy;
        j["arithmetic_correct"] = r.arithmeticCorrect;
        j["arithmetic_total"] = r.arithmeticTotal;
        j["total_seconds"] = r.totalSeconds;
        printJson(j);
    } else {
        printLine("trained " + std::to_string(r.parameters) + " parameters for "
            + std::to_string(r.training.steps) + " steps in " + formatFixed(r.training.seconds, 1)
            + " s (" + formatFixed(r.training.tokensPerSecond, 0) + " tokens/s, "
            + std::to_string(r.training.threads) + " threads)");
        printLine("validation loss " + formatFixed(r.training.finalValLoss, 4) + ", perplexity "
            + formatFixed(r.valPerplexity, 3) + " (untrained "
            + formatFixed(r.untrainedValPerplexity, 1) + ")");
        printLine("arithmetic " + std::to_string(r.arithmeticCorrect) + "/"
            + std::to_string(r.arithmeticTotal) + " correct (" + formatFixed(100 * accuracy, 1)
            + "%)");
        printLine("wrote " + r.outDir);
    }
}

} // namespace

Command addTrainCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<TrainCliOptions>();
    CLI::App *cmd = parent.add_subcommand(
        "train", "Train a small Llama from a YAML config and write a Hugging Face folder");
    cmd->footer("The config (YAML or JSON) has the sections corpus (or data), tokenizer, model "
                "and train; see the README's Training section.\n"
                "Work happens in DIR.partial; Ctrl-C leaves a checkpoint there that --resume "
                "continues from.\n"
                "Example: lathe-cli train --config resources/demo/train-demo.yaml "
                "--out resources/demo-model");
    cmd->add_option("--config", o->config, "Training config (YAML or JSON)")->required();
    cmd->add_option("--out", o->out, "Folder the trained model is written to (replaced)")
        ->required();
    cmd->add_flag(
        "--resume", o->resume, "Continue from the checkpoint of an interrupted run (DIR.partial)");
    addCommonOptions(*cmd, globals);
    return Command { cmd, [o, &globals] { run(*o, globals); } };
}

} // namespace lathe::cli
