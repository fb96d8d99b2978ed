// SPDX-License-Identifier: GPL-3.0-or-later
// The GUI's entry points to model analysis in plain types (no libtorch, no Qt): weight
// statistics of one or every tensor, activation statistics and sensitivity on calibration
// text. Each call is synchronous; the GUI runs it in a worker job with progress and cancel.
#pragma once

#include "analysis/activationstats.h"
#include "analysis/sensitivity.h"
#include "analysis/weightstats.h"
#include "util/progress.h"

#include <string>
#include <vector>

namespace lathe {

class LoadedModel;

// Statistics of the stored tensor `name` (InvalidArgument when the model has none by that name).
WeightStats tensorWeightStats(const LoadedModel &model, const std::string &name,
    const WeightStatsOptions &options = {}, const CancelToken &cancel = {});

// Every floating-point or quantized tensor, in stored order.
std::vector<WeightStats> allWeightStats(const LoadedModel &model,
    const WeightStatsOptions &options = {}, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// Tokenizes `calibrationText` with the model's tokenizer into options.samples windows of
// options.ctx tokens and collects activation statistics. Throws Error when the model is not
// runnable (its reason), has no tokenizer, or the text is too short for one window.
ActivationStats modelActivationStats(const LoadedModel &model, const std::string &calibrationText,
    const ActivationStatsOptions &options = {}, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// Sensitivity on the same kind of windows (windows.samples x windows.ctx; outlierThreshold is
// unused). `activations` (optional) feeds the proxy.
SensitivityResult modelSensitivity(const LoadedModel &model, const std::string &calibrationText,
    const ActivationStatsOptions &windows, const SensitivityOptions &options,
    const ActivationStats *activations = nullptr, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

} // namespace lathe
