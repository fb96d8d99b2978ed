// SPDX-License-Identifier: GPL-3.0-or-later
// loadHfConfig on every config.json in the shared data, with the values the files hold.
#include "io/modelconfig.h"

#include "testdata.h"

#include <QtTest/QtTest>

using namespace lathe;

namespace {

ModelConfig load(const char *relative)
{
    return loadHfConfig(lathe::test::dataPath(relative).toStdString());
}

} // namespace

class TestHfConfigData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void randomModels_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<int>("arch");
        // hidden, ffn, layers, heads, kv heads, head dim, vocab, context
        QTest::addColumn<QList<qint64>>("sizes");
        QTest::addColumn<double>("eps");
        QTest::addColumn<double>("theta");
        QTest::addColumn<bool>("tied");
        QTest::addColumn<bool>("bias");
        QTest::addColumn<bool>("qkNorm");
        auto row = [](const char *name, Architecture a, QList<qint64> sizes, double eps,
                      double theta, bool tied, bool bias, bool qkNorm) {
            QTest::newRow(name) << QString("models/random/") + name << int(a) << sizes << eps
                                << theta << tied << bias << qkNorm;
        };
        row("llama", Architecture::Llama, {64, 160, 3, 4, 2, 16, 300, 256}, 1e-5, 1e4, false,
            false, false);
        row("llama-bf16", Architecture::Llama, {64, 160, 3, 4, 2, 16, 300, 256}, 1e-5, 1e4,
            false, false, false);
        row("llama3", Architecture::Llama, {64, 128, 2, 8, 2, 8, 320, 512}, 1e-5, 5e5, true,
            false, false);
        row("mistral", Architecture::Mistral, {96, 192, 2, 6, 3, 32, 256, 256}, 1e-5, 1e6,
            false, false, false);
        row("qwen2", Architecture::Qwen2, {64, 176, 2, 4, 1, 16, 280, 256}, 1e-6, 1e6, true,
            true, false);
        row("qwen2-f16", Architecture::Qwen2, {64, 176, 2, 4, 1, 16, 280, 256}, 1e-6, 1e6, true,
            true, false);
        row("qwen3", Architecture::Qwen3, {64, 128, 2, 4, 2, 32, 290, 256}, 1e-6, 1e6, true,
            false, true);
        row("gpt2", Architecture::Gpt2, {64, 256, 2, 4, 4, 16, 270, 128}, 1e-5, 1e4, true, true,
            false);
    }

    void randomModels()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QFETCH(QString, folder);
        QFETCH(int, arch);
        QFETCH(QList<qint64>, sizes);
        QFETCH(double, eps);
        QFETCH(double, theta);
        QFETCH(bool, tied);
        QFETCH(bool, bias);
        QFETCH(bool, qkNorm);
        const ModelConfig c = load(qPrintable(folder));
        QCOMPARE(int(c.arch), arch);
        const QList<qint64> got = {c.hiddenSize, c.intermediateSize, c.numLayers, c.numHeads,
                                   c.numKvHeads, c.headDim,          c.vocabSize, c.maxPositions};
        QCOMPARE(got, sizes);
        QCOMPARE(c.normEps, eps);
        QCOMPARE(c.ropeTheta, theta);
        QCOMPARE(c.tieWordEmbeddings, tied);
        QCOMPARE(c.attentionBias, bias);
        QCOMPARE(c.mlpBias, c.arch == Architecture::Gpt2);
        QCOMPARE(c.qkNorm, qkNorm);
        QCOMPARE(c.hiddenAct, std::string(c.arch == Architecture::Gpt2 ? "gelu_new" : "silu"));
        const std::int64_t bos = c.arch == Architecture::Gpt2 ? 0 : 1;
        QCOMPARE(c.bosTokenIds, std::vector<std::int64_t>{bos});
        QCOMPARE(c.eosTokenIds, std::vector<std::int64_t>{c.arch == Architecture::Gpt2 ? 0 : 2});
        if (folder.endsWith("llama3")) {
            QCOMPARE(c.ropeScaling.type, std::string("llama3"));
            QCOMPARE(c.ropeScaling.factor, 32.0);
            QCOMPARE(c.ropeScaling.lowFreqFactor, 1.0);
            QCOMPARE(c.ropeScaling.highFreqFactor, 4.0);
            QCOMPARE(c.ropeScaling.originalMaxPositions, 64);
        } else {
            QVERIFY(c.ropeScaling.type.empty());
        }
    }

    void tinystories()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const ModelConfig c = load("models/tinystories-656k");
        QCOMPARE(c.arch, Architecture::Llama);
        QCOMPARE(c.hiddenSize, 128);
        QCOMPARE(c.intermediateSize, 384);
        QCOMPARE(c.numLayers, 2);
        QCOMPARE(c.numHeads, 8);
        QCOMPARE(c.numKvHeads, 4);
        QCOMPARE(c.headDim, 16);
        QCOMPARE(c.vocabSize, 2048);
        QCOMPARE(c.maxPositions, 512);
        QCOMPARE(c.normEps, 1e-6);
        QCOMPARE(c.ropeTheta, 10000.0);
        QVERIFY(c.ropeScaling.type.empty()); // "rope_scaling": null
        QVERIFY(c.tieWordEmbeddings);
        QVERIFY(!c.attentionBias && !c.mlpBias && !c.qkNorm);
        QCOMPARE(c.bosTokenIds, std::vector<std::int64_t>{1});
        QCOMPARE(c.eosTokenIds, std::vector<std::int64_t>{2});
        // generation_config.json holds only bos/eos: no sampler defaults.
        QVERIFY(!c.generation.temperature && !c.generation.topK && !c.generation.topP
                && !c.generation.doSample && !c.generation.maxNewTokens);
    }

    void stories260K()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const ModelConfig c = load("models/stories260K/hf");
        QCOMPARE(c.arch, Architecture::Llama);
        QCOMPARE(c.hiddenSize, 64);
        QCOMPARE(c.intermediateSize, 172);
        QCOMPARE(c.numLayers, 5);
        QCOMPARE(c.numHeads, 8);
        QCOMPARE(c.numKvHeads, 4);
        QCOMPARE(c.headDim, 8);
        QCOMPARE(c.vocabSize, 512);
        QCOMPARE(c.maxPositions, 512);
        QCOMPARE(c.normEps, 1e-5);
        QVERIFY(c.tieWordEmbeddings);
        QCOMPARE(c.bosTokenId(), 1);
    }
};

QTEST_GUILESS_MAIN(TestHfConfigData)
#include "tst_hfconfigdata.moc"
