// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchspeed.h"

#include "clicommon.h"

#include "model/kvcache.h"
#include "model/transformer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace lathe::cli {

double SpeedResult::prefillTokensPerSecond() const
{
    return prefillSeconds > 0 ? double(promptTokens) / prefillSeconds : 0.0;
}

double SpeedResult::decodeTokensPerSecond() const
{
    return decodeSeconds > 0 ? double(decodeTokens) / decodeSeconds : 0.0;
}

SpeedResult measureSpeed(const Transformer &transformer, const std::vector<std::int32_t> &prompt,
    std::int64_t gen, ProgressLine &progress, const char *label)
{
    using Clock = std::chrono::steady_clock;
    at::InferenceMode guard;
    SpeedResult r;
    r.promptTokens = static_cast<std::int64_t>(prompt.size());
    r.decodeTokens = gen;

    progress.update(0.0, std::string(label) + ": warming up");
    const auto warmupStart = Clock::now();
    {
        KVCache warm = transformer.newCache(16);
        const std::vector<std::int32_t> few(
            prompt.begin(), prompt.begin() + std::min<std::size_t>(prompt.size(), 8));
        transformer.forward(few, warm);
        transformer.forwardLast({ few.back() }, warm);
    }
    r.warmupSeconds = secondsSince(warmupStart);

    KVCache cache = transformer.newCache(r.promptTokens + gen + 1);
    progress.update(0.0, std::string(label) + ": prefill of " + std::to_string(prompt.size())
            + " tokens");
    const auto prefillStart = Clock::now();
    at::Tensor logits = transformer.forwardLast(prompt, cache);
    r.prefillSeconds = secondsSince(prefillStart);
    cancelToken().throwIfCancelled();

    std::int32_t next = static_cast<std::int32_t>(logits.argmax().item<std::int64_t>());
    for (std::int64_t i = 0; i < gen; ++i) {
        progress.update(double(i) / double(gen), std::string(label) + ": decode");
        cancelToken().throwIfCancelled();
        const auto start = Clock::now();
        logits = transformer.forwardLast({ next }, cache);
        next = static_cast<std::int32_t>(logits.argmax().item<std::int64_t>());
        r.decodeSeconds += secondsSince(start);
    }
    return r;
}

} // namespace lathe::cli
