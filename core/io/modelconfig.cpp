// SPDX-License-Identifier: GPL-3.0-or-later
// Hugging Face config.json / generation_config.json parsing. configFromGguf lives in
// ggufconfig.cpp.
#include "io/modelconfig.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace lathe {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// Field access with messages that name the field and the file. JSON null counts as absent:
// transformers writes null for unset optional fields ("rope_scaling": null).
class Fields {
public:
    Fields(const json &object, std::string source, std::string prefix = {})
        : m_object(object), m_source(std::move(source)), m_prefix(std::move(prefix))
    {
    }

    const json *get(const char *key) const
    {
        auto it = m_object.find(key);
        return it == m_object.end() || it->is_null() ? nullptr : &*it;
    }
    bool has(const char *key) const { return get(key) != nullptr; }
    // Written as null, which some fields distinguish from absent (mistral's sliding_window).
    bool isNull(const char *key) const
    {
        auto it = m_object.find(key);
        return it != m_object.end() && it->is_null();
    }

    [[noreturn]] void fail(const char *key, const std::string &problem) const
    {
        throw FormatError("field '" + m_prefix + key + "' in '" + m_source + "' " + problem);
    }

    std::optional<std::int64_t> optInt(const char *key) const
    {
        const json *v = get(key);
        if (!v)
            return std::nullopt;
        if (v->is_number_integer()) {
            if (v->is_number_unsigned()
                && v->get<std::uint64_t>()
                       > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                fail(key, "is too large: " + v->dump());
            return v->get<std::int64_t>();
        }
        // Some exporters write sizes as 4096.0; accept floats that are whole numbers.
        if (v->is_number_float()) {
            const double d = v->get<double>();
            if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
                return static_cast<std::int64_t>(d);
        }
        fail(key, "must be an integer, not " + v->dump());
    }
    std::int64_t requiredInt(const char *key) const
    {
        auto v = optInt(key);
        if (!v)
            fail(key, "is missing");
        return *v;
    }
    std::int64_t positiveInt(const char *key, std::optional<std::int64_t> fallback) const
    {
        auto v = optInt(key);
        if (!v && !fallback)
            fail(key, "is missing");
        const std::int64_t value = v ? *v : *fallback;
        if (value <= 0)
            fail(key, "must be positive, not " + std::to_string(value));
        return value;
    }
    std::optional<double> optDouble(const char *key) const
    {
        const json *v = get(key);
        if (!v)
            return std::nullopt;
        if (!v->is_number())
            fail(key, "must be a number, not " + v->dump());
        return v->get<double>();
    }
    double positiveDouble(const char *key, double fallback) const
    {
        const double value = optDouble(key).value_or(fallback);
        if (!(value > 0.0) || !std::isfinite(value))
            fail(key, "must be a positive number, not " + json(value).dump());
        return value;
    }
    std::optional<bool> optBool(const char *key) const
    {
        const json *v = get(key);
        if (!v)
            return std::nullopt;
        if (!v->is_boolean())
            fail(key, "must be true or false, not " + v->dump());
        return v->get<bool>();
    }
    std::optional<std::string> optString(const char *key) const
    {
        const json *v = get(key);
        if (!v)
            return std::nullopt;
        if (!v->is_string())
            fail(key, "must be a string, not " + v->dump());
        return v->get<std::string>();
    }
    // A token id field: an integer, a list of integers, or null.
    std::optional<std::vector<std::int64_t>> optTokenIds(const char *key) const
    {
        const json *v = get(key);
        if (!v)
            return std::nullopt;
        std::vector<std::int64_t> ids;
        auto add = [&](const json &e) {
            if (!e.is_number_integer() || e.get<std::int64_t>() < 0)
                fail(key, "must be a token id or a list of token ids, not " + v->dump());
            ids.push_back(e.get<std::int64_t>());
        };
        if (v->is_array())
            for (const auto &e : *v)
                add(e);
        else
            add(*v);
        return ids;
    }

private:
    const json &m_object;
    std::string m_source;
    std::string m_prefix;
};

json parseJson(const std::string &text, const std::string &source)
{
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception &e) {
        std::string msg = e.what();
        if (auto pos = msg.find("] "); pos != std::string::npos)
            msg = msg.substr(pos + 2);
        throw FormatError("'" + source + "' is not valid JSON: " + msg);
    }
    if (!j.is_object())
        throw FormatError("'" + source + "' does not hold a JSON object");
    return j;
}

