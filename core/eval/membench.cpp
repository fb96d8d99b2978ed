// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/membench.h"

#include "analysis/weightstatskernels.h"
#include "util/error.h"
#include "util/threadpool.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace lathe {

namespace {

using Clock = std::chrono::steady_clock;

// 16 floats: one AVX-512 register, or two AVX / four SSE registers on older machines.
typedef float Vec16 __attribute__((vector_size(64)));

// Sums n floats (n a multiple of 64). Four independent accumulators keep several loads in
// flight; the clones let one binary use the widest vector unit the machine has, so the
// number reflects memory, not the arithmetic.
__attribute__((target_clones("avx512f", "avx2", "default"))) float
sumStream(const float *p, std::size_t n)
{
    Vec16 a = {}, b = {}, c = {}, d = {};
    for (std::size_t i = 0; i < n; i += 64) {
        Vec16 x, y, z, w;
        std::memcpy(&x, p + i, sizeof x);
        std::memcpy(&y, p + i + 16, sizeof y);
        std::memcpy(&z, p + i + 32, sizeof z);
        std::memcpy(&w, p + i + 48, sizeof w);
        a += x;
        b += y;
        c += z;
        d += w;
    }
    const Vec16 s = (a + b) + (c + d);
    float total = 0.0f;
    for (int i = 0; i < 16; ++i)
        total += s[i];
    return total;
}

struct FreeDeleter {
    void operator()(float *p) const { std::free(p); }
};

// Runs fn(t, begin, end) on `threads` threads over [0, n) in slices that are multiples of 64.
template <typename Fn>
void parallelSlices(int threads, std::size_t n, Fn fn)
{
    const std::size_t blocks = n / 64;
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        const std::size_t b0 = blocks * static_cast<std::size_t>(t) / std::size_t(threads);
        const std::size_t b1 = blocks * static_cast<std::size_t>(t + 1) / std::size_t(threads);
        pool.emplace_back(fn, t, b0 * 64, b1 * 64);
    }
    for (auto &th : pool)
        th.join();
}

} // namespace

BandwidthResult measureReadBandwidth(const BandwidthOptions &options)
{
    int threads = options.threads;
    if (threads <= 0)
        threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const std::size_t n = std::max<std::size_t>(options.bytes / sizeof(float) / 64, 1) * 64;
    std::unique_ptr<float, FreeDeleter> buffer(
        static_cast<float *>(std::aligned_alloc(64, n * sizeof(float))));
    if (!buffer)
        throw Error("memory benchmark: cannot allocate " + std::to_string(n * sizeof(float))
                    + " bytes");
    float *data = buffer.get();
    // First touch by the threads that read later (page placement on NUMA machines).
    parallelSlices(threads, n, [data](int, std::size_t b, std::size_t e) {
        std::fill(data + b, data + e, 1.0f);
    });

    std::vector<float> partial(static_cast<std::size_t>(threads));
    BandwidthResult result;
    result.bytes = n * sizeof(float);
    result.threads = threads;
    double best = 0.0;
    double checksum = 0.0;
    for (int r = 0; r < std::max(1, options.repeats); ++r) {
        const auto t0 = Clock::now();
        parallelSlices(threads, n, [data, &partial](int t, std::size_t b, std::size_t e) {
            partial[static_cast<std::size_t>(t)] = sumStream(data + b, e - b);
        });
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        for (float v : partial)
            checksum += v;
        if (best == 0.0 || s < best)
            best = s;
    }
    // The sums must be consumed, or the reads could be optimised away.
    if (checksum < 0.0)
        throw Error("memory benchmark: impossible checksum");
    result.seconds = best;
    result.gbPerSecond = best > 0.0 ? double(result.bytes) / best / 1e9 : 0.0;
    return result;
}

CountingResult measureHistogramCounting(const BandwidthOptions &options)
{
    int threads = options.threads;
    if (threads <= 0)
        threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    // Slices are multiples of 64 values.
    const std::size_t n = std::max<std::size_t>(options.bytes / sizeof(std::uint16_t) / 64, 1) * 64;
    std::vector<std::uint16_t> values(n);
    // bf16 of an approximately normal value (sum of four uniforms), filled by the threads that
    // count later; a fixed LCG per slice keeps the data the same from run to run.
    parallelSlices(threads, n, [&values](int t, std::size_t b, std::size_t e) {
        std::uint64_t state = 0x9E3779B97F4A7C15ull * std::uint64_t(t + 1);
        const auto uniform = [&state] {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            return float(state >> 40) / float(1 << 24);
        };
        for (std::size_t i = b; i < e; ++i) {
            const float w = (uniform() + uniform() + uniform() + uniform() - 2.0f) * 0.0346f;
            std::uint32_t bits;
            std::memcpy(&bits, &w, sizeof bits);
            values[i] = static_cast<std::uint16_t>(bits >> 16);
        }
    });
    std::vector<std::vector<std::uint32_t>> tables(
        static_cast<std::size_t>(threads), std::vector<std::uint32_t>(65536));
    CountingResult result;
    result.bytes = n * sizeof(std::uint16_t);
    result.threads = threads;
    double best = 0.0;
    for (int r = 0; r < std::max(1, options.repeats); ++r) {
        const auto t0 = Clock::now();
        parallelSlices(threads, n, [&values, &tables](int t, std::size_t b, std::size_t e) {
            wskernels::countKeysU16(
                values.data() + b, std::int64_t(e - b), tables[std::size_t(t)].data());
        });
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (best == 0.0 || s < best)
            best = s;
    }
    std::uint64_t counted = 0;
    for (const auto &table : tables)
        for (std::uint32_t c : table)
            counted += c;
    if (counted != n * std::uint64_t(std::max(1, options.repeats)))
        throw Error("histogram benchmark: the counts do not add up");
    result.seconds = best;
    result.gbPerSecond = best > 0.0 ? double(result.bytes) / best / 1e9 : 0.0;
    return result;
}

GemmResult measureGemm(const GemmOptions &options)
{
    const std::int64_t n = options.n;
    if (n <= 0)
        throw InvalidArgument("GEMM benchmark: size must be positive");
    at::InferenceMode guard;
    const at::Tensor a = at::rand({n, n}, at::kFloat);
    const at::Tensor b = at::rand({n, n}, at::kFloat);
    at::Tensor c = at::matmul(a, b); // warm-up: thread pools, page faults of the result
    GemmResult result;
    result.n = n;
    result.threads = threadCount();
    double best = 0.0;
    for (int r = 0; r < std::max(1, options.repeats); ++r) {
        const auto t0 = Clock::now();
        at::matmul_out(c, a, b);
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (best == 0.0 || s < best)
            best = s;
    }
    result.seconds = best;
    const double flops = 2.0 * double(n) * double(n) * double(n);
    result.gflops = best > 0.0 ? flops / best / 1e9 : 0.0;
    return result;
}

} // namespace lathe
