// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/packedmatvec.h"

#include "util/threadpool.h"

#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LATHE_PACKED_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LATHE_PACKED_CLONES
#endif

namespace lathe {

namespace {

typedef float V8f __attribute__((vector_size(32)));
typedef std::int32_t V8i __attribute__((vector_size(32)));

// Eight codes starting at code index `k` of a group minus the group's zero, as floats: the
// zero is taken off in integers so that nothing cancels in float. Containers of 2 and 4 bits:
// the bytes are broadcast to all lanes and each lane shifts its own code down.
// (Written to `out`: returning a 32-byte vector from a function the baseline copy also
// compiles would change the ABI between the clones.)
template <int Bits>
__attribute__((always_inline)) inline void decode8(
    const std::uint8_t *group, std::int64_t k, const V8i &zero, V8f &out)
{
    if constexpr (Bits == 8) {
        // As for the narrower codes (a byte-vector conversion compiles to scalar inserts).
        std::uint32_t lo, hi;
        std::memcpy(&lo, group + k, sizeof lo);
        std::memcpy(&hi, group + k + 4, sizeof hi);
        const V8i shifts = { 0, 8, 16, 24, 0, 8, 16, 24 };
        const V8i w = { std::int32_t(lo), std::int32_t(lo), std::int32_t(lo), std::int32_t(lo),
            std::int32_t(hi), std::int32_t(hi), std::int32_t(hi), std::int32_t(hi) };
        out = __builtin_convertvector(((w >> shifts) & 0xFF) - zero, V8f);
    } else if constexpr (Bits == 4) {
        std::uint32_t w;
        std::memcpy(&w, group + k / 2, sizeof w);
        const V8i shifts = { 0, 4, 8, 12, 16, 20, 24, 28 };
        const V8i v = ((V8i {} + std::int32_t(w)) >> shifts) & 0xF;
        out = __builtin_convertvector(v - zero, V8f);
    } else {
        std::uint16_t w;
        std::memcpy(&w, group + k / 4, sizeof w);
        const V8i shifts = { 0, 2, 4, 6, 8, 10, 12, 14 };
        const V8i v = ((V8i {} + std::int32_t(w)) >> shifts) & 0x3;
        out = __builtin_convertvector(v - zero, V8f);
    }
}

// Rows [r0, r1) of y. xp: x laid out like the codes (groupStride per group, zeros in the
// padding).
template <int Bits>
__attribute__((always_inline)) inline void rowsKernel(const PackedMatrix &m, const float *xp, float *y,
    std::int64_t r0, std::int64_t r1)
{
    const std::int64_t groupBytes = m.groupStride * Bits / 8;
    for (std::int64_t r = r0; r < r1; ++r) {
        const std::uint8_t *row = m.codes.data() + r * m.rowBytes;
        const float *scales = m.scales.data() + r * m.groupsPerRow;
        const std::uint8_t *zeros = m.zeros.data() + r * m.groupsPerRow;
        V8f acc = {};
        for (std::int64_t g = 0; g < m.groupsPerRow; ++g) {
            const std::uint8_t *codes = row + g * groupBytes;
            const float *xg = xp + g * m.groupStride;
            const V8i zero = V8i {} + std::int32_t(zeros[g]);
            V8f d0 = {}, d1 = {};
            std::int64_t k = 0;
            for (; k + 16 <= m.groupStride; k += 16) {
                V8f x0, x1, c0, c1;
                std::memcpy(&x0, xg + k, sizeof x0);
                std::memcpy(&x1, xg + k + 8, sizeof x1);
                decode8<Bits>(codes, k, zero, c0);
                decode8<Bits>(codes, k + 8, zero, c1);
                d0 += c0 * x0;
                d1 += c1 * x1;
            }
            if (k < m.groupStride) {
                V8f x0, c0;
                std::memcpy(&x0, xg + k, sizeof x0);
                decode8<Bits>(codes, k, zero, c0);
                d0 += c0 * x0;
            }
            acc += scales[g] * (d0 + d1);
        }
        float s = 0.0f;
        for (int i = 0; i < 8; ++i)
            s += acc[i];
        y[r] = s;
    }
}

LATHE_PACKED_CLONES void rows8(const PackedMatrix &m, const float *xp, float *y,
    std::int64_t r0, std::int64_t r1)
{
    rowsKernel<8>(m, xp, y, r0, r1);
}

LATHE_PACKED_CLONES void rows4(const PackedMatrix &m, const float *xp, float *y,
    std::int64_t r0, std::int64_t r1)
{
    rowsKernel<4>(m, xp, y, r0, r1);
}

LATHE_PACKED_CLONES void rows2(const PackedMatrix &m, const float *xp, float *y,
    std::int64_t r0, std::int64_t r1)
{
    rowsKernel<2>(m, xp, y, r0, r1);
}

} // namespace

void packedMatvec(const PackedMatrix &m, const float *x, float *y)
{
    // x in the codes' layout, so every group is a whole number of 8-wide steps.
    std::vector<float> xp(std::size_t(m.groupsPerRow * m.groupStride), 0.0f);
    for (std::int64_t g = 0; g < m.groupsPerRow; ++g) {
        const std::int64_t begin = g * m.group;
        const std::int64_t n = std::min(m.group, m.cols - begin);
        std::memcpy(xp.data() + g * m.groupStride, x + begin, std::size_t(n) * sizeof(float));
    }
    const auto kernel = m.containerBits == 8 ? rows8 : m.containerBits == 4 ? rows4 : rows2;
    parallelFor(m.rows, 16, [&](std::int64_t r0, std::int64_t r1) {
        kernel(m, xp.data(), y, r0, r1);
    });
}

} // namespace lathe
