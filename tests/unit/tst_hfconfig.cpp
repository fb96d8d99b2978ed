// SPDX-License-Identifier: GPL-3.0-or-later
// parseHfConfig / applyGenerationConfig / loadHfConfig on config texts written in the test.
#include "io/modelconfig.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <fstream>

using namespace lathe;
using json = nlohmann::json;

namespace {

const char *kSource = "/models/x/config.json";

json llamaJson()
{
    return json::parse(R"({
        "model_type": "llama", "hidden_size": 64, "intermediate_size": 160,
        "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2,
        "vocab_size": 300, "max_position_embeddings": 256, "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0, "tie_word_embeddings": false, "hidden_act": "silu",
        "bos_token_id": 1, "eos_token_id": 2})");
}

ModelConfig parse(const json &j) { return parseHfConfig(j.dump(), kSource); }

template<typename E>
QString errorOf(const json &j)
{
    try {
        parse(j);
    } catch (const E &e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception &e) {
        return QStringLiteral("WRONG TYPE: ") + e.what();
    }
    return QStringLiteral("NO ERROR");
}

} // namespace

class TestHfConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void llama()
    {
        const ModelConfig c = parse(llamaJson());
        QCOMPARE(c.arch, Architecture::Llama);
        QCOMPARE(c.modelType, std::string("llama"));
        QCOMPARE(c.hiddenSize, 64);
        QCOMPARE(c.intermediateSize, 160);
        QCOMPARE(c.numLayers, 3);
        QCOMPARE(c.numHeads, 4);
        QCOMPARE(c.numKvHeads, 2);
        QCOMPARE(c.headDim, 16);
        QCOMPARE(c.vocabSize, 300);
        QCOMPARE(c.maxPositions, 256);
        QCOMPARE(c.normEps, 1e-5);
        QCOMPARE(c.ropeTheta, 10000.0);
        QVERIFY(c.ropeScaling.type.empty());
        QVERIFY(!c.attentionBias && !c.mlpBias && !c.qkNorm && !c.tieWordEmbeddings);
        QCOMPARE(c.hiddenAct, std::string("silu"));
        QCOMPARE(c.bosTokenIds, std::vector<std::int64_t>{1});
        QCOMPARE(c.eosTokenIds, std::vector<std::int64_t>{2});
        QCOMPARE(c.bosTokenId(), 1);
        QCOMPARE(architectureName(c.arch), std::string("llama"));
    }

    void llamaDefaults()
    {
        json j = llamaJson();
        for (const char *k : {"num_key_value_heads", "max_position_embeddings", "rms_norm_eps",
                              "rope_theta", "tie_word_embeddings", "hidden_act", "bos_token_id"})
            j.erase(k);
        j["eos_token_id"] = json::array({128001, 128008, 128009});
        j["rope_scaling"] = nullptr;
        j["head_dim"] = nullptr;
        j["mlp_bias"] = true;
        j["attention_bias"] = true;
        const ModelConfig c = parse(j);
        QCOMPARE(c.numKvHeads, 4);
        QCOMPARE(c.maxPositions, 2048);
        QCOMPARE(c.normEps, 1e-6);
        QCOMPARE(c.ropeTheta, 10000.0);
        QCOMPARE(c.headDim, 16);
        QVERIFY(!c.tieWordEmbeddings);
        QVERIFY(c.mlpBias && c.attentionBias);
        QVERIFY(c.bosTokenIds.empty());
        QCOMPARE(c.bosTokenId(), -1);
        QCOMPARE(c.eosTokenIds, (std::vector<std::int64_t>{128001, 128008, 128009}));
    }

    void mistralQwen()
    {
        json j = llamaJson();
        j["model_type"] = "mistral";
        j["head_dim"] = 32; // explicit, not hidden / heads
        j["sliding_window"] = 4096;
        ModelConfig c = parse(j);
        QCOMPARE(c.arch, Architecture::Mistral);
        QCOMPARE(c.headDim, 32);
        QVERIFY(!c.attentionBias);

        j = llamaJson();
        j["model_type"] = "qwen2";
        j["tie_word_embeddings"] = true;
        j["rms_norm_eps"] = 1e-6;
        j.erase("max_position_embeddings");
        c = parse(j);
        QCOMPARE(c.arch, Architecture::Qwen2);
        QVERIFY(c.attentionBias); // Qwen2 always has q/k/v biases
        QVERIFY(!c.qkNorm);
        QVERIFY(c.tieWordEmbeddings);
        QCOMPARE(c.maxPositions, 32768);

        j["model_type"] = "qwen3";
        j["head_dim"] = 128;
        j["attention_bias"] = false;
        c = parse(j);
        QCOMPARE(c.arch, Architecture::Qwen3);
        QVERIFY(c.qkNorm);
        QVERIFY(!c.attentionBias);
        QCOMPARE(c.headDim, 128);
        QCOMPARE(architectureName(c.arch), std::string("qwen3"));
    }

    // transformers' rules: mistral windows every layer (absent: 4096, null: none); qwen2 and
    // qwen3 only with use_sliding_window, from max_window_layers (or per layer_types) on.
    void slidingWindow()
    {
        json j = llamaJson(); // 3 layers
        j["model_type"] = "mistral";
        j["sliding_window"] = 4;
        ModelConfig c = parse(j);
        QCOMPARE(c.slidingWindow, 4);
        QCOMPARE(c.slidingWindowFromLayer, 0);
        QCOMPARE(c.attentionWindow(0), 4);
        j["sliding_window"] = nullptr;
        QCOMPARE(parse(j).slidingWindow, 0);
        j.erase("sliding_window");
        QCOMPARE(parse(j).slidingWindow, 4096);
        j["sliding_window"] = 0;
        QVERIFY(errorOf<FormatError>(j).contains("sliding_window"));
        j["sliding_window"] = "4";
        QVERIFY(errorOf<FormatError>(j).contains("sliding_window"));

        j = llamaJson();
        j["sliding_window"] = 4; // llama has no sliding window
        QCOMPARE(parse(j).slidingWindow, 0);

        j["model_type"] = "qwen2";
        j["max_window_layers"] = 1;
        QCOMPARE(parse(j).slidingWindow, 0); // use_sliding_window absent
        j["use_sliding_window"] = false;
        QCOMPARE(parse(j).slidingWindow, 0);
        j["use_sliding_window"] = true;
        c = parse(j);
        QCOMPARE(c.slidingWindow, 4);
        QCOMPARE(c.slidingWindowFromLayer, 1);
        QCOMPARE(c.attentionWindow(0), 0);
        QCOMPARE(c.attentionWindow(2), 4);
        j["sliding_window"] = nullptr;
        QCOMPARE(parse(j).slidingWindow, 0);
        j.erase("sliding_window");
        QCOMPARE(parse(j).slidingWindow, 4096);
        j.erase("max_window_layers"); // default 28: no layer of 3 uses the window
        QCOMPARE(parse(j).slidingWindow, 0);
        j["max_window_layers"] = -1;
        QVERIFY(errorOf<FormatError>(j).contains("max_window_layers"));

        // layer_types, when given, decides over max_window_layers.
        j["max_window_layers"] = 0;
        j["sliding_window"] = 8;
        j["layer_types"] = {"full_attention", "full_attention", "sliding_attention"};
        c = parse(j);
        QCOMPARE(c.slidingWindow, 8);
        QCOMPARE(c.slidingWindowFromLayer, 2);
        j["layer_types"] = {"full_attention", "full_attention", "full_attention"};
        QCOMPARE(parse(j).slidingWindow, 0);
        j["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention"};
        QVERIFY(errorOf<UnsupportedError>(j).contains("layer_types"));
        j["layer_types"] = {"sliding_attention", "chunked_attention", "sliding_attention"};
        QVERIFY(errorOf<UnsupportedError>(j).contains("chunked_attention"));
        j["layer_types"] = {"sliding_attention"};
        QVERIFY(errorOf<FormatError>(j).contains("layer_types"));

        j.erase("layer_types");
        j["model_type"] = "qwen3";
        c = parse(j);
        QCOMPARE(c.slidingWindow, 8);
        QCOMPARE(c.slidingWindowFromLayer, 0);
    }

    void gpt2()
    {
        json j = json::parse(R"({
            "model_type": "gpt2", "n_embd": 64, "n_head": 4, "n_layer": 2, "n_positions": 128,
            "n_ctx": 128, "vocab_size": 270, "layer_norm_epsilon": 1e-05,
            "activation_function": "gelu_new", "bos_token_id": 0, "eos_token_id": 0})");
        ModelConfig c = parse(j);
        QCOMPARE(c.arch, Architecture::Gpt2);
        QCOMPARE(c.hiddenSize, 64);
        QCOMPARE(c.numHeads, 4);
        QCOMPARE(c.numKvHeads, 4);
        QCOMPARE(c.headDim, 16);
        QCOMPARE(c.numLayers, 2);
        QCOMPARE(c.maxPositions, 128);
        QCOMPARE(c.intermediateSize, 256); // n_inner absent: 4 * n_embd
        QCOMPARE(c.normEps, 1e-5);
        QCOMPARE(c.hiddenAct, std::string("gelu_new"));
        QVERIFY(c.attentionBias && c.mlpBias);
        QVERIFY(c.tieWordEmbeddings); // GPT-2 ties by default
        QCOMPARE(c.bosTokenIds, std::vector<std::int64_t>{0});

        j["n_inner"] = 100;
        j["tie_word_embeddings"] = false;
        j["activation_function"] = "gelu";
        c = parse(j);
        QCOMPARE(c.intermediateSize, 100);
        QVERIFY(!c.tieWordEmbeddings);
        QCOMPARE(c.hiddenAct, std::string("gelu"));
        j["n_inner"] = nullptr;
        QCOMPARE(parse(j).intermediateSize, 256);

        j["n_head"] = 5;
        QVERIFY(errorOf<FormatError>(j).contains("'n_embd'"));
        j.erase("n_head");
        QVERIFY(errorOf<FormatError>(j).contains("'n_head' in '/models/x/config.json' is missing"));
    }

    void ropeScaling()
    {
        json j = llamaJson();
        j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 32.0},
                             {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
                             {"original_max_position_embeddings", 8192}};
        ModelConfig c = parse(j);
        QCOMPARE(c.ropeScaling.type, std::string("llama3"));
        QCOMPARE(c.ropeScaling.factor, 32.0);
        QCOMPARE(c.ropeScaling.lowFreqFactor, 1.0);
        QCOMPARE(c.ropeScaling.highFreqFactor, 4.0);
        QCOMPARE(c.ropeScaling.originalMaxPositions, 8192);

        j["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}}; // older key name
        c = parse(j);
        QCOMPARE(c.ropeScaling.type, std::string("linear"));
        QCOMPARE(c.ropeScaling.factor, 2.0);

        j["rope_scaling"] = {{"rope_type", "default"}};
        QVERIFY(parse(j).ropeScaling.type.empty());

        j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
        QCOMPARE(errorOf<UnsupportedError>(j),
                 QString("unsupported rope_scaling type 'yarn' in '/models/x/config.json'; "
                         "supported: linear, llama3"));
        j["rope_scaling"] = {{"type", "dynamic"}, {"factor", 4.0}};
        QVERIFY(errorOf<UnsupportedError>(j).contains("'dynamic'"));

        j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
        QVERIFY(errorOf<FormatError>(j).contains("'rope_scaling.low_freq_factor'"));
        j["rope_scaling"] = {{"rope_type", "linear"}};
        QVERIFY(errorOf<FormatError>(j).contains("'rope_scaling.factor'"));
        j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", -1}};
        QVERIFY(errorOf<FormatError>(j).contains("must be a positive number"));
        j["rope_scaling"] = {{"factor", 2.0}};
        QVERIFY(errorOf<FormatError>(j).contains("'rope_scaling.rope_type'"));
        j["rope_scaling"] = "linear";
        QVERIFY(errorOf<FormatError>(j).contains("'rope_scaling'"));
        j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 4.0},
                             {"high_freq_factor", 1.0},
                             {"original_max_position_embeddings", 8192}};
        QVERIFY(errorOf<FormatError>(j).contains("'rope_scaling.high_freq_factor'"));
    }

    void errors()
    {
        json j = llamaJson();
        j["model_type"] = "xyz";
        QCOMPARE(errorOf<UnsupportedError>(j),
                 QString("unsupported model_type 'xyz' in '/models/x/config.json'; supported: "
                         "llama, mistral, qwen2, qwen3, gpt2"));
        QCOMPARE(QString::fromStdString(supportedModelTypes()),
                 QString("llama, mistral, qwen2, qwen3, gpt2"));
        j.erase("model_type");
        QVERIFY(errorOf<FormatError>(j).contains("'model_type'"));

        for (const char *field : {"hidden_size", "intermediate_size", "num_hidden_layers",
                                  "num_attention_heads", "vocab_size"}) {
            j = llamaJson();
            j.erase(field);
            const QString missing = errorOf<FormatError>(j);
            QVERIFY2(missing == QString("field '%1' in '/models/x/config.json' is missing")
                                    .arg(field),
                     qPrintable(missing));
            j[field] = 0;
            QVERIFY(errorOf<FormatError>(j).contains("must be positive"));
            j[field] = -3;
            QVERIFY(errorOf<FormatError>(j).contains("must be positive"));
            j[field] = "64";
            QVERIFY(errorOf<FormatError>(j).contains("must be an integer"));
            j[field] = 1.5;
            QVERIFY(errorOf<FormatError>(j).contains("must be an integer"));
        }
        j = llamaJson();
        j["hidden_size"] = 64.0; // whole-number floats are accepted
        QCOMPARE(parse(j).hiddenSize, 64);

        j = llamaJson();
        j["num_attention_heads"] = 6; // 64 % 6 != 0 and no head_dim
        QVERIFY(errorOf<FormatError>(j).contains("not divisible by num_attention_heads"));
        j["head_dim"] = 16; // explicit head_dim makes it fine; 6 % 2 == 0
        QCOMPARE(parse(j).headDim, 16);
        j["num_key_value_heads"] = 4;
        QVERIFY(errorOf<FormatError>(j).contains("not divisible by num_key_value_heads"));

        j = llamaJson();
        j["rms_norm_eps"] = -1.0;
        QVERIFY(errorOf<FormatError>(j).contains("'rms_norm_eps'"));
        j = llamaJson();
        j["tie_word_embeddings"] = "yes";
        QVERIFY(errorOf<FormatError>(j).contains("must be true or false"));
        j = llamaJson();
        j["eos_token_id"] = "</s>";
        QVERIFY(errorOf<FormatError>(j).contains("'eos_token_id'"));
        j["eos_token_id"] = json::array({1, "x"});
        QVERIFY(errorOf<FormatError>(j).contains("'eos_token_id'"));

        QVERIFY_THROWS_EXCEPTION(FormatError, parseHfConfig("{\"model_type\": ", kSource));
        QVERIFY_THROWS_EXCEPTION(FormatError, parseHfConfig("[1, 2]", kSource));
        QVERIFY_THROWS_EXCEPTION(FormatError, parseHfConfig("", kSource));
        try {
            parseHfConfig("{oops}", kSource);
        } catch (const FormatError &e) {
            QVERIFY(QString(e.what()).startsWith("'/models/x/config.json' is not valid JSON"));
        }
    }

    void generationConfig()
    {
        ModelConfig c = parse(llamaJson());
        applyGenerationConfig(c, R"({"bos_token_id": 5, "eos_token_id": [2, 7],
            "temperature": 0.6, "top_k": 20, "top_p": 0.95, "min_p": 0.05,
            "repetition_penalty": 1.1, "max_new_tokens": 512, "do_sample": true,
            "transformers_version": "4.41.2"})", "/models/x/generation_config.json");
        QCOMPARE(c.bosTokenIds, std::vector<std::int64_t>{5});
        QCOMPARE(c.eosTokenIds, (std::vector<std::int64_t>{2, 7}));
        QCOMPARE(*c.generation.temperature, 0.6);
        QCOMPARE(*c.generation.topK, 20);
        QCOMPARE(*c.generation.topP, 0.95);
        QCOMPARE(*c.generation.minP, 0.05);
        QCOMPARE(*c.generation.repetitionPenalty, 1.1);
        QCOMPARE(*c.generation.maxNewTokens, 512);
        QCOMPARE(*c.generation.doSample, true);

        ModelConfig d = parse(llamaJson());
        applyGenerationConfig(d, R"({"eos_token_id": null, "temperature": null})", "g.json");
        QCOMPARE(d.eosTokenIds, std::vector<std::int64_t>{2}); // null keeps config.json's
        QVERIFY(!d.generation.temperature && !d.generation.topK && !d.generation.doSample);

        QVERIFY_THROWS_EXCEPTION(FormatError,
                                 applyGenerationConfig(d, R"({"top_k": "20"})", "g.json"));
        QVERIFY_THROWS_EXCEPTION(FormatError,
                                 applyGenerationConfig(d, R"({"temperature": -1})", "g.json"));
        QVERIFY_THROWS_EXCEPTION(FormatError,
                                 applyGenerationConfig(d, R"({"do_sample": 1})", "g.json"));
        QVERIFY_THROWS_EXCEPTION(FormatError, applyGenerationConfig(d, "nope", "g.json"));
    }

    void loadFromFolder()
    {
        QTemporaryDir dir;
        const std::string folder = dir.path().toStdString();
        QVERIFY_THROWS_EXCEPTION(IoError, loadHfConfig(folder));
        std::ofstream(folder + "/config.json") << llamaJson().dump();
        ModelConfig c = loadHfConfig(folder);
        QCOMPARE(c.eosTokenIds, std::vector<std::int64_t>{2});
        QVERIFY(!c.generation.temperature);
        std::ofstream(folder + "/generation_config.json")
            << R"({"eos_token_id": [2, 3], "temperature": 0.7})";
        c = loadHfConfig(folder);
        QCOMPARE(c.eosTokenIds, (std::vector<std::int64_t>{2, 3}));
        QCOMPARE(*c.generation.temperature, 0.7);
        std::ofstream(folder + "/config.json") << "{";
        try {
            loadHfConfig(folder);
            QFAIL("bad config accepted");
        } catch (const FormatError &e) {
            QVERIFY(QString(e.what()).contains(QString::fromStdString(folder + "/config.json")));
        }
    }
};

QTEST_GUILESS_MAIN(TestHfConfig)
#include "tst_hfconfig.moc"
