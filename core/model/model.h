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
#include <string>

namespace lathe {

class Checkpoint;

class Model {
public:
    // Opens `path` (HF folder, .safetensors with config.json beside it, or .gguf), reads the
    // config and prepares every weight the architecture needs. Throws lathe::Error naming the
    // file and the problem (missing tensor, wrong shape, unsupported model type).
    static std::shared_ptr<Model> load(const std::string &path, const ProgressFn &progress = {},
                                       const CancelToken &cancel = {});
    // Builds a model from a config and weights already in memory (tests, benchmarks).
    static std::shared_ptr<Model> fromWeights(ModelConfig config,
                                              std::map<std::string, at::Tensor> weights);

    const ModelConfig &config() const { return m_config; }
    const std::string &path() const { return m_path; }
    std::shared_ptr<const Checkpoint> checkpoint() const { return m_checkpoint; }
    // f32 tensor under its HF name; throws Error when missing.
    const at::Tensor &weight(const std::string &name) const;
    const at::Tensor *findWeight(const std::string &name) const;
    const std::map<std::string, at::Tensor> &weights() const { return m_weights; }
    std::int64_t parameterCount() const; // tied weights counted once
    std::size_t weightBytes() const;     // bytes of the f32 weights the engine reads
    // True when "lm_head.weight" is the embedding tensor itself (tied or absent head).
    bool lmHeadTied() const;

private:
    ModelConfig m_config;
    std::string m_path;
    std::shared_ptr<const Checkpoint> m_checkpoint;
    std::map<std::string, at::Tensor> m_weights;
};

} // namespace lathe
