// SPDX-License-Identifier: GPL-3.0-or-later
// The AVX-512 path of packedMatvec: blocks of 16 code bytes widened to 16 lanes
// (vpmovzxbd), each lane's 8 / containerBits codes turned into weights (see weights()) and
// multiplied with x. Four rows at a time share every load of x.
#include "quant/packedmatvecimpl.h"

#if defined(__x86_64__) && defined(__GNUC__)

// GCC 12's AVX-512 intrinsics start from a self-initialized "undefined" register, which
// -Wmaybe-uninitialized reports once they are inlined here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <cstdint>

#define LATHE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

namespace lathe::packedkernel {

namespace {

constexpr std::int32_t kMagic = 0x4B000000; // 2^23 as float bits

// Weights of code slot s (0 <= s < 8 / Bits) of a block: the s-th code of every byte lane.
// Integer codes of 2 and 4 bits skip the shift and the conversion: the slot's bits, left in
// place and OR-ed into the mantissa of 2^23 (one vpternlogd), are the float
// 2^23 + 2^(s * Bits) u exactly; subtracting zf[s] = 2^23 + 2^(s * Bits) zero (exact) leaves
// 2^(s * Bits) (u - zero), and x in kernel order carries the factor 2^-(s * Bits).
// 3-bit codes do the same with their low two bits (slot s at bits 2s, 2s + 1) after moving the
// slot's third bit from the high lane (bit s, see highLanes()) to bit 2s + 2: two more
// instructions. 8-bit codes: the zero taken off in integers, then converted. Codebooks: vpermps for 16
// entries, register permutes for 256.
template <int Bits, int Table>
LATHE_AVX512 __attribute__((always_inline)) inline __m512 weights(__m512i bytes, __m512i high,
    int s, const __m512 *zf, __m512i zero, __m512 table16, const float *table)
{
    if constexpr (Bits == 3) {
        static_assert(!Table, "no 3-bit codebook kernel");
        const __m512i low = _mm512_ternarylogic_epi32(bytes, _mm512_set1_epi32(3 << (2 * s)),
                                                      _mm512_set1_epi32(kMagic), 0xEA);
        const __m512i f = _mm512_ternarylogic_epi32(_mm512_slli_epi32(high, s + 2),
            _mm512_set1_epi32(4 << (2 * s)), low, 0xEA); // (a & b) | c
        return _mm512_sub_ps(_mm512_castsi512_ps(f), zf[s]);
    } else if constexpr (!Table && Bits == 8) {
        return _mm512_cvtepi32_ps(_mm512_sub_epi32(bytes, zero));
    } else if constexpr (!Table) {
        const __m512i slotMask = _mm512_set1_epi32(((1 << Bits) - 1) << (s * Bits));
        const __m512i f = _mm512_ternarylogic_epi32(bytes, slotMask, _mm512_set1_epi32(kMagic),
                                                    0xEA); // (a & b) | c
        return _mm512_sub_ps(_mm512_castsi512_ps(f), zf[s]);
    } else {
        __m512i u = bytes;
        if constexpr (Bits < 8) {
            if (s > 0)
                u = _mm512_srli_epi32(u, s * Bits);
            if (s < 8 / Bits - 1)
                u = _mm512_and_si512(u, _mm512_set1_epi32((1 << Bits) - 1));
            return _mm512_permutexvar_ps(u, table16);
        } else if constexpr (Table == kSignTable) {
            // table[u + 128] = -table[u] (FP8): four permutes and two blends look up the
            // magnitude, bit 7 of the code becomes the sign bit.
            __m512 t[4];
#pragma GCC unroll 4
            for (int k = 0; k < 4; ++k)
                t[k] = _mm512_permutex2var_ps(_mm512_load_ps(table + 32 * k), u,
                                              _mm512_load_ps(table + 32 * k + 16));
            const __mmask16 b5 = _mm512_test_epi32_mask(u, _mm512_set1_epi32(32));
            const __mmask16 b6 = _mm512_test_epi32_mask(u, _mm512_set1_epi32(64));
            const __m512 magnitude = _mm512_mask_blend_ps(b6, _mm512_mask_blend_ps(b5, t[0], t[1]),
                                                          _mm512_mask_blend_ps(b5, t[2], t[3]));
            const __m512i sign = _mm512_slli_epi32(u, 24); // bit 7 to bit 31
            return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
                _mm512_castps_si512(magnitude), sign, _mm512_set1_epi32(INT32_MIN),
                0x78)); // a ^ (b & c)
        } else {
            // 256 entries: eight two-register permutes on the low 5 bits, then bits 5, 6
            // and 7 pick among them (several times faster than a gather).
            __m512 t[8];
#pragma GCC unroll 8
            for (int k = 0; k < 8; ++k)
                t[k] = _mm512_permutex2var_ps(_mm512_load_ps(table + 32 * k), u,
                                              _mm512_load_ps(table + 32 * k + 16));
            const __mmask16 b5 = _mm512_test_epi32_mask(u, _mm512_set1_epi32(32));
            const __mmask16 b6 = _mm512_test_epi32_mask(u, _mm512_set1_epi32(64));
            const __mmask16 b7 = _mm512_test_epi32_mask(u, _mm512_set1_epi32(128));
            const __m512 a0 = _mm512_mask_blend_ps(b5, t[0], t[1]);
            const __m512 a1 = _mm512_mask_blend_ps(b5, t[2], t[3]);
            const __m512 a2 = _mm512_mask_blend_ps(b5, t[4], t[5]);
            const __m512 a3 = _mm512_mask_blend_ps(b5, t[6], t[7]);
            return _mm512_mask_blend_ps(b7, _mm512_mask_blend_ps(b6, a0, a1),
                                        _mm512_mask_blend_ps(b6, a2, a3));
        }
    }
}

