// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/hfexport.h"

#include "io/safetensorswriter.h"
#include "train/trainablellama.h"
#include "util/atomicfile.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace lathe {

void writeHfModel(const TrainableLlama &model, const std::string &dir, std::int64_t bosId,
    const std::vector<std::int64_t> &eosIds)
{
    const ModelConfig &c = model.config();
    nlohmann::ordered_json config;
    config["architectures"] = { "LlamaForCausalLM" };
    config["model_type"] = "llama";
    config["hidden_size"] = c.hiddenSize;
    config["intermediate_size"] = c.intermediateSize;
    config["num_hidden_layers"] = c.numLayers;
    config["num_attention_heads"] = c.numHeads;
    config["num_key_value_heads"] = c.numKvHeads;
    config["head_dim"] = c.headDim;
    config["max_position_embeddings"] = c.maxPositions;
    config["vocab_size"] = c.vocabSize;
    config["rms_norm_eps"] = c.normEps;
    config["rope_theta"] = c.ropeTheta;
    config["rope_scaling"] = nullptr;
    config["hidden_act"] = "silu";
    config["attention_bias"] = false;
    config["attention_dropout"] = 0.0;
    config["mlp_bias"] = false;
    config["initializer_range"] = 0.02;
    config["tie_word_embeddings"] = c.tieWordEmbeddings;
    if (bosId >= 0)
        config["bos_token_id"] = bosId;
    if (!eosIds.empty())
        config["eos_token_id"] = eosIds.front();
    config["torch_dtype"] = "float32";
    config["use_cache"] = true;
    writeFileAtomically((fs::path(dir) / "config.json").string(), config.dump(2) + "\n");

    nlohmann::ordered_json generation;
    if (bosId >= 0)
        generation["bos_token_id"] = bosId;
    generation["eos_token_id"] = eosIds;
    writeFileAtomically(
        (fs::path(dir) / "generation_config.json").string(), generation.dump(2) + "\n");

    SafetensorsWriter writer;
    writer.setMetadata("format", "pt");
    const auto weights = model.weights();
    for (const auto &[name, tensor] : weights) {
        const at::Tensor t = tensor.to(at::kFloat).contiguous();
        std::vector<std::int64_t> shape(t.sizes().begin(), t.sizes().end());
        const auto *p = static_cast<const std::uint8_t *>(t.data_ptr());
        writer.addTensor(name, DType::F32, shape,
            std::vector<std::uint8_t>(p, p + t.numel() * static_cast<std::int64_t>(sizeof(float))));
    }
    writer.write((fs::path(dir) / "model.safetensors").string());
}

} // namespace lathe
