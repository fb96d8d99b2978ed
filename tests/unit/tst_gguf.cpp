// SPDX-License-Identifier: GPL-3.0-or-later
// GGUF reading on files built here byte by byte: metadata of every type, tensor views,
// every way a header can be malformed, configFromGguf and the llama.cpp -> HF name mapping
// with the q/k row un-permutation.
#include "io/gguf.h"
#include "io/ggufnames.h"
#include "io/modelconfig.h"
#include "util/error.h"
#include "util/halffloat.h"

#include <QtTest/QtTest>

#include "ggufbuilder.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <numbers>
#include <optional>

using namespace lathe;
using namespace lathe::test::gguf;

namespace {

std::string floats(const std::vector<float> &v)
{
    return std::string(reinterpret_cast<const char *>(v.data()), v.size() * 4);
}

// A small valid model: llama metadata and three tensors of different types.
GgufSpec validSpec()
{
    GgufSpec s;
    s.kvs = {{"general.architecture", vStr("llama")},
             {"llama.embedding_length", vU32(8)},
             {"llama.feed_forward_length", vU32(16)},
             {"llama.block_count", vU32(1)},
             {"llama.attention.head_count", vU32(2)},
             {"llama.attention.head_count_kv", vU32(1)},
             {"llama.attention.layer_norm_rms_epsilon", vF32(1e-6f)},
             {"llama.rope.freq_base", vF32(500000.0f)},
             {"llama.context_length", vU32(256)},
             {"tokenizer.ggml.tokens", vArrStr({"<unk>", "<s>", "</s>", "a", "b"})},
             {"tokenizer.ggml.bos_token_id", vU32(1)},
             {"tokenizer.ggml.eos_token_id", vU32(2)}};
    std::vector<float> emb(5 * 8);
    for (std::size_t i = 0; i < emb.size(); ++i)
        emb[i] = float(i) * 0.25f;
    s.tensors.push_back({"token_embd.weight", {8, 5}, 0, floats(emb), std::nullopt});
    std::string q8(34 * 1, '\0'); // one Q8_0 block: d = 1, q = 0..31
    const std::uint16_t one = floatToF16(1.0f);
    std::memcpy(q8.data(), &one, 2);
    for (int i = 0; i < 32; ++i)
        q8[static_cast<std::size_t>(2 + i)] = static_cast<char>(i);
    s.tensors.push_back({"blk.0.ffn_up.weight", {32, 1}, 8, q8, std::nullopt});
    std::string f16;
    for (float v : {1.0f, -2.0f, 0.5f, 4.0f, 1.0f, 1.0f, 1.0f, 1.0f})
        f16 += le(floatToF16(v));
    s.tensors.push_back({"output_norm.weight", {8}, 1, f16, std::nullopt});
    return s;
}

} // namespace

class TestGguf : public QObject {
    Q_OBJECT

private:
    TempFiles m_tmp;

    QString openError(const std::string &name, const std::string &bytes)
    {
        const std::string path = m_tmp.write(name, bytes);
        return errorOf<FormatError>([&] { GgufFile::open(path); });
    }

