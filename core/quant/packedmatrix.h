// SPDX-License-Identifier: GPL-3.0-or-later
// A weight matrix stored the way a compressed model holds it in memory: low-bit codes packed
// into bytes plus one f32 scale (and, asymmetric, one zero point) per group of input columns.
// Integer formats decode as scale * (u - zero); codebook formats (NF4, FP8) as
// scale * codebook[u]. Every quantizer (RTN, GPTQ, AWQ, ...) produces one; dequantizing an RTN
// matrix gives exactly what fakeQuantizeRtn (quant/rtn.h) gives, so analysis on simulated
// weights and inference on packed ones agree bit for bit.
#pragma once

#include "quant/weightformat.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace lathe {

struct PackedMatrix {
    WeightFormat format;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::int64_t group = 0;        // columns per scale (cols for per-channel)
    std::int64_t groupsPerRow = 0; // ceil(cols / group)
    std::int64_t groupStride = 0;  // codes stored per group: group rounded up to 8
    int containerBits = 8;         // bits each code occupies: 2, 3, 4 or 8 (5-7 bits use 8)
    std::int64_t groupBytes = 0;   // bytes of codes per group: groupStride * containerBits / 8
    std::int64_t rowBytes = 0;     // bytes of codes per row: groupsPerRow * groupBytes
    // Unsigned codes u, row after row, group after group (each group starts on a byte, so the
    // kernel reads whole runs of 8 codes); a 2- or 4-bit container holds the code of the
    // lowest column in its lowest bits. 3-bit codes: see threeBitHighNibble(). The value is
    // scale * (u - zero). Padding (a ragged last group, a group not a multiple of 8) holds the
    // zero code, so it decodes to 0.
    std::vector<std::uint8_t> codes;
    std::vector<float> scales;       // [rows * groupsPerRow]
    std::vector<std::uint8_t> zeros; // [rows * groupsPerRow]; symmetric: all 2^(bits-1);
                                     // codebook formats: the code of 0.0 (padding only)
    // Codebook formats: the value of each code (2^bits entries); empty for integer formats.
    std::vector<float> codebook;
    // NF4 double quantization: how the scales are stored. `scales` then holds their decoded
    // values (what the kernel reads); storageBytes() counts this representation instead:
    // scale = scaleCodes[i] (int8, as u8 + 128 offset) * scaleBlockScales[i / 256] + scaleMean.
    std::vector<std::uint8_t> scaleCodes;   // [rows * groupsPerRow]
    std::vector<float> scaleBlockScales;    // [ceil(rows * groupsPerRow / 256)]
    float scaleMean = 0.0f;

    // Bytes of the stored representation: codes, scales (or their double-quantized codes)
    // and zero points (asymmetric formats only, since a symmetric zero is implied).
    std::size_t storageBytes() const;
    // storageBytes() * 8 / (rows * cols): the exact cost per weight, scales included.
    double bitsPerWeight() const;
    // Bytes per group of the plane read as whole 2/4/8-bit codes: 3-bit codes' low plane
    // (see threeBitHighNibble()), else all of groupBytes.
    std::int64_t lowPlaneBytes() const { return containerBits == 3 ? groupStride / 4 : groupBytes; }
    // Code of (row, col) as stored.
    std::uint8_t code(std::int64_t row, std::int64_t col) const;
    // [rows, cols] f32, equal to fakeQuantizeRtn(original, format).
    at::Tensor dequantize() const;
    // Rows [begin, end) of dequantize(), [end - begin, cols]: what a prefill GEMM needs one
    // tile at a time.
    at::Tensor dequantizeRows(std::int64_t begin, std::int64_t end) const;
};

// 3-bit codes are stored in two planes per group, so that they cost exactly 3 bits and the
// kernel reads them like 2-bit codes plus one more vector: first the low two bits of every
// code laid out as in a 2-bit container (lowBytes = groupStride / 4 bytes), then the third
// bits (groupStride / 8 bytes). The third bits of the four codes of low byte p form one nibble
// (code 4p + s at bit s). Within each run of 16 low bytes (the last run of a group may be
// shorter: t bytes) the nibble of the run's byte k sits in byte k mod (t / 2) of the run's
// t / 2 high bytes, in its low half for k < t / 2 and its high half after, so 8 high bytes
// widened to 16 lanes serve a whole 16-byte block of low codes.
struct HighNibble {
    std::int64_t byte; // offset within the group's high plane
    int shift;         // 0 or 4
};
HighNibble threeBitHighNibble(std::int64_t lowBytes, std::int64_t p);

// Packs codes a quantizer chose: `codes` [rows, groups, group] (any dtype holding integers in
// [0, 2^bits - 1]; columns past `cols` in the last group are ignored), `scales` and `zeros`
// [rows, groups] or [rows, groups, 1] (zeros ignored for codebook formats). group =
// format.groupSize clamped to cols (cols when 0). Fills the codebook of NF4/FP8 formats.
// Throws InvalidArgument on shapes that do not fit.
PackedMatrix packCodes(const WeightFormat &format, std::int64_t rows, std::int64_t cols,
    const at::Tensor &codes, const at::Tensor &scales, const at::Tensor &zeros);

// Quantizes a 2-D f32 weight with round-to-nearest in an integer `format` (same rules and
// errors as fakeQuantizeRtn) and packs it. Codebook formats: see packWeight (quant/codebook.h).
PackedMatrix packRtn(const at::Tensor &weight, const WeightFormat &format);

} // namespace lathe
