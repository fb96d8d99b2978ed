// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/weightstatskernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

// AVX2 and baseline copies of each hot loop, picked at load time; the vector types below are
// 32 bytes, so the baseline copy runs them as pairs of SSE registers.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LATHE_WS_CLONES __attribute__((target_clones("avx2", "default")))
// For loops on 64-byte vectors of doubles, which AVX-512 runs in one register.
#define LATHE_WS_CLONES_512 __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LATHE_WS_CLONES
#define LATHE_WS_CLONES_512
#endif

namespace lathe::wskernels {

namespace {

typedef float V8f __attribute__((vector_size(32)));
typedef std::int32_t V8i __attribute__((vector_size(32)));
typedef std::int16_t V16s __attribute__((vector_size(32)));
typedef float V4f __attribute__((vector_size(16)));
typedef double V4d __attribute__((vector_size(32)));
typedef double V8d __attribute__((vector_size(64)));
typedef std::int64_t V8l __attribute__((vector_size(64)));

// Values per block of float sums: small enough that float accumulation (32 terms per lane)
// stays near float precision, large enough that the double merge per block costs little.
constexpr std::int64_t kBlock = 256;
// Values binned per step of the second pass: their bin numbers are computed with vector
// instructions into a small array, then counted.
constexpr std::int64_t kBinStep = 256;

} // namespace

void Moments::merge(const Moments &b)
{
    if (b.n == 0)
        return;
    if (n == 0) {
        *this = b;
        return;
    }
    const double na = n, nb = b.n, nt = na + nb;
    const double d = b.mean - mean, d2 = d * d;
    const double m2t = m2 + b.m2 + d2 * na * nb / nt;
    const double m3t = m3 + b.m3 + d2 * d * na * nb * (na - nb) / (nt * nt)
        + 3.0 * d * (na * b.m2 - nb * m2) / nt;
    const double m4t = m4 + b.m4
        + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (nt * nt * nt)
        + 6.0 * d2 * (na * na * b.m2 + nb * nb * m2) / (nt * nt)
        + 4.0 * d * (na * b.m3 - nb * m3) / nt;
    mean += d * nb / nt;
    m2 = m2t;
    m3 = m3t;
    m4 = m4t;
    n = nt;
}

void Summary::merge(const Summary &b)
{
    moments.merge(b.moments);
    min = std::min(min, b.min);
    max = std::max(max, b.max);
    minNonzeroAbs = std::min(minNonzeroAbs, b.minNonzeroAbs);
    zeros += b.zeros;
}

LATHE_WS_CLONES void summarizeF32(const float *v, std::int64_t count, Summary &out)
{
    if (count <= 0)
        return;
    const float inf = std::numeric_limits<float>::infinity();
    const V8f zero8 = {};
    const V8f inf8 = zero8 + inf;
    const V8i absMask = V8i {} + 0x7FFFFFFF;
    const std::int64_t mv = count & ~std::int64_t(31);

    // Sweep 1: a centre near the mean (a float sum is plenty), so that the float sums of
    // powers below do not cancel.
    V8f s0 = {}, s1 = {}, s2 = {}, s3 = {};
    for (std::int64_t i = 0; i < mv; i += 32) {
        V8f x0, x1, x2, x3;
        std::memcpy(&x0, v + i, sizeof x0);
        std::memcpy(&x1, v + i + 8, sizeof x1);
        std::memcpy(&x2, v + i + 16, sizeof x2);
        std::memcpy(&x3, v + i + 24, sizeof x3);
        s0 += x0;
        s1 += x1;
        s2 += x2;
        s3 += x3;
    }
    const V8f sv = (s0 + s1) + (s2 + s3);
    double sum = 0;
    for (int k = 0; k < 8; ++k)
        sum += double(sv[k]);
    for (std::int64_t i = mv; i < count; ++i)
        sum += double(v[i]);
    float c = float(sum / double(count));
    if (!std::isfinite(c))
        c = 0.0f; // infinities or NaNs: the moments turn non-finite either way

    // Sweep 2: sums of powers of (x - c) in float over blocks of kBlock values (32 terms per
    // lane), added to double accumulators after each block; extremes and zeros per lane.
    V4d d1 = {}, d2 = {}, d3 = {}, d4 = {};
    V8f mn = inf8, mx = -inf8, mnz = inf8;
    V8i zc = {};
    const std::int64_t mb = count & ~std::int64_t(7);
    for (std::int64_t b = 0; b < mb; b += kBlock) {
        const std::int64_t e = std::min(mb, b + kBlock);
        V8f a1 = {}, a2 = {}, a3 = {}, a4 = {};
        for (std::int64_t i = b; i < e; i += 8) {
            V8f x;
            std::memcpy(&x, v + i, sizeof x);
            const V8f d = x - c;
            const V8f dd = d * d;
            a1 += d;
            a2 += dd;
            a3 += dd * d;
            a4 += dd * dd;
            mn = x < mn ? x : mn; // NaN compares false: left out, like std::min
            mx = x > mx ? x : mx;
            const V8i isZero = x == zero8;
            zc -= isZero;
            V8i bits;
            std::memcpy(&bits, &x, sizeof bits);
            bits &= absMask;
            V8f ax;
            std::memcpy(&ax, &bits, sizeof ax);
            const V8f nonzero = isZero ? inf8 : ax;
            mnz = nonzero < mnz ? nonzero : mnz;
        }
        const V4f a1lo = { a1[0], a1[1], a1[2], a1[3] }, a1hi = { a1[4], a1[5], a1[6], a1[7] };
        const V4f a2lo = { a2[0], a2[1], a2[2], a2[3] }, a2hi = { a2[4], a2[5], a2[6], a2[7] };
        const V4f a3lo = { a3[0], a3[1], a3[2], a3[3] }, a3hi = { a3[4], a3[5], a3[6], a3[7] };
        const V4f a4lo = { a4[0], a4[1], a4[2], a4[3] }, a4hi = { a4[4], a4[5], a4[6], a4[7] };
        d1 += __builtin_convertvector(a1lo, V4d) + __builtin_convertvector(a1hi, V4d);
        d2 += __builtin_convertvector(a2lo, V4d) + __builtin_convertvector(a2hi, V4d);
        d3 += __builtin_convertvector(a3lo, V4d) + __builtin_convertvector(a3hi, V4d);
        d4 += __builtin_convertvector(a4lo, V4d) + __builtin_convertvector(a4hi, V4d);
    }
    double p1 = 0, p2 = 0, p3 = 0, p4 = 0;
    double lo = inf, hi = -inf, lowAbs = inf;
    std::int64_t zeros = 0;
    for (int k = 0; k < 4; ++k) {
        p1 += d1[k];
        p2 += d2[k];
        p3 += d3[k];
        p4 += d4[k];
    }
    for (int k = 0; k < 8; ++k) {
        lo = std::min(lo, double(mn[k]));
        hi = std::max(hi, double(mx[k]));
        lowAbs = std::min(lowAbs, double(mnz[k]));
        zeros += zc[k];
    }
    for (std::int64_t i = mb; i < count; ++i) {
        const double x = v[i];
        const double d = x - double(c), dd = d * d;
        p1 += d;
        p2 += dd;
        p3 += dd * d;
        p4 += dd * dd;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        if (x == 0)
            ++zeros;
        else
            lowAbs = std::min(lowAbs, std::abs(x));
    }
    // Sums of powers about c -> central moments about the mean c + delta.
    const double n = double(count), delta = p1 / n, dd = delta * delta;
    Summary piece;
    Moments &m = piece.moments;
    m.n = n;
    m.mean = double(c) + delta;
    m.m2 = std::max(0.0, p2 - p1 * delta);
    m.m3 = p3 - 3.0 * delta * p2 + 3.0 * dd * p1 - n * dd * delta;
    m.m4 = p4 - 4.0 * delta * p3 + 6.0 * dd * p2 - 4.0 * dd * delta * p1 + n * dd * dd;
    piece.min = lo;
    piece.max = hi;
    piece.minNonzeroAbs = lowAbs;
    piece.zeros = zeros;
    out.merge(piece);
}

LATHE_WS_CLONES float channelMaxF32(const float *v, std::int64_t count, float *colMax)
{
    const V8i absMask = V8i {} + 0x7FFFFFFF;
    const std::int64_t mv = count & ~std::int64_t(7);
    V8f r = {};
    for (std::int64_t i = 0; i < mv; i += 8) {
        V8i bits;
        std::memcpy(&bits, v + i, sizeof bits);
        bits &= absMask;
        V8f a, c;
        std::memcpy(&a, &bits, sizeof a);
        std::memcpy(&c, colMax + i, sizeof c);
        c = c < a ? a : c; // std::max(c, a): a NaN leaves c
        std::memcpy(colMax + i, &c, sizeof c);
        r = r < a ? a : r;
    }
    float best = 0.0f;
    for (int k = 0; k < 8; ++k)
        best = std::max(best, r[k]);
    for (std::int64_t i = mv; i < count; ++i) {
        const float a = std::abs(v[i]);
        colMax[i] = std::max(colMax[i], a);
        best = std::max(best, a);
    }
    return best;
}

LATHE_WS_CLONES std::uint16_t channelMaxU16(const std::uint16_t *v, std::int64_t count,
    std::uint16_t *colMax, std::uint16_t limit)
{
    // Masked magnitudes fit in 15 bits, so signed 16-bit compares and maxima order them.
    const V16s mask = V16s {} + std::int16_t(0x7FFF);
    const V16s lim = V16s {} + std::int16_t(limit);
    const V16s zero = {};
    const std::int64_t mv = count & ~std::int64_t(15);
    V16s r = {};
    for (std::int64_t i = 0; i < mv; i += 16) {
        V16s a, c;
        std::memcpy(&a, v + i, sizeof a);
        a &= mask;
        a = a > lim ? zero : a;
        std::memcpy(&c, colMax + i, sizeof c);
        c = c < a ? a : c;
        std::memcpy(colMax + i, &c, sizeof c);
        r = r < a ? a : r;
    }
    std::uint16_t best = 0;
    for (int k = 0; k < 16; ++k)
        best = std::max(best, std::uint16_t(r[k]));
    for (std::int64_t i = mv; i < count; ++i) {
        std::uint16_t a = std::uint16_t(v[i] & 0x7FFF);
        if (a > limit)
            a = 0;
        colMax[i] = std::max(colMax[i], a);
        best = std::max(best, a);
    }
    return best;
}

void countKeysU16(const std::uint16_t *v, std::int64_t count, std::uint32_t *hist)
{
    std::int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
        std::uint64_t w;
        std::memcpy(&w, v + i, sizeof w);
        ++hist[w & 0xFFFF];
        ++hist[(w >> 16) & 0xFFFF];
        ++hist[(w >> 32) & 0xFFFF];
        ++hist[w >> 48];
    }
    for (; i < count; ++i)
        ++hist[v[i]];
}

