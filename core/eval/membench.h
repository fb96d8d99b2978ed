// SPDX-License-Identifier: GPL-3.0-or-later
// The machine's own limits, measured in the same run as a benchmark so its numbers can be
// read as fractions: streaming-read memory bandwidth (what bounds single-token decode) and
// f32 GEMM throughput (what bounds prefill).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lathe {

struct BandwidthOptions {
    // Buffer size; well above any cache so the read streams from memory.
    std::size_t bytes = std::size_t(1) << 30;
    // Threads reading in parallel (each sums its own slice); 0 = all logical cores.
    int threads = 0;
    // Timed passes over the buffer; the fastest one counts (the first passes are often
    // slower while the cores ramp up their clocks).
    int repeats = 5;
};

struct BandwidthResult {
    double gbPerSecond = 0.0; // 1e9 bytes per second, best pass
    double seconds = 0.0;     // time of the best pass
    std::size_t bytes = 0;    // bytes read per pass
    int threads = 0;
};

// Sums a freshly allocated buffer of `bytes` on `threads` threads.
BandwidthResult measureReadBandwidth(const BandwidthOptions &options = {});

struct CountingResult {
    double gbPerSecond = 0.0; // 1e9 bytes of 16-bit values per second, best pass
    double seconds = 0.0;     // time of the best pass
    std::size_t bytes = 0;    // bytes counted per pass
    int threads = 0;
};

// Counts the 16-bit values of a bf16 buffer (normally distributed weights, std 0.02) into one
// 65536-entry histogram per thread with the weight statistics' own counting loop: one table
// increment per value, the least work any exact full-resolution histogram of 16-bit weights
// needs. Its rate bounds every statistic derived from such a histogram, whatever the memory
// bandwidth. Uses the same options as measureReadBandwidth.
CountingResult measureHistogramCounting(const BandwidthOptions &options = {});

struct GemmOptions {
    std::int64_t n = 2048; // an n x n by n x n f32 product
    int repeats = 3;       // timed products after one warm-up; the fastest one counts
};

struct GemmResult {
    double gflops = 0.0;  // 2 n^3 / seconds / 1e9, best product
    double seconds = 0.0; // time of the best product
    std::int64_t n = 0;
    int threads = 0;      // engine threads (util/threadpool.h); BLAS runs the product on them
};

// Times at::matmul with the current thread settings (the engine's: BLAS on threadCount()).
GemmResult measureGemm(const GemmOptions &options = {});

} // namespace lathe
