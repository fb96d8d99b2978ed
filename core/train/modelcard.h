// SPDX-License-Identifier: GPL-3.0-or-later
// The README.md model card and training.json of a trained model: how it was made (corpus,
// tokenizer, architecture, steps, time, threads), how good it is (validation perplexity,
// arithmetic accuracy, greedy samples) and the command that regenerates it.
#pragma once

#include "io/modelconfig.h"

#include <string>

namespace lathe {

struct TrainConfig;
struct TrainRunReport;

std::string modelCard(const TrainConfig &config, const TrainRunReport &report,
    const ModelConfig &model, const std::string &command);
std::string trainingSummaryJson(
    const TrainConfig &config, const TrainRunReport &report, const std::string &command);

} // namespace lathe
