// SPDX-License-Identifier: GPL-3.0-or-later
// Per-layer key/value cache for incremental decoding.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace lathe {

class KVCache {
public:
    KVCache() = default;
    // Preallocates [numKvHeads, capacity, headDim] keys and values for each layer.
    KVCache(std::int64_t numLayers, std::int64_t numKvHeads, std::int64_t headDim,
            std::int64_t capacity);

    std::int64_t length() const { return m_length; }     // tokens already cached
    std::int64_t capacity() const { return m_capacity; }
    std::int64_t numLayers() const { return static_cast<std::int64_t>(m_keys.size()); }
    void clear() { m_length = 0; }
    // Drops everything after the first `length` tokens (regenerate / edit).
    void truncate(std::int64_t length);

    // Engine use: storage of layer `layer`, [numKvHeads, capacity, headDim].
    at::Tensor &keys(std::int64_t layer) { return m_keys[static_cast<std::size_t>(layer)]; }
    at::Tensor &values(std::int64_t layer) { return m_values[static_cast<std::size_t>(layer)]; }
    void setLength(std::int64_t length) { m_length = length; }

private:
    std::vector<at::Tensor> m_keys;
    std::vector<at::Tensor> m_values;
    std::int64_t m_length = 0;
    std::int64_t m_capacity = 0;
};

} // namespace lathe
