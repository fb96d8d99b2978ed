// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/rtn.h"

#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <string>

namespace lathe {

namespace {

void checkFormat(const WeightFormat &format)
{
    if (format.scheme != WeightScheme::Integer)
        throw InvalidArgument("round-to-nearest integer quantization cannot produce "
            + format.name() + " (a codebook format)");
    if (format.bits < 2 || format.bits > 8)
        throw InvalidArgument("round-to-nearest quantization: " + std::to_string(format.bits)
            + " bits is outside the supported 2..8");
    if (format.groupSize < 0)
        throw InvalidArgument("round-to-nearest quantization: group size "
            + std::to_string(format.groupSize) + " is negative (0 means one scale per row)");
}

void checkWeight(const at::Tensor &weight)
{
    if (!weight.defined() || weight.dim() != 2 || weight.scalar_type() != at::kFloat)
        throw InvalidArgument("round-to-nearest quantization needs a 2-D f32 weight matrix, got "
            + (weight.defined() ? std::to_string(weight.dim()) + "-D "
                        + std::string(c10::toString(weight.scalar_type()))
                                : std::string("no tensor")));
}

} // namespace

RtnCodes rtnCodes(const at::Tensor &weight, const WeightFormat &format)
{
    checkFormat(format);
    checkWeight(weight);
    c10::InferenceMode guard;
    const std::int64_t rows = weight.size(0);
    const std::int64_t cols = weight.size(1);
    if (rows == 0 || cols == 0)
        throw InvalidArgument("round-to-nearest quantization: the weight matrix is empty");

    // Groups of `group` columns; a ragged last group is padded with zeros, which changes
    // neither the absmax nor the zero-including [min, max] range below, so the padding never
    // moves a scale, and the zeros get the zero code.
    RtnCodes out;
    out.group = format.groupSize == 0 ? cols : std::min<std::int64_t>(format.groupSize, cols);
    const std::int64_t groups = (cols + out.group - 1) / out.group;
    const std::int64_t pad = groups * out.group - cols;
    at::Tensor w = weight.contiguous();
    if (pad > 0)
        w = at::constant_pad_nd(w, { 0, pad }, 0.0);
    w = w.view({ rows, groups, out.group });

    if (format.symmetric) {
        const double qmax = double((1 << (format.bits - 1)) - 1);
        out.scales = w.abs().amax({ 2 }, true) / qmax; // [rows, groups, 1]
        // An all-zero group has scale 0: divide by 1 instead, its codes are 0 anyway.
        const at::Tensor safe = at::where(out.scales > 0, out.scales, at::ones_like(out.scales));
        const double mid = double(1 << (format.bits - 1));
        out.codes = at::round(w / safe).clamp_(-qmax, qmax).add_(mid);
        out.zeros = at::full_like(out.scales, mid);
    } else {
        // The range always includes 0 so that the zero point is an integer code in
        // [0, 2^bits - 1] (storable in `bits` bits) and 0 itself is exact.
        const double qmax = double((1 << format.bits) - 1);
        const at::Tensor lo = at::clamp_max(w.amin({ 2 }, true), 0.0);
        const at::Tensor hi = at::clamp_min(w.amax({ 2 }, true), 0.0);
        out.scales = (hi - lo) / qmax;
        const at::Tensor safe = at::where(out.scales > 0, out.scales, at::ones_like(out.scales));
        out.zeros = at::round(-lo / safe).clamp_(0.0, qmax);
        out.codes = at::round(w / safe).add_(out.zeros).clamp_(0.0, qmax);
    }
    return out;
}

at::Tensor fakeQuantizeRtn(const at::Tensor &weight, const WeightFormat &format)
{
    checkFormat(format);
    checkWeight(weight);
    const std::int64_t rows = weight.size(0);
    const std::int64_t cols = weight.size(1);
    if (rows == 0 || cols == 0)
        return weight.clone();
    c10::InferenceMode guard;
    const RtnCodes q = rtnCodes(weight, format);
    // (u - zero) is an exact small integer, so this equals code * scale of the signed form.
    at::Tensor result = (q.codes - q.zeros).mul_(q.scales).view({ rows, -1 });
    if (result.size(1) != cols)
        result = result.slice(1, 0, cols).contiguous();
    return result;
}

double importanceWeightedError(
    const at::Tensor &weight, const WeightFormat &format, const std::vector<double> &importance)
{
    // fakeQuantize checks the format (integer or codebook) with its usual messages.
    fakeQuantize(at::zeros({ 1, 1 }), format);
    checkWeight(weight);
    const std::int64_t rows = weight.size(0);
    const std::int64_t cols = weight.size(1);
    if (static_cast<std::int64_t>(importance.size()) != cols)
        throw InvalidArgument("importance-weighted error: " + std::to_string(importance.size())
            + " importance values for a weight with " + std::to_string(cols)
            + " input channels (activation statistics of another model?)");
    if (rows == 0 || cols == 0)
        return 0.0;
    c10::InferenceMode guard;
    const at::Tensor diff = weight - fakeQuantize(weight, format);
    // Column sums of squares (ATen's cascade summation keeps f32 accurate), then the weighted
    // sum over columns in double.
    const at::Tensor colSquares = diff.square().sum(0).to(at::kDouble).contiguous();
    const at::Tensor imp = at::tensor(at::ArrayRef<double>(importance), at::kDouble);
    return (colSquares * imp).sum().item<double>() / double(rows);
}

} // namespace lathe
