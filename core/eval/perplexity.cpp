// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/perplexity.h"

#include "eval/evalwindows.h"
#include "model/kvcache.h"
#include "model/transformer.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>

namespace lathe {

std::string perplexityProtocolName(PerplexityProtocol protocol)
{
    return protocol == PerplexityProtocol::Windows ? "windows" : "llama.cpp";
}

PerplexityResult evaluatePerplexity(const Transformer &model, const std::vector<std::int32_t> &ids,
                                    const PerplexityOptions &options, const ProgressFn &progress,
                                    const CancelToken &cancel)
{
    const std::int64_t ctx = options.ctx;
    const std::int64_t windows =
        evalWindowCount(ids, model.config().vocabSize, options, "perplexity");

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
        const EvalWindow w = evalWindow(ids, options, k, bos);
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
