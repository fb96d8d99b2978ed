// SPDX-License-Identifier: GPL-3.0-or-later
// Which tensors (HF names and shapes) an architecture needs for a given config, so loading
// from a file and building from memory validate the same way.
#pragma once

#include "io/modelconfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

struct TensorSpec {
    std::string name;                // Hugging Face name
    std::vector<std::int64_t> shape; // as stored in HF checkpoints (GPT-2 Conv1D: [in, out])
    bool optional = false;           // a bias the config does not require
};

// Every tensor the forward pass reads, in checkpoint order. "lm_head.weight" is listed; when
// it is absent the embedding is used (tied heads).
std::vector<TensorSpec> tensorSpecs(const ModelConfig &config);
// "model.embed_tokens.weight" or "transformer.wte.weight".
std::string embeddingName(const ModelConfig &config);
// Fills derived fields (kv heads, head size, GPT-2's MLP width) and checks that the numbers
// fit together. Throws FormatError naming `source`.
void normalizeConfig(ModelConfig &config, const std::string &source);

} // namespace lathe
