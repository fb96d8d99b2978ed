// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/gptq.h"

#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace lathe {

namespace {

// Rows of one batch multiplied at a time: an f32 GEMM over this many rows is accurate to
// well below the f64 sum it is added to, and twice as fast as an f64 one.
constexpr std::int64_t kHessianChunk = 1024;

// Per-row scale and zero point of the group a column belongs to, as rtnCodes chooses them.
struct GroupParams {
    std::vector<float> scales; // [rows]
    std::vector<float> zeros;  // [rows]
};

// rtnCodes' parameters of `columns` [rows, n] (one group per row), so that GPTQ rounds onto
// exactly the grid round-to-nearest would use for the same values.
GroupParams paramsOf(const at::Tensor &columns, const WeightFormat &format)
{
    WeightFormat perRow = format;
    perRow.groupSize = 0;
    const RtnCodes q = rtnCodes(columns.contiguous(), perRow);
    const at::Tensor s = q.scales.reshape({ -1 }).contiguous();
    const at::Tensor z = q.zeros.reshape({ -1 }).contiguous();
    GroupParams p;
    p.scales.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
    p.zeros.assign(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
    return p;
}

// The upper Cholesky factor of H^-1 (f64), GPTQ's form of the inverse Hessian: row i holds
// how column i's rounding error spreads over the later columns. Empty when H (damped) is not
// positive definite.
at::Tensor inverseHessianFactor(const at::Tensor &h)
{
    const auto [lower, info] = at::linalg_cholesky_ex(h, false, false);
    if (info.item<int>() != 0)
        return {};
    const at::Tensor inverse = at::cholesky_inverse(lower, false);
    const auto [upper, info2] = at::linalg_cholesky_ex(inverse, true, false);
    if (info2.item<int>() != 0 || !at::isfinite(upper).all().item<bool>())
        return {};
    return upper;
}

} // namespace

at::Tensor dampedInverseHessianFactor(const at::Tensor &h, double damping, const std::string &who)
{
    const double meanDiag = h.diagonal().mean().item<double>();
    for (int attempt = 0; attempt < 4; ++attempt) {
        const at::Tensor damped = h.clone();
        damped.diagonal().add_(damping * meanDiag);
        if (const at::Tensor upper = inverseHessianFactor(damped); upper.defined())
            return upper;
        damping = damping > 0 ? damping * 10.0 : 1e-4;
    }
    throw InvalidArgument(who + ": the calibration Hessian is not positive definite even with "
        + std::to_string(damping / 10.0)
        + " damping (too few or degenerate calibration samples)");
}

HessianAccumulator::HessianAccumulator(std::int64_t features)
{
    if (features <= 0)
        throw InvalidArgument("Hessian accumulator: " + std::to_string(features)
            + " input features (expected at least 1)");
    m_sum = at::zeros({ features, features }, at::kDouble);
}

void HessianAccumulator::add(const at::Tensor &x)
{
    const std::int64_t features = m_sum.size(0);
    if (!x.defined() || x.dim() != 2 || x.size(1) != features)
        throw InvalidArgument("Hessian accumulator for " + std::to_string(features)
            + " input features was given "
            + (x.defined() ? "a tensor of shape " + std::string(c10::str(x.sizes()))
                           : std::string("no tensor")));
    c10::InferenceMode guard;
    const at::Tensor xf = x.to(at::kFloat).contiguous();
    for (std::int64_t start = 0; start < xf.size(0); start += kHessianChunk) {
        const at::Tensor chunk = xf.slice(0, start, std::min(xf.size(0), start + kHessianChunk));
        m_sum.add_(at::mm(chunk.t(), chunk).to(at::kDouble));
    }
    m_samples += x.size(0);
}

at::Tensor HessianAccumulator::hessian() const
{
    if (m_samples == 0)
        return at::zeros_like(m_sum);
    return m_sum * (2.0 / double(m_samples));
}

PackedMatrix gptqQuantize(const at::Tensor &weight, const at::Tensor &hessian,
    const WeightFormat &format, const GptqOptions &options)
{
    if (format.scheme != WeightScheme::Integer)
        throw InvalidArgument("GPTQ quantizes onto an integer grid; " + format.name()
            + " is a codebook format (use round-to-nearest or clip search for it)");
    if (!weight.defined() || weight.dim() != 2 || weight.scalar_type() != at::kFloat
        || weight.size(0) == 0 || weight.size(1) == 0)
        throw InvalidArgument("GPTQ needs a non-empty 2-D f32 weight matrix");
    const std::int64_t rows = weight.size(0), cols = weight.size(1);
    if (!hessian.defined() || hessian.dim() != 2 || hessian.size(0) != cols
        || hessian.size(1) != cols)
        throw InvalidArgument("GPTQ: the Hessian must be " + std::to_string(cols) + " x "
            + std::to_string(cols) + " for a weight with " + std::to_string(cols)
            + " input features, got "
            + (hessian.defined() ? std::string(c10::str(hessian.sizes())) : "no tensor"));
    if (options.blockSize <= 0 || options.damping < 0.0)
        throw InvalidArgument("GPTQ: block size must be positive and damping non-negative");
    // Validates bits and group size with round-to-nearest's messages.
    rtnCodes(at::zeros({ 1, 1 }), format);
    c10::InferenceMode guard;

    at::Tensor h = hessian.to(at::kDouble).clone();
    if (!at::isfinite(h).all().item<bool>())
        throw InvalidArgument("GPTQ: the calibration Hessian holds NaN or infinite values "
                              "(calibration activations overflowed?)");
    at::Tensor w = weight.clone();
    // Inputs that never fire carry no information: their weights become 0 (exact on every
    // grid) and a unit diagonal keeps H invertible.
    const at::Tensor dead = h.diagonal() == 0;
    h.diagonal().masked_fill_(dead, 1.0);
    w.masked_fill_(dead.unsqueeze(0), 0.0f);

    const std::int64_t group
        = format.groupSize == 0 ? cols : std::min<std::int64_t>(format.groupSize, cols);
    const std::int64_t groups = (cols + group - 1) / group;
    const bool perChannel = groups == 1;
    // Static groups: every group's grid fixed from the original weight, so act-order may visit
    // the columns of a group in any order. Without act-order a group's grid is chosen from the
    // error-updated weights when the sweep reaches it (the paper's default, slightly better).
    const bool staticGroups = options.actOrder || perChannel;
    at::Tensor staticScales, staticZeros; // [groups, rows]
    if (staticGroups) {
        const RtnCodes q = rtnCodes(w, format);
        staticScales = q.scales.view({ rows, groups }).t().contiguous();
        staticZeros = q.zeros.view({ rows, groups }).t().contiguous();
    }

    at::Tensor perm;
    if (options.actOrder) {
        perm = at::argsort(h.diagonal(), 0, true);
        w = w.index_select(1, perm);
        h = h.index_select(0, perm).index_select(1, perm);
    }

    const at::Tensor upper = dampedInverseHessianFactor(h, options.damping, "GPTQ");
    const at::Tensor u32 = upper.to(at::kFloat).contiguous();
    const float *hinv = u32.data_ptr<float>();

    // Columns as rows ([cols, rows]) so that one column is contiguous and the lazy update of
    // the remaining columns is a GEMM on a contiguous slice.
    at::Tensor wt = w.t().contiguous();
    float *wp = wt.data_ptr<float>();
    at::Tensor codes = at::empty({ cols, rows }, at::kByte);
    std::uint8_t *cp = codes.data_ptr<std::uint8_t>();
    at::Tensor dynScales, dynZeros;
    if (!staticGroups) {
        dynScales = at::empty({ groups, rows }, at::kFloat);
        dynZeros = at::empty({ groups, rows }, at::kFloat);
    }
    const std::int64_t *permp = options.actOrder ? perm.data_ptr<std::int64_t>() : nullptr;

    // Dynamic groups must not straddle a lazy block, whose later columns are not yet updated:
    // blocks are a multiple of the group (or one group when groups are larger).
    std::int64_t block = options.blockSize;
    if (!staticGroups)
        block = group >= block ? group : block / group * group;
    const bool sym = format.symmetric;
    const float qmaxSym = float((1 << (format.bits - 1)) - 1);
    const float qmaxAsym = float((1 << format.bits) - 1);

    at::Tensor err = at::empty({ block, rows }, at::kFloat);
    float *ep = err.data_ptr<float>();
    for (std::int64_t b0 = 0; b0 < cols; b0 += block) {
        const std::int64_t b1 = std::min(cols, b0 + block);
        // Segments of the block that share one dynamic group (the whole block when static).
        for (std::int64_t s0 = b0; s0 < b1;) {
            const std::int64_t s1 = staticGroups ? b1 : std::min(b1, s0 + group);
            const float *segScales = nullptr, *segZeros = nullptr;
            if (!staticGroups) {
                const GroupParams p = paramsOf(wt.slice(0, s0, s1).t(), format);
                const std::int64_t g = s0 / group;
                std::copy(p.scales.begin(), p.scales.end(), dynScales[g].data_ptr<float>());
                std::copy(p.zeros.begin(), p.zeros.end(), dynZeros[g].data_ptr<float>());
                segScales = dynScales[g].data_ptr<float>();
                segZeros = dynZeros[g].data_ptr<float>();
            }
            // Rows are independent: each thread sweeps its rows through the segment.
            at::parallel_for(0, rows, 64, [&](std::int64_t r0, std::int64_t r1) {
                for (std::int64_t c = s0; c < s1; ++c) {
                    const float *scale = segScales, *zero = segZeros;
                    if (staticGroups) {
                        const std::int64_t orig = permp ? permp[c] : c;
                        scale = staticScales.data_ptr<float>() + (orig / group) * rows;
                        zero = staticZeros.data_ptr<float>() + (orig / group) * rows;
                    }
                    float *col = wp + c * rows;
                    float *e = ep + (c - b0) * rows;
                    std::uint8_t *out = cp + c * rows;
                    const float d = hinv[c * cols + c];
                    for (std::int64_t r = r0; r < r1; ++r) {
                        // rtnCodes' rounding, element by element.
                        const float s = scale[r] > 0 ? scale[r] : 1.0f;
                        float u = std::nearbyint(col[r] / s);
                        u = sym ? std::clamp(u, -qmaxSym, qmaxSym) + zero[r]
                                : std::clamp(u + zero[r], 0.0f, qmaxAsym);
                        out[r] = std::uint8_t(u);
                        const float q = (u - zero[r]) * scale[r];
                        e[r] = (col[r] - q) / d;
                    }
                    // Spread this column's error over the rest of the block.
                    const float *hrow = hinv + c * cols;
                    for (std::int64_t k = c + 1; k < b1; ++k) {
                        const float f = hrow[k];
                        float *target = wp + k * rows;
                        for (std::int64_t r = r0; r < r1; ++r)
                            target[r] -= e[r] * f;
                    }
                }
            });
            s0 = s1;
        }
        if (b1 < cols) {
            // Lazy batch update: all later columns at once.
            at::Tensor rest = wt.slice(0, b1, cols);
            rest.addmm_(u32.slice(0, b0, b1).slice(1, b1, cols).t(), err.slice(0, 0, b1 - b0),
                1.0, -1.0);
        }
    }

    at::Tensor scales, zeros;
    if (staticGroups) {
        scales = staticScales.t();
        zeros = staticZeros.t();
    } else {
        scales = dynScales.t();
        zeros = dynZeros.t();
    }
    // Back to original column order, [rows, cols], padded to whole groups.
    at::Tensor c = codes.t();
    if (options.actOrder)
        c = c.index_select(1, at::argsort(perm));
    if (groups * group > cols)
        c = at::constant_pad_nd(c.contiguous(), { 0, groups * group - cols }, 0.0);
    return packCodes(format, rows, cols, c.contiguous(), scales.contiguous(), zeros.contiguous());
}

} // namespace lathe
