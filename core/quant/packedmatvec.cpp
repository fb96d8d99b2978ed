// SPDX-License-Identifier: GPL-3.0-or-later
// Dispatch, the kernel-order layout of x, threading and the portable path of packedMatvec.
// The vector paths live in packedmatvecavx512.cpp and packedmatvecavx2.cpp.
#include "quant/packedmatvec.h"

#include "quant/packedmatvecimpl.h"
#include "util/error.h"
#include "util/threadpool.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

namespace lathe {

namespace packedkernel {

std::int64_t kernelXStride(const PackedMatrix &m, int blockBytes)
{
    const std::int64_t blocks = (m.lowPlaneBytes() + blockBytes - 1) / blockBytes;
    return blocks * blockBytes * (8 / planeBits(m.containerBits));
}

void toKernelOrder(const PackedMatrix &m, int blockBytes, const float *x, float *out,
                   bool scaleSlots)
{
    // Runs on every call before the parallel part, so shifts instead of divisions: codes per
    // byte and block bytes are powers of two.
    const std::int64_t stride = kernelXStride(m, blockBytes);
    const int bits = planeBits(m.containerBits);
    const int perByteLog = bits == 8 ? 0 : bits == 4 ? 1 : 2;
    const int blockLog = blockBytes == 16 ? 4 : blockBytes == 8 ? 3 : 0;
    const std::int64_t slotMask = (std::int64_t(1) << perByteLog) - 1;
    const std::int64_t laneMask = blockBytes - 1;
    float factor[4];
    for (int s = 0; s < 4; ++s)
        factor[s] = scaleSlots ? std::ldexp(1.0f, -s * bits) : 1.0f;
    std::fill(out, out + m.groupsPerRow * stride, 0.0f);
    for (std::int64_t g = 0; g < m.groupsPerRow; ++g) {
        const float *xg = x + g * m.group;
        const std::int64_t n = std::min(m.group, m.cols - g * m.group);
        float *o = out + g * stride;
        // Code j of the group sits in byte j / perByte at slot j % perByte; a block's lane k
        // is its byte k, and the kernel's s-th vector of a block holds slot s of every lane.
        for (std::int64_t j = 0; j < n; ++j) {
            const std::int64_t byte = j >> perByteLog;
            const std::int64_t slot = j & slotMask;
            const std::int64_t block = byte >> blockLog;
            const std::int64_t lane = byte & laneMask;
            o[((block << perByteLog) + slot) * blockBytes + lane] = xg[j] * factor[slot];
        }
    }
}

const float *zeroFloatTable(int containerBits)
{
    static const auto make = [](int bits) {
        std::array<float, 4 * 256> t {};
        for (int slot = 0; slot < 8 / bits; ++slot)
            for (int zero = 0; zero < 256; ++zero)
                t[std::size_t(slot * 256 + zero)]
                    = 8388608.0f + std::ldexp(float(zero), slot * bits);
        return t;
    };
    static const std::array<float, 4 * 256> two = make(2), four = make(4);
    return planeBits(containerBits) == 2 ? two.data() : four.data();
}

} // namespace packedkernel

namespace {

using namespace packedkernel;

// Portable path: one byte at a time, x in the codes' own order (blocks of one byte).
template <int Bits, bool Table>
void rowsScalar(const RowsArgs &a, std::int64_t r0, std::int64_t r1)
{
    constexpr int perByte = 8 / Bits;
    constexpr int mask = (1 << Bits) - 1;
    for (std::int64_t r = r0; r < r1; ++r) {
        const std::uint8_t *row = a.codes + r * a.rowBytes;
        float sum = 0.0f;
        for (std::int64_t g = 0; g < a.groups; ++g) {
            const std::uint8_t *codes = row + g * a.groupBytes;
            const float *xg = a.x + g * a.xStride;
            const int zero = a.zeros[r * a.groups + g];
            float d[perByte] = {};
            for (std::int64_t k = 0; k < a.groupBytes; ++k) {
                const int byte = codes[k];
                for (int s = 0; s < perByte; ++s) {
                    const int u = (byte >> (s * Bits)) & mask;
                    const float w = Table ? a.codebook[u] : float(u - zero);
                    d[s] += w * xg[k * perByte + s];
                }
            }
            float dot = 0.0f;
            for (int s = 0; s < perByte; ++s)
                dot += d[s];
            sum += a.scales[r * a.groups + g] * dot;
        }
        a.y[r] = sum;
    }
}

// Portable path for 3-bit codes: the low plane as 2-bit codes, the third bit from the high one.
template <bool Table>
void rowsScalar3(const RowsArgs &a, std::int64_t r0, std::int64_t r1)
{
    for (std::int64_t r = r0; r < r1; ++r) {
        const std::uint8_t *row = a.codes + r * a.rowBytes;
        float sum = 0.0f;
        for (std::int64_t g = 0; g < a.groups; ++g) {
            const std::uint8_t *low = row + g * a.groupBytes;
            const std::uint8_t *high = low + a.lowBytes;
            const float *xg = a.x + g * a.xStride;
            const int zero = a.zeros[r * a.groups + g];
            float d[4] = {};
            for (std::int64_t k = 0; k < a.lowBytes; ++k) {
                const HighNibble h = threeBitHighNibble(a.lowBytes, k);
                const int nibble = high[h.byte] >> h.shift;
                for (int s = 0; s < 4; ++s) {
                    const int u = ((low[k] >> (2 * s)) & 3) | (((nibble >> s) & 1) << 2);
                    const float w = Table ? a.codebook[u] : float(u - zero);
                    d[s] += w * xg[k * 4 + s];
                }
            }
            sum += a.scales[r * a.groups + g] * ((d[0] + d[1]) + (d[2] + d[3]));
        }
        a.y[r] = sum;
    }
}

RowsFn scalarRows(int containerBits, bool table)
{
    switch (containerBits) {
    case 3:
        return table ? rowsScalar3<true> : rowsScalar3<false>;
    case 8:
        return table ? rowsScalar<8, true> : rowsScalar<8, false>;
    case 4:
        return table ? rowsScalar<4, true> : rowsScalar<4, false>;
    default:
        return table ? rowsScalar<2, true> : rowsScalar<2, false>;
    }
}

int blockBytesOf(PackedMatvecPath path)
{
    return path == PackedMatvecPath::Avx512 ? 16 : path == PackedMatvecPath::Avx2 ? 8 : 1;
}

// The vector paths have no kernel for 3-bit codebooks (no format uses one): those fall back
// to the portable path, which the x layout of any path suits only for blocks of one byte,
// hence the path is settled before x is laid out.
RowsFn vectorRows(PackedMatvecPath path, int containerBits, int decode)
{
    switch (path) {
    case PackedMatvecPath::Avx512:
        return avx512Rows(containerBits, decode);
    case PackedMatvecPath::Avx2:
        return avx2Rows(containerBits, decode);
    default:
        return nullptr;
    }
}

// kSignTable when a 256-entry codebook is odd around code 128 (E4M3: bit 7 is the sign; its
// two NaN codes decode to 0 and -0 then, which add the same).
int decodeOf(const std::array<float, 256> &table, const PackedMatrix &m)
{
    if (m.codebook.empty())
        return kInteger;
    if (m.containerBits != 8)
        return kTable;
    for (int u = 0; u < 128; ++u)
        if (!(table[std::size_t(u + 128)] == -table[std::size_t(u)]))
            return kTable;
    return kSignTable;
}

// Reused per thread: decode calls this a few hundred times per token.
struct Scratch {
    std::vector<float> x;
    alignas(64) std::array<float, 256> table {};
};

float *aligned64(std::vector<float> &buffer, std::size_t floats)
{
    if (buffer.size() < floats + 16)
        buffer.resize(floats + 16);
    auto address = reinterpret_cast<std::uintptr_t>(buffer.data());
    address = (address + 63) / 64 * 64;
    return reinterpret_cast<float *>(address);
}

// Below this many weights waking the pool costs more than it saves.
constexpr std::int64_t kSerialWork = 48 * 1024;

} // namespace

bool packedMatvecSupported(PackedMatvecPath path)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    static const bool avx512 = __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq");
#else
    constexpr bool avx2 = false, avx512 = false;
#endif
    switch (path) {
    case PackedMatvecPath::Auto:
    case PackedMatvecPath::Scalar:
        return true;
    case PackedMatvecPath::Avx2:
        return avx2 && avx2Rows(8, kInteger) != nullptr;
    case PackedMatvecPath::Avx512:
        return avx512 && avx512Rows(8, kInteger) != nullptr;
    }
    return false;
}

