// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/lrschedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lathe {

double LrSchedule::at(std::int64_t step) const
{
    if (step < warmup)
        return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
    const std::int64_t span = total - 1 - warmup;
    if (span <= 0)
        return peak;
    const double progress
        = std::clamp(static_cast<double>(step - warmup) / static_cast<double>(span), 0.0, 1.0);
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

} // namespace lathe
