// SPDX-License-Identifier: GPL-3.0-or-later
// A loaded model: its config and its weights as f32 tensors under Hugging Face names,
// whatever the source format (GGUF names and llama.cpp's q/k row permutation are mapped
// back on load). f32 weights stay zero-copy views of the memory-mapped file.
#pragma once

#include "io/modelconfig.h"
#include "util/progress.h"

#include <ATen/Tensor.h>

#include <map>
#include <memory>
#include <set>
#include <string>

namespace lathe {

class Checkpoint;
struct PackedMatrix;

// What a compressed variant changes relative to its base model; everything else is shared.
struct VariantChanges {
    // Linear weights (HF names, 2-D, base's shape) held packed instead of in f32.
    std::map<std::string, std::shared_ptr<const PackedMatrix>> packed;
    // f32 tensors with new values of the same shape (AWQ/SmoothQuant scales folded into norms).
    std::map<std::string, at::Tensor> replaced;
    // Linear weights whose input is quantized to int8 per token before the product
    // (SmoothQuant W8A8, simulated in f32).
    std::set<std::string> int8Activations;
};

class Model {
public:
    // Opens `path` (HF folder, .safetensors with config.json beside it, or .gguf), reads the
    // config and prepares every weight the architecture needs. Throws lathe::Error naming the
    // file and the problem (missing tensor, wrong shape, unsupported model type).
    static std::shared_ptr<Model> load(const std::string &path, const ProgressFn &progress = {},
                                       const CancelToken &cancel = {});
    // Builds a model from a config and weights already in memory (tests, benchmarks).
    // `source`, when given, is the model the weights derive from (structured pruning): its
    // path and checkpoint are kept, so an export copies its tokenizer files and config fields.
    static std::shared_ptr<Model> fromWeights(ModelConfig config,
                                              std::map<std::string, at::Tensor> weights,
                                              const std::shared_ptr<const Model> &source = {});

    // A compressed variant of `base`: each named linear weight (HF name, 2-D, of base's shape)
    // is held packed instead of in f32; every other tensor is base's own, shared, not copied.
    // Llama-family models only; the embedding cannot be packed (it is looked up by row).
    // Throws InvalidArgument naming the tensor when a name or shape does not fit.
    static std::shared_ptr<Model> withPackedWeights(const std::shared_ptr<const Model> &base,
        std::map<std::string, std::shared_ptr<const PackedMatrix>> packed);
    // The general form: packed weights as above, replaced f32 tensors (same name and shape as
    // base's, contiguous f32) and int8-activation modules (names of linear weights). Throws
    // InvalidArgument naming the tensor that does not fit.
    static std::shared_ptr<Model> variant(const std::shared_ptr<const Model> &base,
        VariantChanges changes);

    const ModelConfig &config() const { return m_config; }
    const std::string &path() const { return m_path; }
    std::shared_ptr<const Checkpoint> checkpoint() const { return m_checkpoint; }
    // f32 tensor under its HF name; throws Error when missing (or held packed).
    const at::Tensor &weight(const std::string &name) const;
    const at::Tensor *findWeight(const std::string &name) const;
    const std::map<std::string, at::Tensor> &weights() const { return m_weights; }
    // Packed linear weights (a compressed variant), by HF name; they are not in weights().
    std::shared_ptr<const PackedMatrix> findPacked(const std::string &name) const;
    const std::map<std::string, std::shared_ptr<const PackedMatrix>> &packedWeights() const
    {
        return m_packed;
    }
    // Linear weights whose input the forward pass quantizes to int8 per token.
    const std::set<std::string> &int8Activations() const { return m_int8Activations; }
    std::int64_t parameterCount() const; // tied weights counted once, packed ones included
    std::size_t weightBytes() const;     // bytes the engine reads: f32 tensors + packed storage
    // True when "lm_head.weight" is the embedding tensor itself (tied or absent head).
    bool lmHeadTied() const;

private:
    ModelConfig m_config;
    std::string m_path;
    std::shared_ptr<const Checkpoint> m_checkpoint;
    std::map<std::string, at::Tensor> m_weights;
    std::map<std::string, std::shared_ptr<const PackedMatrix>> m_packed;
    std::set<std::string> m_int8Activations;
};

} // namespace lathe
