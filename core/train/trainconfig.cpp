// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/trainconfig.h"

#include "model/modelspec.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace lathe {

namespace {

// Reads one section's keys with the section name in every error ("train.lr: ...").
class Section {
public:
    Section(const YAML::Node &node, std::string name, std::string source)
        : m_node(node)
        , m_name(std::move(name))
        , m_source(std::move(source))
    {
        if (m_node && !m_node.IsNull() && !m_node.IsMap())
            fail(m_name, "must be a mapping of keys");
    }

    [[noreturn]] void fail(const std::string &key, const std::string &what) const
    {
        throw InvalidArgument(m_source + ": " + key + ": " + what);
    }
    std::string keyName(const std::string &key) const { return m_name + "." + key; }

    bool has(const std::string &key) const
    {
        m_known.insert(key);
        return m_node && m_node[key] && !m_node[key].IsNull();
    }

    template <typename T> void read(const std::string &key, T &out) const
    {
        if (!has(key))
            return;
        const YAML::Node v = m_node[key];
        if (!v.IsScalar())
            fail(keyName(key), "must be a single value");
        try {
            if constexpr (std::is_same_v<T, bool>) {
                out = v.as<bool>();
            } else if constexpr (std::is_integral_v<T>) {
                // Accept 4e6 and 4000000.0 for counts, but not 2.5.
                const double d = v.as<double>();
                if (d != static_cast<double>(static_cast<long long>(d)))
                    fail(keyName(key), "must be a whole number, not '" + v.Scalar() + "'");
                if (std::is_unsigned_v<T> && d < 0)
                    fail(keyName(key), "must not be negative");
                out = static_cast<T>(d);
            } else {
                out = v.as<T>();
            }
        } catch (const YAML::Exception &) {
            fail(keyName(key), "'" + v.Scalar() + "' is not a valid value");
        }
    }

    // Rejects keys that were never asked for: a typo must not silently use a default.
    void checkUnknown() const
    {
        if (!m_node)
            return;
        for (const auto &kv : m_node) {
            const std::string key = kv.first.as<std::string>();
            if (!m_known.count(key))
                fail(keyName(key), "unknown key");
        }
    }

    const YAML::Node &node() const { return m_node; }

private:
    YAML::Node m_node;
    std::string m_name;
    std::string m_source;
    mutable std::set<std::string> m_known;
};

std::string resolve(const std::string &path, const std::string &baseDir)
{
    if (path.empty() || baseDir.empty() || fs::path(path).is_absolute())
        return path;
    return (fs::path(baseDir) / path).lexically_normal().string();
}

} // namespace

