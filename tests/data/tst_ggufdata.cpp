// SPDX-License-Identifier: GPL-3.0-or-later
// GGUF reading on real files: stories260K as written by llama.cpp (checked against the same
// weights in HF layout), llama.cpp's vocabulary-only GGUFs, and every truncation / a few
// corruptions of a real file.
#include "io/gguf.h"
#include "io/ggufnames.h"
#include "io/modelconfig.h"
#include "testdata.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

using namespace lathe;

namespace {

std::string readAll(const QString &path)
{
    std::ifstream f(path.toStdString(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void writeAll(const std::string &path, const std::string &bytes)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct StTensor {
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

// Just enough of safetensors for the comparison: an 8-byte header length, a JSON header,
// f32 data. Independent of Lathe's own safetensors reader on purpose.
std::map<std::string, StTensor> readSafetensorsF32(const QString &path)
{
    const std::string bytes = readAll(path);
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    const auto header = nlohmann::json::parse(bytes.substr(8, n));
    std::map<std::string, StTensor> out;
    for (const auto &[name, info] : header.items()) {
        if (name == "__metadata__")
            continue;
        if (info.at("dtype") != "F32")
            throw std::runtime_error("unexpected dtype for " + name);
        StTensor t;
        t.shape = info.at("shape").get<std::vector<std::int64_t>>();
        const auto begin = info.at("data_offsets")[0].get<std::size_t>();
        const auto end = info.at("data_offsets")[1].get<std::size_t>();
        t.values.resize((end - begin) / 4);
        std::memcpy(t.values.data(), bytes.data() + 8 + n + begin, end - begin);
        out.emplace(name, std::move(t));
    }
    return out;
}

QString storiesGguf()
{
    return lathe::test::dataPath("models/stories260K/stories260K-f32.gguf");
}

// Runs GgufFile::open on `path`; returns the FormatError message, "" when it opened, or a
// marker for any other exception.
QString openError(const std::string &path)
{
    try {
        GgufFile::open(path);
    } catch (const FormatError &e) {
        return QString::fromUtf8(e.what());
    } catch (const std::exception &e) {
        return QStringLiteral("WRONG EXCEPTION TYPE: ") + QString::fromUtf8(e.what());
    }
    return QString();
}

template <typename T>
void patch(std::string &bytes, std::size_t at, T value)
{
    std::memcpy(bytes.data() + at, &value, sizeof(T));
}

} // namespace

class TestGgufData : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void opensStories260K()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto g = GgufFile::open(storiesGguf().toStdString());
        QCOMPARE(g->version(), 3u);
        QCOMPARE(g->alignment(), std::uint64_t(32));
        QCOMPARE(*g->getString("general.architecture"), std::string("llama"));
        QCOMPARE(*g->getInt("llama.block_count"), std::int64_t(5));
        QCOMPARE(*g->getInt("llama.embedding_length"), std::int64_t(64));
        QCOMPARE(*g->getInt("llama.feed_forward_length"), std::int64_t(172));
        QCOMPARE(*g->getInt("llama.attention.head_count"), std::int64_t(8));
        QCOMPARE(*g->getInt("llama.attention.head_count_kv"), std::int64_t(4));
        const GgufValue *tokens = g->find("tokenizer.ggml.tokens");
        QVERIFY(tokens && tokens->isArray());
        QCOMPARE(tokens->arraySize, std::uint64_t(512));
        QCOMPARE(tokens->strings[1], std::string("<s>"));
        QCOMPARE(g->find("tokenizer.ggml.scores")->floats.size(), std::size_t(512));
        QCOMPARE(g->tensors().size(), std::size_t(48));
        const TensorView *ffn = g->findTensor("blk.0.ffn_gate.weight");
        QVERIFY(ffn);
        QCOMPARE(ffn->shape, std::vector<std::int64_t>({172, 64}));
        QCOMPARE(ffn->dtype, DType::F32);
        for (const auto &[key, value] : g->metadata())
            QVERIFY2(!value.toString().empty(), key.c_str());
    }

    void configMatchesHfConfig()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto g = GgufFile::open(storiesGguf().toStdString());
        const ModelConfig c = configFromGguf(*g);
        const auto hf = nlohmann::json::parse(
            readAll(lathe::test::dataPath("models/stories260K/hf/config.json")));
        QCOMPARE(c.arch, Architecture::Llama);
        QCOMPARE(c.hiddenSize, hf["hidden_size"].get<std::int64_t>());
        QCOMPARE(c.intermediateSize, hf["intermediate_size"].get<std::int64_t>());
        QCOMPARE(c.numLayers, hf["num_hidden_layers"].get<std::int64_t>());
        QCOMPARE(c.numHeads, hf["num_attention_heads"].get<std::int64_t>());
        QCOMPARE(c.numKvHeads, hf["num_key_value_heads"].get<std::int64_t>());
        QCOMPARE(c.headDim, std::int64_t(8));
        QCOMPARE(c.vocabSize, hf["vocab_size"].get<std::int64_t>());
        QCOMPARE(c.normEps, hf["rms_norm_eps"].get<double>());
        QCOMPARE(c.ropeTheta, hf["rope_theta"].get<double>());
        QCOMPARE(c.tieWordEmbeddings, hf["tie_word_embeddings"].get<bool>());
        QCOMPARE(c.bosTokenId(), hf["bos_token_id"].get<std::int64_t>());
        QCOMPARE(
            c.eosTokenIds, std::vector<std::int64_t>({hf["eos_token_id"].get<std::int64_t>()}));
        QCOMPARE(c.hiddenAct, hf["hidden_act"].get<std::string>());
        QVERIFY(!c.attentionBias);
        // The llama2.c converter wrote context_length 128; the HF export says 512.
        QCOMPARE(c.maxPositions, std::int64_t(128));
    }

    // Every GGUF tensor maps to the HF tensor of the same model; q/k after un-permuting.
    void weightsMatchHfCheckpoint()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto g = GgufFile::open(storiesGguf().toStdString());
        const ModelConfig c = configFromGguf(*g);
        const auto st
            = readSafetensorsF32(lathe::test::dataPath("models/stories260K/hf/model.safetensors"));
        int compared = 0, permuted = 0;
        for (const TensorView &t : g->tensors()) {
            const auto m = mapGgufTensorName(t.name, c);
            QVERIFY2(m, t.name.c_str());
            // Tied: HF stores the embedding once; GGUF's output.weight is a copy.
            const std::string hfName
                = m->hfName == "lm_head.weight" ? "model.embed_tokens.weight" : m->hfName;
            const auto it = st.find(hfName);
            QVERIFY2(it != st.end(), hfName.c_str());
            QCOMPARE(t.shape, it->second.shape);
            std::vector<float> w = toFloat32(t);
            if (m->permuteHeads > 0) {
                std::vector<float> unpermuted(w.size());
                unpermuteQkRows(
                    w.data(), unpermuted.data(), t.shape[0], t.shape[1], m->permuteHeads);
                QVERIFY(unpermuted != w);
                w.swap(unpermuted);
                ++permuted;
            }
            double worst = 0;
            for (std::size_t i = 0; i < w.size(); ++i)
                worst = std::max(worst, std::fabs(double(w[i]) - it->second.values[i]));
            QVERIFY2(worst <= 1e-6,
                qPrintable(QStringLiteral("%1: max difference %2")
                               .arg(QString::fromStdString(t.name))
                               .arg(worst)));
            ++compared;
        }
        QCOMPARE(compared, 48);
        QCOMPARE(permuted, 10); // q and k of 5 layers
        QCOMPARE(mapGgufTensorName("blk.0.attn_q.weight", c)->permuteHeads, std::int64_t(8));
        QCOMPARE(mapGgufTensorName("blk.0.attn_k.weight", c)->permuteHeads, std::int64_t(4));
    }

