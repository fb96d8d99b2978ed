// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/linearmodules.h"

namespace lathe {

namespace {

struct KindSpec {
    const char *path; // below the layer prefix, without ".weight"
    const char *kind;
    LinearInput input;
};

const std::vector<KindSpec> &kindSpecs(const ModelConfig &config)
{
    static const std::vector<KindSpec> llama {
        { "self_attn.q_proj", "q_proj", LinearInput::Attention },
        { "self_attn.k_proj", "k_proj", LinearInput::Attention },
        { "self_attn.v_proj", "v_proj", LinearInput::Attention },
        { "self_attn.o_proj", "o_proj", LinearInput::AttentionOutput },
        { "mlp.gate_proj", "gate_proj", LinearInput::Mlp },
        { "mlp.up_proj", "up_proj", LinearInput::Mlp },
        { "mlp.down_proj", "down_proj", LinearInput::MlpOutput },
    };
    static const std::vector<KindSpec> gpt2 {
        { "attn.c_attn", "c_attn", LinearInput::Attention },
        { "attn.c_proj", "attn.c_proj", LinearInput::AttentionOutput },
        { "mlp.c_fc", "c_fc", LinearInput::Mlp },
        { "mlp.c_proj", "mlp.c_proj", LinearInput::MlpOutput },
    };
    return config.arch == Architecture::Gpt2 ? gpt2 : llama;
}

std::string layerPrefix(const ModelConfig &config, std::int64_t layer)
{
    return (config.arch == Architecture::Gpt2 ? "transformer.h." : "model.layers.")
        + std::to_string(layer) + ".";
}

} // namespace

std::vector<LinearModule> linearModules(const ModelConfig &config)
{
    std::vector<LinearModule> modules;
    for (std::int64_t layer = 0; layer < config.numLayers; ++layer) {
        for (const KindSpec &spec : kindSpecs(config)) {
            LinearModule m;
            m.name = layerPrefix(config, layer) + spec.path;
            m.weight = m.name + ".weight";
            m.kind = spec.kind;
            m.layer = layer;
            m.input = spec.input;
            modules.push_back(std::move(m));
        }
    }
    return modules;
}

std::vector<std::string> linearModuleKinds(const ModelConfig &config)
{
    std::vector<std::string> kinds;
    for (const KindSpec &spec : kindSpecs(config))
        kinds.emplace_back(spec.kind);
    return kinds;
}

} // namespace lathe
