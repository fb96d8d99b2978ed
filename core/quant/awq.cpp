// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/awq.h"

#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace lathe {

namespace {

// AWQ's clipping grid: the max |w| of a group times 1.0, 0.95, ..., 0.5.
constexpr int kClipSteps = 11;
// Calibration rows the clipping search measures the output on (the paper's code uses 512).
constexpr std::int64_t kClipRows = 512;
// Values of one (rows x groups x samples) error tensor at a time in the clipping search.
constexpr std::int64_t kClipChunkValues = std::int64_t(1) << 24;

void checkInput(const at::Tensor &x, const char *what)
{
    if (!x.defined() || x.dim() != 2 || x.size(0) == 0 || x.size(1) == 0)
        throw InvalidArgument(std::string(what)
            + ": the calibration input must be a non-empty [rows, features] matrix");
}

void checkWeight(const at::Tensor &w, std::int64_t features, const char *what)
{
    if (!w.defined() || w.dim() != 2 || w.scalar_type() != at::kFloat || w.size(0) == 0)
        throw InvalidArgument(std::string(what) + " needs non-empty 2-D f32 weights");
    if (w.size(1) != features)
        throw InvalidArgument(std::string(what) + ": a weight with " + std::to_string(w.size(1))
            + " input features does not read an input of " + std::to_string(features)
            + " features");
}

// At most `limit` rows of x, evenly spread over all of them (calibration sequences are
// concatenated, so taking the first rows would see only the first sequences).
at::Tensor sampleRows(const at::Tensor &x, std::int64_t limit)
{
    const at::Tensor xf = x.to(at::kFloat);
    if (limit <= 0 || xf.size(0) <= limit)
        return xf.contiguous();
    const at::Tensor index = at::linspace(0, double(xf.size(0) - 1), limit, at::kDouble)
                                 .round()
                                 .to(at::kLong);
    return xf.index_select(0, index).contiguous();
}

} // namespace

AwqResult awqSearchScales(const std::vector<at::Tensor> &weights, const at::Tensor &xIn,
    const WeightFormat &format, const AwqOptions &options)
{
    checkInput(xIn, "AWQ");
    if (weights.empty())
        throw InvalidArgument("AWQ: no weights share this input");
    const std::int64_t features = xIn.size(1);
    for (const at::Tensor &w : weights)
        checkWeight(w, features, "AWQ");
    if (options.gridPoints <= 0)
        throw InvalidArgument("AWQ: the alpha grid needs at least one point");
    c10::InferenceMode guard;

    const at::Tensor x = sampleRows(xIn, options.maxRows);
    const at::Tensor meanAbs = x.abs().mean(0).to(at::kDouble); // [in]
    std::vector<at::Tensor> reference;
    std::int64_t outputs = 0;
    for (const at::Tensor &w : weights) {
        reference.push_back(x.mm(w.t()));
        outputs += reference.back().numel();
    }

    // Mean squared output error with scales s: the input becomes x / s and the weight W s,
    // so the output is x (Q(W s) / s)^T, with the input itself untouched.
    const auto errorWith = [&](const at::Tensor &s) {
        double sum = 0.0;
        for (std::size_t i = 0; i < weights.size(); ++i) {
            const at::Tensor q = fakeQuantize(weights[i] * s, format) / s;
            sum += (x.mm(q.t()) - reference[i]).square().sum().item<double>();
        }
        return sum / double(outputs);
    };

    AwqResult result;
    result.scales = at::ones({ features }, at::kFloat);
    result.errorBefore = errorWith(result.scales);
    result.errorAfter = result.errorBefore;
    for (int i = 1; i < options.gridPoints; ++i) {
        const double alpha = double(i) / double(options.gridPoints);
        // Dead channels (mean |x| = 0) would get scale 0; their weights do not matter anyway.
        at::Tensor s = meanAbs.pow(alpha).clamp_min(1e-4);
        // Normalised so that max * min = 1: the weights' overall range stays put.
        s = s / std::sqrt(s.max().item<double>() * s.min().item<double>());
        const at::Tensor sf = s.to(at::kFloat);
        const double error = errorWith(sf);
        if (error < result.errorAfter) {
            result.errorAfter = error;
            result.alpha = alpha;
            result.scales = sf;
        }
    }
    return result;
}

