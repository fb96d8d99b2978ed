// SPDX-License-Identifier: GPL-3.0-or-later
// SparseGPT (Frantar & Alistarh 2023): prunes a linear weight column by column and, like
// GPTQ, spreads each column's error (here: the pruned weights) over the columns not yet
// processed, using the inverse of the calibration Hessian H = 2 X^T X / n. The mask is chosen
// adaptively per block of columns from the already-updated weights by w^2 / [H^-1]_jj^2.
#pragma once

#include "prune/prunemask.h"

#include <ATen/Tensor.h>

namespace lathe {

struct SparseGptOptions {
    double sparsity = 0.5; // unstructured: fraction of each row zeroed (ignored under N:M)
    NmPattern pattern;     // N:M: n zeros in every m inputs; unstructured when m == 0
    double damping = 0.01; // added to diag(H): damping * mean(diag(H))
    int blockSize = 128;   // columns per lazy batch update (rounded down to a multiple of m)
};

// Returns the pruned weight (f32 [rows, cols], pruned entries exactly 0.0f, the others
// updated). Unstructured: each row loses exactly round(sparsity * cols) weights, spread over
// the blocks by cumulative rounding (round(s * end) - round(s * start) per block) so that
// the per-block choice adds up to the exact row total. N:M: each group's zeros are chosen when
// the sweep reaches its first column (ragged last group as NmPattern::zerosIn). Inputs that
// never fire (diag 0) get diag 1. Throws InvalidArgument on a shape mismatch, bad options, a
// non-finite Hessian, or when H stays singular after raising the damping 10x three times.
at::Tensor sparseGptPrune(const at::Tensor &weight, const at::Tensor &hessian,
    const SparseGptOptions &options = {});

} // namespace lathe
