// SPDX-License-Identifier: GPL-3.0-or-later
// The AVX2 path of packedMatvec, for CPUs without AVX-512: as the AVX-512 path with blocks of
// 8 code bytes widened to 8 lanes. 16-entry codebooks take two vpermps and a blend, 256-entry
// ones a gather. 3-bit codes: the low plane as 2-bit codes, each slot's third bit OR-ed in
// from the high lanes.
#include "quant/packedmatvecimpl.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#include <cstring>

#define LATHE_AVX2 __attribute__((target("avx2,fma")))
#define LATHE_AVX2_INLINE LATHE_AVX2 __attribute__((always_inline)) inline

namespace lathe::packedkernel {

namespace {

template <int Bits>
LATHE_AVX2_INLINE __m256i codeSlot(__m256i bytes, __m256i high, int s)
{
    if constexpr (Bits == 3) {
        // The slot's third bit is bit s of the high lane; it becomes bit 2 of the code.
        const __m256i third = s < 2 ? _mm256_slli_epi32(high, 2 - s)
                            : s == 2 ? high
                                     : _mm256_srli_epi32(high, 1);
        return _mm256_or_si256(codeSlot<2>(bytes, high, s),
                               _mm256_and_si256(third, _mm256_set1_epi32(4)));
    } else if constexpr (Bits == 8) {
        return bytes;
    } else {
        constexpr int mask = (1 << Bits) - 1;
        if (s == 8 / Bits - 1)
            return _mm256_srli_epi32(bytes, s * Bits);
        const __m256i shifted = s == 0 ? bytes : _mm256_srli_epi32(bytes, s * Bits);
        return _mm256_and_si256(shifted, _mm256_set1_epi32(mask));
    }
}

struct Tables {
    __m256 lo, hi; // entries 0-7 and 8-15
};

template <int Bits, bool Table>
LATHE_AVX2_INLINE __m256 weights(__m256i u, __m256i zero, const Tables &t, const float *table)
{
    if constexpr (!Table) {
        return _mm256_cvtepi32_ps(_mm256_sub_epi32(u, zero));
    } else if constexpr (Bits == 2) {
        return _mm256_permutevar8x32_ps(t.lo, u);
    } else if constexpr (Bits == 4) {
        // vpermps looks at the low 3 bits; bit 3, moved to the sign, picks the table.
        const __m256 lo = _mm256_permutevar8x32_ps(t.lo, u);
        const __m256 hi = _mm256_permutevar8x32_ps(t.hi, u);
        return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(u, 28)));
    } else {
        return _mm256_i32gather_ps(table, u, 4);
    }
}

template <int Bits, bool Table, int R>
LATHE_AVX2_INLINE void block(const __m256i *bytes, const __m256i *high, const float *xb,
    bool odd, const __m256i *zero, const Tables &t, const float *table, __m256 *d0, __m256 *d1)
{
    constexpr int P = 8 / planeBits(Bits);
    #pragma GCC unroll 8
    for (int s = 0; s < P; ++s) {
        const __m256 xs = _mm256_load_ps(xb + 8 * s);
        #pragma GCC unroll 8
        for (int i = 0; i < R; ++i) {
            const __m256 w = weights<Bits, Table>(
                codeSlot<Bits>(bytes[i], Bits == 3 ? high[i] : bytes[i], s), zero[i], t, table);
            if ((s + (odd ? 1 : 0)) % 2 == 0)
                d0[i] = _mm256_fmadd_ps(w, xs, d0[i]);
            else
                d1[i] = _mm256_fmadd_ps(w, xs, d1[i]);
        }
    }
}

LATHE_AVX2_INLINE __m256i load8(const std::uint8_t *p)
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
}

// Up to 8 bytes from p, the lanes after them zero (never reads past the last of them).
LATHE_AVX2_INLINE __m256i loadPartial(const std::uint8_t *p, int count)
{
    std::uint64_t word = 0;
    std::memcpy(&word, p, std::size_t(count));
    return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(std::int64_t(word)));
}

// 3-bit codes: where the lanes of 8-byte block c of a group find their high nibbles
// (PackedMatrix's threeBitHighNibble()). In a full run of 16 low bytes, block 2b reads the
// run's 8 high bytes as they are, block 2b + 1 shifted by 4. A shorter last run of t bytes has
// t / 2 high bytes: lane k (run byte kk) reads byte kk mod (t / 2), permuted into place.
struct HighLayout {
    std::int64_t fullRuns = 0;
    int tailHalf = 0;        // t / 2
    __m256i index[2], shift[2]; // the tail run's two blocks
};

LATHE_AVX2 inline HighLayout highLayout(std::int64_t lowBytes)
{
    HighLayout h;
    h.fullRuns = lowBytes / 16;
    const int t = int(lowBytes % 16);
    h.tailHalf = t / 2;
    for (int half = 0; half < 2; ++half) {
        alignas(32) std::int32_t index[8] = {}, shift[8] = {};
        for (int k = 0; k < 8; ++k) {
            const int kk = 8 * half + k;
            if (kk < t) {
                index[k] = kk % h.tailHalf;
                shift[k] = kk / h.tailHalf * 4;
            }
        }
        h.index[half] = _mm256_load_si256(reinterpret_cast<const __m256i *>(index));
        h.shift[half] = _mm256_load_si256(reinterpret_cast<const __m256i *>(shift));
    }
    return h;
}