// Per-row decode state for one group.
template <int R>
struct GroupState {
    __m512 zf[R][4];  // 2- and 4-bit integer codes: 2^23 + 2^(s * Bits) zero per slot
    __m512i zero[R];  // 8-bit integer codes: the zero point
};

// One block for all R rows. Chain: a group of exactly one block, summed into d0 alone.
// Otherwise `odd` picks the accumulator of each slot so that consecutive products do not wait
// on each other's FMA.
template <int Bits, int Table, int R, bool Chain>
LATHE_AVX512 __attribute__((always_inline)) inline void block(const __m512i *bytes,
    const __m512i *high, const float *xb, bool odd, const GroupState<R> &st, __m512 table16,
    const float *table, __m512 *d0, __m512 *d1)
{
    constexpr int P = 8 / planeBits(Bits);
#pragma GCC unroll 8
    for (int s = 0; s < P; ++s) {
        const __m512 xs = _mm512_load_ps(xb + 16 * s);
#pragma GCC unroll 8
        for (int i = 0; i < R; ++i) {
            const __m512 w = weights<Bits, Table>(bytes[i], Bits == 3 ? high[i] : bytes[i], s,
                                                  st.zf[i], st.zero[i], table16, table);
            if (Chain && s == 0)
                d0[i] = _mm512_mul_ps(w, xs);
            else if (Chain || (s + (odd ? 1 : 0)) % 2 == 0)
                d0[i] = _mm512_fmadd_ps(w, xs, d0[i]);
            else
                d1[i] = _mm512_fmadd_ps(w, xs, d1[i]);
        }
    }
}

LATHE_AVX512 __attribute__((always_inline)) inline __m512i loadBlock(const std::uint8_t *p)
{
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
}

// 3-bit codes: where each lane of a block finds its high nibble (PackedMatrix's
// threeBitHighNibble()). A block of 16 low bytes has 8 high bytes: lane k reads byte k mod 8,
// shifted by 0 or 4. A shorter last block of t bytes has t / 2: lane k reads byte k mod (t/2).
struct HighLayout {
    __m512i fullShift, tailIndex, tailShift;
    __mmask16 tailMask; // the tail's t / 2 high bytes
};

