// SPDX-License-Identifier: GPL-3.0-or-later
// Random-weight models of known shapes for `lathe-cli bench`, so the engine can be measured
// without downloading a checkpoint. Speed does not depend on the values, only on the shapes.
#pragma once

#include "io/modelconfig.h"

#include <ATen/Tensor.h>

#include <map>
#include <string>

namespace lathe::cli {

// Shape names accepted by --shape, comma separated ("tinyllama, tiny").
std::string benchShapeNames();
// Config of a named shape (Llama architecture, f32); `layers` > 0 overrides the layer count.
// Throws InvalidArgument for an unknown name.
ModelConfig benchShapeConfig(const std::string &shape, std::int64_t layers);
// The same config as Hugging Face config.json text, for writing the model to disk.
std::string benchConfigJson(const ModelConfig &config);
// Every tensor the architecture needs: norms 1, biases 0, matrices uniform with std 0.02
// (reproducible for a given seed).
std::map<std::string, at::Tensor> randomWeights(const ModelConfig &config, std::uint64_t seed);

} // namespace lathe::cli
