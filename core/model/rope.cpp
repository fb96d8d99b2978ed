// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/rope.h"

#include "util/error.h"

#include <cmath>
#include <numbers>

namespace lathe {

Rope::Rope(const ModelConfig &config) : m_headDim(config.headDim)
{
    const std::int64_t half = m_headDim / 2;
    const RopeScaling &s = config.ropeScaling;
    m_invFreq.resize(static_cast<std::size_t>(half));
    for (std::int64_t i = 0; i < half; ++i) {
        const double exponent = static_cast<double>(2 * i) / static_cast<double>(m_headDim);
        double inv = 1.0 / std::pow(config.ropeTheta, exponent);
        if (s.type == "linear") {
            inv /= s.factor; // positions / factor
        } else if (s.type == "llama3") {
            // Long wavelengths are slowed down by `factor`, short ones kept, and the band in
            // between blended smoothly.
            const double orig = static_cast<double>(s.originalMaxPositions);
            const double wavelen = 2.0 * std::numbers::pi / inv;
            const double highWavelen = orig / s.highFreqFactor;
            const double lowWavelen = orig / s.lowFreqFactor;
            if (wavelen > lowWavelen) {
                inv /= s.factor;
            } else if (wavelen >= highWavelen) {
                const double smooth = (orig / wavelen - s.lowFreqFactor)
                                      / (s.highFreqFactor - s.lowFreqFactor);
                inv = (1.0 - smooth) * inv / s.factor + smooth * inv;
            }
        } else if (!s.type.empty() && s.type != "default") {
            throw UnsupportedError("rope scaling '" + s.type
                                   + "' is not supported (Lathe supports linear and llama3)");
        }
        m_invFreq[static_cast<std::size_t>(i)] = static_cast<float>(inv);
    }
}

void Rope::apply(float *x, std::int64_t tokens, std::int64_t heads, std::int64_t start) const
{
    const std::int64_t half = m_headDim / 2;
    std::vector<float> cosv(static_cast<std::size_t>(half)), sinv(static_cast<std::size_t>(half));
    for (std::int64_t t = 0; t < tokens; ++t) {
        // f32 angle like Hugging Face (position * inv_freq in float), so long positions round
        // the same way.
        const float pos = static_cast<float>(start + t);
        for (std::int64_t i = 0; i < half; ++i) {
            const float angle = pos * m_invFreq[static_cast<std::size_t>(i)];
            cosv[static_cast<std::size_t>(i)] = std::cos(angle);
            sinv[static_cast<std::size_t>(i)] = std::sin(angle);
        }
        for (std::int64_t h = 0; h < heads; ++h) {
            float *v = x + (t * heads + h) * m_headDim;
            for (std::int64_t i = 0; i < half; ++i) {
                const float c = cosv[static_cast<std::size_t>(i)];
                const float s = sinv[static_cast<std::size_t>(i)];
                const float x1 = v[i], x2 = v[i + half];
                v[i] = x1 * c - x2 * s;
                v[i + half] = x2 * c + x1 * s;
            }
        }
    }
}

} // namespace lathe