    void vocabOnlyGgufs()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const QDir dir(lathe::test::dataPath("tokenizers/llamacpp-vectors"));
        const QStringList files = dir.entryList({QStringLiteral("*.gguf")}, QDir::Files);
        QVERIFY(files.size() >= 2);
        for (const QString &name : files) {
            const auto g = GgufFile::open(dir.filePath(name).toStdString());
            QVERIFY(g->tensors().empty());
            QVERIFY2(g->getString("tokenizer.ggml.model"), qPrintable(name));
            const GgufValue *tokens = g->find("tokenizer.ggml.tokens");
            QVERIFY2(tokens && tokens->arraySize > 0 && tokens->strings.size() == tokens->arraySize,
                qPrintable(name));
            for (const auto &[key, value] : g->metadata())
                if (key.rfind("tokenizer.", 0) == 0)
                    QVERIFY2(!value.toString().empty(), key.c_str());
        }
        const auto spm = GgufFile::open(dir.filePath("ggml-vocab-llama-spm.gguf").toStdString());
        QCOMPARE(*spm->getString("tokenizer.ggml.model"), std::string("llama"));
        QCOMPARE(spm->find("tokenizer.ggml.tokens")->arraySize, std::uint64_t(32000));
        QCOMPARE(spm->find("tokenizer.ggml.scores")->floats.size(), std::size_t(32000));
        QCOMPARE(*spm->getInt("tokenizer.ggml.bos_token_id"), std::int64_t(1));
        QCOMPARE(*spm->getBool("tokenizer.ggml.add_bos_token"), true);
        const auto gpt2 = GgufFile::open(dir.filePath("ggml-vocab-gpt-2.gguf").toStdString());
        QCOMPARE(gpt2->find("tokenizer.ggml.merges")->arraySize, std::uint64_t(50000));
        QCOMPARE(gpt2->find("tokenizer.ggml.merges")->strings[0], std::string("\xC4\xA0 t"));
        const ModelConfig c = configFromGguf(*gpt2);
        QCOMPARE(c.arch, Architecture::Gpt2);
        QCOMPARE(c.vocabSize, std::int64_t(50257));
        QCOMPARE(c.normEps, 1e-5);
    }

    void everyTruncationFails()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string full = readAll(storiesGguf());
        QCOMPARE(full.size(), std::size_t(1185376));
        std::vector<std::size_t> lengths;
        for (std::size_t len = 0; len < 4096; ++len)
            lengths.push_back(len);
        for (int k = 0; k < 200; ++k)
            lengths.push_back(4096 + (full.size() - 4096) * static_cast<std::size_t>(k) / 200);
        lengths.push_back(full.size() - 1);
        // Write the file once and cut it shorter and shorter: no rewrite per length.
        std::sort(lengths.rbegin(), lengths.rend());
        const std::string path = m_tmp.filePath("trunc.gguf").toStdString();
        writeAll(path, full);
        for (std::size_t len : lengths) {
            std::filesystem::resize_file(path, len);
            const QString msg = openError(path);
            QVERIFY2(!msg.isEmpty() && !msg.startsWith("WRONG"),
                qPrintable(QStringLiteral("length %1: '%2'").arg(len).arg(msg)));
            QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable(msg));
        }
    }

    void corruptedCopies()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string full = readAll(storiesGguf());
        const std::string path = m_tmp.filePath("bad.gguf").toStdString();
        const auto expectError = [&](const std::string &bytes, const char *phrase) {
            writeAll(path, bytes);
            const QString msg = openError(path);
            QVERIFY2(msg.contains(QLatin1String(phrase), Qt::CaseInsensitive), qPrintable(msg));
            QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable(msg));
        };
        std::string b = full;
        b[0] = 'X';
        expectError(b, "not a GGUF file");
        b = full;
        patch<std::uint32_t>(b, 4, 1);
        expectError(b, "version 1");
        patch<std::uint32_t>(b, 4, 4);
        expectError(b, "version 4");
        b = full;
        patch<std::uint64_t>(b, 8, 1ull << 40);
        expectError(b, "tensors, more than the file can hold");
        b = full;
        patch<std::uint64_t>(b, 24, 1ull << 40); // length of the first key
        expectError(b, "past the end of the file");

        // The first tensor info: its name, then n_dims, ne[2], type, offset.
        const std::string name = std::string("\x11\0\0\0\0\0\0\0", 8) + "token_embd.weight";
        const std::size_t at = full.find(name);
        QVERIFY(at != std::string::npos);
        const std::size_t offsetAt = at + name.size() + 4 + 16 + 4;
        std::uint64_t offset = 1;
        std::memcpy(&offset, full.data() + offsetAt, 8);
        QCOMPARE(offset, std::uint64_t(0));
        b = full;
        patch<std::uint64_t>(b, offsetAt, 1ull << 30);
        expectError(b, "but the file has 1185376 bytes");
        patch<std::uint64_t>(b, offsetAt, 4);
        expectError(b, "not a multiple of the alignment 32");
        patch<std::uint64_t>(b, offsetAt, 64);
        expectError(b, "overlap");
        b = full;
        patch<std::uint32_t>(b, offsetAt - 4, 17); // type id 17 (IQ2_XS)
        writeAll(path, b);
        QVERIFY_THROWS_EXCEPTION(UnsupportedError, GgufFile::open(path));
        patch<std::uint32_t>(b, offsetAt - 4, 12345);
        expectError(b, "unknown ggml type id 12345");
    }
};

QTEST_GUILESS_MAIN(TestGgufData)
#include "tst_ggufdata.moc"
