// SPDX-License-Identifier: GPL-3.0-or-later
// Options and input shared by the lathe-cli commands that evaluate a model on a text
// (`perplexity`, `compare`): --ids / --text, --ctx, --protocol and --chunks, the token ids
// they give, and the context length actually used.
#pragma once

#include "clicommon.h"

#include "eval/perplexity.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace lathe {
struct ModelConfig;
}

namespace lathe::cli {

struct EvaluationCliOptions {
    std::string idsFile;
    std::string textFile;
    std::optional<std::int64_t> ctx; // default: 512, or the model's context if shorter
    std::string protocol = "windows"; // "windows" or "llamacpp" (normalized by the parser)
    std::int64_t chunks = 0;
};

// Adds the options. `tokenizerOwner` says whose tokenizer encodes --text in its help
// ("the model's", "BASE's").
void addEvaluationOptions(
    CLI::App &command, EvaluationCliOptions &options, const std::string &tokenizerOwner);

// The footer lines describing the two protocols.
std::string evaluationProtocolHelp();

// The ids to evaluate: --ids read as they are, or --text encoded with the tokenizer of
// `modelPath` (llama.cpp protocol: with its special tokens, BOS first, as llama-perplexity
// does; windows: the bare text, as the reference ids of the shared data were made).
std::vector<std::int32_t> evaluationIds(
    const EvaluationCliOptions &options, const std::string &modelPath);

// The engine options for a model with `config`: --ctx, else 512 or the model's trained
// context when shorter. Warns on stderr when --ctx exceeds the trained context.
PerplexityOptions evaluationOptions(const EvaluationCliOptions &options, const ModelConfig &config);

} // namespace lathe::cli
