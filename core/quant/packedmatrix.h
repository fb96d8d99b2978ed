// SPDX-License-Identifier: GPL-3.0-or-later
// A weight matrix stored the way a compressed model holds it in memory: round-to-nearest codes
// packed into bytes plus one f32 scale (and, asymmetric, one zero point) per group of input
// columns. Dequantizing gives exactly what fakeQuantizeRtn (quant/rtn.h) gives, so analysis
// on simulated weights and inference on packed ones agree bit for bit.
#pragma once

#include "quant/rtnformat.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace lathe {

struct PackedMatrix {
    RtnFormat format;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::int64_t group = 0;        // columns per scale (cols for per-channel)
    std::int64_t groupsPerRow = 0; // ceil(cols / group)
    std::int64_t groupStride = 0;  // codes stored per group: group rounded up to 8
    int containerBits = 8;         // bits each code occupies: 2, 4 or 8 (3 bits use 4, ...)
    std::int64_t rowBytes = 0;     // bytes of codes per row: groupsPerRow * groupStride codes
    // Unsigned codes u, row after row, group after group (each group starts on a byte, so the
    // kernel reads whole runs of 8 codes); a 2- or 4-bit container holds the code of the
    // lowest column in its lowest bits. The value is scale * (u - zero). Padding (a ragged
    // last group, a group not a multiple of 8) holds the zero code, so it decodes to 0.
    std::vector<std::uint8_t> codes;
    std::vector<float> scales;       // [rows * groupsPerRow]
    std::vector<std::uint8_t> zeros; // [rows * groupsPerRow]; symmetric: all 2^(bits-1)

    // Bytes held in memory for codes, scales and zero points (asymmetric formats only, since
    // a symmetric zero is implied by the format).
    std::size_t storageBytes() const;
    // storageBytes() * 8 / (rows * cols): the exact cost per weight, scales included.
    double bitsPerWeight() const;
    // Code of (row, col) as stored.
    std::uint8_t code(std::int64_t row, std::int64_t col) const;
    // [rows, cols] f32, equal to fakeQuantizeRtn(original, format).
    at::Tensor dequantize() const;
    // Rows [begin, end) of dequantize(), [end - begin, cols]: what a prefill GEMM needs one
    // tile at a time.
    at::Tensor dequantizeRows(std::int64_t begin, std::int64_t end) const;
};

// Quantizes a 2-D f32 weight with round-to-nearest in `format` (same rules and errors as
// fakeQuantizeRtn) and packs it.
PackedMatrix packRtn(const at::Tensor &weight, const RtnFormat &format);

} // namespace lathe
