// SPDX-License-Identifier: GPL-3.0-or-later
// Tiny random Llama models built in memory, for unit tests of the engine and of what runs on
// it: a config with 4 heads (2 KV heads) and 2 layers, and reproducible random weights.
#pragma once

#include "io/modelconfig.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <map>
#include <string>

namespace lathe::test {

// hidden must be a multiple of 4 (head size hidden / 4); context 64.
ModelConfig tinyLlamaConfig(std::int64_t hidden = 64, std::int64_t ffn = 96,
    std::int64_t vocab = 50);

// Every required tensor: norms 1 + N(0, 0.1^2), matrices N(0, 0.2^2), after at::manual_seed.
std::map<std::string, at::Tensor> tinyRandomWeights(const ModelConfig &config, std::uint64_t seed);

} // namespace lathe::test
