// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/matvec.h"

#include "util/threadpool.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#define LATHE_HAVE_X86 1
#endif

namespace lathe {

namespace {

// Rows [r0, r1) of one product, portable path: each row keeps four partial sums so the adds
// are not one long dependency chain.
void rowsScalar(const MatvecJob &j, std::int64_t r0, std::int64_t r1)
{
    const std::int64_t cols = j.cols;
    const float *x = j.x;
    for (std::int64_t r = r0; r < r1; ++r) {
        const float *w = j.weight + r * cols;
        float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
        std::int64_t c = 0;
        for (; c + 4 <= cols; c += 4) {
            s0 += w[c] * x[c];
            s1 += w[c + 1] * x[c + 1];
            s2 += w[c + 2] * x[c + 2];
            s3 += w[c + 3] * x[c + 3];
        }
        for (; c < cols; ++c)
            s0 += w[c] * x[c];
        const float sum = (s0 + s1) + (s2 + s3);
        j.y[r] = j.bias ? sum + j.bias[r] : sum;
    }
}

#ifdef LATHE_HAVE_X86

__attribute__((target("avx2,fma"))) inline float hsum256(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    __m128 shuf = _mm_movehdup_ps(lo);
    __m128 sums = _mm_add_ps(lo, shuf);
    shuf = _mm_movehl_ps(shuf, sums);
    sums = _mm_add_ss(sums, shuf);
    return _mm_cvtss_f32(sums);
}

// Lane mask for the last (cols % 8) values: maskload never touches the masked-out lanes, so
// rows whose length is not a multiple of 8 are read without overrunning the tensor.
__attribute__((target("avx2,fma"))) inline __m256i tailMask(std::int64_t remaining)
{
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(remaining)), lanes);
}

// One row at a time, eight accumulators (covering the FMA latency at two loads a cycle).
// Rows are streamed one after another rather than four side by side: measured here, a single
// stream per thread reads at 93-95% of a plain streaming sum while four interleaved row
// streams reached 83%; x stays in L1 either way.
__attribute__((target("avx2,fma"))) void rowsAvx2(const MatvecJob &j, std::int64_t r0,
                                                  std::int64_t r1)
{
    const std::int64_t cols = j.cols;
    const float *x = j.x;
    const std::int64_t rem = cols % 8;
    const __m256i mask = tailMask(rem);
    for (std::int64_t r = r0; r < r1; ++r) {
        const float *w = j.weight + r * cols;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        __m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps();
        __m256 a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
        std::int64_t c = 0;
        for (; c + 64 <= cols; c += 64) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 16), _mm256_loadu_ps(x + c + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 24), _mm256_loadu_ps(x + c + 24), a3);
            a4 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 32), _mm256_loadu_ps(x + c + 32), a4);
            a5 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 40), _mm256_loadu_ps(x + c + 40), a5);
            a6 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 48), _mm256_loadu_ps(x + c + 48), a6);
            a7 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 56), _mm256_loadu_ps(x + c + 56), a7);
        }
        for (; c + 8 <= cols; c += 8)
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), a0);
        if (rem)
            a1 = _mm256_fmadd_ps(_mm256_maskload_ps(w + c, mask), _mm256_maskload_ps(x + c, mask),
                                 a1);
        const __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                       _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
        const float sum = hsum256(s);
        j.y[r] = j.bias ? sum + j.bias[r] : sum;
    }
}

__attribute__((target("avx2,fma"))) void vecmatAvx2(const float *w, const float *p, float *y,
                                                    std::int64_t rows, std::int64_t cols)
{
    const std::int64_t rem = cols % 8;
    const __m256i mask = tailMask(rem);
    std::int64_t c = 0;
    for (; c + 8 <= cols; c += 8) {
        __m256 acc = _mm256_loadu_ps(y + c);
        for (std::int64_t r = 0; r < rows; ++r)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(p[r]), _mm256_loadu_ps(w + r * cols + c), acc);
        _mm256_storeu_ps(y + c, acc);
    }
    if (rem) {
        __m256 acc = _mm256_maskload_ps(y + c, mask);
        for (std::int64_t r = 0; r < rows; ++r)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(p[r]), _mm256_maskload_ps(w + r * cols + c, mask),
                                  acc);
        _mm256_maskstore_ps(y + c, mask, acc);
    }
}

