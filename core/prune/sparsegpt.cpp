// SPDX-License-Identifier: GPL-3.0-or-later
#include "prune/sparsegpt.h"

#include "quant/gptq.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace lathe {

namespace {

std::string shapeOf(const at::Tensor &t)
{
    return t.defined() ? std::string(c10::str(t.sizes())) : std::string("no tensor");
}

} // namespace

at::Tensor sparseGptPrune(const at::Tensor &weight, const at::Tensor &hessian,
    const SparseGptOptions &options)
{
    if (!weight.defined() || weight.dim() != 2 || weight.size(0) == 0 || weight.size(1) == 0)
        throw InvalidArgument("SparseGPT needs a non-empty 2-D weight matrix, got "
            + shapeOf(weight));
    const std::int64_t rows = weight.size(0), cols = weight.size(1);
    if (!hessian.defined() || hessian.dim() != 2 || hessian.size(0) != cols
        || hessian.size(1) != cols)
        throw InvalidArgument("SparseGPT: the Hessian must be " + std::to_string(cols) + " x "
            + std::to_string(cols) + " for a weight with " + std::to_string(cols)
            + " input features, got " + shapeOf(hessian));
    if (options.blockSize <= 0 || !(options.damping >= 0.0))
        throw InvalidArgument("SparseGPT: block size must be positive and damping non-negative");
    if (!(options.sparsity >= 0.0 && options.sparsity <= 1.0))
        throw InvalidArgument("SparseGPT: sparsity " + std::to_string(options.sparsity)
            + " lies outside 0..1");
    const NmPattern pattern = options.pattern;
    if (!pattern.unstructured() && (pattern.n <= 0 || pattern.n >= pattern.m))
        throw InvalidArgument("SparseGPT: an N:M pattern needs 0 < N < M");
    c10::InferenceMode guard;

    at::Tensor h = hessian.to(at::kDouble).clone();
    if (!at::isfinite(h).all().item<bool>())
        throw InvalidArgument("SparseGPT: the calibration Hessian holds NaN or infinite values "
                              "(calibration activations overflowed?)");
    // An input that never fires tells nothing about its weights; a unit diagonal keeps H
    // invertible and lets the mask fall on them by magnitude.
    h.diagonal().masked_fill_(h.diagonal() == 0, 1.0);

    const at::Tensor upper = dampedInverseHessianFactor(h, options.damping, "SparseGPT");
    const at::Tensor u32 = upper.to(at::kFloat).contiguous();
    const float *hinv = u32.data_ptr<float>();

    // Columns as rows ([cols, rows]): one column is contiguous, and the lazy update of the
    // later columns is one GEMM on a contiguous slice.
    // Always a copy: the base model's weight must never change.
    at::Tensor wt = weight.to(at::kFloat).t().clone(at::MemoryFormat::Contiguous);
    float *wp = wt.data_ptr<float>();

    // N:M groups must not straddle blocks: their zeros are chosen from updated weights.
    std::int64_t block = options.blockSize;
    if (!pattern.unstructured())
        block = std::max<std::int64_t>(pattern.m, block / pattern.m * pattern.m);
    block = std::min(block, cols);

    at::Tensor err = at::empty({ block, rows }, at::kFloat);
    float *ep = err.data_ptr<float>();
    std::vector<std::uint8_t> masks(std::size_t(block * rows)); // [column in block, row]
    const double sparsity = options.sparsity;

    for (std::int64_t b0 = 0; b0 < cols; b0 += block) {
        const std::int64_t b1 = std::min(cols, b0 + block);
        const std::int64_t count = b1 - b0;
        // Cumulative rounding: the blocks of a row add up to round(sparsity * cols) exactly.
        const std::int64_t blockZeros = std::llround(sparsity * double(b1))
            - std::llround(sparsity * double(b0));

        at::parallel_for(0, rows, 16, [&](std::int64_t r0, std::int64_t r1) {
            std::vector<float> scores(static_cast<std::size_t>(count));
            std::vector<std::uint8_t> flags(static_cast<std::size_t>(count));
            // Mask of one row's run of columns [c0, c0 + n) by w^2 / [H^-1]_jj^2.
            const auto choose = [&](std::int64_t r, std::int64_t c0, std::int64_t n,
                                    std::int64_t zeros) {
                for (std::int64_t j = 0; j < n; ++j) {
                    const std::int64_t c = c0 + j;
                    const float w = wp[c * rows + r];
                    const float d = hinv[c * cols + c];
                    scores[std::size_t(j)] = w * w / (d * d);
                }
                selectLowest(scores.data(), n, zeros, flags.data());
                for (std::int64_t j = 0; j < n; ++j)
                    masks[std::size_t((c0 - b0 + j) * rows + r)] = flags[std::size_t(j)];
            };
            if (pattern.unstructured())
                for (std::int64_t r = r0; r < r1; ++r)
                    choose(r, b0, count, blockZeros);

            for (std::int64_t c = b0; c < b1; ++c) {
                if (!pattern.unstructured() && c % pattern.m == 0) {
                    const std::int64_t len = std::min<std::int64_t>(pattern.m, cols - c);
                    for (std::int64_t r = r0; r < r1; ++r)
                        choose(r, c, len, pattern.zerosIn(len));
                }
                float *col = wp + c * rows;
                float *e = ep + (c - b0) * rows;
                const std::uint8_t *m = masks.data() + (c - b0) * rows;
                const float d = hinv[c * cols + c];
                bool any = false;
                for (std::int64_t r = r0; r < r1; ++r) {
                    if (m[r]) {
                        e[r] = col[r] / d;
                        col[r] = 0.0f;
                        any = true;
                    } else {
                        e[r] = 0.0f;
                    }
                }
                if (!any)
                    continue;
                // OBS update of the rest of the block for the weights just removed.
                const float *hrow = hinv + c * cols;
                for (std::int64_t k = c + 1; k < b1; ++k) {
                    const float f = hrow[k];
                    float *target = wp + k * rows;
                    for (std::int64_t r = r0; r < r1; ++r)
                        target[r] -= e[r] * f;
                }
            }
        });
        if (b1 < cols) {
            // Lazy batch update: every later column at once.
            at::Tensor rest = wt.slice(0, b1, cols);
            rest.addmm_(u32.slice(0, b0, b1).slice(1, b1, cols).t(), err.slice(0, 0, count), 1.0,
                -1.0);
        }
    }
    return wt.t().contiguous();
}

} // namespace lathe