    void expectFormatError(const std::string &name, const GgufSpec &spec, const QString &phrase)
    {
        const QString msg = openError(name, spec.build());
        QVERIFY2(!msg.isEmpty(), qPrintable("no FormatError for " + QString::fromStdString(name)));
        QVERIFY2(!msg.startsWith("WRONG"), qPrintable(msg));
        QVERIFY2(msg.contains(QString::fromStdString(name)), qPrintable(msg));
        QVERIFY2(msg.contains(phrase, Qt::CaseInsensitive), qPrintable(msg));
    }

private Q_SLOTS:
    void readsValidFile()
    {
        const std::string path = m_tmp.write("valid.gguf", validSpec().build());
        const auto g = GgufFile::open(path);
        QCOMPARE(g->version(), 3u);
        QCOMPARE(g->alignment(), std::uint64_t(32));
        QCOMPARE(g->metadata().size(), std::size_t(12));
        QCOMPARE(*g->getString("general.architecture"), std::string("llama"));
        QCOMPARE(*g->getInt("llama.block_count"), std::int64_t(1));
        QCOMPARE(*g->getFloat("llama.attention.layer_norm_rms_epsilon"), 1e-6); // shortest form
        QCOMPARE(*g->getFloat("llama.rope.freq_base"), 500000.0);
        QVERIFY(!g->getInt("general.architecture"));
        QVERIFY(!g->getString("missing.key"));
        const GgufValue *tokens = g->find("tokenizer.ggml.tokens");
        QVERIFY(tokens && tokens->isArray());
        QCOMPARE(tokens->arraySize, std::uint64_t(5));
        QCOMPARE(tokens->strings[3], std::string("a"));

        QCOMPARE(g->tensors().size(), std::size_t(3));
        const TensorView *emb = g->findTensor("token_embd.weight");
        QVERIFY(emb);
        QCOMPARE(emb->shape, std::vector<std::int64_t>({5, 8})); // ne reversed
        QCOMPARE(emb->dtype, DType::F32);
        QCOMPARE(emb->nbytes, std::size_t(160));
        QCOMPARE(toFloat32(*emb)[13], 13 * 0.25f);
        QCOMPARE(reinterpret_cast<std::uintptr_t>(emb->data) % 32, std::uintptr_t(0));
        const TensorView *up = g->findTensor("blk.0.ffn_up.weight");
        QCOMPARE(up->dtype, DType::Q8_0);
        QCOMPARE(up->shape, std::vector<std::int64_t>({1, 32}));
        QCOMPARE(toFloat32(*up)[31], 31.0f);
        const TensorView *norm = g->findTensor("output_norm.weight");
        QCOMPARE(norm->dtype, DType::F16);
        QCOMPARE(toFloat32(*norm)[1], -2.0f);
        QVERIFY(!g->findTensor("nope"));
        QCOMPARE(g->fileSize(), validSpec().build().size());
        QCOMPARE(static_cast<const void *>(emb->data),
                 static_cast<const void *>(up->data - 160)); // packed, zero-copy views
    }

