// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/threadpool.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LATHE_CPU_RELAX() _mm_pause()
#else
#define LATHE_CPU_RELAX() std::this_thread::yield()
#endif

namespace lathe {

namespace {

// About 20-50 microseconds of pause instructions: long enough to catch the next parallel
// section of a decode step, short enough not to burn a core while the user reads.
constexpr int kSpinIterations = 20000;

thread_local bool t_insidePool = false;

int hardwareThreads()
{
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

// OpenBLAS (when it is the BLAS libtorch loaded) keeps its own thread pool; tell it the same
// count. Looked up at run time so Lathe does not link OpenBLAS directly.
void setOpenBlasThreads(int n)
{
    using SetFn = void (*)(int);
    static SetFn fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (fn)
        fn(n);
}

} // namespace

// Workers join a parallel section only while it is open, and the caller waits only for
// workers that joined. A worker that the OS has not scheduled yet therefore never delays the
// caller (important on a loaded machine), and arrives to find the section closed.
struct ThreadPool::State {
    std::mutex callMutex; // one parallel section at a time

    std::mutex mutex;
    std::condition_variable wake;
    std::vector<std::thread> workers;
    bool stop = false;
    std::atomic<std::uint64_t> generation{0};

    // The current section; written by the caller only while `open` is false.
    const std::function<void(std::int64_t, std::int64_t)> *fn = nullptr;
    std::int64_t n = 0;
    std::int64_t grain = 1;
    std::atomic<std::int64_t> next{0};
    std::atomic<bool> open{false};
    std::atomic<int> active{0}; // workers that may be touching the section
    std::exception_ptr error;
    std::mutex errorMutex;

    int threads = 1;

    void runChunks()
    {
        for (;;) {
            const std::int64_t begin = next.fetch_add(grain, std::memory_order_relaxed);
            if (begin >= n)
                return;
            const std::int64_t end = std::min(n, begin + grain);
            try {
                (*fn)(begin, end);
            } catch (...) {
                std::lock_guard lock(errorMutex);
                if (!error)
                    error = std::current_exception();
                next.store(n, std::memory_order_relaxed); // stop handing out work
            }
        }
    }

    void workerLoop()
    {
        t_insidePool = true;
        std::uint64_t seen = generation.load();
        for (;;) {
            // Spin first: the next section usually follows within microseconds.
            int spins = 0;
            while (generation.load(std::memory_order_acquire) == seen && spins < kSpinIterations) {
                LATHE_CPU_RELAX();
                ++spins;
            }
            if (generation.load() == seen) {
                std::unique_lock lock(mutex);
                wake.wait(lock, [&] { return stop || generation.load() != seen; });
                if (stop)
                    return;
            }
            seen = generation.load();
            // Sequentially consistent: either the caller sees this increment and waits for
            // us, or we see the section closed and leave it alone.
            active.fetch_add(1);
            if (open.load())
                runChunks();
            active.fetch_sub(1);
        }
    }

    void start(int count)
    {
        threads = std::max(1, count);
        stop = false;
        for (int i = 1; i < threads; ++i)
            workers.emplace_back([this] { workerLoop(); });
    }

    void shutdown()
    {
        {
            std::lock_guard lock(mutex);
            stop = true;
        }
        wake.notify_all();
        for (auto &t : workers)
            t.join();
        workers.clear();
    }
};

ThreadPool &ThreadPool::instance()
{
    static ThreadPool pool;
    return pool;
}

ThreadPool::ThreadPool() : m_state(new State)
{
    m_state->start(hardwareThreads());
}

ThreadPool::~ThreadPool()
{
    m_state->shutdown();
    delete m_state;
}

int ThreadPool::threadCount() const
{
    return m_state->threads;
}

void ThreadPool::setThreadCount(int n)
{
    if (n <= 0)
        n = hardwareThreads();
    std::lock_guard call(m_state->callMutex);
    if (n == m_state->threads)
        return;
    m_state->shutdown();
    m_state->start(n);
}

void ThreadPool::parallelFor(std::int64_t n, std::int64_t grain,
                             const std::function<void(std::int64_t, std::int64_t)> &fn)
{
    if (n <= 0)
        return;
    grain = std::max<std::int64_t>(1, grain);
    State &s = *m_state;
    std::unique_lock call(s.callMutex, std::defer_lock);
    const bool serial = s.threads <= 1 || n <= grain || t_insidePool || !call.try_lock();
    if (serial) {
        for (std::int64_t b = 0; b < n; b += grain)
            fn(b, std::min(n, b + grain));
        return;
    }

    s.fn = &fn;
    s.n = n;
    s.grain = grain;
    s.error = nullptr;
    s.next.store(0, std::memory_order_relaxed);
    s.open.store(true);
    {
        std::lock_guard lock(s.mutex); // pairs with the workers' predicate check
        s.generation.fetch_add(1);
    }
    s.wake.notify_all();

    t_insidePool = true;
    s.runChunks();
    t_insidePool = false;
    s.open.store(false);
    int spins = 0;
    while (s.active.load() != 0) {
        if (++spins < kSpinIterations)
            LATHE_CPU_RELAX();
        else
            std::this_thread::yield();
    }
    s.fn = nullptr;
    if (s.error)
        std::rethrow_exception(s.error);
}

void setThreadCount(int n)
{
    if (n <= 0)
        n = hardwareThreads();
    ThreadPool::instance().setThreadCount(n);
    setOpenBlasThreads(n);
}

int threadCount()
{
    return ThreadPool::instance().threadCount();
}

} // namespace lathe
