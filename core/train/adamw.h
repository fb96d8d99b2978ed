// SPDX-License-Identifier: GPL-3.0-or-later
// AdamW (Loshchilov & Hutter): Adam moments with bias correction and weight decay applied
// directly to the weights (decoupled), skipped for tensors marked as not decaying (norms).
// The moments are plain tensors so checkpoints can save and restore them exactly.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace lathe {

struct AdamWOptions {
    double beta1 = 0.9;
    double beta2 = 0.95;
    double eps = 1e-8;
    double weightDecay = 0.1;
};

class AdamW {
public:
    // `decay[i]` says whether params[i] gets weight decay. The tensors are shared, not copied.
    AdamW(std::vector<at::Tensor> params, std::vector<bool> decay, AdamWOptions options);

    // One update with learning rate `lr` from the params' current .grad():
    //   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  t += 1
    //   w -= lr * wd * w   (decaying tensors only)
    //   w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
    // Parameters without a gradient are skipped.
    void step(double lr);

    std::int64_t stepCount() const { return m_step; }
    void setStepCount(std::int64_t step) { m_step = step; }
    std::vector<at::Tensor> &firstMoments() { return m_m; }
    std::vector<at::Tensor> &secondMoments() { return m_v; }
    const std::vector<at::Tensor> &firstMoments() const { return m_m; }
    const std::vector<at::Tensor> &secondMoments() const { return m_v; }

private:
    std::vector<at::Tensor> m_params;
    std::vector<bool> m_decay;
    AdamWOptions m_options;
    std::vector<at::Tensor> m_m, m_v;
    std::int64_t m_step = 0;
};

// Scales all gradients so their global L2 norm is at most maxNorm (no-op for maxNorm <= 0).
// Returns the norm before clipping.
double clipGradientNorm(const std::vector<at::Tensor> &params, double maxNorm);

} // namespace lathe
