// SPDX-License-Identifier: GPL-3.0-or-later
// ggml block formats, decoded block by block. Layouts (all little-endian, f16 scales):
//   Q4_0 {d; qs[16]}            Q4_1 {d; m; qs[16]}
//   Q5_0 {d; qh[4]; qs[16]}     Q5_1 {d; m; qh[4]; qs[16]}
//   Q8_0 {d; qs[32] int8}       Q8_1 {d; s; qs[32] int8}
//   Q2_K {scales[16]; qs[64]; d; dmin}
//   Q3_K {hmask[32]; qs[64]; scales[12]; d}
//   Q4_K {d; dmin; scales[12]; qs[128]}
//   Q5_K {d; dmin; scales[12]; qh[32]; qs[128]}
//   Q6_K {ql[128]; qh[64]; scales[16] int8; d}
//   Q8_K {d f32; qs[256] int8; bsums[16] int16}
// The 32-value formats put value j in the low nibble of qs[j] and value j+16 in its high
// nibble. The 256-value "k-quants" split a block into 16 or 8 sub-blocks with their own
// small scales; their bit placement is documented at each decoder.
#include "io/ggmlquants.h"

#include "util/error.h"
#include "util/halffloat.h"

#include <cstring>

namespace lathe {

namespace {

inline float half(const std::uint8_t *p)
{
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return f16ToFloat(h);
}

inline std::uint32_t u32(const std::uint8_t *p)
{
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

void blockQ4_0(const std::uint8_t *b, float *y)
{
    const float d = half(b);
    const std::uint8_t *qs = b + 2;
    for (int j = 0; j < 16; ++j) {
        y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
        y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
}

void blockQ4_1(const std::uint8_t *b, float *y)
{
    const float d = half(b);
    const float m = half(b + 2);
    const std::uint8_t *qs = b + 4;
    for (int j = 0; j < 16; ++j) {
        y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
        y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
    }
}

// Bit j of qh is the fifth bit of value j (j < 32).
void blockQ5_0(const std::uint8_t *b, float *y)
{
    const float d = half(b);
    const std::uint32_t qh = u32(b + 2);
    const std::uint8_t *qs = b + 6;
    for (int j = 0; j < 16; ++j) {
        const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
        const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
        y[j] = static_cast<float>(((qs[j] & 0x0F) | h0) - 16) * d;
        y[j + 16] = static_cast<float>(((qs[j] >> 4) | h1) - 16) * d;
    }
}

void blockQ5_1(const std::uint8_t *b, float *y)
{
    const float d = half(b);
    const float m = half(b + 2);
    const std::uint32_t qh = u32(b + 4);
    const std::uint8_t *qs = b + 8;
    for (int j = 0; j < 16; ++j) {
        const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
        const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
        y[j] = static_cast<float>((qs[j] & 0x0F) | h0) * d + m;
        y[j + 16] = static_cast<float>((qs[j] >> 4) | h1) * d + m;
    }
}

// Q8_0 and Q8_1 differ only in the header (Q8_1 adds s = d * sum(qs), unused here).
void blockQ8(const std::uint8_t *b, float *y, int headerBytes)
{
    const float d = half(b);
    const auto *qs = reinterpret_cast<const std::int8_t *>(b + headerBytes);
    for (int j = 0; j < 32; ++j)
        y[j] = static_cast<float>(qs[j]) * d;
}

// Q2_K: 16 sub-blocks of 16 values; scales[i] holds a 4-bit scale (low) and 4-bit min
// (high). Values are 2-bit: in each half of 128 values, byte qs[32*half + l] holds value
// 32*s + l (s = 0..3) in bits 2s..2s+1.
void blockQ2_K(const std::uint8_t *b, float *y)
{
    const std::uint8_t *scales = b;
    const std::uint8_t *qs = b + 16;
    const float d = half(b + 80);
    const float dmin = half(b + 82);
    for (int h = 0; h < 2; ++h) {
        const std::uint8_t *q = qs + 32 * h;
        for (int s = 0; s < 4; ++s) {
            const int shift = 2 * s;
            for (int part = 0; part < 2; ++part) {
                const std::uint8_t sc = scales[8 * h + 2 * s + part];
                const float dl = d * static_cast<float>(sc & 0x0F);
                const float ml = dmin * static_cast<float>(sc >> 4);
                float *out = y + 128 * h + 32 * s + 16 * part;
                const std::uint8_t *qq = q + 16 * part;
                for (int l = 0; l < 16; ++l)
                    out[l] = dl * static_cast<float>((qq[l] >> shift) & 3) - ml;
            }
        }
    }
}

// Q3_K: 16 sub-blocks of 16 values with signed 6-bit scales (stored +32): the low 4 bits
// of scale i are in scales[i] (i < 8) or the high nibble of scales[i-8]; the top 2 bits
// are bits 2*(i/4).. of scales[8 + i%4]. A value is 2 low bits (placed as in Q2_K) plus a
// high bit from hmask; a cleared high bit subtracts 4.
void blockQ3_K(const std::uint8_t *b, float *y)
{
    const std::uint8_t *hmask = b;
    const std::uint8_t *qs = b + 32;
    const std::uint8_t *sc = b + 96;
    const float d = half(b + 108);
    int scale[16];
    for (int i = 0; i < 16; ++i) {
        const int low = i < 8 ? (sc[i] & 0x0F) : (sc[i - 8] >> 4);
        const int high = (sc[8 + i % 4] >> (2 * (i / 4))) & 3;
        scale[i] = (low | (high << 4)) - 32;
    }
    for (int h = 0; h < 2; ++h) {
        const std::uint8_t *q = qs + 32 * h;
        for (int s = 0; s < 4; ++s) {
            const int shift = 2 * s;
            const std::uint8_t bit = static_cast<std::uint8_t>(1u << (4 * h + s));
            for (int part = 0; part < 2; ++part) {
                const float dl = d * static_cast<float>(scale[8 * h + 2 * s + part]);
                float *out = y + 128 * h + 32 * s + 16 * part;
                const int base = 16 * part;
                for (int l = 0; l < 16; ++l) {
                    const int v = ((q[base + l] >> shift) & 3) - ((hmask[base + l] & bit) ? 0 : 4);
                    out[l] = dl * static_cast<float>(v);
                }
            }
        }
    }
}

// The 6-bit scale and min of sub-block j (0..7) in the 12-byte table of Q4_K and Q5_K:
// j < 4: low 6 bits of bytes j and j+4; j >= 4: nibbles of byte j+4 with their top two
// bits taken from the top bits of bytes j-4 and j.
inline void scaleMinK4(int j, const std::uint8_t *q, int &scale, int &min)
{
    if (j < 4) {
        scale = q[j] & 63;
        min = q[j + 4] & 63;
    } else {
        scale = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
        min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// Q4_K: 8 sub-blocks of 32; each 32-byte run of qs holds two sub-blocks (low nibbles the
// first, high nibbles the second). Value = d*scale*q - dmin*min.
void blockQ4_K(const std::uint8_t *b, float *y)
{
    const float d = half(b);
    const float dmin = half(b + 2);
    const std::uint8_t *sc = b + 4;
    const std::uint8_t *qs = b + 16;
    for (int k = 0; k < 4; ++k) {
        int s1, m1, s2, m2;
        scaleMinK4(2 * k, sc, s1, m1);
        scaleMinK4(2 * k + 1, sc, s2, m2);
        const float d1 = d * static_cast<float>(s1), o1 = dmin * static_cast<float>(m1);
        const float d2 = d * static_cast<float>(s2), o2 = dmin * static_cast<float>(m2);
        const std::uint8_t *q = qs + 32 * k;
        float *out = y + 64 * k;
        for (int l = 0; l < 32; ++l) {
            out[l] = d1 * static_cast<float>(q[l] & 0x0F) - o1;
            out[l + 32] = d2 * static_cast<float>(q[l] >> 4) - o2;
        }
    }
}

// Q5_K: as Q4_K plus a fifth bit: qh[l] bit 2k is the high bit of value 64k+l, bit 2k+1
// that of value 64k+32+l.
void blockQ5_K(const std::uint8_t *b, float *y)
{
    const float d = half(b);
    const float dmin = half(b + 2);
    const std::uint8_t *sc = b + 4;
    const std::uint8_t *qh = b + 16;
    const std::uint8_t *qs = b + 48;
    for (int k = 0; k < 4; ++k) {
        int s1, m1, s2, m2;
        scaleMinK4(2 * k, sc, s1, m1);
        scaleMinK4(2 * k + 1, sc, s2, m2);
        const float d1 = d * static_cast<float>(s1), o1 = dmin * static_cast<float>(m1);
        const float d2 = d * static_cast<float>(s2), o2 = dmin * static_cast<float>(m2);
        const std::uint8_t *q = qs + 32 * k;
        float *out = y + 64 * k;
        for (int l = 0; l < 32; ++l) {
            const int lo = (q[l] & 0x0F) | (((qh[l] >> (2 * k)) & 1) << 4);
            const int hi = (q[l] >> 4) | (((qh[l] >> (2 * k + 1)) & 1) << 4);
            out[l] = d1 * static_cast<float>(lo) - o1;
            out[l + 32] = d2 * static_cast<float>(hi) - o2;
        }
    }
}

// Q6_K: 16 sub-blocks of 16 with int8 scales. Per half of 128 values, value 32*s + l
// (s = 0..3, l < 32) takes 4 low bits from ql[64*half + l + 32*(s&1)] (low nibble for
// s < 2, high nibble otherwise) and 2 high bits from qh[32*half + l] bits 2s..2s+1; the
// 6-bit result is offset by 32.
void blockQ6_K(const std::uint8_t *b, float *y)
{
    const std::uint8_t *qlAll = b;
    const std::uint8_t *qhAll = b + 128;
    const auto *scales = reinterpret_cast<const std::int8_t *>(b + 192);
    const float d = half(b + 208);
    for (int h = 0; h < 2; ++h) {
        const std::uint8_t *ql = qlAll + 64 * h;
        const std::uint8_t *qh = qhAll + 32 * h;
        const std::int8_t *sc = scales + 8 * h;
        float *out = y + 128 * h;
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            out[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
            out[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
            out[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
            out[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
        }
    }
}

void blockQ8_K(const std::uint8_t *b, float *y)
{
    float d;
    std::memcpy(&d, b, 4);
    const auto *qs = reinterpret_cast<const std::int8_t *>(b + 4);
    for (int j = 0; j < 256; ++j)
        y[j] = d * static_cast<float>(qs[j]);
}

template <typename Block>
void forEachBlock(const std::uint8_t *src, float *out, std::int64_t n, std::size_t blockBytes,
                  int blockElements, Block block)
{
    const std::int64_t blocks = n / blockElements;
    for (std::int64_t i = 0; i < blocks; ++i)
        block(src + static_cast<std::size_t>(i) * blockBytes, out + i * blockElements);
}

template <typename T>
void plainToFloat(const std::uint8_t *src, float *out, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, src + static_cast<std::size_t>(i) * sizeof(T), sizeof(T));
        out[i] = static_cast<float>(v);
    }
}

} // namespace

void dequantizeGgml(DType type, const std::uint8_t *src, float *out, std::int64_t n)
{
    if (n < 0)
        throw InvalidArgument("dequantizeGgml: negative element count");
    const std::int64_t blockElements = dtypeBlockElements(type);
    if (n % blockElements != 0)
        throw InvalidArgument("cannot dequantize " + std::to_string(n) + " values of "
                              + dtypeName(type) + ": not a multiple of its block size "
                              + std::to_string(blockElements));
    const std::size_t bb = dtypeBlockBytes(type);
    const int be = static_cast<int>(blockElements);
    switch (type) {
    case DType::F32: std::memcpy(out, src, static_cast<std::size_t>(n) * 4); return;
    case DType::F64: plainToFloat<double>(src, out, n); return;
    case DType::I8: plainToFloat<std::int8_t>(src, out, n); return;
    case DType::U8: plainToFloat<std::uint8_t>(src, out, n); return;
    case DType::I16: plainToFloat<std::int16_t>(src, out, n); return;
    case DType::U16: plainToFloat<std::uint16_t>(src, out, n); return;
    case DType::I32: plainToFloat<std::int32_t>(src, out, n); return;
    case DType::U32: plainToFloat<std::uint32_t>(src, out, n); return;
    case DType::I64: plainToFloat<std::int64_t>(src, out, n); return;
    case DType::U64: plainToFloat<std::uint64_t>(src, out, n); return;
    case DType::F16:
        for (std::int64_t i = 0; i < n; ++i)
            out[i] = half(src + 2 * i);
        return;
    case DType::BF16:
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t h;
            std::memcpy(&h, src + 2 * i, 2);
            out[i] = bf16ToFloat(h);
        }
        return;
    case DType::Q4_0: forEachBlock(src, out, n, bb, be, blockQ4_0); return;
    case DType::Q4_1: forEachBlock(src, out, n, bb, be, blockQ4_1); return;
    case DType::Q5_0: forEachBlock(src, out, n, bb, be, blockQ5_0); return;
    case DType::Q5_1: forEachBlock(src, out, n, bb, be, blockQ5_1); return;
    case DType::Q8_0:
        forEachBlock(src, out, n, bb, be,
                     [](const std::uint8_t *b, float *y) { blockQ8(b, y, 2); });
        return;
    case DType::Q8_1:
        forEachBlock(src, out, n, bb, be,
                     [](const std::uint8_t *b, float *y) { blockQ8(b, y, 4); });
        return;
    case DType::Q2_K: forEachBlock(src, out, n, bb, be, blockQ2_K); return;
    case DType::Q3_K: forEachBlock(src, out, n, bb, be, blockQ3_K); return;
    case DType::Q4_K: forEachBlock(src, out, n, bb, be, blockQ4_K); return;
    case DType::Q5_K: forEachBlock(src, out, n, bb, be, blockQ5_K); return;
    case DType::Q6_K: forEachBlock(src, out, n, bb, be, blockQ6_K); return;
    case DType::Q8_K: forEachBlock(src, out, n, bb, be, blockQ8_K); return;
    case DType::Bool:
    case DType::F8_E4M3:
    case DType::F8_E5M2:
        break;
    }
    throw UnsupportedError("cannot convert " + dtypeName(type) + " values to f32");
}

} // namespace lathe