    void allValueTypesAndToString()
    {
        GgufSpec s;
        std::string nested = le<std::uint32_t>(9) + le<std::uint32_t>(9) + le<std::uint64_t>(2);
        nested += le<std::uint32_t>(4) + le<std::uint64_t>(2) + le<std::uint32_t>(1)
                  + le<std::uint32_t>(2);
        nested += le<std::uint32_t>(8) + le<std::uint64_t>(1) + gstr("x");
        s.kvs = {{"u8", le<std::uint32_t>(0) + le<std::uint8_t>(200)},
                 {"i8", le<std::uint32_t>(1) + le<std::int8_t>(-5)},
                 {"u16", le<std::uint32_t>(2) + le<std::uint16_t>(60000)},
                 {"i16", le<std::uint32_t>(3) + le<std::int16_t>(-300)},
                 {"u32", vU32(4000000000u)},
                 {"i32", vI32(-70000)},
                 {"f32", vF32(0.1f)},
                 {"bool", le<std::uint32_t>(7) + le<std::uint8_t>(1)},
                 {"str", vStr("hello")},
                 {"u64", le<std::uint32_t>(10) + le<std::uint64_t>(~0ull)},
                 {"i64", le<std::uint32_t>(11) + le<std::int64_t>(-(1ll << 40))},
                 {"f64", le<std::uint32_t>(12) + le(2.5)},
                 {"ints", vArrI32({1, -2, 3, 4, 5, 6, 7, 8, 9, 10})},
                 {"floats", le<std::uint32_t>(9) + le<std::uint32_t>(6) + le<std::uint64_t>(2)
                                + le(0.5f) + le(-1.1f)},
                 {"bools", le<std::uint32_t>(9) + le<std::uint32_t>(7) + le<std::uint64_t>(2)
                               + le<std::uint8_t>(0) + le<std::uint8_t>(1)},
                 {"empty", vArrStr({})},
                 {"nested", nested},
                 {"esc", vStr("a\"b\n\x01")}};
        const auto g = GgufFile::open(m_tmp.write("types.gguf", s.build()));
        QCOMPARE(*g->getInt("u8"), std::int64_t(200));
        QCOMPARE(*g->getInt("i8"), std::int64_t(-5));
        QCOMPARE(*g->getInt("u16"), std::int64_t(60000));
        QCOMPARE(*g->getInt("i16"), std::int64_t(-300));
        QCOMPARE(*g->getInt("u32"), std::int64_t(4000000000ll));
        QCOMPARE(*g->getInt("i32"), std::int64_t(-70000));
        QCOMPARE(*g->getFloat("f32"), 0.1);
        QCOMPARE(*g->getBool("bool"), true);
        QCOMPARE(*g->getString("str"), std::string("hello"));
        QVERIFY(!g->getInt("u64")); // does not fit an int64
        QCOMPARE(g->find("u64")->u, ~0ull);
        QCOMPARE(*g->getInt("i64"), -(1ll << 40));
        QCOMPARE(*g->getFloat("f64"), 2.5);
        QCOMPARE(*g->getFloat("u32"), 4e9); // integers read as numbers too
        QVERIFY(!g->getBool("u8"));
        QCOMPARE(g->find("ints")->ints[1], std::int64_t(-2));
        QCOMPARE(g->find("floats")->floats[1], double(-1.1f));
        QCOMPARE(g->find("floats")->toString(), std::string("[0.5, -1.1] (2 float32 items)"));
        QCOMPARE(g->find("bools")->ints, std::vector<std::int64_t>({0, 1}));
        QCOMPARE(g->find("empty")->arraySize, std::uint64_t(0));
        QCOMPARE(g->find("nested")->arraySize, std::uint64_t(2));

        QCOMPARE(g->find("str")->toString(), std::string("\"hello\""));
        QCOMPARE(g->find("bool")->toString(), std::string("true"));
        QCOMPARE(g->find("i32")->toString(), std::string("-70000"));
        QCOMPARE(g->find("u64")->toString(), std::string("18446744073709551615"));
        QCOMPARE(g->find("f32")->toString(), std::string("0.1"));
        QCOMPARE(g->find("esc")->toString(), std::string("\"a\\\"b\\n\\x01\""));
        const std::string ints = g->find("ints")->toString();
        QVERIFY2(ints.find("1, -2, 3") == 1 && ints.find("...") != std::string::npos
                     && ints.find("10 int32 items") != std::string::npos,
                 ints.c_str());
        QVERIFY(!g->find("nested")->toString().empty());
        QVERIFY(g->tensors().empty());
    }

    void alignmentAndVersion2()
    {
        GgufSpec s = validSpec();
        s.version = 2;
        s.alignment = 64;
        s.kvs.push_back({"general.alignment", vU32(64)});
        const auto g = GgufFile::open(m_tmp.write("align64.gguf", s.build()));
        QCOMPARE(g->version(), 2u);
        QCOMPARE(g->alignment(), std::uint64_t(64));
        QCOMPARE(g->dataOffset() % 64, std::size_t(0));
        QCOMPARE(toFloat32(*g->findTensor("blk.0.ffn_up.weight"))[5], 5.0f);
    }

    void headerErrors()
    {
        GgufSpec s = validSpec();
        s.magic = 0x46554746u;
        expectFormatError("magic.gguf", s, "not a GGUF file");
        s = validSpec();
        s.version = 1;
        expectFormatError("v1.gguf", s, "version 1");
        s.version = 4;
        expectFormatError("v4.gguf", s, "unsupported GGUF version 4");
        s = validSpec();
        s.tensorCount = 1ull << 40;
        expectFormatError("tcount.gguf", s, "1099511627776 tensors");
        s = validSpec();
        s.kvCount = ~0ull;
        expectFormatError("kvcount.gguf", s, "metadata entries");
        QVERIFY(openError("empty.gguf", "").contains("too short"));
        QVERIFY(openError("short.gguf", "GGU").contains("too short"));
    }

