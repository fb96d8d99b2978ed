// SPDX-License-Identifier: GPL-3.0-or-later
// Rotary position embeddings, Hugging Face layout: each head's vector is split in two halves
// and (x1, x2) at frequency i is rotated by pos * invFreq[i] ("rotate_half"), with the
// "linear" and "llama3" frequency scalings.
#pragma once

#include "io/modelconfig.h"

#include <cstdint>
#include <vector>

namespace lathe {

class Rope {
public:
    // Throws UnsupportedError for a rope scaling type Lathe does not implement.
    explicit Rope(const ModelConfig &config);

    const std::vector<float> &invFreq() const { return m_invFreq; } // [headDim / 2]

    // Rotates x [tokens, heads, headDim] in place; token t sits at position start + t.
    void apply(float *x, std::int64_t tokens, std::int64_t heads, std::int64_t start) const;

private:
    std::int64_t m_headDim = 0;
    std::vector<float> m_invFreq;
};

} // namespace lathe