LATHE_AVX512 inline HighLayout highLayout(int tailBytes)
{
    alignas(64) std::int32_t index[16] = {}, shift[16] = {};
    const int half = tailBytes / 2;
    for (int k = 0; k < tailBytes; ++k) {
        index[k] = k % half;
        shift[k] = k / half * 4;
    }
    return { _mm512_set_epi32(4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0),
             _mm512_load_si512(index), _mm512_load_si512(shift),
             __mmask16((1u << half) - 1) };
}

// The high lanes of a full block whose 8 high bytes start at p.
LATHE_AVX512 __attribute__((always_inline)) inline __m512i highLanes(const std::uint8_t *p,
                                                                      const HighLayout &h)
{
    std::int64_t word;
    __builtin_memcpy(&word, p, 8);
    return _mm512_srlv_epi32(_mm512_cvtepu8_epi32(_mm_set1_epi64x(word)), h.fullShift);
}

LATHE_AVX512 __attribute__((always_inline)) inline __m512i tailHighLanes(const std::uint8_t *p,
                                                                          const HighLayout &h)
{
    const __m512i bytes = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(h.tailMask, p));
    return _mm512_srlv_epi32(_mm512_permutexvar_epi32(h.tailIndex, bytes), h.tailShift);
}

// The high lanes of full block b of each row (3-bit codes; nothing for other widths).
template <int Bits, int R>
LATHE_AVX512 __attribute__((always_inline)) inline void loadHigh(__m512i *high,
    const std::uint8_t *const *row, std::int64_t highOffset, std::int64_t b, const HighLayout &h)
{
    if constexpr (Bits == 3) {
#pragma GCC unroll 8
        for (int i = 0; i < R; ++i)
            high[i] = highLanes(row[i] + highOffset + b * 8, h);
    }
}

