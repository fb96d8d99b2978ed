// SPDX-License-Identifier: GPL-3.0-or-later
// The codebook formats: NF4 (QLoRA's 16 normal-float levels, each group scaled by its absmax,
// optional double quantization of the scales) and FP8 E4M3 (the 8-bit float grid, max 448,
// simulated in f32). Round-to-nearest onto those grids, producing a PackedMatrix with a
// codebook.
#pragma once

#include "quant/packedmatrix.h"
#include "quant/weightformat.h"

#include <ATen/Tensor.h>

#include <vector>

namespace lathe {

// The value of every code, indexed by code: NF4's 16 levels in [-1, 1] (code 7 is exactly 0),
// or the 256 E4M3 values (the two NaN codes decode to 0). Throws InvalidArgument for an integer
// format.
const std::vector<float> &codebookValues(const WeightFormat &format);

// Round-to-nearest onto the codebook, per group: NF4 scale = absmax (then the codes of
// w / absmax), FP8 scale = absmax / 448. A value halfway between two levels takes the lower.
// With doubleQuant the scales are then quantized themselves (PackedMatrix::scaleCodes: minus
// their mean, int8 per block of 256 with an f32 absmax scale) and the codes are chosen against
// the decoded scales. Any row length (ragged last group). Throws InvalidArgument for an
// integer format or a weight that is not 2-D f32.
PackedMatrix packCodebook(const at::Tensor &weight, const WeightFormat &format);

// packCodebook with the scales chosen by the caller (clip search shrinks them): `scales`
// [rows, groups] or [rows, groups, 1] (groups as packCodebook forms them), double-quantized
// first when the format asks for it. Values beyond scale * the grid's end round onto the end.
PackedMatrix packCodebookWithScales(
    const at::Tensor &weight, const WeightFormat &format, const at::Tensor &scales);

// The codes of the levels nearest to `normalised` (values already divided by their scale and
// clamped to the grid's range), int64 of the same shape; halfway takes the lower level.
at::Tensor nearestCodebookCodes(const at::Tensor &normalised, const WeightFormat &format);

// The largest magnitude on the grid: 1 for NF4, 448 for E4M3.
float codebookMax(const WeightFormat &format);

} // namespace lathe
