// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/clipsearch.h"

#include "quant/codebook.h"
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <string>

namespace lathe {

namespace {

// One candidate grid for every group: codes, scales, zeros as packCodes takes them, and the
// dequantized values to measure.
struct Candidate {
    at::Tensor codes;  // [rows, groups, group] f32
    at::Tensor scales; // [rows, groups, 1]
    at::Tensor zeros;  // [rows, groups, 1] (integer formats)
    at::Tensor values; // [rows, groups, group]
};

// Round-to-nearest onto an integer grid whose range is `ratio` times round-to-nearest's: the
// formulas of rtnCodes with the range end(s) shrunk.
Candidate integerCandidate(const at::Tensor &w, const WeightFormat &format, double ratio)
{
    Candidate c;
    if (format.symmetric) {
        const double qmax = double((1 << (format.bits - 1)) - 1);
        const double mid = double(1 << (format.bits - 1));
        c.scales = w.abs().amax({ 2 }, true).mul_(ratio).div_(qmax);
        const at::Tensor safe = at::where(c.scales > 0, c.scales, at::ones_like(c.scales));
        c.codes = at::round(w / safe).clamp_(-qmax, qmax).add_(mid);
        c.zeros = at::full_like(c.scales, mid);
    } else {
        const double qmax = double((1 << format.bits) - 1);
        const at::Tensor lo = at::clamp_max(w.amin({ 2 }, true), 0.0).mul_(ratio);
        const at::Tensor hi = at::clamp_min(w.amax({ 2 }, true), 0.0).mul_(ratio);
        c.scales = (hi - lo) / qmax;
        const at::Tensor safe = at::where(c.scales > 0, c.scales, at::ones_like(c.scales));
        c.zeros = at::round(-lo / safe).clamp_(0.0, qmax);
        c.codes = at::round(w / safe).add_(c.zeros).clamp_(0.0, qmax);
    }
    c.values = (c.codes - c.zeros).mul_(c.scales);
    return c;
}

// Nearest codebook levels with the scale (absmax / grid end) times `ratio`.
Candidate codebookCandidate(
    const at::Tensor &w, const WeightFormat &format, const at::Tensor &levels, double ratio)
{
    Candidate c;
    const float top = codebookMax(format);
    c.scales = w.abs().amax({ 2 }, true).div_(top).mul_(ratio);
    const at::Tensor safe = at::where(c.scales != 0, c.scales, at::ones_like(c.scales));
    c.codes = nearestCodebookCodes((w / safe).clamp_(-top, top), format);
    c.values = levels.index_select(0, c.codes.reshape({ -1 })).view(w.sizes()).mul_(c.scales);
    return c;
}

// Per group: sum over its columns of importance * squared error, in f64.
at::Tensor groupErrors(const at::Tensor &w, const at::Tensor &values, const at::Tensor &importance)
{
    return (w - values).to(at::kDouble).square_().mul_(importance).sum(2);
}

double weightedError(const at::Tensor &w, const at::Tensor &q, const at::Tensor &importance)
{
    return (w - q).to(at::kDouble).square_().mul_(importance).sum().item<double>();
}

} // namespace

PackedMatrix packWeightClipSearch(
    const at::Tensor &weight, const WeightFormat &format, const ClipSearchOptions &options)
{
    // packWeight checks the weight and the format with the messages users know.
    PackedMatrix baseline = packWeight(weight, format);
    const std::int64_t rows = weight.size(0), cols = weight.size(1);
    if (!options.importance.empty() && std::int64_t(options.importance.size()) != cols)
        throw InvalidArgument("clip search: " + std::to_string(options.importance.size())
            + " importance values for a weight with " + std::to_string(cols)
            + " input channels (activation statistics of another model?)");
    if (options.steps < 0 || !(options.minRatio > 0.0 && options.minRatio <= 1.0))
        throw InvalidArgument("clip search: steps must be >= 0 and the smallest ratio in (0, 1]");
    if (options.steps == 0 || options.minRatio == 1.0)
        return baseline;
    c10::InferenceMode guard;

    const std::int64_t group = baseline.group;
    const std::int64_t groups = baseline.groupsPerRow;
    const std::int64_t pad = groups * group - cols;
    const at::Tensor w = at::constant_pad_nd(weight.contiguous(), { 0, pad }, 0.0)
                             .view({ rows, groups, group });
    // Padding columns weigh 0; without importance every real column weighs 1.
    at::Tensor importance = options.importance.empty()
        ? at::ones({ cols }, at::kDouble)
        : at::tensor(at::ArrayRef<double>(options.importance), at::kDouble);
    importance = at::constant_pad_nd(importance, { 0, pad }, 0.0).view({ 1, groups, group });

    const bool integer = format.scheme == WeightScheme::Integer;
    const at::Tensor levels = integer
        ? at::Tensor()
        : at::tensor(at::ArrayRef<float>(codebookValues(format)), at::kFloat);
    const auto candidate = [&](double ratio) {
        return integer ? integerCandidate(w, format, ratio)
                       : codebookCandidate(w, format, levels, ratio);
    };

    // Ratio 1 is round-to-nearest itself; a group moves to a smaller range only when that
    // strictly lowers its error.
    Candidate best = candidate(1.0);
    at::Tensor bestError = groupErrors(w, best.values, importance);
    for (int step = 1; step <= options.steps; ++step) {
        const double ratio
            = 1.0 - (1.0 - options.minRatio) * double(step) / double(options.steps);
        const Candidate c = candidate(ratio);
        const at::Tensor error = groupErrors(w, c.values, importance);
        const at::Tensor better = error < bestError;
        const at::Tensor better3 = better.unsqueeze(2);
        bestError = at::where(better, error, bestError);
        best.scales = at::where(better3, c.scales, best.scales);
        best.codes = at::where(better3, c.codes, best.codes);
        if (integer)
            best.zeros = at::where(better3, c.zeros, best.zeros);
    }

    PackedMatrix result = integer
        ? packCodes(format, rows, cols, best.codes, best.scales, best.zeros)
        : packCodebookWithScales(weight, format, best.scales);
    // NF4's double quantization moves the chosen scales afterwards, so the search's promise
    // (never worse than round-to-nearest) is checked on what is actually stored.
    const at::Tensor flatImportance = importance.reshape({ -1 }).slice(0, 0, cols);
    if (weightedError(weight, result.dequantize(), flatImportance)
        > weightedError(weight, baseline.dequantize(), flatImportance))
        return baseline;
    return result;
}

} // namespace lathe
