// SPDX-License-Identifier: GPL-3.0-or-later
// Block influence (ShortGPT): how much each decoder block changes the hidden state it is
// given, 1 - the mean over calibration tokens of cos(h_in, h_out). A block whose output
// points where its input did adds little and is the first candidate to drop.
#pragma once

#include "util/progress.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace lathe {

class Model;

// One value per decoder block, in [0, 2], on `sequences` (every token of every sequence
// counts once). Checks `cancel` before each sequence; progress per sequence. Throws
// InvalidArgument when the sequences hold no tokens.
std::vector<double> blockInfluence(const std::shared_ptr<const Model> &model,
    const std::vector<std::vector<std::int32_t>> &sequences, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

} // namespace lathe