    void metadataErrors()
    {
        GgufSpec s = validSpec();
        s.kvs[0].second = le<std::uint32_t>(8) + le<std::uint64_t>(1ull << 50) + "llama";
        expectFormatError("strlen.gguf", s, "past the end of the file");
        s = validSpec();
        s.kvs[0].second =
            le<std::uint32_t>(9) + le<std::uint32_t>(4) + le<std::uint64_t>(1ull << 61);
        expectFormatError("arrlen.gguf", s, "claims 2305843009213693952");
        s = validSpec();
        s.kvs[0].second = le<std::uint32_t>(13) + "xxxx";
        expectFormatError("valtype.gguf", s, "unknown value type 13");
        s = validSpec();
        s.kvs[0].second = le<std::uint32_t>(9) + le<std::uint32_t>(77) + le<std::uint64_t>(1);
        expectFormatError("elemtype.gguf", s, "unknown element type 77");
        s = validSpec();
        s.kvs.push_back(s.kvs[2]);
        expectFormatError("dupkey.gguf", s, "appears twice");
        std::string deep;
        for (int i = 0; i < 20; ++i)
            deep += le<std::uint32_t>(9) + le<std::uint64_t>(1);
        s = validSpec();
        s.kvs.push_back(
            {"deep", le<std::uint32_t>(9) + deep + le<std::uint32_t>(4) + le<std::uint64_t>(0)});
        expectFormatError("deep.gguf", s, "deeper");
        for (const auto &[name, value] : {std::pair{"align0.gguf", vU32(0)},
                                          std::pair{"align3.gguf", vU32(48)},
                                          std::pair{"alignstr.gguf", vStr("32")}}) {
            s = validSpec();
            s.kvs.push_back({"general.alignment", value});
            expectFormatError(name, s, "general.alignment");
        }
    }

    void tensorErrors()
    {
        GgufSpec s = validSpec();
        s.tensors[0].ne = {8, 5, 1, 1, 1};
        expectFormatError("ndims.gguf", s, "5 dimensions");
        s = validSpec();
        s.tensors[0].ne = {8, 0};
        expectFormatError("zero.gguf", s, "zero-sized");
        s = validSpec();
        s.tensors[0].ne = {1ull << 32, 1ull << 32};
        expectFormatError("overflow.gguf", s, "overflows");
        s = validSpec();
        s.tensors[0].type = 99;
        expectFormatError("type.gguf", s, "unknown ggml type id 99");
        s = validSpec();
        s.tensors[1].ne = {16, 2}; // Q8_0 rows of 16 values
        expectFormatError("rowlen.gguf", s, "not a multiple of Q8_0's block size 32");
        s = validSpec();
        s.tensors[2].offset = 1ull << 20;
        s.tensors[2].place = false;
        expectFormatError("range.gguf", s, "output_norm.weight");
        s.tensors[2].offset = (1ull << 63) + 32; // offset + size would wrap
        expectFormatError("wrap.gguf", s, "but the file has");
        s = validSpec();
        s.tensors[1].offset = 8;
        expectFormatError("misaligned.gguf", s, "not a multiple of the alignment");
        s = validSpec();
        s.tensors[1].offset = 128; // inside token_embd (160 bytes)
        expectFormatError("overlap.gguf", s, "overlap");
        s = validSpec();
        s.tensors[2].name = "token_embd.weight";
        expectFormatError("dupname.gguf", s, "appears twice");

        s = validSpec();
        s.tensors[0].type = 16; // IQ2_XXS: a real ggml type Lathe does not decode
        const std::string path = m_tmp.write("iq.gguf", s.build());
        const QString msg = errorOf<UnsupportedError>([&] { GgufFile::open(path); });
        QVERIFY2(msg.contains("IQ2_XXS"), qPrintable(msg));
    }

    void everyTruncationFails()
    {
        const std::string full = validSpec().build();
        for (std::size_t len = 0; len < full.size(); ++len) {
            const QString msg = openError("trunc.gguf", full.substr(0, len));
            QVERIFY2(!msg.isEmpty() && !msg.startsWith("WRONG"),
                     qPrintable(QStringLiteral("length %1: '%2'").arg(len).arg(msg)));
        }
        const auto g = GgufFile::open(m_tmp.write("full.gguf", full));
        QCOMPARE(g->tensors().size(), std::size_t(3));
    }

    void vocabOnlyFileNeedsNoDataSection()
    {
        GgufSpec s = validSpec();
        s.tensors.clear();
        const auto g = GgufFile::open(m_tmp.write("vocab.gguf", s.build()));
        QVERIFY(g->tensors().empty());
        const ModelConfig c = configFromGguf(*g);
        QCOMPARE(c.vocabSize, std::int64_t(5));
        QVERIFY(c.tieWordEmbeddings);
    }

