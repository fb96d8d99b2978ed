// SPDX-License-Identifier: GPL-3.0-or-later
// Text generation on a Transformer: prefill the prompt, then decode token by token through
// the sampler chain, streaming each token to a callback.
#pragma once

#include "generate/sampler.h"
#include "util/progress.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lathe {

class KVCache;
class Transformer;

struct GenerateOptions {
    SamplerSettings sampler;          // how each token is picked (greedy when temperature <= 0)
    int maxTokens = 128;              // most tokens to generate; 0 = only prefill the prompt
    std::vector<std::int32_t> stopIds; // extra ids that end generation (e.g. "<|im_end|>")
    bool stopAtEos = true;            // stop at any of the model config's eosTokenIds
};

struct GenerateResult {
    enum class StopReason {
        Eos,        // the model produced an end-of-sequence id (it is the last of `ids`)
        StopId,     // the model produced one of options.stopIds (it is the last of `ids`)
        MaxTokens,  // options.maxTokens were generated
        Cancelled,  // the CancelToken was set; `ids` holds what was generated until then
        ContextFull, // the cache has no room for another token
        Callback,   // onToken returned false
    };

    std::vector<std::int32_t> ids;  // generated ids only (not the prompt)
    StopReason stopReason = StopReason::MaxTokens;
    double prefillSeconds = 0.0;          // running the prompt
    double decodeSeconds = 0.0;           // running the generated tokens after the first
    double timeToFirstTokenSeconds = 0.0; // start of the call until the first token is known
    double decodeTokensPerSecond = 0.0;   // decode forward passes per second (0 if none)
    int promptTokens = 0;
};

using StopReason = GenerateResult::StopReason;

// "eos", "stop-id", "max-tokens", "cancelled", "context-full", "callback".
std::string stopReasonName(StopReason reason);

// Runs `prompt` at the positions after what `cache` already holds (so a chat can continue
// a previous turn), then generates. Every generated id goes into result.ids and, in the same
// order, to `onToken` (return false to stop), including a final EOS or stop id: callers that
// display text skip those themselves. `cancel` is checked between tokens; a cancelled run
// returns what it generated with StopReason::Cancelled (no exception).
// On return the cache holds the prompt and every generated id except the last one, which was
// sampled but not yet run: to continue, put result.ids.back() first in the next prompt.
// Throws InvalidArgument for an empty prompt, ids outside the vocabulary, a negative
// maxTokens or a prompt that does not fit in the cache.
GenerateResult generate(const Transformer &model, KVCache &cache,
                        const std::vector<std::int32_t> &prompt, const GenerateOptions &options,
                        const std::function<bool(std::int32_t token)> &onToken = {},
                        const CancelToken &cancel = {});

} // namespace lathe
