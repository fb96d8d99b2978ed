// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/awqfold.h"

#include "analysis/linearmodules.h"
#include "model/model.h"
#include "util/error.h"

#include <ATen/ATen.h>

namespace lathe {

namespace {

std::string layerPrefix(std::int64_t layer)
{
    return "model.layers." + std::to_string(layer) + ".";
}

const at::Tensor &current(const Model &base, const std::map<std::string, at::Tensor> &tensors,
    const std::string &name)
{
    const auto it = tensors.find(name);
    return it != tensors.end() ? it->second : base.weight(name);
}

} // namespace

bool canFoldInputScales(const ModelConfig &config, LinearInput input)
{
    if (config.arch == Architecture::Gpt2)
        return false;
    switch (input) {
    case LinearInput::Attention:
    case LinearInput::Mlp:
    case LinearInput::MlpOutput:
        return true;
    case LinearInput::AttentionOutput:
        return config.numKvHeads == config.numHeads;
    }
    return false;
}

std::vector<std::string> modulesReading(const ModelConfig &config, std::int64_t layer,
    LinearInput input)
{
    std::vector<std::string> names;
    for (const LinearModule &m : linearModules(config))
        if (m.layer == layer && m.input == input)
            names.push_back(m.weight);
    return names;
}

void foldInputScales(const Model &base, std::int64_t layer, LinearInput input,
    const at::Tensor &scales, std::map<std::string, at::Tensor> &tensors)
{
    const ModelConfig &config = base.config();
    if (!canFoldInputScales(config, input))
        throw InvalidArgument("the input of layer " + std::to_string(layer)
            + (input == LinearInput::AttentionOutput
                    ? "'s o_proj cannot absorb scales with grouped-query attention"
                    : " cannot absorb scales in this architecture"));
    const std::vector<std::string> readers = modulesReading(config, layer, input);
    const at::Tensor s = scales.to(at::kFloat).contiguous();
    for (const std::string &name : readers) {
        const at::Tensor &w = current(base, tensors, name);
        if (s.dim() != 1 || s.size(0) != w.size(1))
            throw InvalidArgument("scales for " + name + " must have " + std::to_string(w.size(1))
                + " entries");
        tensors[name] = (w * s.unsqueeze(0)).contiguous();
    }
    const std::string p = layerPrefix(layer);
    auto divideRows = [&](const std::string &module) {
        const std::string weight = p + module + ".weight";
        const at::Tensor &w = current(base, tensors, weight);
        tensors[weight] = (w / s.unsqueeze(1)).contiguous();
        const std::string bias = p + module + ".bias";
        if (base.findWeight(bias) || tensors.count(bias))
            tensors[bias] = (current(base, tensors, bias) / s).contiguous();
    };
    switch (input) {
    case LinearInput::Attention:
    case LinearInput::Mlp: {
        const std::string norm = p
            + (input == LinearInput::Attention ? "input_layernorm.weight"
                                               : "post_attention_layernorm.weight");
        tensors[norm] = (current(base, tensors, norm) / s).contiguous();
        break;
    }
    case LinearInput::AttentionOutput:
        divideRows("self_attn.v_proj");
        break;
    case LinearInput::MlpOutput:
        divideRows("mlp.up_proj");
        break;
    }
}

} // namespace lathe