    void configFromMetadata()
    {
        const auto g = GgufFile::open(m_tmp.write("cfg.gguf", validSpec().build()));
        const ModelConfig c = configFromGguf(*g);
        QCOMPARE(c.arch, Architecture::Llama);
        QCOMPARE(c.modelType, std::string("llama"));
        QCOMPARE(c.hiddenSize, std::int64_t(8));
        QCOMPARE(c.intermediateSize, std::int64_t(16));
        QCOMPARE(c.numLayers, std::int64_t(1));
        QCOMPARE(c.numHeads, std::int64_t(2));
        QCOMPARE(c.numKvHeads, std::int64_t(1));
        QCOMPARE(c.headDim, std::int64_t(4));
        QCOMPARE(c.vocabSize, std::int64_t(5));
        QCOMPARE(c.maxPositions, std::int64_t(256));
        QCOMPARE(c.normEps, 1e-6);
        QCOMPARE(c.ropeTheta, 500000.0);
        QCOMPARE(c.ropeScaling.type, std::string());
        QCOMPARE(c.bosTokenIds, std::vector<std::int64_t>({1}));
        QCOMPARE(c.eosTokenIds, std::vector<std::int64_t>({2}));
        QVERIFY(c.tieWordEmbeddings); // no output.weight
        QVERIFY(!c.attentionBias);
        QVERIFY(!c.qkNorm);
        QCOMPARE(c.hiddenAct, std::string("silu"));
    }

    void configVariants()
    {
        // qwen2 with explicit head size, q bias, linear rope scaling and an eot token.
        GgufSpec s = validSpec();
        for (auto &kv : s.kvs)
            if (kv.first.rfind("llama.", 0) == 0)
                kv.first = "qwen2." + kv.first.substr(6);
        s.kvs[0].second = vStr("qwen2");
        s.kvs.push_back({"qwen2.attention.key_length", vU32(16)});
        s.kvs.push_back({"qwen2.rope.scaling.type", vStr("linear")});
        s.kvs.push_back({"qwen2.rope.scaling.factor", vF32(4.0f)});
        s.kvs.push_back({"tokenizer.ggml.eot_token_id", vU32(4)});
        s.tensors.push_back({"blk.0.attn_q.bias", {32}, 0, std::string(128, '\0'), std::nullopt});
        std::string out = s.tensors[0].data;
        out[0] = 1; // differs from the embedding: not tied
        s.tensors.push_back({"output.weight", {8, 5}, 0, out, std::nullopt});
        ModelConfig c = configFromGguf(*GgufFile::open(m_tmp.write("qwen2.gguf", s.build())));
        QCOMPARE(c.arch, Architecture::Qwen2);
        QCOMPARE(c.headDim, std::int64_t(16));
        QVERIFY(c.attentionBias);
        QCOMPARE(c.ropeScaling.type, std::string("linear"));
        QCOMPARE(c.ropeScaling.factor, 4.0);
        QCOMPARE(c.eosTokenIds, std::vector<std::int64_t>({2, 4}));
        QVERIFY(!c.tieWordEmbeddings);

        // A byte-identical output.weight is still a tie.
        s.tensors.back().data = s.tensors[0].data;
        c = configFromGguf(*GgufFile::open(m_tmp.write("tied.gguf", s.build())));
        QVERIFY(c.tieWordEmbeddings);

        for (auto &kv : s.kvs)
            if (kv.first == "qwen2.rope.scaling.type")
                kv.second = vStr("yarn");
        const auto yarn = GgufFile::open(m_tmp.write("yarn.gguf", s.build()));
        QVERIFY(errorOf<UnsupportedError>([&] { configFromGguf(*yarn); }).contains("yarn"));

        GgufSpec bert = validSpec();
        bert.kvs[0].second = vStr("bert");
        const auto b = GgufFile::open(m_tmp.write("bert.gguf", bert.build()));
        const QString msg = errorOf<UnsupportedError>([&] { configFromGguf(*b); });
        QVERIFY2(msg.contains("'bert'") && msg.contains("llama") && msg.contains("qwen3"),
                 qPrintable(msg));

        GgufSpec missing = validSpec();
        missing.kvs.erase(missing.kvs.begin() + 3); // llama.block_count
        const auto m = GgufFile::open(m_tmp.write("missing.gguf", missing.build()));
        QVERIFY(errorOf<FormatError>([&] { configFromGguf(*m); }).contains("llama.block_count"));
    }

