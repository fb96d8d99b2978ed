// SPDX-License-Identifier: GPL-3.0-or-later
// Which weights of a linear module unstructured pruning zeroes: importance scores (magnitude
// |W|, Wanda's |W| x input-channel norm) and the choice of the lowest ones, per output row
// (a fraction of each row) or per N:M group (N zeros in every M consecutive input columns of
// each row). Shared by the magnitude and Wanda pruners and by SparseGPT's mask choice.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <string>

namespace lathe {

// A semi-structured pattern: n zeros in every group of m consecutive input columns. m == 0
// means none (unstructured).
struct NmPattern {
    int n = 0;
    int m = 0;
    bool unstructured() const { return m == 0; }
    // Zeros in a group of `length` columns (length <= m): n for a whole group; a ragged last
    // group of a row (cols not a multiple of m) gets floor(n * length / m), so the row never
    // exceeds the pattern's ratio.
    std::int64_t zerosIn(std::int64_t length) const;
    double sparsity() const { return m ? double(n) / double(m) : 0.0; }
};

// "" -> unstructured; "N:M" with 0 < N < M <= 64 (parsePrunePattern's grammar, prunemethods.h).
// Throws InvalidArgument quoting the text for anything else ("2-4", "4:2", "0:4", "a:b").
NmPattern parseNmPattern(const std::string &pattern);

// |W| as f32 [rows, cols].
at::Tensor magnitudeScores(const at::Tensor &weight);

// Wanda: |W_ij| * ||X_j||, where ||X_j|| is input channel j's L2 norm over the calibration
// tokens; `inputMeanSquare` [cols] (mean x^2 per channel, any float dtype) gives it up to a
// constant factor, which does not change any row's order.
at::Tensor wandaScores(const at::Tensor &weight, const at::Tensor &inputMeanSquare);

// Mask (bool [rows, cols], true = prune) of the lowest scores: per row exactly
// round(sparsity * cols) of them when `pattern` is unstructured, else pattern.zerosIn() of
// every group of each row (sparsity ignored). Ties go to the lower column index.
// Throws InvalidArgument for sparsity outside [0, 1] or a non-2-D score tensor.
at::Tensor pruneMask(const at::Tensor &scores, double sparsity, const NmPattern &pattern);

// Lowest-scores selection of one row's run of scores (used by SparseGPT's block-wise choice):
// sets flags[i] = 1 for the `count` lowest of scores[0..n) (ties to the lower index), 0 for
// the rest.
void selectLowest(const float *scores, std::int64_t n, std::int64_t count, std::uint8_t *flags);

// weight with masked entries exactly 0.0f (a new contiguous f32 tensor).
at::Tensor applyPruneMask(const at::Tensor &weight, const at::Tensor &mask);

} // namespace lathe