#endif // LATHE_HAVE_X86

using RowsFn = void (*)(const MatvecJob &, std::int64_t, std::int64_t);

RowsFn rowsFunction(MatvecPath path)
{
    if (path == MatvecPath::Auto)
        path = matvecBestPath();
#ifdef LATHE_HAVE_X86
    if (path == MatvecPath::Avx2)
        return rowsAvx2;
#endif
    return rowsScalar;
}

// Below this many multiply-adds in a batch, waking the pool costs more than it saves.
constexpr std::int64_t kSerialWork = 48 * 1024;

} // namespace

MatvecPath matvecBestPath()
{
#ifdef LATHE_HAVE_X86
    static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2)
        return MatvecPath::Avx2;
#endif
    return MatvecPath::Scalar;
}

std::string matvecPathName(MatvecPath path)
{
    switch (path) {
    case MatvecPath::Auto:
        return "auto (" + matvecPathName(matvecBestPath()) + ")";
    case MatvecPath::Scalar:
        return "scalar";
    case MatvecPath::Avx2:
        return "avx2+fma";
    }
    return "?";
}

void matvec(const float *weight, const float *x, float *y, std::int64_t rows, std::int64_t cols,
            const float *bias, MatvecPath path)
{
    const MatvecJob job{weight, x, y, bias, rows, cols};
    matvecBatch(&job, 1, path);
}

void matvecBatch(const MatvecJob *jobs, int count, MatvecPath path)
{
    const RowsFn rowsFn = rowsFunction(path);
    std::int64_t totalRows = 0;
    std::int64_t work = 0;
    for (int i = 0; i < count; ++i) {
        totalRows += jobs[i].rows;
        work += jobs[i].rows * jobs[i].cols;
    }
    const int threads = threadCount();
    if (threads <= 1 || work < kSerialWork) {
        for (int i = 0; i < count; ++i)
            rowsFn(jobs[i], 0, jobs[i].rows);
        return;
    }

    // Blocks of at least 4 rows, about 16 per thread so a thread slowed by another
    // process does not hold up the others (blocks are handed out dynamically).
    std::int64_t blockRows = totalRows / (threads * 16);
    blockRows = std::max<std::int64_t>(4, (blockRows + 3) / 4 * 4);
    std::int64_t firstBlock[9] = {};
    const int n = std::min(count, 8);
    for (int i = 0; i < n; ++i)
        firstBlock[i + 1] = firstBlock[i] + (jobs[i].rows + blockRows - 1) / blockRows;
    for (int i = n; i < count; ++i) // more than 8 jobs: not worth batching the rest
        matvecBatch(jobs + i, 1, path);

    parallelFor(firstBlock[n], 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t b = begin; b < end; ++b) {
            int i = 0;
            while (b >= firstBlock[i + 1])
                ++i;
            const MatvecJob &job = jobs[i];
            const std::int64_t r0 = (b - firstBlock[i]) * blockRows;
            rowsFn(job, r0, std::min(job.rows, r0 + blockRows));
        }
    });
}

void matvecSerial(const MatvecJob &job, MatvecPath path)
{
    rowsFunction(path)(job, 0, job.rows);
}

void vecmatAccumulate(const float *weight, const float *p, float *y, std::int64_t rows,
                      std::int64_t cols)
{
#ifdef LATHE_HAVE_X86
    if (matvecBestPath() == MatvecPath::Avx2) {
        vecmatAvx2(weight, p, y, rows, cols);
        return;
    }
#endif
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            y[c] += p[r] * weight[r * cols + c];
}

void applyEngineThreadSettings()
{
    static std::once_flag once;
    std::call_once(once, [] {
        // libtorch's OpenMP threads would compete with OpenBLAS's and with the pool.
        at::set_num_threads(1);
        setThreadCount(threadCount()); // also sets OpenBLAS's count
#if defined(__GLIBC__)
        // Each forward pass allocates and frees activation tensors of a few MB. By default
        // glibc serves those with fresh mmaps (or trims them off the heap) and every reuse
        // page-faults again, which made prefill of small models 4x slower. Serve blocks up to
        // 16 MB from the heap and keep up to 64 MB of freed heap for reuse.
        mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
        mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
    });
}

} // namespace lathe
