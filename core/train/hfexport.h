// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a trained model as a Hugging Face Llama folder: config.json, generation_config.json
// and model.safetensors (f32, written atomically). Tokenizer files are copied by the caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

class TrainableLlama;

// `eosIds`: the generation stop ids (e.g. "</s>" and "<|end|>"); config.json gets the first.
void writeHfModel(const TrainableLlama &model, const std::string &dir, std::int64_t bosId,
    const std::vector<std::int64_t> &eosIds);

} // namespace lathe