PackedMatvecPath packedMatvecBestPath()
{
    static const PackedMatvecPath best = packedMatvecSupported(PackedMatvecPath::Avx512)
        ? PackedMatvecPath::Avx512
        : packedMatvecSupported(PackedMatvecPath::Avx2) ? PackedMatvecPath::Avx2
                                                        : PackedMatvecPath::Scalar;
    return best;
}

std::string packedMatvecPathName(PackedMatvecPath path)
{
    switch (path) {
    case PackedMatvecPath::Auto:
        return "auto (" + packedMatvecPathName(packedMatvecBestPath()) + ")";
    case PackedMatvecPath::Scalar:
        return "scalar";
    case PackedMatvecPath::Avx2:
        return "avx2+fma";
    case PackedMatvecPath::Avx512:
        return "avx512";
    }
    return "?";
}

void packedMatvec(const PackedMatrix &m, const float *x, float *y, PackedMatvecPath path)
{
    if (path == PackedMatvecPath::Auto)
        path = packedMatvecBestPath();
    else if (!packedMatvecSupported(path))
        throw UnsupportedError("the packed matrix-vector kernel's " + packedMatvecPathName(path)
                               + " path needs instructions this CPU does not have");
    if (m.rows == 0)
        return;
    const bool table = !m.codebook.empty();
    thread_local Scratch scratch;
    if (table) {
        // Padded to the container's code count, so a padding code never reads past the end.
        scratch.table.fill(0.0f);
        const std::size_t n = std::min<std::size_t>(m.codebook.size(), 256);
        std::copy_n(m.codebook.begin(), n, scratch.table.begin());
    }
    const int decode = decodeOf(scratch.table, m);
    RowsFn rows = vectorRows(path, m.containerBits, decode);
    if (!rows) {
        path = PackedMatvecPath::Scalar;
        rows = scalarRows(m.containerBits, table);
    }
    const int blockBytes = blockBytesOf(path);

    const std::int64_t xStride = kernelXStride(m, blockBytes);
    float *xk = aligned64(scratch.x, std::size_t(m.groupsPerRow * xStride));
    // The AVX-512 path leaves 2-, 3- and 4-bit integer codes in place (see its weights()).
    const bool inPlaceCodes
        = path == PackedMatvecPath::Avx512 && !table && m.containerBits < 8;
    toKernelOrder(m, blockBytes, x, xk, inPlaceCodes);

    RowsArgs a;
    a.codes = m.codes.data();
    a.scales = m.scales.data();
    a.zeros = m.zeros.data();
    a.codebook = table ? scratch.table.data() : nullptr;
    a.x = xk;
    a.zeroFloats = inPlaceCodes ? zeroFloatTable(m.containerBits) : nullptr;
    a.y = y;
    a.rowBytes = m.rowBytes;
    a.groups = m.groupsPerRow;
    a.groupBytes = m.groupBytes;
    a.lowBytes = m.lowPlaneBytes();
    a.xStride = xStride;
    a.containerBits = m.containerBits;

    const int threads = threadCount();
    if (threads <= 1 || m.rows * m.cols < kSerialWork) {
        rows(a, 0, m.rows);
        return;
    }
    // Blocks of a multiple of 8 rows (the vector kernels do 4 at a time), about 16 per thread
    // so a thread slowed by another process does not hold up the others.
    std::int64_t blockRows = m.rows / (threads * 16);
    blockRows = std::max<std::int64_t>(8, (blockRows + 7) / 8 * 8);
    const std::int64_t blocks = (m.rows + blockRows - 1) / blockRows;
    parallelFor(blocks, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t b = begin; b < end; ++b)
            rows(a, b * blockRows, std::min(m.rows, (b + 1) * blockRows));
    });
}

} // namespace lathe