TrainConfig parseTrainConfig(
    const std::string &yamlText, const std::string &source, const std::string &baseDir)
{
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::Exception &e) {
        throw FormatError(source + ": not valid YAML: " + e.what());
    }
    if (!root || root.IsNull())
        throw InvalidArgument(source + ": the config is empty");
    if (!root.IsMap())
        throw InvalidArgument(source
            + ": the config must be a mapping (corpus:, tokenizer:, "
              "model:, train:)");
    const auto fail = [&](const std::string &key, const std::string &what) {
        throw InvalidArgument(source + ": " + key + ": " + what);
    };
    for (const auto &kv : root) {
        const std::string key = kv.first.as<std::string>();
        if (key != "corpus" && key != "data" && key != "tokenizer" && key != "model"
            && key != "train")
            fail(key, "unknown key (expected corpus or data, tokenizer, model, train)");
    }

    TrainConfig c;
    // Text: corpus {...} or data: PATH.
    if (root["corpus"] && root["data"])
        fail("data", "give either corpus or data, not both");
    if (root["data"]) {
        if (!root["data"].IsScalar() || root["data"].Scalar().empty())
            fail("data", "must be the path of a text file");
        c.corpus.generated = false;
        c.corpus.dataPath = resolve(root["data"].Scalar(), baseDir);
    } else if (root["corpus"]) {
        const Section s(root["corpus"], "corpus", source);
        s.read("seed", c.corpus.seed);
        s.read("chars", c.corpus.chars);
        s.read("arithmetic_share", c.corpus.arithmeticShare);
        s.read("chat_share", c.corpus.chatShare);
        s.checkUnknown();
        if (c.corpus.chars < 1000)
            fail("corpus.chars", "must be at least 1000");
        if (c.corpus.arithmeticShare < 0 || c.corpus.arithmeticShare > 1)
            fail("corpus.arithmetic_share", "must be between 0 and 1");
        if (c.corpus.chatShare < 0 || c.corpus.chatShare > 1)
            fail("corpus.chat_share", "must be between 0 and 1");
        if (c.corpus.arithmeticShare + c.corpus.chatShare > 1)
            fail("corpus.chat_share", "arithmetic_share + chat_share must not exceed 1");
    } else {
        fail("corpus", "missing: give corpus {seed, chars, ...} or data: PATH");
    }

    // Tokenizer: {vocab_size} or PATH.
    const YAML::Node tok = root["tokenizer"];
    if (tok && tok.IsScalar()) {
        c.tokenizer.path = resolve(tok.Scalar(), baseDir);
        if (c.tokenizer.path.empty())
            fail("tokenizer", "must be a folder path or {vocab_size: N}");
    } else {
        const Section s(tok, "tokenizer", source);
        s.read("vocab_size", c.tokenizer.vocabSize);
        s.checkUnknown();
        if (c.tokenizer.vocabSize < 300 || c.tokenizer.vocabSize > 65536)
            fail("tokenizer.vocab_size", "must be between 300 and 65536");
    }

    {
        const Section s(root["model"], "model", source);
        ModelShape &m = c.model;
        s.read("hidden", m.hidden);
        s.read("layers", m.layers);
        s.read("heads", m.heads);
        s.read("kv_heads", m.kvHeads);
        s.read("ffn", m.ffn);
        s.read("ctx", m.ctx);
        s.read("rope_theta", m.ropeTheta);
        s.read("tie_embeddings", m.tieEmbeddings);
        s.read("norm_eps", m.normEps);
        s.checkUnknown();
        if (!s.has("kv_heads"))
            m.kvHeads = m.heads;
        const auto positive = [&](const char *key, std::int64_t v) {
            if (v <= 0)
                fail(std::string("model.") + key, "must be > 0");
        };
        positive("hidden", m.hidden);
        positive("layers", m.layers);
        positive("heads", m.heads);
        positive("kv_heads", m.kvHeads);
        positive("ffn", m.ffn);
        positive("ctx", m.ctx);
        if (m.hidden % m.heads != 0)
            fail("model.heads",
                "hidden (" + std::to_string(m.hidden) + ") must be a multiple of heads");
        if ((m.hidden / m.heads) % 2 != 0)
            fail("model.heads", "the head size hidden/heads must be even (rotary embeddings)");
        if (m.heads % m.kvHeads != 0)
            fail("model.kv_heads",
                "heads (" + std::to_string(m.heads) + ") must be a multiple of kv_heads");
        if (m.ropeTheta <= 0)
            fail("model.rope_theta", "must be > 0");
        if (m.normEps <= 0)
            fail("model.norm_eps", "must be > 0");
    }

    {
        const Section s(root["train"], "train", source);
        TrainOptions &t = c.train;
        t.ctx = c.model.ctx;
        s.read("steps", t.steps);
        s.read("batch", t.batch);
        s.read("ctx", t.ctx);
        s.read("lr", t.lr);
        s.read("min_lr", t.minLr);
        s.read("warmup", t.warmup);
        s.read("weight_decay", t.weightDecay);
        s.read("clip", t.clip);
        s.read("beta1", t.beta1);
        s.read("beta2", t.beta2);
        s.read("eval_every", t.evalEvery);
        s.read("eval_batches", t.evalBatches);
        s.read("checkpoint_every", t.checkpointEvery);
        s.read("val_fraction", t.valFraction);
        s.read("seed", t.seed);
        s.checkUnknown();
        if (!s.has("warmup"))
            t.warmup = std::min(t.warmup, t.steps / 10); // short runs: a tenth of the steps
        if (t.steps <= 0)
            fail("train.steps", "must be > 0");
        if (t.batch <= 0)
            fail("train.batch", "must be > 0");
        if (t.ctx < 2 || t.ctx > c.model.ctx)
            fail("train.ctx",
                "must be between 2 and model.ctx (" + std::to_string(c.model.ctx) + ")");
        if (!(t.lr > 0) || t.lr > 1)
            fail("train.lr", "must be > 0 and at most 1");
        if (t.minLr < 0 || t.minLr > t.lr)
            fail("train.min_lr", "must be between 0 and train.lr");
        if (t.warmup < 0 || t.warmup > t.steps)
            fail("train.warmup", "must be between 0 and train.steps");
        if (t.weightDecay < 0)
            fail("train.weight_decay", "must not be negative");
        if (t.clip < 0)
            fail("train.clip", "must not be negative (0 turns clipping off)");
        if (t.beta1 < 0 || t.beta1 >= 1)
            fail("train.beta1", "must be in [0, 1)");
        if (t.beta2 < 0 || t.beta2 >= 1)
            fail("train.beta2", "must be in [0, 1)");
        if (t.evalEvery <= 0)
            fail("train.eval_every", "must be > 0");
        if (t.evalBatches <= 0)
            fail("train.eval_batches", "must be > 0");
        if (t.checkpointEvery < 0)
            fail("train.checkpoint_every", "must not be negative (0: only at the end)");
        if (!(t.valFraction > 0) || t.valFraction >= 0.5)
            fail("train.val_fraction", "must be > 0 and below 0.5");
    }
    return c;
}

