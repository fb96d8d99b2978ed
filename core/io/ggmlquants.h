// SPDX-License-Identifier: GPL-3.0-or-later
// Dequantization of ggml block formats (Q4_0 ... Q8_K), following the GGUF specification's
// block layouts.
#pragma once

#include "io/dtype.h"

#include <cstdint>

namespace lathe {

// Dequantize `n` values (a multiple of the block size) stored in `type` blocks at `src`.
void dequantizeGgml(DType type, const std::uint8_t *src, float *out, std::int64_t n);

} // namespace lathe
