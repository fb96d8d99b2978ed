// SPDX-License-Identifier: GPL-3.0-or-later
// Checkpoint::open on folders and files built in the test (sharded, single, bare, broken)
// and summarizeModel on a file without config.
#include "io/checkpoint.h"
#include "io/modelsummary.h"
#include "util/error.h"

#include "safetensorstestfile.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace lathe;
using namespace lathe::test;

namespace {

RawTensor f32(const std::string &name, std::vector<std::int64_t> shape)
{
    std::int64_t n = 1;
    for (auto d : shape)
        n *= d;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<float>(i) + 0.5f;
    return {name, "F32", std::move(shape), bytesOf(v)};
}

const char *kIndex = R"({
  "metadata": {"total_size": 1234},
  "weight_map": {
    "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
    "model.layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors",
    "model.layers.1.mlp.up_proj.weight": "model-00002-of-00002.safetensors",
    "model.norm.weight": "model-00002-of-00002.safetensors"
  }
})";

template<typename F>
QString errorOf(F &&f)
{
    try {
        f();
    } catch (const Error &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestCheckpoint : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;

    // A fresh empty folder under the temp dir.
    std::string folder(const char *name)
    {
        QDir(m_tmp.path()).mkpath(name);
        return m_tmp.filePath(name).toStdString();
    }

    std::string writeSharded(const char *name)
    {
        const std::string dir = folder(name);
        writeBytes(dir + "/model-00001-of-00002.safetensors",
                   safetensorsBytes({f32("model.embed_tokens.weight", {8, 4}),
                                     f32("model.layers.0.mlp.up_proj.weight", {6, 4})},
                                    {{"format", "pt"}}));
        writeBytes(dir + "/model-00002-of-00002.safetensors",
                   safetensorsBytes({f32("model.layers.1.mlp.up_proj.weight", {6, 4}),
                                     f32("model.norm.weight", {4})},
                                    {{"format", "pt"}, {"lm_head.weight",
                                                        "model.embed_tokens.weight"}}));
        writeBytes(dir + "/model.safetensors.index.json", kIndex);
        writeBytes(dir + "/config.json", "{}");
        return dir;
    }

private Q_SLOTS:
    void shardedFolder()
    {
        const std::string dir = writeSharded("sharded");
        auto ckpt = Checkpoint::open(dir);
        QCOMPARE(ckpt->format(), CheckpointFormat::SafetensorsFolder);
        QCOMPARE(ckpt->path(), dir);
        QCOMPARE(ckpt->folder(), dir);
        QCOMPARE(ckpt->tensors().size(), std::size_t(4));
        QCOMPARE(ckpt->files().size(), std::size_t(2));
        QCOMPARE(ckpt->tensors()[0].name, std::string("model.embed_tokens.weight"));
        QCOMPARE(ckpt->tensors()[3].name, std::string("model.norm.weight"));
        QCOMPARE(ckpt->totalBytes(), std::size_t((32 + 24 + 24 + 4) * 4));
        const TensorView *up1 = ckpt->find("model.layers.1.mlp.up_proj.weight");
        QVERIFY(up1);
        QCOMPARE(up1->shape, (std::vector<std::int64_t>{6, 4}));
        QCOMPARE(toFloat32(*up1)[5], 5.5f);
        // Alias from the second shard's metadata resolves to a tensor in the first shard.
        QCOMPARE(ckpt->aliases().size(), std::size_t(1));
        QCOMPARE(ckpt->find("lm_head.weight"), ckpt->find("model.embed_tokens.weight"));
        QCOMPARE(ckpt->metadata().at("format"), std::string("pt"));
        QCOMPARE(ckpt->find("missing"), nullptr);

        // The index file itself opens the same checkpoint.
        auto viaIndex = Checkpoint::open(dir + "/model.safetensors.index.json");
        QCOMPARE(viaIndex->tensors().size(), std::size_t(4));
        QCOMPARE(viaIndex->folder(), dir);
    }

    void missingShard()
    {
        const std::string dir = writeSharded("missing-shard");
        QFile::remove(QString::fromStdString(dir + "/model-00002-of-00002.safetensors"));
        const QString msg = errorOf([&] { Checkpoint::open(dir); });
        QVERIFY2(msg.contains("model-00002-of-00002.safetensors") && msg.contains("missing"),
                 qPrintable(msg));
    }

    void tensorMissingFromShard()
    {
        const std::string dir = writeSharded("missing-tensor");
        writeBytes(dir + "/model-00002-of-00002.safetensors",
                   safetensorsBytes({f32("model.layers.1.mlp.up_proj.weight", {6, 4})}));
        QVERIFY_THROWS_EXCEPTION(FormatError, Checkpoint::open(dir));
        const QString msg = errorOf([&] { Checkpoint::open(dir); });
        QVERIFY2(msg.contains("'model.norm.weight'") && msg.contains("does not contain"),
                 qPrintable(msg));
    }

    void brokenIndex()
    {
        const std::string dir = writeSharded("broken-index");
        const std::string index = dir + "/model.safetensors.index.json";
        writeBytes(index, "{\"weight_map\": ");
        QVERIFY(errorOf([&] { Checkpoint::open(dir); }).contains("not valid JSON"));
        writeBytes(index, "{\"metadata\": {}}");
        QVERIFY(errorOf([&] { Checkpoint::open(dir); }).contains("weight_map"));
        writeBytes(index, R"({"weight_map": {"a": "../outside.safetensors"}})");
        QVERIFY(errorOf([&] { Checkpoint::open(dir); }).contains("not a file inside"));
        writeBytes(index, R"({"weight_map": {"a": 3}})");
        QVERIFY_THROWS_EXCEPTION(FormatError, Checkpoint::open(dir));
        // A tensor stored in two shards is ambiguous.
        writeBytes(index, kIndex);
        writeBytes(dir + "/model-00002-of-00002.safetensors",
                   safetensorsBytes({f32("model.layers.1.mlp.up_proj.weight", {6, 4}),
                                     f32("model.norm.weight", {4}),
                                     f32("model.embed_tokens.weight", {8, 4})}));
        QVERIFY(errorOf([&] { Checkpoint::open(dir); }).contains("stored twice"));
        // A broken shard reports the shard's own error.
        writeBytes(dir + "/model-00002-of-00002.safetensors", "short");
        QVERIFY(errorOf([&] { Checkpoint::open(dir); }).startsWith("HeaderTooSmall"));
    }

    void singleFileLayouts()
    {
        const std::string bytes = safetensorsBytes({f32("w", {2, 2})});
        const std::string a = folder("single");
        writeBytes(a + "/model.safetensors", bytes);
        writeBytes(a + "/other.safetensors", bytes); // model.safetensors wins
        auto ckpt = Checkpoint::open(a);
        QCOMPARE(ckpt->format(), CheckpointFormat::SafetensorsFolder);
        QCOMPARE(ckpt->files().front(), a + "/model.safetensors");

        const std::string b = folder("only-one");
        writeBytes(b + "/weights.safetensors", bytes);
        writeBytes(b + "/notes.txt", "hello");
        ckpt = Checkpoint::open(b);
        QCOMPARE(ckpt->files().front(), b + "/weights.safetensors");
        QCOMPARE(ckpt->folder(), b);

        ckpt = Checkpoint::open(b + "/weights.safetensors");
        QCOMPARE(ckpt->format(), CheckpointFormat::SafetensorsFile);
        QCOMPARE(ckpt->folder(), b);
        QCOMPARE(ckpt->tensors().size(), std::size_t(1));

        const std::string c = folder("two");
        writeBytes(c + "/a.safetensors", bytes);
        writeBytes(c + "/b.safetensors", bytes);
        const QString msg = errorOf([&] { Checkpoint::open(c); });
        QVERIFY2(msg.contains("a.safetensors, b.safetensors"), qPrintable(msg));
    }

    void nothingToOpen()
    {
        const std::string empty = folder("empty");
        const QString msg = errorOf([&] { Checkpoint::open(empty); });
        QCOMPARE(msg, QString::fromStdString("no model found in '" + empty
                                             + "': expected config.json with model.safetensors, "
                                               "a sharded index, or a .gguf file"));
        QVERIFY_THROWS_EXCEPTION(IoError, Checkpoint::open(empty + "/nope"));
        writeBytes(empty + "/readme.txt", "x");
        QVERIFY_THROWS_EXCEPTION(UnsupportedError, Checkpoint::open(empty + "/readme.txt"));
        // A .gguf that is not GGUF fails in the GGUF reader with a FormatError.
        writeBytes(empty + "/fake.gguf", "not gguf at all");
        QVERIFY_THROWS_EXCEPTION(FormatError, Checkpoint::open(empty));
    }

    void summaryWithoutConfig()
    {
        const std::string dir = folder("bare");
        const std::string file = dir + "/weights.safetensors";
        const std::vector<RawTensor> tensors = {
            f32("layers.10.w", {3, 4}),
            f32("layers.2.w", {3, 4}),
            f32("layers.1.w", {3, 4}),
            RawTensor{"mask", "U8", {5}, {1, 2, 3, 4, 5}},
            RawTensor{"h", "F16", {2}, {0, 0x3C, 0, 0x3C}},
        };
        writeBytes(file, safetensorsBytes(tensors, {{"tied.w", "layers.1.w"}}));
        double last = -1;
        int calls = 0;
        const ModelSummary s = summarizeModel(file, [&](double f, const std::string &) {
            QVERIFY(f >= last);
            last = f;
            ++calls;
        });
        QVERIFY(calls >= 2);
        QCOMPARE(last, 1.0);
        QVERIFY(!s.hasConfig);
        QVERIFY(!s.config);
        QVERIFY(s.configError.empty());
        QCOMPARE(s.architecture, std::string("unknown"));
        QCOMPARE(s.format, std::string("safetensors file"));
        QCOMPARE(s.parameters, std::int64_t(36 + 5 + 2)); // the alias is not counted again
        QCOMPARE(s.bytes, std::uint64_t(36 * 4 + 5 + 4));
        QCOMPARE(s.parametersByDtype.at("F32"), std::int64_t(36));
        QCOMPARE(s.parametersByDtype.at("U8"), std::int64_t(5));
        QCOMPARE(s.tensors.size(), std::size_t(5));
        std::vector<std::string> names;
        for (const auto &r : s.tensors)
            names.push_back(r.name);
        QCOMPARE(names, (std::vector<std::string>{"h", "layers.1.w", "layers.2.w", "layers.10.w",
                                                  "mask"}));
        QCOMPARE(s.tensors[1].shape, (std::vector<std::int64_t>{3, 4}));
        QCOMPARE(s.tensors[1].dtype, std::string("F32"));
        QCOMPARE(s.tensors[1].bytes, std::uint64_t(48));
        std::map<std::string, std::string> card(s.card.begin(), s.card.end());
        QCOMPARE(s.card.front().first, std::string("Architecture"));
        QCOMPARE(card.at("Parameters"), std::string("43"));
        QCOMPARE(card.at("Size"), std::string("153 B"));
        QCOMPARE(card.at("Data types"), std::string("F32 (83.7%), U8 (11.6%), F16 (4.7%)"));
        QCOMPARE(card.at("Path"), file);
        QVERIFY(!card.count("Layers"));

        // A config.json that Lathe cannot read is reported, not thrown.
        writeBytes(dir + "/config.json", R"({"model_type": "phi3", "hidden_size": 8})");
        const ModelSummary t = summarizeModel(dir);
        QVERIFY(t.hasConfig);
        QVERIFY(!t.config);
        QVERIFY2(QString::fromStdString(t.configError).contains("phi3"), t.configError.c_str());
        QCOMPARE(t.architecture, std::string("phi3"));
        QCOMPARE(t.format, std::string("Hugging Face safetensors folder"));

        CancelToken cancel;
        cancel.cancel();
        QVERIFY_THROWS_EXCEPTION(CancelledError, summarizeModel(file, {}, cancel));
    }

    void summaryOfShardedFolder()
    {
        const std::string dir = writeSharded("sharded-summary");
        writeBytes(dir + "/config.json", R"({"model_type": "llama", "hidden_size": 4,
            "intermediate_size": 6, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 1, "vocab_size": 8, "max_position_embeddings": 64})");
        const ModelSummary s = summarizeModel(dir);
        QCOMPARE(s.format, std::string("Hugging Face safetensors folder (2 shards)"));
        QVERIFY(s.config);
        QCOMPARE(s.architecture, std::string("llama"));
        std::map<std::string, std::string> card(s.card.begin(), s.card.end());
        QCOMPARE(card.at("Heads (q / kv)"), std::string("2 / 1"));
        QCOMPARE(card.at("Layers"), std::string("2"));
        QCOMPARE(card.at("FFN size"), std::string("6"));
        QCOMPARE(card.at("Context"), std::string("64"));
        QCOMPARE(card.at("Data types"), std::string("F32"));
    }

    void formatting()
    {
        QCOMPARE(formatBytes(0), std::string("0 B"));
        QCOMPARE(formatBytes(999), std::string("999 B"));
        QCOMPARE(formatBytes(1500), std::string("1.5 KB"));
        QCOMPARE(formatBytes(2626168), std::string("2.6 MB"));
        QCOMPARE(formatBytes(4370000000ULL), std::string("4.37 GB"));
        QCOMPARE(formatCount(512), std::string("512"));
        QCOMPARE(formatCount(656000), std::string("656.0 K"));
        QCOMPARE(formatCount(135100000), std::string("135.1 M"));
        QCOMPARE(formatCount(1100000000), std::string("1.10 B"));
        QVERIFY(naturalLess("layers.2.w", "layers.10.w"));
        QVERIFY(!naturalLess("layers.10.w", "layers.2.w"));
        QVERIFY(naturalLess("a", "a.0"));
        QVERIFY(naturalLess("blk.9", "blk.10.x"));
        QVERIFY(!naturalLess("x1", "x1"));
    }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "tst_checkpoint.moc"