    void slidingWindow()
    {
        GgufSpec s = validSpec(); // one layer
        QCOMPARE(configFromGguf(*GgufFile::open(m_tmp.write("sw0.gguf", s.build()))).slidingWindow,
                 std::int64_t(0));
        s.kvs.push_back({"llama.attention.sliding_window", vU32(4)});
        ModelConfig c = configFromGguf(*GgufFile::open(m_tmp.write("sw.gguf", s.build())));
        QCOMPARE(c.slidingWindow, std::int64_t(4));
        QCOMPARE(c.slidingWindowFromLayer, std::int64_t(0));

        // A per-layer pattern (bools) with no sliding layer: full attention.
        const std::string noSliding =
            le<std::uint32_t>(9) + le<std::uint32_t>(7) + le<std::uint64_t>(1) + std::string(1, 0);
        s.kvs.push_back({"llama.attention.sliding_window_pattern", noSliding});
        c = configFromGguf(*GgufFile::open(m_tmp.write("swp.gguf", s.build())));
        QCOMPARE(c.slidingWindow, std::int64_t(0));
    }

    // llama.cpp stores Llama 3 rope scaling as a rope_freqs.weight tensor; the parameters
    // come back from it.
    void llama3RopeFromFreqsTensor()
    {
        GgufSpec s = validSpec();
        s.kvs.push_back({"llama.attention.key_length", vU32(128)});
        std::vector<float> factors;
        for (int i = 0; i < 64; ++i) {
            // The converter's formula (factor 8, low 1, high 4, original context 8192).
            const double freq = 1.0 / std::pow(500000.0, (2.0 * i) / 128.0);
            const double wavelen = 2.0 * std::numbers::pi / freq;
            double f = 1.0;
            if (wavelen > 8192.0)
                f = 8.0;
            else if (wavelen >= 8192.0 / 4.0) {
                const double smooth = (8192.0 / wavelen - 1.0) / (4.0 - 1.0);
                f = 1.0 / ((1.0 - smooth) / 8.0 + smooth);
            }
            factors.push_back(static_cast<float>(f));
        }
        s.tensors.push_back({"rope_freqs.weight", {64}, 0, floats(factors), std::nullopt});
        ModelConfig c = configFromGguf(*GgufFile::open(m_tmp.write("llama3.gguf", s.build())));
        QCOMPARE(c.headDim, std::int64_t(128));
        QCOMPARE(c.ropeScaling.type, std::string("llama3"));
        QCOMPARE(c.ropeScaling.factor, 8.0);
        QCOMPARE(c.ropeScaling.lowFreqFactor, 1.0);
        QCOMPARE(c.ropeScaling.highFreqFactor, 4.0);
        QCOMPARE(c.ropeScaling.originalMaxPositions, std::int64_t(8192));

        factors[3] = 2.5f; // not a llama3 pattern
        s.tensors.back().data = floats(factors);
        const auto odd = GgufFile::open(m_tmp.write("oddrope.gguf", s.build()));
        QVERIFY(errorOf<UnsupportedError>([&] { configFromGguf(*odd); }).contains("rope_freqs"));
    }

