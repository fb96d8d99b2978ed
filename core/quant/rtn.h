// SPDX-License-Identifier: GPL-3.0-or-later
// Round-to-nearest weight quantization (simulated: quantize, then dequantize back to f32), per
// output channel or per group of input columns, symmetric or asymmetric, for any row length
// (the last group of a row may be shorter). The format sensitivity analysis probes with; the
// quantization issue brings packed storage and the other quantizers.
#pragma once

#include "quant/weightformat.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace lathe {

struct PackedMatrix;

// The integer side of round-to-nearest: unsigned codes u [rows, groups, group] (f32 holding
// integers in [0, 2^bits - 1]; a ragged last group is padded with the zero code), scales and
// zero points [rows, groups, 1]; the weight is scale * (u - zero). Symmetric formats use the
// zero 2^(bits-1). Same checks as fakeQuantizeRtn; rows and cols must be non-zero.
struct RtnCodes {
    at::Tensor codes;
    at::Tensor scales;
    at::Tensor zeros;
    std::int64_t group = 0; // columns per group (cols for per-channel)
};
RtnCodes rtnCodes(const at::Tensor &weight, const WeightFormat &format);

// Throws InvalidArgument for bits outside 2..8, a negative group size or a weight that is not
// 2-D f32. Symmetric: scale = absmax / (2^(bits-1) - 1), codes in [-(2^(bits-1)-1), 2^(bits-1)-1];
// asymmetric: scale = (max - min) / (2^bits - 1), integer zero point, codes in [0, 2^bits-1].
at::Tensor fakeQuantizeRtn(const at::Tensor &weight, const WeightFormat &format);

// sum_ij importance_j * (W_ij - Q(W)_ij)^2 / rows: the expected squared output error per
// output channel when input channel j has mean square importance_j (diagonal approximation of
// the calibration Hessian). importance.size() must equal the column count (InvalidArgument).
double importanceWeightedError(
    const at::Tensor &weight, const WeightFormat &format, const std::vector<double> &importance);

// Round-to-nearest in any format, packed: integer formats through rtnCodes, NF4 and FP8 onto
// their codebook (quant/codebook.h).
PackedMatrix packWeight(const at::Tensor &weight, const WeightFormat &format);
// packWeight(weight, format).dequantize(): the simulated weight in any format.
at::Tensor fakeQuantize(const at::Tensor &weight, const WeightFormat &format);

} // namespace lathe
