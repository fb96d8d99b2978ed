// SPDX-License-Identifier: GPL-3.0-or-later
// The linear modules of a model's decoder layers under their Hugging Face names, in forward
// order, with the input each one reads: the unit that activation statistics, sensitivity and
// (later) quantization plans talk about.
#pragma once

#include "io/modelconfig.h"
#include "model/forwardobserver.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

struct LinearModule {
    std::string name;   // "model.layers.3.self_attn.q_proj" (GPT-2: "transformer.h.3.attn.c_attn")
    std::string weight; // name + ".weight"
    std::string kind;   // "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                        // "down_proj" (GPT-2: "c_attn", "attn.c_proj", "c_fc", "mlp.c_proj")
    std::int64_t layer = 0;
    LinearInput input = LinearInput::Attention;
};

// Every decoder-layer linear module of the architecture, layer by layer in forward order
// (q, k, v, o, gate, up, down for the Llama family).
std::vector<LinearModule> linearModules(const ModelConfig &config);

// The module kinds of one layer in order ("q_proj", ...): heatmap columns.
std::vector<std::string> linearModuleKinds(const ModelConfig &config);

} // namespace lathe
