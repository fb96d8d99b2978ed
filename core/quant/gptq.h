// SPDX-License-Identifier: GPL-3.0-or-later
// GPTQ (Frantar et al. 2022): quantizes a linear weight column by column and spreads each
// column's rounding error over the columns not yet quantized, using the inverse of the
// calibration Hessian H = 2 X^T X of the layer's input. Damping, act-order (columns by
// descending diag(H)) with static groups (each group's scale and zero fixed up front from the
// original weight, so codes stay in original column order) and lazy batch updates (blocks of
// columns, then one GEMM for the rest).
#pragma once

#include "quant/packedmatrix.h"
#include "quant/weightformat.h"

#include <ATen/Tensor.h>

#include <string>

namespace lathe {

struct GptqOptions {
    double damping = 0.01;  // added to diag(H): damping * mean(diag(H))
    bool actOrder = true;   // quantize columns with the largest diag(H) first
    int blockSize = 128;    // columns per lazy batch update
};

// Sums X^T X over calibration rows; feed it every batch of inputs a module reads.
class HessianAccumulator {
public:
    explicit HessianAccumulator(std::int64_t features);
    // x [tokens, features] f32 (any tokens); accumulated in f64.
    void add(const at::Tensor &x);
    std::int64_t samples() const { return m_samples; }
    // H = 2 X^T X / samples as f64 [features, features]; zeros before any add.
    at::Tensor hessian() const;

private:
    at::Tensor m_sum;
    std::int64_t m_samples = 0;
};

// The upper Cholesky factor U of the damped H^-1 (H^-1 = U^T U, f64): row j from the diagonal
// on holds how column j's error spreads over the later columns (GPTQ's and SparseGPT's
// sequential inverses). `damping` is a fraction of mean(diag H) added to the diagonal, raised
// tenfold (from 1e-4 when 0) until H is positive definite, at most 4 tries. Throws
// InvalidArgument naming `who` when it never is.
at::Tensor dampedInverseHessianFactor(const at::Tensor &h, double damping, const std::string &who);

// Quantizes `weight` [out, in] f32 in an integer `format` (any group, sym or asym; a ragged last
// group) against `hessian` [in, in] (from HessianAccumulator). Dead inputs (diag 0) get weight
// 0 and diag 1, as the paper does. Returns the packed result (same layout as packRtn). Throws
// InvalidArgument on shape mismatch or a codebook format; retries with 10x damping (up to 3
// times) when the Cholesky factorisation fails, then throws InvalidArgument saying so.
PackedMatrix gptqQuantize(const at::Tensor &weight, const at::Tensor &hessian,
    const WeightFormat &format, const GptqOptions &options = {});

} // namespace lathe
