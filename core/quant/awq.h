// SPDX-License-Identifier: GPL-3.0-or-later
// AWQ (Lin et al. 2023) and SmoothQuant (Xiao et al. 2022): per-input-channel scales s that
// move difficulty between a layer's input and its weights. The weights become W diag(s) and
// the input x diag(1/s); the caller folds 1/s into whatever produces the input (the RMSNorm
// weight before q/k/v and gate/up, v_proj's rows before o_proj, up_proj's rows before
// down_proj), so the f32 model computes the same function before quantization.
#pragma once

#include "quant/weightformat.h"

#include <ATen/Tensor.h>

#include <vector>

namespace lathe {

struct AwqOptions {
    int gridPoints = 20;   // alpha in {0, 1/n, ..., (n-1)/n}: s = meanAbs(x)^alpha, normalised
    bool clipSearch = true; // then shrink each group's range where that lowers the output error
    int maxRows = 4096;     // calibration rows used in the search (evenly subsampled)
};

struct AwqResult {
    at::Tensor scales; // [in] f32, s (> 0); multiply weights' columns, divide the input
    double alpha = 0.0; // chosen exponent
    double errorBefore = 0.0; // mean squared output error of plain RTN on the sampled inputs
    double errorAfter = 0.0;  // ... with the chosen scales
};

// Searches s for the modules that read the same input `x` [rows, in] (q/k/v together,
// gate/up together, o alone, down alone): minimises sum over modules of
// || x W^T - (x / s) Q(W diag(s))^T ||^2 with Q round-to-nearest in `format` (any scheme).
// Throws InvalidArgument on shape mismatch.
AwqResult awqSearchScales(const std::vector<at::Tensor> &weights, const at::Tensor &x,
    const WeightFormat &format, const AwqOptions &options = {});

// AWQ's clipping search for one weight: per group, the largest-error-reducing shrink of the
// max |w| (ratios 1.0, 0.95, ... 0.5) measured on the output x W^T; returns the clipped f32
// weight to quantize with RTN in `format` (clipped values round onto the grid's ends).
at::Tensor awqClipWeight(const at::Tensor &weight, const at::Tensor &x, const WeightFormat &format);

// SmoothQuant's migration scales: s_j = max|x_j|^alpha / max_i |W_ij|^(1 - alpha) over all
// `weights` that read input channel j (clamped to [1e-5, 1e5]). `inputAbsmax` [in] is the
// per-channel max |x| over calibration data.
at::Tensor smoothQuantScales(const std::vector<at::Tensor> &weights, const at::Tensor &inputAbsmax,
    double alpha);

} // namespace lathe