LATHE_AVX2_INLINE __m256i highLanes(const std::uint8_t *high, std::int64_t c, const HighLayout &h)
{
    const std::int64_t run = c / 2;
    if (run < h.fullRuns)
        return _mm256_srli_epi32(load8(high + run * 8), int(c % 2) * 4);
    const __m256i bytes = loadPartial(high + run * 8, h.tailHalf);
    return _mm256_srlv_epi32(_mm256_permutevar8x32_epi32(bytes, h.index[c % 2]),
                             h.shift[c % 2]);
}

// The high lanes of block b of each row (3-bit codes; nothing for other widths).
template <int Bits, int R>
LATHE_AVX2_INLINE void loadHigh(__m256i *high, const std::uint8_t *const *row,
                                std::int64_t highOffset, std::int64_t b, const HighLayout &h)
{
    if constexpr (Bits == 3) {
        #pragma GCC unroll 8
        for (int i = 0; i < R; ++i)
            high[i] = highLanes(row[i] + highOffset, b, h);
    }
}

LATHE_AVX2_INLINE float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

template <int Bits, bool Table, int R>
LATHE_AVX2_INLINE void rowsR(const RowsArgs &a, std::int64_t r)
{
    constexpr int P = 8 / planeBits(Bits);
    const std::int64_t fullBlocks = a.lowBytes / 8;
    const int tailBytes = int(a.lowBytes % 8);
    HighLayout hl;
    if constexpr (Bits == 3)
        hl = highLayout(a.lowBytes);
    Tables t { _mm256_setzero_ps(), _mm256_setzero_ps() };
    if constexpr (Table && Bits <= 4) {
        t.lo = _mm256_loadu_ps(a.codebook);
        t.hi = _mm256_loadu_ps(a.codebook + 8);
    }
    const std::uint8_t *row[R];
    __m256 acc[R];
    #pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
        row[i] = a.codes + (r + i) * a.rowBytes;
        acc[i] = _mm256_setzero_ps();
    }
    for (std::int64_t g = 0; g < a.groups; ++g) {
        const float *xg = a.x + g * a.xStride;
        const std::int64_t offset = g * a.groupBytes;
        __m256i zero[R];
        __m256 d0[R], d1[R];
        #pragma GCC unroll 8
        for (int i = 0; i < R; ++i) {
            zero[i] = Table ? _mm256_setzero_si256()
                            : _mm256_set1_epi32(a.zeros[(r + i) * a.groups + g]);
            d0[i] = _mm256_setzero_ps();
            d1[i] = _mm256_setzero_ps();
        }
        __m256i bytes[R], high[R];
        std::int64_t b = 0;
        for (; b + 2 <= fullBlocks; b += 2) {
            #pragma GCC unroll 8
            for (int i = 0; i < R; ++i)
                bytes[i] = load8(row[i] + offset + b * 8);
            loadHigh<Bits, R>(high, row, offset + a.lowBytes, b, hl);
            block<Bits, Table, R>(bytes, high, xg + b * 8 * P, false, zero, t, a.codebook, d0,
                                  d1);
            #pragma GCC unroll 8
            for (int i = 0; i < R; ++i)
                bytes[i] = load8(row[i] + offset + b * 8 + 8);
            loadHigh<Bits, R>(high, row, offset + a.lowBytes, b + 1, hl);
            block<Bits, Table, R>(bytes, high, xg + (b + 1) * 8 * P, true, zero, t, a.codebook,
                                  d0, d1);
        }
        if (b < fullBlocks) {
            #pragma GCC unroll 8
            for (int i = 0; i < R; ++i)
                bytes[i] = load8(row[i] + offset + b * 8);
            loadHigh<Bits, R>(high, row, offset + a.lowBytes, b, hl);
            block<Bits, Table, R>(bytes, high, xg + b * 8 * P, false, zero, t, a.codebook, d0,
                                  d1);
            ++b;
        }
        if (tailBytes) {
            // Only the group's own bytes are read (the last row must not run past the codes);
            // the lanes after them read as code 0, against x = 0 in kernel order.
            #pragma GCC unroll 8
            for (int i = 0; i < R; ++i)
                bytes[i] = loadPartial(row[i] + offset + b * 8, tailBytes);
            loadHigh<Bits, R>(high, row, offset + a.lowBytes, b, hl);
            block<Bits, Table, R>(bytes, high, xg + b * 8 * P, true, zero, t, a.codebook, d0,
                                  d1);
        }
        #pragma GCC unroll 8
        for (int i = 0; i < R; ++i)
            acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(a.scales[(r + i) * a.groups + g]),
                                     _mm256_add_ps(d0[i], d1[i]), acc[i]);
    }
    #pragma GCC unroll 8
    for (int i = 0; i < R; ++i)
        a.y[r + i] = hsum(acc[i]);
}

template <int Bits, bool Table>
LATHE_AVX2 void rows(const RowsArgs &a, std::int64_t r0, std::int64_t r1)
{
    std::int64_t r = r0;
    // Two rows at a time: four would not fit AVX2's 16 registers.
    for (; r + 2 <= r1; r += 2)
        rowsR<Bits, Table, 2>(a, r);
    for (; r < r1; ++r)
        rowsR<Bits, Table, 1>(a, r);
}

} // namespace

RowsFn avx2Rows(int containerBits, int decode)
{
    const bool codebook = decode != kInteger;
    switch (containerBits) {
    case 8:
        return codebook ? rows<8, true> : rows<8, false>;
    case 4:
        return codebook ? rows<4, true> : rows<4, false>;
    case 3:
        return codebook ? nullptr : rows<3, false>;
    default:
        return codebook ? rows<2, true> : rows<2, false>;
    }
}

} // namespace lathe::packedkernel

#else

namespace lathe::packedkernel {

RowsFn avx2Rows(int, int)
{
    return nullptr;
}

} // namespace lathe::packedkernel

#endif
