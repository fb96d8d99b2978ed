// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/perplexity.h"

#include "model/kvcache.h"
#include "model/transformer.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace lathe {

namespace {

// One forward pass: the model reads `input` from position 0; logits rows
// [firstRow, firstRow + targets.size()) are scored against `targets`.
struct Window {
    std::vector<std::int32_t> input;
    std::int64_t firstRow = 0;
    std::vector<std::int64_t> targets;
};

Window makeWindow(const std::vector<std::int32_t> &ids, const PerplexityOptions &options,
                  std::int64_t index, std::int64_t bos)
{
    const std::int64_t ctx = options.ctx;
    const std::int64_t n = static_cast<std::int64_t>(ids.size());
    const std::int64_t begin = index * ctx;
    Window w;
    if (options.protocol == PerplexityProtocol::Windows) {
        const std::int64_t len = std::min(ctx + 1, n - begin); // ids in the window, >= 2
        w.input.assign(ids.begin() + begin, ids.begin() + begin + len - 1);
        w.firstRow = 0;
        w.targets.assign(ids.begin() + begin + 1, ids.begin() + begin + len);
    } else {
        w.input.assign(ids.begin() + begin, ids.begin() + begin + ctx);
        if (bos >= 0)
            w.input[0] = static_cast<std::int32_t>(bos);
        const std::int64_t first = ctx / 2;
        w.firstRow = first;
        // Targets come from the original ids; position 0 (replaced by BOS) is never one.
        w.targets.assign(ids.begin() + begin + first + 1, ids.begin() + begin + ctx);
    }
    return w;
}

} // namespace

std::string perplexityProtocolName(PerplexityProtocol protocol)
{
    return protocol == PerplexityProtocol::Windows ? "windows" : "llama.cpp";
}

PerplexityResult evaluatePerplexity(const Transformer &model, const std::vector<std::int32_t> &ids,
                                    const PerplexityOptions &options, const ProgressFn &progress,
                                    const CancelToken &cancel)
{
    const std::int64_t ctx = options.ctx;
    const std::int64_t n = static_cast<std::int64_t>(ids.size());
    const std::int64_t vocab = model.config().vocabSize;
    const bool llamaCpp = options.protocol == PerplexityProtocol::LlamaCpp;
    if (options.maxChunks < 0)
        throw InvalidArgument("perplexity: maxChunks must not be negative");
    if (ctx < (llamaCpp ? 3 : 1))
        throw InvalidArgument("perplexity: context of " + std::to_string(ctx) +
                              " tokens is too small for the " +
                              perplexityProtocolName(options.protocol) + " protocol (minimum " +
                              (llamaCpp ? "3" : "1") + ")");
    for (std::int64_t i = 0; i < n; ++i)
        if (ids[static_cast<std::size_t>(i)] < 0 || ids[static_cast<std::size_t>(i)] >= vocab)
            throw InvalidArgument("perplexity: token " + std::to_string(i) + " has id " +
                                  std::to_string(ids[static_cast<std::size_t>(i)]) +
                                  ", outside the model's vocabulary of " +
                                  std::to_string(vocab));

    std::int64_t windows = 0;
    if (llamaCpp) {
        windows = n / ctx;
        if (windows == 0)
            throw InvalidArgument("perplexity: " + std::to_string(n) +
                                  " tokens are fewer than one chunk of " + std::to_string(ctx) +
                                  " (the llama.cpp protocol drops partial chunks)");
    } else {
        if (n < 2)
            throw InvalidArgument("perplexity: at least 2 tokens are needed, got " +
                                  std::to_string(n));
        windows = (n - 2) / ctx + 1; // window k needs k*ctx + 1 < n
    }
    if (options.maxChunks > 0)
        windows = std::min(windows, options.maxChunks);

    const std::int64_t bos = model.config().bosTokenId();
    const auto start = std::chrono::steady_clock::now();
    c10::InferenceMode inferenceMode;
    KVCache cache = model.newCache(ctx);

    PerplexityResult result;
    result.chunkNll.reserve(static_cast<std::size_t>(windows));
    double totalNll = 0.0;
    const std::string total = std::to_string(windows);
    reportProgress(progress, 0.0, "perplexity: window 0/" + total);
    for (std::int64_t k = 0; k < windows; ++k) {
        cancel.throwIfCancelled();
        const Window w = makeWindow(ids, options, k, bos);
        cache.clear();
        const at::Tensor logits = model.forward(w.input, cache); // [input, vocab]
        const auto count = static_cast<std::int64_t>(w.targets.size());
        const at::Tensor rows = logits.slice(0, w.firstRow, w.firstRow + count).to(at::kFloat);
        const at::Tensor logProbs = at::log_softmax(rows, -1); // [count, vocab]
        const at::Tensor targets =
            at::tensor(at::ArrayRef<std::int64_t>(w.targets), at::kLong).unsqueeze(1);
        const at::Tensor picked = logProbs.gather(1, targets).to(at::kDouble); // [count, 1]
        const double nll = -picked.sum().item<double>();
        totalNll += nll;
        result.scoredTokens += count;
        result.processedTokens += static_cast<std::int64_t>(w.input.size());
        result.chunkNll.push_back(nll / static_cast<double>(count));
        ++result.chunks;
        reportProgress(progress, static_cast<double>(k + 1) / static_cast<double>(windows),
                       "perplexity: window " + std::to_string(k + 1) + "/" + total);
    }

    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.meanNll = totalNll / static_cast<double>(result.scoredTokens);
    result.ppl = std::exp(result.meanNll);
    if (result.seconds > 0.0)
        result.tokensPerSecond = static_cast<double>(result.processedTokens) / result.seconds;
    return result;
}

} // namespace lathe