TrainConfig loadTrainConfig(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot read the training config '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return parseTrainConfig(text.str(), path, fs::path(path).parent_path().string());
}

ModelConfig modelConfigFor(const ModelShape &shape, std::int64_t vocabSize, std::int64_t bosId,
    const std::vector<std::int64_t> &eosIds)
{
    ModelConfig c;
    c.arch = Architecture::Llama;
    c.modelType = "llama";
    c.hiddenSize = shape.hidden;
    c.intermediateSize = shape.ffn;
    c.numLayers = shape.layers;
    c.numHeads = shape.heads;
    c.numKvHeads = shape.kvHeads;
    c.headDim = shape.hidden / shape.heads;
    c.vocabSize = vocabSize;
    c.maxPositions = shape.ctx;
    c.normEps = shape.normEps;
    c.ropeTheta = shape.ropeTheta;
    c.tieWordEmbeddings = shape.tieEmbeddings;
    c.hiddenAct = "silu";
    if (bosId >= 0)
        c.bosTokenIds = { bosId };
    c.eosTokenIds = eosIds;
    normalizeConfig(c, "training config");
    return c;
}

std::string trainConfigJson(const TrainConfig &c)
{
    nlohmann::ordered_json j;
    if (c.corpus.generated)
        j["corpus"] = { { "seed", c.corpus.seed }, { "chars", c.corpus.chars },
            { "arithmetic_share", c.corpus.arithmeticShare },
            { "chat_share", c.corpus.chatShare } };
    else
        j["data"] = c.corpus.dataPath;
    if (c.tokenizer.path.empty())
        j["tokenizer"] = { { "vocab_size", c.tokenizer.vocabSize } };
    else
        j["tokenizer"] = c.tokenizer.path;
    const ModelShape &m = c.model;
    j["model"] = { { "hidden", m.hidden }, { "layers", m.layers }, { "heads", m.heads },
        { "kv_heads", m.kvHeads }, { "ffn", m.ffn }, { "ctx", m.ctx },
        { "rope_theta", m.ropeTheta }, { "tie_embeddings", m.tieEmbeddings },
        { "norm_eps", m.normEps } };
    const TrainOptions &t = c.train;
    j["train"] = { { "steps", t.steps }, { "batch", t.batch }, { "ctx", t.ctx }, { "lr", t.lr },
        { "min_lr", t.minLr }, { "warmup", t.warmup }, { "weight_decay", t.weightDecay },
        { "clip", t.clip }, { "beta1", t.beta1 }, { "beta2", t.beta2 },
        { "eval_every", t.evalEvery }, { "eval_batches", t.evalBatches },
        { "checkpoint_every", t.checkpointEvery }, { "val_fraction", t.valFraction },
        { "seed", t.seed } };
    return j.dump();
}

} // namespace lathe
