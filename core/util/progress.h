// SPDX-License-Identifier: GPL-3.0-or-later
// Progress reporting and cooperative cancellation for long engine work.
#pragma once

#include "util/error.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace lathe {

// Shared cancellation flag: the GUI or CLI sets it from any thread; the engine polls it
// between layers/batches and throws CancelledError.
class CancelToken {
public:
    CancelToken() : m_flag(std::make_shared<std::atomic<bool>>(false)) {}
    void cancel() const { m_flag->store(true, std::memory_order_relaxed); }
    bool isCancelled() const { return m_flag->load(std::memory_order_relaxed); }
    void throwIfCancelled() const
    {
        if (isCancelled())
            throw CancelledError();
    }

private:
    std::shared_ptr<std::atomic<bool>> m_flag;
};

// fraction in [0, 1]; message says what is being done ("layer 3/22").
using ProgressFn = std::function<void(double fraction, const std::string &message)>;

inline void reportProgress(const ProgressFn &fn, double fraction, const std::string &message)
{
    if (fn)
        fn(fraction, message);
}

// A part of a longer job: maps this part's [0, 1] onto [from, to] of `progress`, each message
// prefixed ("layer 3/22" -> "quantizing: layer 3/22"). Empty when `progress` is.
inline ProgressFn subProgress(const ProgressFn &progress, double from, double to,
    std::string prefix = {})
{
    if (!progress)
        return {};
    return [progress, from, to, prefix = std::move(prefix)](double f, const std::string &message) {
        progress(from + (to - from) * f, prefix + message);
    };
}

} // namespace lathe
