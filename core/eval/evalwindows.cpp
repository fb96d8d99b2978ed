// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/evalwindows.h"

#include "util/error.h"

#include <algorithm>

namespace lathe {

std::int64_t evalWindowCount(const std::vector<std::int32_t> &ids, std::int64_t vocab,
    const PerplexityOptions &options, const std::string &what)
{
    const std::int64_t ctx = options.ctx;
    const std::int64_t n = static_cast<std::int64_t>(ids.size());
    const bool llamaCpp = options.protocol == PerplexityProtocol::LlamaCpp;
    if (options.maxChunks < 0)
        throw InvalidArgument(what + ": maxChunks must not be negative");
    if (ctx < (llamaCpp ? 3 : 1))
        throw InvalidArgument(what + ": context of " + std::to_string(ctx)
            + " tokens is too small for the " + perplexityProtocolName(options.protocol)
            + " protocol (minimum " + (llamaCpp ? "3" : "1") + ")");
    for (std::int64_t i = 0; i < n; ++i)
        if (ids[static_cast<std::size_t>(i)] < 0 || ids[static_cast<std::size_t>(i)] >= vocab)
            throw InvalidArgument(what + ": token " + std::to_string(i) + " has id "
                + std::to_string(ids[static_cast<std::size_t>(i)])
                + ", outside the model's vocabulary of " + std::to_string(vocab));

    std::int64_t windows = 0;
    if (llamaCpp) {
        windows = n / ctx;
        if (windows == 0)
            throw InvalidArgument(what + ": " + std::to_string(n)
                + " tokens are fewer than one chunk of " + std::to_string(ctx)
                + " (the llama.cpp protocol drops partial chunks)");
    } else {
        if (n < 2)
            throw InvalidArgument(
                what + ": at least 2 tokens are needed, got " + std::to_string(n));
        windows = (n - 2) / ctx + 1; // window k needs k*ctx + 1 < n
    }
    if (options.maxChunks > 0)
        windows = std::min(windows, options.maxChunks);
    return windows;
}

EvalWindow evalWindow(const std::vector<std::int32_t> &ids, const PerplexityOptions &options,
    std::int64_t index, std::int64_t bos)
{
    const std::int64_t ctx = options.ctx;
    const std::int64_t n = static_cast<std::int64_t>(ids.size());
    const std::int64_t begin = index * ctx;
    EvalWindow w;
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

} // namespace lathe
