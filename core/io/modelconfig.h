// SPDX-License-Identifier: GPL-3.0-or-later
// Architecture hyperparameters in one plain struct, read from a Hugging Face config.json
// (+ generation_config.json) or from GGUF metadata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lathe {

class GgufFile;

enum class Architecture { Llama, Mistral, Qwen2, Qwen3, Gpt2 };

std::string architectureName(Architecture a); // "llama", "mistral", ...
// The model_type strings accepted, comma separated, for error messages.
std::string supportedModelTypes();

struct RopeScaling {
    std::string type;                    // "" (none), "linear" or "llama3"
    double factor = 1.0;                 // linear and llama3
    double lowFreqFactor = 1.0;          // llama3
    double highFreqFactor = 4.0;         // llama3
    std::int64_t originalMaxPositions = 8192; // llama3
};

// Sampling defaults from generation_config.json (absent fields stay unset).
struct GenerationDefaults {
    std::optional<double> temperature;
    std::optional<int> topK;
    std::optional<double> topP;
    std::optional<double> minP;
    std::optional<double> repetitionPenalty;
    std::optional<int> maxNewTokens;
    std::optional<bool> doSample;
};

struct ModelConfig {
    Architecture arch = Architecture::Llama;
    std::string modelType;          // as written in the file ("llama", "qwen2", ...)
    std::int64_t hiddenSize = 0;
    std::int64_t intermediateSize = 0;
    std::int64_t numLayers = 0;
    std::int64_t numHeads = 0;
    std::int64_t numKvHeads = 0;    // == numHeads without GQA
    std::int64_t headDim = 0;       // hiddenSize / numHeads unless given explicitly
    std::int64_t vocabSize = 0;
    std::int64_t maxPositions = 2048;
    double normEps = 1e-5;          // RMSNorm eps (llama family) or LayerNorm eps (gpt2)
    double ropeTheta = 10000.0;
    RopeScaling ropeScaling;
    bool attentionBias = false;     // q/k/v bias (qwen2: true); o_proj bias only for gpt2
    bool mlpBias = false;
    bool qkNorm = false;            // qwen3: RMSNorm on q and k per head
    bool tieWordEmbeddings = false;
    // Sliding-window attention (mistral; qwen2/qwen3 with use_sliding_window). 0 = full causal
    // attention; else each query attends to at most this many most recent keys (itself included).
    std::int64_t slidingWindow = 0;
    // First layer that uses the window; earlier layers attend fully (qwen2's max_window_layers).
    std::int64_t slidingWindowFromLayer = 0;
    std::string hiddenAct = "silu"; // "silu", "gelu_new", "gelu"
    std::vector<std::int64_t> bosTokenIds; // usually one
    std::vector<std::int64_t> eosTokenIds; // one or more
    GenerationDefaults generation;

    std::int64_t bosTokenId() const { return bosTokenIds.empty() ? -1 : bosTokenIds.front(); }
    // The attention window of layer `layer` (0: full causal attention).
    std::int64_t attentionWindow(std::int64_t layer) const
    {
        return layer >= slidingWindowFromLayer ? slidingWindow : 0;
    }
};

// Parses config.json text. `source` names the file in error messages. Throws
// UnsupportedError listing the supported model types, FormatError for bad/missing fields.
ModelConfig parseHfConfig(const std::string &jsonText, const std::string &source);
// Reads <folder>/config.json and, when present, <folder>/generation_config.json.
ModelConfig loadHfConfig(const std::string &folder);
// Applies generation_config.json text (eos/bos lists, sampler defaults).
void applyGenerationConfig(ModelConfig &config, const std::string &jsonText,
                           const std::string &source);
// Builds the config from GGUF metadata (general.architecture + "<arch>.*" keys).
ModelConfig configFromGguf(const GgufFile &gguf);

} // namespace lathe