std::string readFile(const fs::path &p)
{
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw IoError("cannot read '" + p.string() + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

RopeScaling parseRopeScaling(const json &j, const std::string &source)
{
    RopeScaling r;
    if (!j.is_object())
        throw FormatError("field 'rope_scaling' in '" + source + "' must be an object or null");
    const Fields f(j, source, "rope_scaling.");
    std::string type = f.optString("rope_type").value_or(f.optString("type").value_or(""));
    if (type.empty())
        f.fail("rope_type", "is missing");
    if (type == "default")
        return r; // transformers' name for "no scaling"
    if (type != "linear" && type != "llama3")
        throw UnsupportedError("unsupported rope_scaling type '" + type + "' in '" + source
                               + "'; supported: linear, llama3");
    r.type = type;
    if (!f.has("factor"))
        f.fail("factor", "is missing (" + type + " rope scaling needs it)");
    r.factor = f.positiveDouble("factor", 1.0);
    if (type == "llama3") {
        for (const char *key : {"low_freq_factor", "high_freq_factor",
                                "original_max_position_embeddings"})
            if (!f.has(key))
                f.fail(key, "is missing (llama3 rope scaling needs it)");
        r.lowFreqFactor = f.positiveDouble("low_freq_factor", 1.0);
        r.highFreqFactor = f.positiveDouble("high_freq_factor", 4.0);
        r.originalMaxPositions = f.positiveInt("original_max_position_embeddings", 8192);
        if (r.highFreqFactor <= r.lowFreqFactor)
            f.fail("high_freq_factor", "must be larger than low_freq_factor");
    }
    return r;
}

// Which layers a qwen2/qwen3 "layer_types" list gives the sliding window. Lathe supports full
// layers followed by sliding ones (what max_window_layers describes); returns the first
// sliding layer, numLayers when there is none.
std::int64_t firstSlidingLayer(const ModelConfig &c, const json &types, const std::string &source)
{
    const std::string field = "field 'layer_types' in '" + source + "' ";
    if (!types.is_array() || static_cast<std::int64_t>(types.size()) != c.numLayers)
        throw FormatError(field + "must list one attention type for each of the "
                          + std::to_string(c.numLayers) + " layers");
    std::int64_t first = c.numLayers;
    for (std::int64_t i = 0; i < c.numLayers; ++i) {
        const json &t = types[static_cast<std::size_t>(i)];
        const bool sliding = t == "sliding_attention";
        if (!sliding && t != "full_attention")
            throw UnsupportedError(field + "has attention type " + t.dump()
                                   + "; supported: full_attention, sliding_attention");
        if (sliding && first == c.numLayers)
            first = i;
        else if (!sliding && first < c.numLayers)
            throw UnsupportedError(field + "puts full-attention layers after sliding-window "
                                           "layers, which Lathe does not support");
    }
    return first;
}

// Sliding-window attention as transformers reads it. Mistral: "sliding_window" in every layer
// (absent: transformers' default 4096; null: full attention). Qwen2/Qwen3: only with
// "use_sliding_window": true, and then only in the layers that "layer_types" marks
// "sliding_attention", by default those with index >= "max_window_layers" (default 28).
void parseSlidingWindow(ModelConfig &c, const Fields &f, const std::string &source)
{
    if (c.arch == Architecture::Llama || f.isNull("sliding_window"))
        return;
    if (c.arch == Architecture::Mistral) {
        c.slidingWindow = f.positiveInt("sliding_window", 4096);
        return;
    }
    if (!f.optBool("use_sliding_window").value_or(false))
        return;
    c.slidingWindow = f.positiveInt("sliding_window", 4096);
    if (const json *types = f.get("layer_types")) {
        c.slidingWindowFromLayer = firstSlidingLayer(c, *types, source);
    } else {
        c.slidingWindowFromLayer = f.optInt("max_window_layers").value_or(28);
        if (c.slidingWindowFromLayer < 0)
            f.fail("max_window_layers", "must not be negative");
    }
    if (c.slidingWindowFromLayer >= c.numLayers) { // no layer uses the window
        c.slidingWindow = 0;
        c.slidingWindowFromLayer = 0;
    }
}

void parseLlamaFamily(ModelConfig &c, const Fields &f, const std::string &source)
{
    c.hiddenSize = f.positiveInt("hidden_size", std::nullopt);
    c.intermediateSize = f.positiveInt("intermediate_size", std::nullopt);
    c.numLayers = f.positiveInt("num_hidden_layers", std::nullopt);
    c.numHeads = f.positiveInt("num_attention_heads", std::nullopt);
    c.numKvHeads = f.positiveInt("num_key_value_heads", c.numHeads);
    c.vocabSize = f.positiveInt("vocab_size", std::nullopt);
    // transformers' defaults when the field is absent
    std::int64_t defaultPositions = 2048;
    if (c.arch == Architecture::Mistral)
        defaultPositions = 4096 * 32;
    else if (c.arch == Architecture::Qwen2 || c.arch == Architecture::Qwen3)
        defaultPositions = 32768;
    c.maxPositions = f.positiveInt("max_position_embeddings", defaultPositions);
    c.normEps = f.positiveDouble("rms_norm_eps", 1e-6);
    c.ropeTheta = f.positiveDouble("rope_theta", 10000.0);
    if (f.has("head_dim")) {
        c.headDim = f.positiveInt("head_dim", std::nullopt);
    } else {
        if (c.hiddenSize % c.numHeads != 0)
            f.fail("hidden_size", "(" + std::to_string(c.hiddenSize)
                                      + ") is not divisible by num_attention_heads ("
                                      + std::to_string(c.numHeads) + ")");
        c.headDim = c.hiddenSize / c.numHeads;
    }
    if (c.numHeads % c.numKvHeads != 0)
        f.fail("num_attention_heads", "(" + std::to_string(c.numHeads)
                                          + ") is not divisible by num_key_value_heads ("
                                          + std::to_string(c.numKvHeads) + ")");
    if (const json *rs = f.get("rope_scaling"))
        c.ropeScaling = parseRopeScaling(*rs, source);
    // Qwen2 always has q/k/v biases (transformers hard-codes them); the others default off.
    c.attentionBias = f.optBool("attention_bias").value_or(c.arch == Architecture::Qwen2);
    c.mlpBias = f.optBool("mlp_bias").value_or(false);
    c.qkNorm = c.arch == Architecture::Qwen3;
    c.tieWordEmbeddings = f.optBool("tie_word_embeddings").value_or(false);
    c.hiddenAct = f.optString("hidden_act").value_or("silu");
    parseSlidingWindow(c, f, source);
}

void parseGpt2(ModelConfig &c, const Fields &f)
{
    c.hiddenSize = f.positiveInt("n_embd", std::nullopt);
    c.numHeads = f.positiveInt("n_head", std::nullopt);
    c.numLayers = f.positiveInt("n_layer", std::nullopt);
    c.vocabSize = f.positiveInt("vocab_size", std::nullopt);
    c.maxPositions = f.positiveInt("n_positions", 1024);
    c.intermediateSize = f.positiveInt("n_inner", 4 * c.hiddenSize);
    c.numKvHeads = c.numHeads;
    if (c.hiddenSize % c.numHeads != 0)
        f.fail("n_embd", "(" + std::to_string(c.hiddenSize) + ") is not divisible by n_head ("
                             + std::to_string(c.numHeads) + ")");
    c.headDim = c.hiddenSize / c.numHeads;
    c.normEps = f.positiveDouble("layer_norm_epsilon", 1e-5);
    c.hiddenAct = f.optString("activation_function").value_or("gelu_new");
    c.attentionBias = true; // GPT-2's Conv1D layers all carry biases
    c.mlpBias = true;
    c.tieWordEmbeddings = f.optBool("tie_word_embeddings").value_or(true);
}

} // namespace

std::string architectureName(Architecture a)
{
    switch (a) {
    case Architecture::Llama: return "llama";
    case Architecture::Mistral: return "mistral";
    case Architecture::Qwen2: return "qwen2";
    case Architecture::Qwen3: return "qwen3";
    case Architecture::Gpt2: return "gpt2";
    }
    return "unknown";
}

std::string supportedModelTypes() { return "llama, mistral, qwen2, qwen3, gpt2"; }

ModelConfig parseHfConfig(const std::string &jsonText, const std::string &source)
{
    const json j = parseJson(jsonText, source);
    const Fields f(j, source);
    ModelConfig c;
    const auto type = f.optString("model_type");
    if (!type)
        f.fail("model_type", "is missing; it names the architecture (e.g. \"llama\")");
    c.modelType = *type;
    if (*type == "llama")
        c.arch = Architecture::Llama;
    else if (*type == "mistral")
        c.arch = Architecture::Mistral;
    else if (*type == "qwen2")
        c.arch = Architecture::Qwen2;
    else if (*type == "qwen3")
        c.arch = Architecture::Qwen3;
    else if (*type == "gpt2")
        c.arch = Architecture::Gpt2;
    else
        throw UnsupportedError("unsupported model_type '" + *type + "' in '" + source
                               + "'; supported: " + supportedModelTypes());

    if (c.arch == Architecture::Gpt2)
        parseGpt2(c, f);
    else
        parseLlamaFamily(c, f, source);

    c.bosTokenIds = f.optTokenIds("bos_token_id").value_or(std::vector<std::int64_t>{});
    c.eosTokenIds = f.optTokenIds("eos_token_id").value_or(std::vector<std::int64_t>{});
    return c;
}

void applyGenerationConfig(ModelConfig &config, const std::string &jsonText,
                           const std::string &source)
{
    const json j = parseJson(jsonText, source);
    const Fields f(j, source);
    if (auto ids = f.optTokenIds("bos_token_id"))
        config.bosTokenIds = *ids;
    if (auto ids = f.optTokenIds("eos_token_id"))
        config.eosTokenIds = *ids;
    auto &g = config.generation;
    auto toInt = [&](const char *key) -> std::optional<int> {
        auto v = f.optInt(key);
        if (v && (*v < 0 || *v > std::numeric_limits<int>::max()))
            f.fail(key, "is out of range: " + std::to_string(*v));
        return v ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
    };
    auto nonNegative = [&](const char *key) {
        auto v = f.optDouble(key);
        if (v && (*v < 0.0 || !std::isfinite(*v)))
            f.fail(key, "must not be negative");
        return v;
    };
    if (auto v = nonNegative("temperature"))
        g.temperature = v;
    if (auto v = toInt("top_k"))
        g.topK = v;
    if (auto v = nonNegative("top_p"))
        g.topP = v;
    if (auto v = nonNegative("min_p"))
        g.minP = v;
    if (auto v = nonNegative("repetition_penalty"))
        g.repetitionPenalty = v;
    if (auto v = toInt("max_new_tokens"))
        g.maxNewTokens = v;
    if (auto v = f.optBool("do_sample"))
        g.doSample = v;
}

ModelConfig loadHfConfig(const std::string &folder)
{
    const fs::path dir(folder);
    const fs::path configPath = dir / "config.json";
    std::error_code ec;
    if (!fs::is_regular_file(configPath, ec))
        throw IoError("no config.json in '" + folder + "'");
    ModelConfig config = parseHfConfig(readFile(configPath), configPath.string());
    const fs::path genPath = dir / "generation_config.json";
    if (fs::is_regular_file(genPath, ec))
        applyGenerationConfig(config, readFile(genPath), genPath.string());
    return config;
}

} // namespace lathe
