// SPDX-License-Identifier: GPL-3.0-or-later
// The learning-rate schedule: linear warmup to the peak, then cosine decay to a floor.
#pragma once

#include <cstdint>

namespace lathe {

struct LrSchedule {
    double peak = 1e-3;
    double floor = 1e-4;
    std::int64_t warmup = 0; // steps of linear warmup
    std::int64_t total = 1; // steps in the run

    // Learning rate of step `step` (0-based): peak * (step+1)/warmup during warmup (so the
    // first step is not wasted at zero), peak at step warmup, then
    // floor + (peak-floor) * (1 + cos(pi * progress)) / 2 with progress = (step-warmup) /
    // (total-1-warmup), reaching `floor` at the last step.
    double at(std::int64_t step) const;
};

} // namespace lathe
