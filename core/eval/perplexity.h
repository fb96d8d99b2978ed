// SPDX-License-Identifier: GPL-3.0-or-later
// Perplexity of a model on a token sequence, with two windowing protocols: non-overlapping
// windows that score every prediction, and llama.cpp's llama-perplexity protocol (so numbers
// can be compared with llama.cpp's published ones).
#pragma once

#include "util/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

class Transformer;

enum class PerplexityProtocol {
    // Window k covers ids[k*ctx, k*ctx + ctx + 1): the model reads its first ctx ids from
    // position 0 and every next-token prediction in it is scored. A last short window counts
    // when it has at least 2 ids, so every id but the first is scored exactly once.
    Windows,
    // llama-perplexity: chunk i is ids[i*ctx, (i+1)*ctx) (a partial tail is dropped), its
    // first id replaced by the model's BOS (kept when the model has none), run from
    // position 0; only the second half is scored: the logits at positions ctx/2 .. ctx-2
    // against the ids at ctx/2+1 .. ctx-1 (ctx - 1 - ctx/2 predictions per chunk).
    LlamaCpp,
};

// "windows" / "llama.cpp".
std::string perplexityProtocolName(PerplexityProtocol protocol);

struct PerplexityOptions {
    std::int64_t ctx = 512;                                // window / chunk length in tokens
    PerplexityProtocol protocol = PerplexityProtocol::Windows; // how the text is windowed
    std::int64_t maxChunks = 0;                            // evaluate at most this many; 0 = all
};

struct PerplexityResult {
    double ppl = 0.0;                 // exp(meanNll); inf/NaN when the model's outputs are
                                      // not finite (a broken compressed variant)
    double meanNll = 0.0;             // mean negative log-likelihood per scored token (nats)
    std::int64_t scoredTokens = 0;    // predictions that entered the mean
    std::int64_t processedTokens = 0; // tokens run through the model
    std::int64_t chunks = 0;          // windows / chunks evaluated
    double seconds = 0.0;             // wall time of the evaluation
    double tokensPerSecond = 0.0;     // processedTokens / seconds
    std::vector<double> chunkNll;     // mean NLL of each window / chunk, in order
};

// Evaluates `ids` on `model`, one window at a time in a single batched forward pass from a
// fresh cache. Log-softmax in f32 (libtorch, max-subtracted), sums in double. Reports
// progress after each window (reaching 1.0) and checks `cancel` before each one (throws
// CancelledError). Throws InvalidArgument for ids outside the vocabulary, ctx too small
// (Windows: < 1; LlamaCpp: < 3) or too few ids for one window (Windows: < 2; LlamaCpp: < ctx).
PerplexityResult evaluatePerplexity(const Transformer &model, const std::vector<std::int32_t> &ids,
                                    const PerplexityOptions &options,
                                    const ProgressFn &progress = {},
                                    const CancelToken &cancel = {});

} // namespace lathe
