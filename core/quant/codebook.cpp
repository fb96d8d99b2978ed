// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/codebook.h"

#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace lathe {

namespace {

// NF4 levels from the QLoRA paper (Dettmers et al. 2023, appendix): quantiles of N(0, 1)
// normalised to [-1, 1], with an exact zero.
const std::vector<float> kNf4 = { -1.0f, -0.6961928009986877f, -0.5250730514526367f,
    -0.39491748809814453f, -0.28444138169288635f, -0.18477343022823334f,
    -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
    0.7229568362236023f, 1.0f };

constexpr float kFp8Max = 448.0f;

// E4M3 (OCP FP8 "e4m3fn"): sign, 4 exponent bits (bias 7), 3 mantissa bits, no infinities;
// exponent 15 with mantissa 7 is NaN (decoded as 0 here, never chosen).
std::vector<float> makeE4M3()
{
    std::vector<float> v(256);
    for (int code = 0; code < 256; ++code) {
        const int sign = code >> 7, exponent = (code >> 3) & 15, mantissa = code & 7;
        float value = 0.0f;
        if (exponent == 15 && mantissa == 7)
            value = 0.0f;
        else if (exponent == 0)
            value = std::ldexp(float(mantissa) / 8.0f, -6);
        else
            value = std::ldexp(1.0f + float(mantissa) / 8.0f, exponent - 7);
        v[std::size_t(code)] = sign ? -value : value;
    }
    return v;
}

const std::vector<float> &e4m3Values()
{
    static const std::vector<float> values = makeE4M3();
    return values;
}

void checkCodebookFormat(const WeightFormat &format)
{
    if (format.scheme == WeightScheme::Integer)
        throw InvalidArgument(format.name() + " is an integer format, not a codebook format");
    if (format.groupSize < 0)
        throw InvalidArgument(format.name() + ": negative group size");
    // The codes are packed in `bits` bits: a format built by hand with the default 4 bits
    // for FP8 would not hold its codes.
    const int bits = format.scheme == WeightScheme::Nf4 ? 4 : 8;
    if (format.bits != bits)
        throw InvalidArgument(format.name() + " stores " + std::to_string(bits)
            + "-bit codes, not " + std::to_string(format.bits) + "-bit ones");
    if (format.doubleQuant && format.scheme != WeightScheme::Nf4)
        throw InvalidArgument(format.name() + ": double quantization is for NF4 only");
}

// Sorted distinct values of the codebook with the code to emit for each (NaN codes and -0
// left out), so that nearest-value search is a bucketize over midpoints.
struct SortedCodebook {
    at::Tensor midpoints; // [n - 1]
    at::Tensor codeOf;    // [n] int64: code of the i-th smallest value
};

SortedCodebook sortedCodebook(const std::vector<float> &values)
{
    std::vector<std::pair<float, int>> entries;
    for (int code = 0; code < int(values.size()); ++code) {
        const bool nan = values.size() == 256 && (code & 0x7f) == 0x7f;
        const bool negativeZero = values[std::size_t(code)] == 0.0f && code != 0
            && values.size() == 256;
        if (!nan && !negativeZero)
            entries.emplace_back(values[std::size_t(code)], code);
    }
    std::sort(entries.begin(), entries.end());
    std::vector<float> mids;
    std::vector<std::int64_t> codes;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        codes.push_back(entries[i].second);
        if (i + 1 < entries.size())
            mids.push_back(0.5f * (entries[i].first + entries[i + 1].first));
    }
    return { at::tensor(mids, at::kFloat), at::tensor(codes, at::kLong) };
}

void checkWeight(const at::Tensor &weight, const WeightFormat &format)
{
    if (!weight.defined() || weight.dim() != 2 || weight.scalar_type() != at::kFloat
        || weight.size(0) == 0 || weight.size(1) == 0)
        throw InvalidArgument(format.name() + " quantization needs a non-empty 2-D f32 weight");
}

struct Groups {
    std::int64_t group = 0; // columns per scale
    std::int64_t groups = 0; // per row
};

Groups groupsOf(const at::Tensor &weight, const WeightFormat &format)
{
    const std::int64_t cols = weight.size(1);
    Groups g;
    g.group = format.groupSize == 0 ? cols : std::min<std::int64_t>(format.groupSize, cols);
    g.groups = (cols + g.group - 1) / g.group;
    return g;
}

