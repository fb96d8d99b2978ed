// SPDX-License-Identifier: GPL-3.0-or-later
// The forward pass against reference logits of independent implementations: every random
// fixture architecture (f32, bf16, f16), KV-cache decode against full recompute, and the
// greedy continuation of a really trained TinyStories model.
#include "io/checkpoint.h"
#include "model/modelspec.h"
#include "model/rope.h"
#include "model/transformer.h"
#include "testdata.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace lathe;
using json = nlohmann::json;

namespace {

std::string fixture(const QString &name)
{
    return test::dataPath(QStringLiteral("models/random/") + name).toStdString();
}

json readJson(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    return json::parse(in);
}

std::vector<std::int32_t> idsOf(const json &j)
{
    return j.get<std::vector<std::int32_t>>();
}

void addFixtureRows()
{
    QTest::addColumn<QString>("name");
    for (const char *n : {"llama", "llama3", "mistral", "qwen2", "qwen3", "gpt2", "llama-bf16",
                          "qwen2-f16"})
        QTest::newRow(n) << QString::fromLatin1(n);
}

} // namespace

class TestEngine : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void referenceLogits_data() { addFixtureRows(); }
    void referenceLogits()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QFETCH(QString, name);
        const std::string dir = fixture(name);
        const json ref = readJson(dir + "/reference-logits.json");
        const auto ids = idsOf(ref["ids"]);
        const auto rows = ref["logits"].get<std::vector<std::vector<float>>>();

        Transformer tf(Model::load(dir));
        const at::Tensor logits = tf.logits(ids); // [12, vocab]
        QCOMPARE(logits.size(0), static_cast<std::int64_t>(ids.size()));
        QCOMPARE(logits.size(1), static_cast<std::int64_t>(rows.front().size()));
        at::Tensor expected = at::empty_like(logits);
        for (std::size_t r = 0; r < rows.size(); ++r)
            std::memcpy(expected[static_cast<std::int64_t>(r)].data_ptr<float>(), rows[r].data(),
                        rows[r].size() * sizeof(float));
        const float err = (logits - expected).abs().max().item<float>();
        qInfo("%s: max abs error %.3g", qPrintable(name), static_cast<double>(err));
        QVERIFY2(err <= 1e-4f, qPrintable(QStringLiteral("max abs error %1").arg(err)));
        const auto argmax = ref["argmax"].get<std::vector<std::int64_t>>();
        const at::Tensor ours = logits.argmax(1);
        for (std::size_t r = 0; r < argmax.size(); ++r)
            QCOMPARE(ours[static_cast<std::int64_t>(r)].item<std::int64_t>(), argmax[r]);
    }

    // Prefill 7 tokens, then 5 single-token steps through the decode kernels: the same logits
    // as recomputing everything.
    void decodeMatchesRecompute_data() { addFixtureRows(); }
    void decodeMatchesRecompute()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QFETCH(QString, name);
        const std::string dir = fixture(name);
        const auto ids = idsOf(readJson(dir + "/reference-logits.json")["ids"]);
        Transformer tf(Model::load(dir));
        const at::Tensor full = tf.logits(ids);

        KVCache cache = tf.newCache(32);
        const std::vector<std::int32_t> prompt(ids.begin(), ids.begin() + 7);
        const at::Tensor prefill = tf.forward(prompt, cache); // [7, vocab]
        QVERIFY((prefill - full.narrow(0, 0, 7)).abs().max().item<float>() <= 1e-4f);
        for (std::size_t i = 7; i < ids.size(); ++i) {
            const at::Tensor step = tf.forwardLast({ids[i]}, cache); // [vocab]
            QCOMPARE(cache.length(), static_cast<std::int64_t>(i + 1));
            const float err = (step - full[static_cast<std::int64_t>(i)]).abs().max().item<float>();
            QVERIFY2(err <= 1e-4f, qPrintable(QStringLiteral("step %1: error %2").arg(i).arg(err)));
        }
    }

    void tinyStoriesGreedy()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const json ref = readJson(
            test::dataPath(QStringLiteral("reference/tinystories-656k.json")).toStdString());
        const auto prompt = idsOf(ref["greedy"]["prompt_ids_with_special_tokens"]);
        const auto expected = idsOf(ref["greedy"]["continuation_ids"]);
        Transformer tf(Model::load(
            test::dataPath(QStringLiteral("models/tinystories-656k")).toStdString()));
        QVERIFY(tf.model().lmHeadTied());

        KVCache cache = tf.newCache();
        std::vector<std::int32_t> generated;
        at::Tensor logits = tf.forwardLast(prompt, cache);
        while (generated.size() < expected.size()) {
            const auto next = static_cast<std::int32_t>(logits.argmax().item<std::int64_t>());
            generated.push_back(next);
            logits = tf.forwardLast({next}, cache);
        }
        QCOMPARE(generated, expected);
    }

    void loadErrors()
    {
        LATHE_REQUIRE_SHARED_DATA();
        // A bare .safetensors without config.json beside it.
        QTemporaryDir tmp;
        const std::string bare = tmp.filePath(QStringLiteral("model.safetensors")).toStdString();
        std::filesystem::copy_file(fixture(QStringLiteral("llama")) + "/model.safetensors", bare);
        try {
            Model::load(bare);
            QFAIL("loading without config.json should fail");
        } catch (const Error &e) {
            QVERIFY2(std::string(e.what()).find("config.json") != std::string::npos, e.what());
        }

        // A config that disagrees with the tensors: shape error naming tensor and file.
        const std::string dir = tmp.path().toStdString();
        json config = readJson(fixture(QStringLiteral("llama")) + "/config.json");
        config["intermediate_size"] = 128;
        std::ofstream(dir + "/config.json") << config.dump();
        try {
            Model::load(dir);
            QFAIL("a mismatching config should fail");
        } catch (const FormatError &e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("'model.layers.0.mlp.gate_proj.weight' has shape [160, 64] but "
                              "the config needs [128, 64]")
                         != std::string::npos,
                     e.what());
            QVERIFY2(msg.find(dir) != std::string::npos, e.what());
        }

        // One more layer than stored: the missing tensor is named.
        config = readJson(fixture(QStringLiteral("llama")) + "/config.json");
        config["num_hidden_layers"] = 4;
        std::ofstream(dir + "/config.json") << config.dump();
        try {
            Model::load(dir);
            QFAIL("a missing layer should fail");
        } catch (const FormatError &e) {
            QVERIFY2(std::string(e.what()).find("'model.layers.3.input_layernorm.weight'")
                         != std::string::npos,
                     e.what());
        }
    }

    void loadProgressAndCancel()
    {
        LATHE_REQUIRE_SHARED_DATA();
        int calls = 0;
        double last = 0;
        const auto progress = [&](double f, const std::string &) {
            ++calls;
            QVERIFY(f >= last);
            last = f;
        };
        auto model = Model::load(fixture(QStringLiteral("qwen3")), progress);
        QVERIFY(calls > 20);
        QCOMPARE(last, 1.0);
        QVERIFY(model->parameterCount() > 0);
        QCOMPARE(model->weightBytes(), static_cast<std::size_t>(model->parameterCount()) * 4);

        CancelToken cancel;
        cancel.cancel();
        QVERIFY_THROWS_EXCEPTION(CancelledError, Model::load(fixture(QStringLiteral("qwen3")), {},
                                                             cancel));
    }

    // Linear rope scaling: position p with factor 4 rotates like position p/4 unscaled.
    void ropeLinearScaling()
    {
        ModelConfig c;
        c.headDim = 8;
        c.ropeTheta = 10000.0;
        const Rope plain(c);
        c.ropeScaling.type = "linear";
        c.ropeScaling.factor = 4.0;
        const Rope scaled(c);
        std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8}, b = a;
        scaled.apply(a.data(), 1, 1, 12);
        plain.apply(b.data(), 1, 1, 3);
        for (std::size_t i = 0; i < a.size(); ++i)
            QVERIFY(std::abs(a[i] - b[i]) < 1e-5f);
        c.ropeScaling.type = "yarn";
        QVERIFY_THROWS_EXCEPTION(UnsupportedError, Rope{c});
    }

    // f32 safetensors weights are views of the mapped file, not copies.
    void zeroCopy()
    {
        LATHE_REQUIRE_SHARED_DATA();
        auto model = Model::load(fixture(QStringLiteral("llama")));
        const auto ckpt = model->checkpoint();
        const TensorView *view = ckpt->find("model.layers.1.mlp.up_proj.weight");
        QVERIFY(view);
        QCOMPARE(static_cast<const void *>(
                     model->weight("model.layers.1.mlp.up_proj.weight").data_ptr<float>()),
                 static_cast<const void *>(view->data));
        // Converted (bf16) weights are real f32 copies.
        auto bf16 = Model::load(fixture(QStringLiteral("llama-bf16")));
        QCOMPARE(bf16->weight("model.norm.weight").scalar_type(), at::kFloat);
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
