// SPDX-License-Identifier: GPL-3.0-or-later
// The safetensors project's own valid and malformed files, the tied-embedding aliases of
// tinystories-656k, every shared model through Checkpoint, and model summaries.
#include "io/checkpoint.h"
#include "io/gguf.h"
#include "io/modelsummary.h"
#include "io/safetensors.h"
#include "util/error.h"

#include "testdata.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

std::string data(const char *relative) { return lathe::test::dataPath(relative).toStdString(); }

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void upstreamCases()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const QString dir = lathe::test::dataPath("formats/safetensors-cases/cases");
        QFile tsv(dir + "/cases.tsv");
        QVERIFY(tsv.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines = QString::fromUtf8(tsv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.front(), QStringLiteral("file\tupstream_test\texpected"));
        int ok = 0, bad = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QStringList cols = lines[i].split('\t');
            QCOMPARE(cols.size(), 3);
            const std::string file = (dir + "/" + cols[0]).toStdString();
            const QString expected = cols[2].trimmed();
            if (expected == "OK") {
                try {
                    SafetensorsFile::open(file);
                } catch (const Error &e) {
                    QFAIL(qPrintable(cols[0] + ": " + e.what()));
                }
                ++ok;
                continue;
            }
            try {
                SafetensorsFile::open(file);
                QFAIL(qPrintable(cols[0] + " opened but should fail with " + expected));
            } catch (const FormatError &e) {
                const QString msg = QString::fromStdString(e.what());
                qInfo("%s", qPrintable(msg));
                QVERIFY2(msg.startsWith(expected + ":"), qPrintable(cols[0] + ": " + msg));
                QVERIFY2(msg.contains(QString::fromStdString(file)), qPrintable(msg));
            }
            ++bad;
        }
        QCOMPARE(ok, 6);
        QCOMPARE(bad, 11);
    }

    void upstreamValidContents()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string dir = data("formats/safetensors-cases/cases/");
        auto f = SafetensorsFile::open(dir + "test_deserialization.safetensors");
        QCOMPARE(f->tensors().size(), std::size_t(1));
        QCOMPARE(f->tensors()[0].name, std::string("test"));
        QCOMPARE(f->tensors()[0].dtype, DType::I32);
        QCOMPARE(f->tensors()[0].shape, (std::vector<std::int64_t>{2, 2}));
        QCOMPARE(f->tensors()[0].nbytes, std::size_t(16));
        QCOMPARE(f->headerSize(), std::size_t(60));
        f = SafetensorsFile::open(dir + "test_empty_shapes_allowed.safetensors");
        QVERIFY(f->tensors()[0].shape.empty());
        QCOMPARE(f->tensors()[0].numel(), 1);
        f = SafetensorsFile::open(dir + "test_zero_sized_tensor.safetensors");
        QCOMPARE(f->tensors()[0].shape, (std::vector<std::int64_t>{2, 0}));
        QCOMPARE(f->tensors()[0].nbytes, std::size_t(0));
        QVERIFY(SafetensorsFile::open(dir + "test_whitespace_padded_header.safetensors")
                    ->tensors()
                    .empty());
    }

    void tinystoriesAliases()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string dir = data("models/tinystories-656k");
        QElapsedTimer timer;
        timer.start();
        auto ckpt = Checkpoint::open(dir);
        const double ms = static_cast<double>(timer.nsecsElapsed()) / 1e6;
        qInfo("Checkpoint::open(tinystories-656k): %.3f ms", ms);
        QCOMPARE(ckpt->format(), CheckpointFormat::SafetensorsFolder);
        QCOMPARE(ckpt->folder(), dir);
        QCOMPARE(ckpt->tensors().size(), std::size_t(20));
        QCOMPARE(ckpt->aliases().size(), std::size_t(1));
        QCOMPARE(ckpt->aliases().at("model.embed_tokens.weight"), std::string("lm_head.weight"));
        const TensorView *embed = ckpt->find("model.embed_tokens.weight");
        QVERIFY(embed);
        QCOMPARE(embed, ckpt->find("lm_head.weight"));
        QCOMPARE(embed->name, std::string("lm_head.weight"));
        QCOMPARE(embed->shape, (std::vector<std::int64_t>{2048, 128}));
        QCOMPARE(ckpt->metadata().at("format"), std::string("pt"));
        QCOMPARE(ckpt->totalBytes(), std::size_t(656000 * 4));

        // Spot values from REFERENCE.md (flat row-major index -> value).
        const std::vector<std::tuple<const char *, std::size_t, float>> spots = {
            {"lm_head.weight", 50, 0.14453125f},
            {"model.layers.0.input_layernorm.weight", 10, 0.18652344f},
            {"model.layers.1.post_attention_layernorm.weight", 10, 0.32421875f},
            {"model.norm.weight", 100, 0.73046875f},
            {"model.layers.0.mlp.down_proj.weight", 100, -0.0625f},
            {"model.layers.0.mlp.up_proj.weight", 100, 1.46875f},
            {"model.layers.1.mlp.gate_proj.weight", 100, 0.296875f},
            {"model.layers.1.self_attn.q_proj.weight", 100, 0.032226563f},
            {"model.layers.1.self_attn.k_proj.weight", 100, -0.21386719f},
            {"model.layers.0.self_attn.v_proj.weight", 100, 0.041015625f},
        };
        for (const auto &[name, index, value] : spots) {
            const TensorView *t = ckpt->find(name);
            QVERIFY2(t, name);
            QCOMPARE(toFloat32(*t)[index], value);
        }
    }

    void everySharedModelOpens()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const QDir random(lathe::test::dataPath("models/random"));
        QStringList dirs;
        for (const QString &d : random.entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            dirs << random.filePath(d);
        dirs << lathe::test::dataPath("models/stories260K/hf");
        QCOMPARE(dirs.size(), 9);
        for (const QString &d : dirs) {
            auto ckpt = Checkpoint::open(d.toStdString());
            QVERIFY2(!ckpt->tensors().empty(), qPrintable(d));
            QCOMPARE(ckpt->files().size(), std::size_t(1));
            QVERIFY(ckpt->aliases().empty());
            for (const auto &t : ckpt->tensors())
                QCOMPARE(ckpt->find(t.name), &t);
        }
        auto bf16 = Checkpoint::open(data("models/random/llama-bf16/model.safetensors"));
        QCOMPARE(bf16->format(), CheckpointFormat::SafetensorsFile);
        QCOMPARE(bf16->tensors().front().dtype, DType::BF16);
        QCOMPARE(bf16->folder(), data("models/random/llama-bf16"));
    }

    void ggufThroughCheckpoint()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string file = data("models/stories260K/stories260K-f32.gguf");
        auto ckpt = Checkpoint::open(file);
        QCOMPARE(ckpt->format(), CheckpointFormat::Gguf);
        QVERIFY(ckpt->gguf());
        QCOMPARE(ckpt->folder(), data("models/stories260K"));
        QCOMPARE(ckpt->tensors().size(), ckpt->gguf()->tensors().size());
        QVERIFY(ckpt->metadata().empty());
        for (const auto &t : ckpt->tensors())
            QCOMPARE(ckpt->find(t.name), &t);
        // The folder holds one .gguf next to hf/ and llama2.c files: the .gguf is the model.
        auto viaFolder = Checkpoint::open(data("models/stories260K"));
        QCOMPARE(viaFolder->format(), CheckpointFormat::Gguf);
        QCOMPARE(viaFolder->files().front(), file);
    }

    void summaries()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QElapsedTimer timer;
        timer.start();
        const ModelSummary s = summarizeModel(data("models/tinystories-656k"));
        qInfo("summarizeModel(tinystories-656k): %.3f ms",
              static_cast<double>(timer.nsecsElapsed()) / 1e6);
        QVERIFY(s.hasConfig);
        QVERIFY2(s.configError.empty(), s.configError.c_str());
        QVERIFY(s.config);
        QCOMPARE(s.architecture, std::string("llama"));
        QCOMPARE(s.parameters, std::int64_t(656000));
        QCOMPARE(s.bytes, std::uint64_t(2624000));
        QCOMPARE(s.parametersByDtype.size(), std::size_t(1));
        QCOMPARE(s.tensors.size(), std::size_t(20));
        QCOMPARE(s.tensors.front().name, std::string("lm_head.weight"));
        QCOMPARE(s.tensors.back().name, std::string("model.norm.weight"));
        const std::map<std::string, std::string> card(s.card.begin(), s.card.end());
        QCOMPARE(card.at("Parameters"), std::string("656.0 K"));
        QCOMPARE(card.at("Layers"), std::string("2"));
        QCOMPARE(card.at("Hidden size"), std::string("128"));
        QCOMPARE(card.at("Heads (q / kv)"), std::string("8 / 4"));
        QCOMPARE(card.at("FFN size"), std::string("384"));
        QCOMPARE(card.at("Vocabulary"), std::string("2048"));
        QCOMPARE(card.at("Context"), std::string("512"));
        QCOMPARE(card.at("Data types"), std::string("F32"));
        QCOMPARE(card.at("Size"), std::string("2.6 MB"));
        QCOMPARE(card.at("Format"), std::string("Hugging Face safetensors folder"));
        for (const auto &[k, v] : s.card)
            qInfo("  %-16s %s", k.c_str(), v.c_str());

        const ModelSummary g = summarizeModel(data("models/stories260K/stories260K-f32.gguf"));
        for (const auto &[k, v] : g.card)
            qInfo("  %-16s %s", k.c_str(), v.c_str());
        QVERIFY(g.hasConfig);
        QVERIFY2(g.configError.empty(), g.configError.c_str());
        QCOMPARE(g.format, std::string("GGUF v3"));
        QCOMPARE(g.architecture, std::string("llama"));
        QVERIFY(g.config);
        QCOMPARE(g.config->numLayers, std::int64_t(5));
        QCOMPARE(g.config->hiddenSize, std::int64_t(64));
        // Same weights as the HF copy, except that the GGUF stores the tied output matrix
        // a second time as output.weight.
        const auto gguf = Checkpoint::open(data("models/stories260K/stories260K-f32.gguf"));
        const std::int64_t extra = gguf->find("output.weight") ? 512 * 64 : 0;
        QCOMPARE(g.parameters, summarizeModel(data("models/stories260K/hf")).parameters + extra);
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