// [rows, groups, group], a ragged last group padded with zeros (which move no absmax).
at::Tensor groupedWeight(const at::Tensor &weight, const Groups &g)
{
    at::Tensor w = weight.contiguous();
    if (g.groups * g.group > w.size(1))
        w = at::constant_pad_nd(w, { 0, g.groups * g.group - w.size(1) }, 0.0);
    return w.view({ w.size(0), g.groups, g.group });
}

} // namespace

const std::vector<float> &codebookValues(const WeightFormat &format)
{
    checkCodebookFormat(format);
    return format.scheme == WeightScheme::Nf4 ? kNf4 : e4m3Values();
}

float codebookMax(const WeightFormat &format)
{
    checkCodebookFormat(format);
    return format.scheme == WeightScheme::Nf4 ? 1.0f : kFp8Max;
}

at::Tensor nearestCodebookCodes(const at::Tensor &normalised, const WeightFormat &format)
{
    checkCodebookFormat(format);
    static const SortedCodebook nf4 = sortedCodebook(kNf4);
    static const SortedCodebook e4m3 = sortedCodebook(e4m3Values());
    const SortedCodebook &sorted = format.scheme == WeightScheme::Nf4 ? nf4 : e4m3;
    const at::Tensor index = at::bucketize(normalised.contiguous(), sorted.midpoints, false, false);
    return sorted.codeOf.index_select(0, index.reshape({ -1 })).view(normalised.sizes());
}

PackedMatrix packCodebook(const at::Tensor &weight, const WeightFormat &format)
{
    checkCodebookFormat(format);
    checkWeight(weight, format);
    c10::InferenceMode guard;
    const Groups g = groupsOf(weight, format);
    const at::Tensor w = groupedWeight(weight, g);
    return packCodebookWithScales(weight, format, w.abs().amax({ 2 }).div_(codebookMax(format)));
}

PackedMatrix packCodebookWithScales(
    const at::Tensor &weight, const WeightFormat &format, const at::Tensor &scalesIn)
{
    checkCodebookFormat(format);
    checkWeight(weight, format);
    c10::InferenceMode guard;
    const std::int64_t rows = weight.size(0);
    const Groups g = groupsOf(weight, format);
    if (!scalesIn.defined() || scalesIn.numel() != rows * g.groups)
        throw InvalidArgument(format.name() + ": expected " + std::to_string(rows) + " x "
            + std::to_string(g.groups) + " scales");
    const at::Tensor w = groupedWeight(weight, g);
    const float top = codebookMax(format);
    at::Tensor scales = scalesIn.to(at::kFloat).reshape({ rows, g.groups }).contiguous();

    std::vector<std::uint8_t> scaleCodes;
    std::vector<float> blockScales;
    float mean = 0.0f;
    if (format.doubleQuant) {
        // Scales minus their mean, int8 per block of 256 consecutive scales.
        const std::int64_t n = scales.numel();
        mean = scales.mean().item<float>();
        const std::int64_t blocks = (n + 255) / 256;
        at::Tensor c = scales.reshape({ -1 }) - mean;
        c = at::constant_pad_nd(c, { 0, blocks * 256 - n }, 0.0).view({ blocks, 256 });
        const at::Tensor bs = c.abs().amax({ 1 }, true).div_(127.0);
        const at::Tensor safe = at::where(bs > 0, bs, at::ones_like(bs));
        const at::Tensor q = at::round(c / safe).clamp_(-127.0, 127.0);
        // Decoded exactly as PackedMatrix documents it: code * block scale + mean.
        const at::Tensor decoded = (q * bs).add_(mean).reshape({ -1 }).slice(0, 0, n);
        scales = decoded.view({ rows, g.groups }).contiguous();
        const at::Tensor u8 = q.reshape({ -1 }).slice(0, 0, n).add(128.0).to(at::kByte).contiguous();
        scaleCodes.assign(u8.data_ptr<std::uint8_t>(), u8.data_ptr<std::uint8_t>() + n);
        const at::Tensor bsc = bs.reshape({ -1 }).contiguous();
        blockScales.assign(bsc.data_ptr<float>(), bsc.data_ptr<float>() + blocks);
    }

    const at::Tensor s = scales.unsqueeze(2);
    const at::Tensor safe = at::where(s != 0, s, at::ones_like(s));
    const at::Tensor codes = nearestCodebookCodes((w / safe).clamp_(-top, top), format);
    PackedMatrix m = packCodes(format, rows, weight.size(1), codes, scales, at::Tensor());
    m.scaleCodes = std::move(scaleCodes);
    m.scaleBlockScales = std::move(blockScales);
    m.scaleMean = mean;
    return m;
}

} // namespace lathe
