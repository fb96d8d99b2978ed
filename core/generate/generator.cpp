// SPDX-License-Identifier: GPL-3.0-or-later
#include "generate/generator.h"

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

// The logits row as contiguous f32, whatever the engine handed back.
at::Tensor asF32Row(const at::Tensor &logits)
{
    at::Tensor row = logits.dim() == 2 ? logits[-1] : logits;
    return row.to(at::kFloat).contiguous();
}

} // namespace

std::string stopReasonName(StopReason reason)
{
    switch (reason) {
    case StopReason::Eos:
        return "eos";
    case StopReason::StopId:
        return "stop-id";
    case StopReason::MaxTokens:
        return "max-tokens";
    case StopReason::Cancelled:
        return "cancelled";
    case StopReason::ContextFull:
        return "context-full";
    case StopReason::Callback:
        return "callback";
    }
    return "unknown";
}

GenerateResult generate(const Transformer &model, KVCache &cache,
                        const std::vector<std::int32_t> &prompt, const GenerateOptions &options,
                        const std::function<bool(std::int32_t token)> &onToken,
                        const CancelToken &cancel)
{
    const std::int64_t vocab = model.config().vocabSize;
    if (prompt.empty())
        throw InvalidArgument("generate: the prompt is empty (it needs at least one token)");
    for (std::size_t i = 0; i < prompt.size(); ++i)
        if (prompt[i] < 0 || prompt[i] >= vocab)
            throw InvalidArgument("generate: prompt token " + std::to_string(i) + " has id " +
                                  std::to_string(prompt[i]) + ", outside the vocabulary of " +
                                  std::to_string(vocab));
    if (options.maxTokens < 0)
        throw InvalidArgument("generate: maxTokens must not be negative");
    const auto promptSize = static_cast<std::int64_t>(prompt.size());
    if (cache.length() + promptSize > cache.capacity())
        throw InvalidArgument("generate: the prompt of " + std::to_string(promptSize) +
                              " tokens does not fit: the context holds " +
                              std::to_string(cache.length()) + " of " +
                              std::to_string(cache.capacity()) + " tokens");

    Sampler sampler(options.sampler); // validates the settings before any work
    std::vector<std::int32_t> stopIds = options.stopIds;
    std::vector<std::int32_t> eosIds;
    if (options.stopAtEos)
        for (std::int64_t id : model.config().eosTokenIds)
            eosIds.push_back(static_cast<std::int32_t>(id));
    auto contains = [](const std::vector<std::int32_t> &v, std::int32_t id) {
        return std::find(v.begin(), v.end(), id) != v.end();
    };

    GenerateResult result;
    result.promptTokens = static_cast<int>(prompt.size());
    if (cancel.isCancelled()) {
        result.stopReason = StopReason::Cancelled;
        return result;
    }

    c10::InferenceMode inferenceMode;
    const auto start = Clock::now();
    at::Tensor logits = asF32Row(model.forwardLast(prompt, cache));
    result.prefillSeconds = secondsSince(start);

    // The repetition penalty sees the prompt and what was generated, as in HF and llama.cpp.
    std::vector<std::int32_t> history = prompt;
    if (options.maxTokens == 0) {
        result.stopReason = StopReason::MaxTokens;
        return result;
    }

    Clock::time_point decodeStart;
    int decodeSteps = 0;
    for (;;) {
        const std::int32_t token = sampler.sample(logits.data_ptr<float>(), logits.numel(),
                                                  history);
        if (result.ids.empty()) {
            result.timeToFirstTokenSeconds = secondsSince(start);
            decodeStart = Clock::now();
        }
        result.ids.push_back(token);
        history.push_back(token);
        const bool keepGoing = onToken ? onToken(token) : true;

        if (contains(eosIds, token)) {
            result.stopReason = StopReason::Eos;
            break;
        }
        if (contains(stopIds, token)) {
            result.stopReason = StopReason::StopId;
            break;
        }
        if (!keepGoing) {
            result.stopReason = StopReason::Callback;
            break;
        }
        if (static_cast<int>(result.ids.size()) >= options.maxTokens) {
            result.stopReason = StopReason::MaxTokens;
            break;
        }
        if (cancel.isCancelled()) {
            result.stopReason = StopReason::Cancelled;
            break;
        }
        if (cache.length() >= cache.capacity()) {
            result.stopReason = StopReason::ContextFull;
            break;
        }
        logits = asF32Row(model.forwardLast({token}, cache));
        ++decodeSteps;
    }

    result.decodeSeconds = secondsSince(decodeStart);
    if (decodeSteps > 0 && result.decodeSeconds > 0.0)
        result.decodeTokensPerSecond = decodeSteps / result.decodeSeconds;
    return result;
}

} // namespace lathe