LATHE_WS_CLONES_512 std::int64_t binF32(const float *v, std::int64_t count, const BinParams &p,
    std::uint32_t *fine, std::uint64_t &displayZeros)
{
    alignas(64) std::int32_t bin[kBinStep];
    const V8d lo = V8d {} + p.lo, scale = V8d {} + p.fineScale;
    const V8d mean = V8d {} + p.mean, threshold = V8d {} + p.threshold;
    const V8i zero = {}, last = V8i {} + (p.fineBins - 1);
    const V8l absMask = V8l {} + 0x7FFFFFFFFFFFFFFFLL;
    V8l outliers8 = {};
    std::int64_t outliers = 0;
    for (std::int64_t b = 0; b < count; b += kBinStep) {
        const std::int64_t m = std::min(kBinStep, count - b);
        const std::int64_t mv = m & ~std::int64_t(7);
        const float *q = v + b;
        // Same double arithmetic per value as the scalar formula, eight values at a time.
        for (std::int64_t i = 0; i < mv; i += 8) {
            V8f xf;
            std::memcpy(&xf, q + i, sizeof xf);
            const V8d x = __builtin_convertvector(xf, V8d);
            V8i k = __builtin_convertvector((x - lo) * scale, V8i); // NaN -> INT_MIN -> 0
            k = k < zero ? zero : k;
            k = k > last ? last : k;
            std::memcpy(bin + i, &k, sizeof k);
            const V8d d = x - mean;
            V8l bits;
            std::memcpy(&bits, &d, sizeof bits);
            bits &= absMask;
            V8d ad;
            std::memcpy(&ad, &bits, sizeof ad);
            outliers8 -= ad > threshold;
        }
        for (std::int64_t i = mv; i < m; ++i) {
            const double x = q[i];
            bin[i] = clampBin((x - p.lo) * p.fineScale, p.fineBins);
            outliers += std::abs(x - p.mean) > p.threshold;
        }
        for (std::int64_t i = 0; i < m; ++i)
            ++fine[bin[i]];
        if (!p.display)
            continue;
        for (std::int64_t i = 0; i < m; ++i) {
            const double x = q[i];
            if (!p.logDisplay)
                ++p.display[clampBin((x - p.displayLo) * p.displayScale, p.displayBins)];
            else if (x == 0)
                ++displayZeros;
            else
                ++p.display[clampBin(
                    (std::log10(std::abs(x)) - p.displayLo) * p.displayScale, p.displayBins)];
        }
    }
    for (int k = 0; k < 8; ++k)
        outliers += outliers8[k];
    return outliers;
}

} // namespace lathe::wskernels
