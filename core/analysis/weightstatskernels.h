// SPDX-License-Identifier: GPL-3.0-or-later
// Private inner loops of the weight statistics (analysis/weightstats.cpp): the per-element
// work, written with vector types and compiled for AVX2 and a baseline so one binary runs at
// memory speed on any x86-64 machine. Callers merge the per-piece results in a fixed order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace lathe::wskernels {

// The bin of a value already scaled to bins ((x - lo) * bins per unit), as int() and a clamp
// give it on x86-64: NaN lands in bin 0, anything beyond the last edge in the last bin.
inline int clampBin(double scaled, int bins)
{
    if (!(scaled >= 0))
        return 0;
    if (scaled >= double(bins))
        return bins - 1;
    return std::min(int(scaled), bins - 1);
}

// Count, mean and central moment sums of a set of values; merged with Pébay's formulas so
// pieces can be summarized independently and combined in a fixed order.
struct Moments {
    double n = 0, mean = 0, m2 = 0, m3 = 0, m4 = 0;

    void merge(const Moments &b);
};

// Everything the first pass over f32 values gathers.
struct Summary {
    Moments moments;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double minNonzeroAbs = std::numeric_limits<double>::infinity();
    std::int64_t zeros = 0;

    void merge(const Summary &b);
};

// Summarizes `count` values as one piece and merges it into `out`: moments (float sums of
// powers about the piece's mean over small blocks, added up in double: about 1e-8 relative
// accuracy), extremes and zeros. NaNs are left out of the extremes, as std::min/std::max
// would. Meant for pieces of some thousands of values that stay in cache between sweeps.
void summarizeF32(const float *v, std::int64_t count, Summary &out);

// colMax[i] = max(colMax[i], |v[i]|) for i < count; returns the largest |v[i]|.
float channelMaxF32(const float *v, std::int64_t count, float *colMax);

// The same on the magnitude bits of 16-bit floats (bf16 or f16: their order is the order of
// the magnitudes). Magnitudes above `limit` (NaNs) count as 0.
std::uint16_t channelMaxU16(const std::uint16_t *v, std::int64_t count, std::uint16_t *colMax,
    std::uint16_t limit);

// Adds one to hist[k] (65536 counters) for every raw 16-bit value k.
void countKeysU16(const std::uint16_t *v, std::int64_t count, std::uint32_t *hist);

// What the second pass over f32 values bins, and where.
struct BinParams {
    double lo = 0;          // left edge of the fine histogram (the minimum)
    double fineScale = 0;   // fine bins per unit, 0 when all values are equal
    int fineBins = 65536;
    double mean = 0;
    double threshold = 0;   // outlier: |x - mean| > threshold
    // Display histogram binned per value; null when it is derived from the fine one.
    std::uint32_t *display = nullptr;
    bool logDisplay = false;  // display bins over log10|x| (zeros apart)
    double displayLo = 0;
    double displayScale = 0;
    int displayBins = 0;
};

// Fine (and display) histogram counts and the outlier count of `count` values.
std::int64_t binF32(const float *v, std::int64_t count, const BinParams &p,
    std::uint32_t *fine, std::uint64_t &displayZeros);

} // namespace lathe::wskernels