// Rows [r, r + R). Chain: every group is exactly one block of 16 bytes (4-bit g32, ...).
template <int Bits, int Table, int R, bool Chain>
LATHE_AVX512 __attribute__((always_inline)) inline void rowsR(const RowsArgs &a, std::int64_t r)
{
    constexpr int P = 8 / planeBits(Bits);
    const std::int64_t fullBlocks = a.lowBytes / 16;
    const int tailBytes = int(a.lowBytes % 16);
    const __mmask16 tailMask = __mmask16((1u << tailBytes) - 1);
    HighLayout hl {};
    if constexpr (Bits == 3)
        hl = highLayout(tailBytes);
    __m512 table16 = _mm512_setzero_ps();
    if constexpr (Table && Bits <= 4)
        table16 = _mm512_loadu_ps(a.codebook);

    const std::uint8_t *row[R];
    const float *scales[R];
    const std::uint8_t *zeros[R];
    __m512 acc[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
        row[i] = a.codes + (r + i) * a.rowBytes;
        scales[i] = a.scales + (r + i) * a.groups;
        zeros[i] = a.zeros + (r + i) * a.groups;
        acc[i] = _mm512_setzero_ps();
    }
    GroupState<R> st;
    for (std::int64_t g = 0; g < a.groups; ++g) {
        const float *xg = a.x + g * a.xStride;
        const std::int64_t offset = g * a.groupBytes;
        __m512 d0[R], d1[R];
#pragma GCC unroll 8
        for (int i = 0; i < R; ++i) {
            if constexpr (!Table && Bits == 8) {
                st.zero[i] = _mm512_set1_epi32(zeros[i][g]);
            } else if constexpr (!Table) {
#pragma GCC unroll 8
                for (int s = 0; s < P; ++s)
                    st.zf[i][s] = _mm512_set1_ps(a.zeroFloats[s * 256 + zeros[i][g]]);
            }
            d0[i] = _mm512_setzero_ps();
            d1[i] = _mm512_setzero_ps();
        }
        __m512i bytes[R], high[R];
        if constexpr (Chain) {
#pragma GCC unroll 8
            for (int i = 0; i < R; ++i)
                bytes[i] = loadBlock(row[i] + offset);
            loadHigh<Bits, R>(high, row, offset + a.lowBytes, 0, hl);
            block<Bits, Table, R, true>(bytes, high, xg, false, st, table16, a.codebook, d0, d1);
        } else {
            std::int64_t b = 0;
            for (; b + 2 <= fullBlocks; b += 2) {
#pragma GCC unroll 8
                for (int i = 0; i < R; ++i)
                    bytes[i] = loadBlock(row[i] + offset + b * 16);
                loadHigh<Bits, R>(high, row, offset + a.lowBytes, b, hl);
                block<Bits, Table, R, false>(bytes, high, xg + b * 16 * P, false, st, table16,
                                             a.codebook, d0, d1);
#pragma GCC unroll 8
                for (int i = 0; i < R; ++i)
                    bytes[i] = loadBlock(row[i] + offset + b * 16 + 16);
                loadHigh<Bits, R>(high, row, offset + a.lowBytes, b + 1, hl);
                block<Bits, Table, R, false>(bytes, high, xg + (b + 1) * 16 * P, true, st,
                                             table16, a.codebook, d0, d1);
            }
            if (b < fullBlocks) {
#pragma GCC unroll 8
                for (int i = 0; i < R; ++i)
                    bytes[i] = loadBlock(row[i] + offset + b * 16);
                loadHigh<Bits, R>(high, row, offset + a.lowBytes, b, hl);
                block<Bits, Table, R, false>(bytes, high, xg + b * 16 * P, false, st, table16,
                                             a.codebook, d0, d1);
                ++b;
            }
            if (tailBytes) {
                // Lanes past the group read as code 0, against x = 0 in kernel order.
#pragma GCC unroll 8
                for (int i = 0; i < R; ++i)
                    bytes[i] = _mm512_cvtepu8_epi32(
                        _mm_maskz_loadu_epi8(tailMask, row[i] + offset + b * 16));
                if constexpr (Bits == 3) {
#pragma GCC unroll 8
                    for (int i = 0; i < R; ++i)
                        high[i] = tailHighLanes(row[i] + offset + a.lowBytes + b * 8, hl);
                }
                block<Bits, Table, R, false>(bytes, high, xg + b * 16 * P, true, st, table16,
                                             a.codebook, d0, d1);
            }
        }
#pragma GCC unroll 8
        for (int i = 0; i < R; ++i) {
            const __m512 d = Chain ? d0[i] : _mm512_add_ps(d0[i], d1[i]);
            acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(scales[i][g]), d, acc[i]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i)
        a.y[r + i] = _mm512_reduce_add_ps(acc[i]);
}

template <int Bits, int Table, bool Chain>
LATHE_AVX512 void rowsChain(const RowsArgs &a, std::int64_t r0, std::int64_t r1)
{
    std::int64_t r = r0;
    for (; r + 4 <= r1; r += 4)
        rowsR<Bits, Table, 4, Chain>(a, r);
    for (; r < r1; ++r)
        rowsR<Bits, Table, 1, Chain>(a, r);
}

template <int Bits, int Table>
void rows(const RowsArgs &a, std::int64_t r0, std::int64_t r1)
{
    if (a.lowBytes == 16)
        rowsChain<Bits, Table, true>(a, r0, r1);
    else
        rowsChain<Bits, Table, false>(a, r0, r1);
}

} // namespace

RowsFn avx512Rows(int containerBits, int decode)
{
    switch (containerBits) {
    case 8:
        return decode == kSignTable ? rows<8, kSignTable>
            : decode == kTable      ? rows<8, kTable>
                                    : rows<8, kInteger>;
    case 4:
        return decode != kInteger ? rows<4, kTable> : rows<4, kInteger>;
    case 3:
        return decode != kInteger ? nullptr : rows<3, kInteger>;
    default:
        return decode != kInteger ? rows<2, kTable> : rows<2, kInteger>;
    }
}

} // namespace lathe::packedkernel

#else

namespace lathe::packedkernel {

RowsFn avx512Rows(int, int)
{
    return nullptr;
}

} // namespace lathe::packedkernel

#endif
