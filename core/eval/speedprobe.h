// SPDX-License-Identifier: GPL-3.0-or-later
// A short speed measurement of one model: a warm-up, one prefill of a prompt, then greedy
// decode one token at a time, timed separately. Used by the GUI's evaluation of a variant so
// its tokens/s sit beside the quality numbers; `lathe-cli bench` has its own, longer runs.
#pragma once

#include "util/progress.h"

#include <cstdint>
#include <vector>

namespace lathe {

class Transformer;

struct SpeedProbe {
    double prefillSeconds = 0.0; // the whole prompt in one forward pass
    double decodeSeconds = 0.0;  // sum over the greedy steps after it
    std::int64_t promptTokens = 0;
    std::int64_t decodeTokens = 0;
    double prefillTokensPerSecond() const;
    double decodeTokensPerSecond() const;
};

// Warms up (first passes pay page faults and scratch allocations), prefills `prompt` and
// decodes `gen` tokens greedily. `prompt` plus `gen` must fit the model's context (the caller
// shortens the prompt). Checks `cancel` between steps (CancelledError).
SpeedProbe probeSpeed(const Transformer &transformer, const std::vector<std::int32_t> &prompt,
    std::int64_t gen, const CancelToken &cancel = {});

} // namespace lathe