    void nameMapping()
    {
        ModelConfig c;
        c.arch = Architecture::Llama;
        c.numLayers = 12;
        c.numHeads = 8;
        c.numKvHeads = 2;
        const std::pair<const char *, const char *> cases[] = {
            {"token_embd.weight", "model.embed_tokens.weight"},
            {"output_norm.weight", "model.norm.weight"},
            {"output.weight", "lm_head.weight"},
            {"blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight"},
            {"blk.11.ffn_norm.weight", "model.layers.11.post_attention_layernorm.weight"},
            {"blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"},
            {"blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"},
            {"blk.3.attn_q_norm.weight", "model.layers.3.self_attn.q_norm.weight"},
            {"blk.3.attn_k_norm.weight", "model.layers.3.self_attn.k_norm.weight"},
            {"blk.4.ffn_gate.weight", "model.layers.4.mlp.gate_proj.weight"},
            {"blk.4.ffn_up.weight", "model.layers.4.mlp.up_proj.weight"},
            {"blk.4.ffn_down.weight", "model.layers.4.mlp.down_proj.weight"},
            {"blk.5.attn_v.bias", "model.layers.5.self_attn.v_proj.bias"},
        };
        for (const auto &[gguf, hf] : cases) {
            const auto m = mapGgufTensorName(gguf, c);
            QVERIFY2(m, gguf);
            QCOMPARE(m->hfName, std::string(hf));
            QCOMPARE(m->permuteHeads, std::int64_t(0));
            QCOMPARE(*hfToGgufTensorName(hf, c), std::string(gguf));
        }
        QCOMPARE(mapGgufTensorName("blk.2.attn_q.weight", c)->permuteHeads, std::int64_t(8));
        QCOMPARE(mapGgufTensorName("blk.2.attn_k.weight", c)->permuteHeads, std::int64_t(2));
        QCOMPARE(mapGgufTensorName("blk.2.attn_k.weight", c)->hfName,
                 std::string("model.layers.2.self_attn.k_proj.weight"));
        QCOMPARE(mapGgufTensorName("blk.2.attn_q.bias", c)->permuteHeads, std::int64_t(8));
        for (const char *bad : {"blk.12.ffn_up.weight", "blk.x.ffn_up.weight", "blk.1.foo.weight",
                                "blk.01.ffn_up.weight", "rope_freqs.weight", "blk.-1.ffn_up.weight",
                                "blk..ffn_up.weight", ""})
            QVERIFY2(!mapGgufTensorName(bad, c), bad);

        c.arch = Architecture::Mistral;
        QCOMPARE(mapGgufTensorName("blk.0.attn_q.weight", c)->permuteHeads, std::int64_t(8));
        c.arch = Architecture::Qwen2; // qwen2 GGUFs keep HF's row order
        QCOMPARE(mapGgufTensorName("blk.0.attn_q.weight", c)->permuteHeads, std::int64_t(0));
        QCOMPARE(mapGgufTensorName("blk.0.attn_q.bias", c)->hfName,
                 std::string("model.layers.0.self_attn.q_proj.bias"));
        c.arch = Architecture::Gpt2;
        QVERIFY(!mapGgufTensorName("token_embd.weight", c));
    }

    void unpermuteInvertsConverterPermutation()
    {
        // llama.cpp's converter: w.reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2)
        // .reshape(rows, cols). Written here as index arithmetic on that 4-D view.
        const std::int64_t heads = 3, rows = 3 * 8, cols = 5;
        std::vector<float> hf(static_cast<std::size_t>(rows * cols));
        for (std::size_t i = 0; i < hf.size(); ++i)
            hf[i] = float(i) + 0.5f;
        const std::int64_t half = rows / heads / 2;
        std::vector<float> gguf(hf.size());
        for (std::int64_t h = 0; h < heads; ++h)
            for (std::int64_t a = 0; a < 2; ++a)
                for (std::int64_t b = 0; b < half; ++b)
                    for (std::int64_t col = 0; col < cols; ++col) {
                        // source element [h][a][b][col] lands at [h][b][a][col]
                        const std::int64_t srcRow = (h * 2 + a) * half + b;
                        const std::int64_t dstRow = (h * half + b) * 2 + a;
                        gguf[static_cast<std::size_t>(dstRow * cols + col)] =
                            hf[static_cast<std::size_t>(srcRow * cols + col)];
                    }
        QVERIFY(gguf != hf);
        std::vector<float> back(hf.size(), -1.0f);
        unpermuteQkRows(gguf.data(), back.data(), rows, cols, heads);
        QCOMPARE(back, hf);
        std::vector<float> again(hf.size());
        permuteQkRows(hf.data(), again.data(), rows, cols, heads);
        QCOMPARE(again, gguf);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                                 unpermuteQkRows(gguf.data(), back.data(), rows, cols, 5));
    }
};

QTEST_GUILESS_MAIN(TestGguf)
#include "tst_gguf.moc"
