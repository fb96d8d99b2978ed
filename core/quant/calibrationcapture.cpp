// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/calibrationcapture.h"

#include "model/model.h"
#include "model/transformer.h"
#include "quant/gptq.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace lathe {

namespace {

// Thrown by the observer once the captured layer has run: nothing after it is needed.
struct StopForward {};

struct Accumulator {
    CaptureRequest request;
    at::Tensor absmax;    // f32
    at::Tensor sumSquare; // f64
    at::Tensor sumAbs;    // f64
    std::unique_ptr<HessianAccumulator> hessian;
    std::vector<at::Tensor> rows;
    std::int64_t tokens = 0;
};

class CaptureObserver : public ForwardObserver {
public:
    CaptureObserver(std::int64_t layer, std::int64_t lastLayer, std::int64_t stride,
        const at::Tensor &finalNorm, double eps)
        : m_layer(layer), m_lastLayer(lastLayer), m_stride(stride), m_finalNorm(finalNorm),
          m_eps(eps)
    {
    }

    std::map<LinearInput, Accumulator> accumulators;

    void linearInput(std::int64_t layer, LinearInput input, const at::Tensor &x) override
    {
        if (layer != m_layer)
            return;
        auto it = accumulators.find(input);
        if (it != accumulators.end())
            add(it->second, x);
    }

    void layerOutput(std::int64_t layer, const at::Tensor &x) override
    {
        if (m_layer == kHeadLayer && layer == m_lastLayer) {
            // The head reads RMSNorm(x) * weight (Llama family).
            const at::Tensor rms = x.square().mean({ 1 }, true).add_(m_eps).rsqrt_();
            add(accumulators.begin()->second, x * rms * m_finalNorm);
            throw StopForward {};
        }
        if (layer == m_layer)
            throw StopForward {};
    }

private:
    void add(Accumulator &acc, const at::Tensor &x)
    {
        const at::Tensor absmax = x.abs().amax(0);
        const at::Tensor xd = x.to(at::kDouble);
        const at::Tensor sumSquare = xd.square().sum(0);
        const at::Tensor sumAbs = xd.abs().sum(0);
        if (!acc.absmax.defined()) {
            acc.absmax = absmax;
            acc.sumSquare = sumSquare;
            acc.sumAbs = sumAbs;
        } else {
            acc.absmax = at::maximum(acc.absmax, absmax);
            acc.sumSquare.add_(sumSquare);
            acc.sumAbs.add_(sumAbs);
        }
        if (acc.request.hessian) {
            if (!acc.hessian)
                acc.hessian = std::make_unique<HessianAccumulator>(x.size(1));
            acc.hessian->add(x);
        }
        if (acc.request.rows > 0) {
            // Every stride-th row of the whole calibration set (counted across sequences).
            const std::int64_t first = (m_stride - acc.tokens % m_stride) % m_stride;
            if (first < x.size(0)) {
                const at::Tensor idx = at::arange(first, x.size(0), m_stride, at::kLong);
                acc.rows.push_back(x.index_select(0, idx).contiguous());
            }
        }
        acc.tokens += x.size(0);
    }

    std::int64_t m_layer;
    std::int64_t m_lastLayer;
    std::int64_t m_stride;
    at::Tensor m_finalNorm;
    double m_eps;
};

} // namespace

std::map<LinearInput, CapturedInput> captureLayerInputs(const std::shared_ptr<const Model> &model,
    std::int64_t layer, const std::map<LinearInput, CaptureRequest> &requests,
    const std::vector<std::vector<std::int32_t>> &sequences, const ProgressFn &progress,
    const CancelToken &cancel)
{
    if (!model)
        throw InvalidArgument("calibration capture needs a model");
    if (sequences.empty())
        throw InvalidArgument("calibration capture needs at least one calibration sequence");
    const ModelConfig &config = model->config();
    if (layer != kHeadLayer && (layer < 0 || layer >= config.numLayers))
        throw InvalidArgument("layer " + std::to_string(layer) + " is outside the model");

    std::int64_t total = 0;
    std::int64_t maxRows = 0;
    for (const auto &seq : sequences)
        total += static_cast<std::int64_t>(seq.size());
    for (const auto &[input, request] : requests)
        maxRows = std::max(maxRows, request.rows);
    const std::int64_t stride
        = maxRows > 0 ? std::max<std::int64_t>(1, (total + maxRows - 1) / maxRows) : 1;

    at::Tensor finalNorm;
    if (layer == kHeadLayer)
        finalNorm = model->weight("model.norm.weight");
    CaptureObserver observer(layer, config.numLayers - 1, stride, finalNorm, config.normEps);
    if (layer == kHeadLayer) {
        const auto it = requests.find(LinearInput::Attention);
        observer.accumulators[LinearInput::Attention].request
            = it == requests.end() ? CaptureRequest {} : it->second;
    } else {
        for (const auto &[input, request] : requests)
            observer.accumulators[input].request = request;
    }

    Transformer transformer(model);
    transformer.setObserver(&observer);
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        cancel.throwIfCancelled();
        try {
            transformer.logits(sequences[i]);
        } catch (const StopForward &) {
        }
        reportProgress(progress, double(i + 1) / double(sequences.size()),
            "calibration sequence " + std::to_string(i + 1) + "/"
                + std::to_string(sequences.size()));
    }

    std::map<LinearInput, CapturedInput> out;
    for (auto &[input, acc] : observer.accumulators) {
        if (acc.tokens == 0)
            throw InvalidArgument("no calibration activations reached layer "
                + std::to_string(layer));
        CapturedInput c;
        c.tokens = acc.tokens;
        c.absmax = acc.absmax.contiguous();
        c.meanSquare = (acc.sumSquare / static_cast<double>(acc.tokens)).contiguous();
        c.meanAbs = (acc.sumAbs / static_cast<double>(acc.tokens)).to(at::kFloat).contiguous();
        if (acc.hessian)
            c.hessian = acc.hessian->hessian();
        if (!acc.rows.empty()) {
            const at::Tensor rows = at::cat(acc.rows, 0);
            c.rows = rows.narrow(0, 0, std::min(acc.request.rows, rows.size(0))).contiguous();
        }
        out.emplace(input, std::move(c));
    }
    return out;
}

} // namespace lathe
