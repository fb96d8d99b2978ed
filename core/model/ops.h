// SPDX-License-Identifier: GPL-3.0-or-later
// Small row-wise kernels of the forward pass on raw f32 buffers: normalisations and
// single-query attention over the KV cache. They are cheap next to the matrix products, so
// they stay simple loops (the attention loop is threaded over heads).
#pragma once

#include <cstdint>

namespace lathe::ops {

// out[r] = x[r] * rsqrt(mean(x[r]^2) + eps) * w, for `rows` rows of length n. out may be x.
void rmsNorm(const float *x, const float *w, float *out, std::int64_t rows, std::int64_t n,
             float eps);
// out[r] = (x[r] - mean) / sqrt(var + eps) * w + b (biased variance). out may be x.
void layerNorm(const float *x, const float *w, const float *b, float *out, std::int64_t rows,
               std::int64_t n, float eps);

// Attention of one query token at the newest cached position over positions [0, length).
// q: [heads, headDim]; keys/values: [kvHeads, capacity, headDim]; out: [heads, headDim].
// Query head h reads key/value head h / (heads / kvHeads).
void attendOne(const float *q, const float *keys, const float *values, float *out,
               std::int64_t heads, std::int64_t kvHeads, std::int64_t headDim,
               std::int64_t capacity, std::int64_t length, float scale);

} // namespace lathe::ops
