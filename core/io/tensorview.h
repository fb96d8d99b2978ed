// SPDX-License-Identifier: GPL-3.0-or-later
// A zero-copy view of one stored tensor inside a memory-mapped file.
#pragma once

#include "io/dtype.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape; // row-major, outermost first (numpy / PyTorch order)
    const std::uint8_t *data = nullptr; // points into the mapping; valid while `owner` lives
    std::size_t nbytes = 0;
    std::shared_ptr<const void> owner; // keeps the mapping alive

    std::int64_t numel() const
    {
        std::int64_t n = 1;
        for (auto d : shape)
            n *= d;
        return n;
    }
};

// Convert any float or ggml-quantized view to f32 values (row-major, numel() values).
// Throws UnsupportedError for integer dtypes.
std::vector<float> toFloat32(const TensorView &view);
// Same, into caller memory of numel() floats.
void toFloat32(const TensorView &view, float *out);
// Elements [first, first + count) only, so large tensors can be streamed in pieces. For
// ggml block formats both must be multiples of dtypeBlockElements(). Throws InvalidArgument
// for a range outside the tensor or not on block boundaries.
void toFloat32Range(const TensorView &view, std::int64_t first, std::int64_t count, float *out);

} // namespace lathe
