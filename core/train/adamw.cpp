// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/adamw.h"

#include "util/error.h"

#include <torch/torch.h>

#include <cmath>

namespace lathe {

AdamW::AdamW(std::vector<at::Tensor> params, std::vector<bool> decay, AdamWOptions options)
    : m_params(std::move(params))
    , m_decay(std::move(decay))
    , m_options(options)
{
    if (m_decay.size() != m_params.size())
        throw InvalidArgument("AdamW: one decay flag per parameter is needed");
    for (const at::Tensor &p : m_params) {
        m_m.push_back(at::zeros_like(p, at::MemoryFormat::Contiguous).set_requires_grad(false));
        m_v.push_back(at::zeros_like(p, at::MemoryFormat::Contiguous).set_requires_grad(false));
    }
}

void AdamW::step(double lr)
{
    torch::NoGradGuard noGrad;
    ++m_step;
    const double b1 = m_options.beta1, b2 = m_options.beta2;
    const double correction1 = 1.0 - std::pow(b1, static_cast<double>(m_step));
    const double correction2 = 1.0 - std::pow(b2, static_cast<double>(m_step));
    const double stepSize = lr / correction1;
    const double sqrtCorrection2 = std::sqrt(correction2);
    for (std::size_t i = 0; i < m_params.size(); ++i) {
        at::Tensor &p = m_params[i];
        const at::Tensor &g = p.grad();
        if (!g.defined())
            continue;
        m_m[i].mul_(b1).add_(g, 1.0 - b1);
        m_v[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
        if (m_decay[i] && m_options.weightDecay > 0)
            p.mul_(1.0 - lr * m_options.weightDecay);
        // sqrt(v / c2) + eps == sqrt(v) / sqrt(c2) + eps
        const at::Tensor denom = (m_v[i].sqrt() / sqrtCorrection2).add_(m_options.eps);
        p.addcdiv_(m_m[i], denom, -stepSize);
    }
}

double clipGradientNorm(const std::vector<at::Tensor> &params, double maxNorm)
{
    torch::NoGradGuard noGrad;
    double sumSquares = 0.0;
    for (const at::Tensor &p : params)
        if (p.grad().defined())
            sumSquares += p.grad().to(at::kDouble).pow(2).sum().item<double>();
    const double norm = std::sqrt(sumSquares);
    if (maxNorm > 0 && norm > maxNorm) {
        const double scale = maxNorm / (norm + 1e-6);
        for (const at::Tensor &p : params)
            if (p.grad().defined())
                p.grad().mul_(scale);
    }
    return norm;
}

} // namespace lathe