at::Tensor awqClipWeight(const at::Tensor &weight, const at::Tensor &xIn, const WeightFormat &format)
{
    checkInput(xIn, "AWQ clipping");
    checkWeight(weight, xIn.size(1), "AWQ clipping");
    // Validates the format (InvalidArgument for bad bits or group) before any work.
    fakeQuantize(at::zeros({ 1, 1 }), format);
    c10::InferenceMode guard;
    const std::int64_t rows = weight.size(0), cols = weight.size(1);
    const std::int64_t group
        = format.groupSize == 0 ? cols : std::min<std::int64_t>(format.groupSize, cols);
    const std::int64_t groups = (cols + group - 1) / group;
    const std::int64_t padded = groups * group;

    const at::Tensor x = sampleRows(xIn, kClipRows);
    const std::int64_t n = x.size(0);
    // x by group: [groups, n, group], padding columns 0 (so they add nothing to any output).
    const at::Tensor xg = at::constant_pad_nd(x, { 0, padded - cols }, 0.0)
                              .view({ n, groups, group })
                              .permute({ 1, 0, 2 })
                              .contiguous();

    at::Tensor clipped = weight.clone();
    const std::int64_t chunk = std::max<std::int64_t>(1, kClipChunkValues / (groups * n));
    for (std::int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const std::int64_t r1 = std::min(rows, r0 + chunk);
        const at::Tensor w = weight.slice(0, r0, r1).contiguous();
        const at::Tensor wg = at::constant_pad_nd(w, { 0, padded - cols }, 0.0)
                                  .view({ r1 - r0, groups, group });
        const at::Tensor absmax = wg.abs().amax({ 2 }, true); // [rows, groups, 1]
        at::Tensor bestError = at::full({ r1 - r0, groups }, std::numeric_limits<double>::infinity(),
            at::kDouble);
        at::Tensor bestLimit = absmax.clone();
        for (int step = 0; step < kClipSteps; ++step) {
            const double ratio = 1.0 - 0.05 * double(step);
            const at::Tensor limit = absmax * ratio;
            const at::Tensor c = at::maximum(at::minimum(wg, limit), -limit).view({ r1 - r0, padded });
            const at::Tensor q = fakeQuantize(c.slice(1, 0, cols).contiguous(), format);
            // Per group, the error of its share of the output: x_g (w_g - q_g)^T.
            const at::Tensor diff = at::constant_pad_nd(w - q, { 0, padded - cols }, 0.0)
                                        .view({ r1 - r0, groups, group })
                                        .permute({ 1, 2, 0 }); // [groups, group, rows]
            const at::Tensor err = at::bmm(xg, diff).square().mean(1).t().to(at::kDouble);
            const at::Tensor better = err < bestError;
            bestError = at::where(better, err, bestError);
            bestLimit = at::where(better.unsqueeze(2), limit, bestLimit);
        }
        const at::Tensor c = at::maximum(at::minimum(wg, bestLimit), -bestLimit).view({ r1 - r0, padded });
        clipped.slice(0, r0, r1).copy_(c.slice(1, 0, cols));
    }
    return clipped;
}

at::Tensor smoothQuantScales(
    const std::vector<at::Tensor> &weights, const at::Tensor &inputAbsmax, double alpha)
{
    if (!inputAbsmax.defined() || inputAbsmax.dim() != 1 || inputAbsmax.numel() == 0)
        throw InvalidArgument("SmoothQuant: the input absmax must be a vector of one value per "
                              "input channel");
    if (weights.empty())
        throw InvalidArgument("SmoothQuant: no weights read this input");
    if (!(alpha >= 0.0 && alpha <= 1.0))
        throw InvalidArgument("SmoothQuant: migration strength alpha " + std::to_string(alpha)
            + " is outside [0, 1]");
    const std::int64_t features = inputAbsmax.numel();
    c10::InferenceMode guard;
    at::Tensor weightMax = at::zeros({ features }, at::kDouble);
    for (const at::Tensor &w : weights) {
        checkWeight(w, features, "SmoothQuant");
        weightMax = at::max(weightMax, w.abs().amax({ 0 }).to(at::kDouble));
    }
    const at::Tensor a = inputAbsmax.to(at::kDouble).abs();
    // 0^0 = 1 (alpha 0 or 1 leaves a dead side out); a zero on the other side divides to 0 or
    // inf, which the clamp turns into the documented range.
    const at::Tensor s = a.pow(alpha) / weightMax.pow(1.0 - alpha);
    return at::nan_to_num(s, 1.0).clamp(1e-5, 1e5).to(at::kFloat);
}

} // namespace lathe
