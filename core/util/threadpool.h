// SPDX-License-Identifier: GPL-3.0-or-later
// A small persistent thread pool for the engine's own kernels (decode matrix-vector products,
// attention over the cache). Workers stay alive between calls and spin briefly before sleeping,
// because decode issues a few dozen short parallel sections per token and waking sleeping
// threads each time would cost more than the work.
#pragma once

#include <cstdint>
#include <functional>

namespace lathe {

// Number of threads Lathe's kernels use (the caller counts as one). Also sets OpenBLAS's
// thread count to the same value so prefill GEMMs use the same cores; libtorch's own
// intra-op threads stay at 1 (see applyEngineThreadSettings in model/matvec.h) so the two
// never oversubscribe.
// n <= 0 means all logical cores.
void setThreadCount(int n);
int threadCount();

class ThreadPool {
public:
    static ThreadPool &instance();

    // Calls fn(begin, end) on disjoint ranges covering [0, n), each at most `grain` long,
    // spread over the pool's threads and the calling thread; returns when all are done.
    // Nested or concurrent calls run serially on the calling thread. An exception thrown by
    // fn is rethrown here (the first one wins).
    void parallelFor(std::int64_t n, std::int64_t grain,
                     const std::function<void(std::int64_t, std::int64_t)> &fn);

    int threadCount() const;
    void setThreadCount(int n);

    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

private:
    ThreadPool();
    ~ThreadPool();
    struct State;
    State *m_state;
};

// Convenience: ThreadPool::instance().parallelFor(...).
inline void parallelFor(std::int64_t n, std::int64_t grain,
                        const std::function<void(std::int64_t, std::int64_t)> &fn)
{
    ThreadPool::instance().parallelFor(n, grain, fn);
}

} // namespace lathe
