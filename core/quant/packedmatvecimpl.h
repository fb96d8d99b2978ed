// SPDX-License-Identifier: GPL-3.0-or-later
// Internal to the packed decode kernel (packedmatvec*.cpp): what the instruction-set specific
// row kernels share. Not a public interface.
//
// The kernels read a row's codes in blocks of L bytes (16 for AVX-512, 8 for AVX2, 1 for the
// portable path): the block's bytes are widened to L 32-bit lanes and each lane holds
// P = 8 / containerBits codes, so the block yields P vectors, the s-th holding the s-th code
// of every byte. 3-bit codes are read as 2-bit ones (their low plane, P = 4) with the third
// bits of each lane's four codes brought in from the high plane (PackedMatrix's
// threeBitHighNibble()). The input x is rearranged once per call into that order ("kernel order"),
// zero-padded per group to whole blocks, so a row is then a plain dot product of vectors.
#pragma once

#include "quant/packedmatrix.h"

#include <cstdint>

namespace lathe::packedkernel {

// Everything a row kernel needs, precomputed once per call.
struct RowsArgs {
    const std::uint8_t *codes = nullptr;  // PackedMatrix::codes
    const float *scales = nullptr;        // [rows * groups]
    const std::uint8_t *zeros = nullptr;  // [rows * groups]
    const float *codebook = nullptr;      // 2^containerBits entries (padded), or null
    const float *x = nullptr;             // x in kernel order, xStride floats per group
    // AVX-512, 2- and 4-bit integer codes: [slot * 256 + zero] = 2^23 + 2^(slot * bits) zero.
    const float *zeroFloats = nullptr;
    float *y = nullptr;
    std::int64_t rowBytes = 0;
    std::int64_t groups = 0;       // groups per row
    std::int64_t groupBytes = 0;   // bytes of codes per group (groupStride * bits / 8)
    std::int64_t lowBytes = 0;     // 3-bit codes: bytes of the low plane; else groupBytes
    std::int64_t xStride = 0;      // floats of x per group: whole blocks
    int containerBits = 8;
};

using RowsFn = void (*)(const RowsArgs &, std::int64_t r0, std::int64_t r1);

// Bits per code in the plane the kernels widen: 2 for 3-bit codes, else the container.
constexpr int planeBits(int containerBits)
{
    return containerBits == 3 ? 2 : containerBits;
}

// Floats of kernel-order x per group for blocks of `blockBytes` bytes.
std::int64_t kernelXStride(const PackedMatrix &m, int blockBytes);
// Writes x [m.cols] in kernel order for blocks of `blockBytes` bytes into out
// [groups * kernelXStride(m, blockBytes)], zeros in every padding position. scaleSlots: the x
// of slot s times 2^-(s * containerBits) (for kernels that leave the codes' bits in place).
void toKernelOrder(const PackedMatrix &m, int blockBytes, const float *x, float *out,
                   bool scaleSlots);
// The zeroFloats table of RowsArgs for 2-, 3- or 4-bit containers.
const float *zeroFloatTable(int containerBits);

// How codes become weights: scale * (u - zero), scale * codebook[u], or the latter for a
// 256-entry codebook with codebook[u + 128] = -codebook[u] (FP8), which needs half a table.
constexpr int kInteger = 0;
constexpr int kTable = 1;
constexpr int kSignTable = 2;

// The row kernels of each instruction set for a container width and a decode; null where
// this build has no such path.
RowsFn avx512Rows(int containerBits, int decode);
RowsFn avx2Rows(int containerBits, int decode);

} // namespace lathe::packedkernel
