// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/ops.h"

#include "model/matvec.h"
#include "util/threadpool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace lathe::ops {

void rmsNorm(const float *x, const float *w, float *out, std::int64_t rows, std::int64_t n,
             float eps)
{
    for (std::int64_t r = 0; r < rows; ++r) {
        const float *xr = x + r * n;
        float *o = out + r * n;
        double sum = 0.0; // double: the mean of squares of wide rows loses bits in f32
        for (std::int64_t i = 0; i < n; ++i)
            sum += static_cast<double>(xr[i]) * xr[i];
        const float inv = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
        for (std::int64_t i = 0; i < n; ++i)
            o[i] = xr[i] * inv * w[i];
    }
}

void layerNorm(const float *x, const float *w, const float *b, float *out, std::int64_t rows,
               std::int64_t n, float eps)
{
    for (std::int64_t r = 0; r < rows; ++r) {
        const float *xr = x + r * n;
        float *o = out + r * n;
        double mean = 0.0;
        for (std::int64_t i = 0; i < n; ++i)
            mean += xr[i];
        mean /= static_cast<double>(n);
        double var = 0.0;
        for (std::int64_t i = 0; i < n; ++i)
            var += (xr[i] - mean) * (xr[i] - mean);
        var /= static_cast<double>(n);
        const double inv = 1.0 / std::sqrt(var + eps);
        for (std::int64_t i = 0; i < n; ++i)
            o[i] = static_cast<float>((xr[i] - mean) * inv) * w[i] + b[i];
    }
}

void attendOne(const float *q, const float *keys, const float *values, float *out,
               std::int64_t heads, std::int64_t kvHeads, std::int64_t headDim,
               std::int64_t capacity, std::int64_t length, float scale)
{
    const std::int64_t group = heads / kvHeads;
    std::vector<float> scores(static_cast<std::size_t>(heads * length)); // [heads, length]

    auto runHeads = [&](std::int64_t h0, std::int64_t h1) {
        for (std::int64_t h = h0; h < h1; ++h) {
            const std::int64_t kv = h / group;
            const float *k = keys + kv * capacity * headDim;   // [length, headDim]
            const float *v = values + kv * capacity * headDim; // [length, headDim]
            float *s = scores.data() + h * length;
            // scores = K q: the cache rows are the matrix of a matrix-vector product.
            matvecSerial(MatvecJob{k, q + h * headDim, s, nullptr, length, headDim});
            float maxScore = -std::numeric_limits<float>::infinity();
            for (std::int64_t t = 0; t < length; ++t) {
                s[t] *= scale;
                maxScore = std::max(maxScore, s[t]);
            }
            float sum = 0.f;
            for (std::int64_t t = 0; t < length; ++t) {
                s[t] = std::exp(s[t] - maxScore);
                sum += s[t];
            }
            const float inv = 1.f / sum;
            for (std::int64_t t = 0; t < length; ++t)
                s[t] *= inv;
            float *o = out + h * headDim;
            std::fill(o, o + headDim, 0.f);
            vecmatAccumulate(v, s, o, length, headDim); // o = V^T p
        }
    };
    // Short contexts: the whole loop is a few microseconds, less than a pool wake-up.
    if (heads * length * headDim < 64 * 1024)
        runHeads(0, heads);
    else
        parallelFor(heads, 1, runHeads);
}

} // namespace lathe::ops
