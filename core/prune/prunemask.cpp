// SPDX-License-Identifier: GPL-3.0-or-later
#include "prune/prunemask.h"

#include "prune/prunemethods.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace lathe {

std::int64_t NmPattern::zerosIn(std::int64_t length) const
{
    if (m == 0)
        return 0;
    if (length >= m)
        return n;
    return std::int64_t(n) * length / m;
}

NmPattern parseNmPattern(const std::string &pattern)
{
    // One grammar for the recipe reader, the CLI and the pruners.
    const PrunePattern p = parsePrunePattern(pattern);
    NmPattern out;
    if (p.semiStructured()) {
        out.n = p.zeros;
        out.m = p.group;
    }
    return out;
}

at::Tensor magnitudeScores(const at::Tensor &weight)
{
    if (!weight.defined() || weight.dim() != 2)
        throw InvalidArgument("pruning scores need a 2-D weight matrix");
    return weight.to(at::kFloat).abs().contiguous();
}

at::Tensor wandaScores(const at::Tensor &weight, const at::Tensor &inputMeanSquare)
{
    if (!weight.defined() || weight.dim() != 2)
        throw InvalidArgument("Wanda scores need a 2-D weight matrix");
    if (!inputMeanSquare.defined() || inputMeanSquare.dim() != 1
        || inputMeanSquare.size(0) != weight.size(1))
        throw InvalidArgument("Wanda scores: the weight has " + std::to_string(weight.size(1))
            + " input features but the activation statistics have "
            + (inputMeanSquare.defined() ? std::to_string(inputMeanSquare.numel())
                                         : std::string("none")));
    const at::Tensor norm = inputMeanSquare.to(at::kFloat).clamp_min(0.0).sqrt();
    return (weight.to(at::kFloat).abs() * norm.unsqueeze(0)).contiguous();
}

void selectLowest(const float *scores, std::int64_t n, std::int64_t count, std::uint8_t *flags)
{
    std::fill(flags, flags + n, std::uint8_t(0));
    if (count <= 0)
        return;
    if (count >= n) {
        std::fill(flags, flags + n, std::uint8_t(1));
        return;
    }
    // NaN scores sort last (kept): a strict weak order needs them somewhere.
    const auto key = [&](std::int64_t i) {
        const float s = scores[i];
        return std::isnan(s) ? std::numeric_limits<float>::infinity() : s;
    };
    const auto less = [&](std::int64_t a, std::int64_t b) {
        const float ka = key(a), kb = key(b);
        return ka < kb || (ka == kb && a < b);
    };
    // Reused per thread: rows and groups are selected millions of times.
    thread_local std::vector<std::int64_t> order;
    order.resize(std::size_t(n));
    std::iota(order.begin(), order.end(), 0);
    std::nth_element(order.begin(), order.begin() + count, order.end(), less);
    for (std::int64_t i = 0; i < count; ++i)
        flags[order[std::size_t(i)]] = 1;
}

at::Tensor pruneMask(const at::Tensor &scores, double sparsity, const NmPattern &pattern)
{
    if (!scores.defined() || scores.dim() != 2)
        throw InvalidArgument("pruning mask: the scores must be a 2-D matrix");
    if (!(sparsity >= 0.0 && sparsity <= 1.0))
        throw InvalidArgument("pruning sparsity " + std::to_string(sparsity)
            + " lies outside 0..1 (a fraction of each module's weights)");
    const at::Tensor s = scores.to(at::kFloat).contiguous();
    const std::int64_t rows = s.size(0), cols = s.size(1);
    at::Tensor mask = at::zeros({ rows, cols }, at::kByte);
    if (rows == 0 || cols == 0)
        return mask.to(at::kBool);
    const float *sp = s.data_ptr<float>();
    std::uint8_t *mp = mask.data_ptr<std::uint8_t>();
    const std::int64_t perRow = std::llround(sparsity * double(cols));
    at::parallel_for(0, rows, 16, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            const float *row = sp + r * cols;
            std::uint8_t *flags = mp + r * cols;
            if (pattern.unstructured()) {
                selectLowest(row, cols, perRow, flags);
                continue;
            }
            for (std::int64_t g = 0; g < cols; g += pattern.m) {
                const std::int64_t len = std::min<std::int64_t>(pattern.m, cols - g);
                selectLowest(row + g, len, pattern.zerosIn(len), flags + g);
            }
        }
    });
    return mask.to(at::kBool);
}

at::Tensor applyPruneMask(const at::Tensor &weight, const at::Tensor &mask)
{
    if (!weight.defined() || !mask.defined() || weight.sizes() != mask.sizes())
        throw InvalidArgument("pruning: the mask does not have the weight's shape");
    return weight.to(at::kFloat).masked_fill(mask.to(at::kBool), 0.0f).contiguous();
}

} // namespace lathe
