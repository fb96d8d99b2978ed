// SPDX-License-Identifier: GPL-3.0-or-later
// How a token sequence is cut into forward passes for evaluation (perplexity, comparison of
// two models): the one place that defines both protocols, so every evaluation of the same
// ids and options scores exactly the same predictions.
#pragma once

#include "eval/perplexity.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

// One forward pass: the model reads `input` from position 0 with a fresh cache; logits rows
// [firstRow, firstRow + targets.size()) are scored against `targets`.
struct EvalWindow {
    std::vector<std::int32_t> input;
    std::int64_t firstRow = 0;
    std::vector<std::int64_t> targets;
};

// Checks `options` and `ids` against a vocabulary of `vocab` tokens and returns how many
// windows will be evaluated (maxChunks applied). Throws InvalidArgument, the message starting
// with `what` ("perplexity", "compare"), for a negative maxChunks, ctx too small (Windows: < 1;
// LlamaCpp: < 3), ids outside the vocabulary, or too few ids for one window (Windows: < 2;
// LlamaCpp: < ctx). The protocols are described at PerplexityProtocol.
std::int64_t evalWindowCount(const std::vector<std::int32_t> &ids, std::int64_t vocab,
    const PerplexityOptions &options, const std::string &what);

// Window `index` (0 .. evalWindowCount()-1). `bos` replaces the first id of a llama.cpp chunk
// (-1: the model has none, the id is kept).
EvalWindow evalWindow(const std::vector<std::int32_t> &ids, const PerplexityOptions &options,
    std::int64_t index, std::int64_t bos);

} // namespace lathe
