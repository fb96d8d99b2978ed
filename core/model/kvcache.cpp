// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/kvcache.h"

#include "util/error.h"

#include <ATen/ATen.h>

#include <string>

namespace lathe {

KVCache::KVCache(std::int64_t numLayers, std::int64_t numKvHeads, std::int64_t headDim,
                 std::int64_t capacity)
    : m_capacity(capacity)
{
    if (numLayers <= 0 || numKvHeads <= 0 || headDim <= 0 || capacity <= 0)
        throw InvalidArgument("a KV cache needs positive sizes (layers " + std::to_string(numLayers)
                              + ", kv heads " + std::to_string(numKvHeads) + ", head size "
                              + std::to_string(headDim) + ", capacity "
                              + std::to_string(capacity) + ")");
    m_keys.reserve(static_cast<std::size_t>(numLayers));
    m_values.reserve(static_cast<std::size_t>(numLayers));
    for (std::int64_t i = 0; i < numLayers; ++i) {
        // Left uninitialised: the engine never reads past length(), and untouched pages of a
        // large allocation cost no memory, so a cache sized for a long context only takes
        // memory as it fills.
        m_keys.push_back(at::empty({numKvHeads, capacity, headDim}, at::kFloat));
        m_values.push_back(at::empty({numKvHeads, capacity, headDim}, at::kFloat));
    }
}

void KVCache::truncate(std::int64_t length)
{
    if (length < 0)
        throw InvalidArgument("cannot truncate a KV cache to " + std::to_string(length)
                              + " tokens");
    // Growing is not possible: positions past length() hold nothing valid.
    if (length < m_length)
        m_length = length;
}

} // namespace lathe
