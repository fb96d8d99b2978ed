// SPDX-License-Identifier: GPL-3.0-or-later
// Everything `lathe-cli train` does, from a config to a finished Hugging Face folder: the
// text (generated corpus or a file), the tokenizer (trained or given), encoding and the
// train/validation split by document, training (resumable), export, an evaluation with the
// inference engine (validation perplexity, arithmetic accuracy, greedy samples) and the
// model card. Work happens in "<out>.partial"; the finished folder replaces <out> at the end.
#pragma once

#include "train/trainconfig.h"
#include "train/trainer.h"
#include "util/progress.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lathe {

struct TrainRunOptions {
    bool resume = false; // continue from "<out>.partial/checkpoint.safetensors"
    int threads = 0; // training threads; 0 = all cores
    std::string command; // the command line that regenerates the model (for the card)
    // Story prompts sampled greedily for the model card.
    std::vector<std::string> samplePrompts
        = { "Once upon a time", "One day,", "Long ago, in a little town," };
    int arithmeticProbes = 200;
};

struct TrainRunReport {
    TrainResult training;
    std::int64_t parameters = 0;
    std::size_t documents = 0;
    std::size_t corpusChars = 0;
    std::size_t trainTokens = 0;
    std::size_t valTokens = 0;
    double valPerplexity = 0.0; // engine, over the whole validation split
    double untrainedValPerplexity = 0.0; // same, freshly initialised weights
    int arithmeticCorrect = 0;
    int arithmeticTotal = 0;
    int untrainedArithmeticCorrect = 0;
    std::vector<std::pair<std::string, std::string>> samples; // prompt, continuation
    double totalSeconds = 0.0;
    std::string outDir;
};

// Checks `outDir` can be written (its parent exists; an existing folder must be a model
// folder or empty) without writing anything. Throws InvalidArgument / IoError.
void checkTrainOutput(const std::string &outDir, bool resume);

// Runs the whole pipeline. Throws lathe::Error (nothing is written before the config and the
// output folder checked out), CancelledError after leaving a resumable checkpoint.
TrainRunReport runTraining(const TrainConfig &config, const std::string &outDir,
    const TrainRunOptions &options, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// Documents of a text file: blocks separated by blank lines, trimmed.
std::vector<std::string> readDocuments(const std::string &path);

} // namespace lathe
