// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/speedprobe.h"

#include "model/kvcache.h"
#include "model/transformer.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

namespace lathe {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::int32_t argmaxId(const at::Tensor &logits)
{
    return static_cast<std::int32_t>(logits.argmax().item<std::int64_t>());
}

} // namespace

double SpeedProbe::prefillTokensPerSecond() const
{
    return prefillSeconds > 0 ? double(promptTokens) / prefillSeconds : 0.0;
}

double SpeedProbe::decodeTokensPerSecond() const
{
    return decodeSeconds > 0 ? double(decodeTokens) / decodeSeconds : 0.0;
}

SpeedProbe probeSpeed(const Transformer &transformer, const std::vector<std::int32_t> &prompt,
    std::int64_t gen, const CancelToken &cancel)
{
    if (prompt.empty())
        throw InvalidArgument("speed probe: the prompt is empty");
    at::InferenceMode guard;
    SpeedProbe r;
    r.promptTokens = static_cast<std::int64_t>(prompt.size());
    r.decodeTokens = std::max<std::int64_t>(0, gen);

    {
        KVCache warm = transformer.newCache(16);
        const std::vector<std::int32_t> few(
            prompt.begin(), prompt.begin() + std::min<std::size_t>(prompt.size(), 8));
        transformer.forward(few, warm);
        transformer.forwardLast({ few.back() }, warm);
    }
    cancel.throwIfCancelled();

    KVCache cache = transformer.newCache(r.promptTokens + r.decodeTokens + 1);
    const auto prefillStart = Clock::now();
    at::Tensor logits = transformer.forwardLast(prompt, cache);
    r.prefillSeconds = secondsSince(prefillStart);

    std::int32_t next = argmaxId(logits);
    for (std::int64_t i = 0; i < r.decodeTokens; ++i) {
        cancel.throwIfCancelled();
        const auto start = Clock::now();
        logits = transformer.forwardLast({ next }, cache);
        next = argmaxId(logits);
        r.decodeSeconds += secondsSince(start);
    }
    return r;
}

} // namespace lathe
