// SPDX-License-Identifier: GPL-3.0-or-later
// Prefill and decode timing of one Transformer for `lathe-cli bench`, shared by the original
// model and its packed variants so every figure of a run is measured the same way.
#pragma once

#include <cstdint>
#include <vector>

namespace lathe {
class Transformer;
}

namespace lathe::cli {

class ProgressLine;

struct SpeedResult {
    double warmupSeconds = 0.0;  // first passes: page faults, scratch buffers, thread pools
    double prefillSeconds = 0.0; // the whole prompt in one forward pass
    double decodeSeconds = 0.0;  // sum over the greedy steps after it
    std::int64_t promptTokens = 0;
    std::int64_t decodeTokens = 0;
    double prefillTokensPerSecond() const;
    double decodeTokensPerSecond() const;
};

// Warms up, prefills `prompt`, then decodes `gen` tokens greedily one at a time. Checks the
// CLI's cancel token between steps.
SpeedResult measureSpeed(const Transformer &transformer, const std::vector<std::int32_t> &prompt,
    std::int64_t gen, ProgressLine &progress, const char *label);

} // namespace lathe::cli
