// SPDX-License-Identifier: GPL-3.0-or-later
// Lathe's own f32 matrix-vector kernels for single-token decode: y[out] = W[out, in] x[in]
// (+ bias). Decode is memory-bound, so the kernels stream each weight row once with several
// independent FMA accumulators (x stays in L1), threaded over blocks of output rows on the
// engine's thread pool. An AVX2+FMA path is chosen at run time when the CPU has
// it; a portable scalar path is used otherwise.
#pragma once

#include <cstdint>
#include <string>

namespace lathe {

// One product of a batch: y = W x (+ bias). W is row-major [rows, cols], contiguous.
struct MatvecJob {
    const float *weight = nullptr; // [rows, cols]
    const float *x = nullptr;      // [cols]
    float *y = nullptr;            // [rows]
    const float *bias = nullptr;   // [rows] or null
    std::int64_t rows = 0;
    std::int64_t cols = 0;
};

enum class MatvecPath { Auto, Scalar, Avx2 };

// The path Auto resolves to on this CPU.
MatvecPath matvecBestPath();
std::string matvecPathName(MatvecPath path);

// y = W x (+ bias), threaded over rows.
void matvec(const float *weight, const float *x, float *y, std::int64_t rows, std::int64_t cols,
            const float *bias = nullptr, MatvecPath path = MatvecPath::Auto);

// Several independent products in one parallel section (q/k/v, or gate/up): one wake-up of
// the thread pool instead of several, and the rows of all jobs share the load balancing.
void matvecBatch(const MatvecJob *jobs, int count, MatvecPath path = MatvecPath::Auto);

// Single-threaded pieces, for callers already inside a parallel section (decode attention).
// y = W x (+ bias) over all rows of `job`:
void matvecSerial(const MatvecJob &job, MatvecPath path = MatvecPath::Auto);
// y[cols] += sum over r of p[r] * W[r, :] (W row-major [rows, cols]):
void vecmatAccumulate(const float *weight, const float *p, float *y, std::int64_t rows,
                      std::int64_t cols);

// Process-wide settings the engine relies on, applied once (the Transformer calls it on
// construction; idempotent and thread-safe): libtorch's intra-op threads at 1 and OpenBLAS's
// at threadCount() (see util/threadpool.h), so prefill GEMMs and Lathe's kernels never
// oversubscribe the cores, and a glibc allocator setting that keeps freed activation buffers
// for reuse instead of page-faulting them in again on every forward pass.
void applyEngineThreadSettings();

} // namespace lathe
