// SPDX-License-Identifier: GPL-3.0-or-later
// The trainer's pieces: the training forward pass equals the inference engine's logits, the
// loss falls on a tiny repetitive corpus, AdamW matches a hand-computed update, the learning
// rate schedule, and config errors that name the key.
#include "model/model.h"
#include "model/transformer.h"
#include "train/adamw.h"
#include "train/hfexport.h"
#include "train/lrschedule.h"
#include "train/trainablellama.h"
#include "train/trainconfig.h"
#include "train/trainer.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>

using namespace lathe;

namespace {

ModelConfig tinyConfig(bool tied)
{
    ModelShape s;
    s.hidden = 64;
    s.layers = 2;
    s.heads = 4;
    s.kvHeads = 2;
    s.ffn = 96;
    s.ctx = 32;
    s.ropeTheta = 5000.0;
    s.tieEmbeddings = tied;
    return modelConfigFor(s, 50, 0, { 1, 5 });
}

// Weights far from the N(0, 0.02) init so the logits are large and a mismatch shows.
void randomize(TrainableLlama &model, std::uint64_t seed)
{
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    std::map<std::string, at::Tensor> w;
    for (std::size_t i = 0; i < model.names().size(); ++i) {
        const at::Tensor &p = model.parameters()[i];
        at::Tensor t = at::empty(p.sizes(), at::kFloat);
        if (p.dim() == 1)
            t.uniform_(0.5, 1.5, gen);
        else
            t.normal_(0.0, 0.15, gen);
        w[model.names()[i]] = t;
    }
    model.loadWeights(w);
}

std::vector<std::int32_t> someIds(std::int64_t n, std::int64_t vocab)
{
    std::vector<std::int32_t> ids;
    for (std::int64_t i = 0; i < n; ++i)
        ids.push_back(static_cast<std::int32_t>((i * 7 + 3) % vocab));
    return ids;
}

double maxAbsDiff(const at::Tensor &a, const at::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

} // namespace

class TestTrainer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void forwardMatchesEngine_data();
    void forwardMatchesEngine();
    void exportedFolderMatchesEngine();
    void lossFallsOnRepetitiveText();
    void windowsStartAtDocuments();
    void adamwOneStep();
    void gradientClipping();
    void schedule();
    void configParses();
    void badConfigs_data();
    void badConfigs();
};

void TestTrainer::forwardMatchesEngine_data()
{
    QTest::addColumn<bool>("tied");
    QTest::newRow("tied") << true;
    QTest::newRow("untied") << false;
}

void TestTrainer::forwardMatchesEngine()
{
    QFETCH(bool, tied);
    TrainableLlama model(tinyConfig(tied));
    randomize(model, 7);
    const auto ids = someIds(32, 50);
    at::Tensor batch = at::empty({ 2, 32 }, at::kLong);
    for (int i = 0; i < 32; ++i) {
        batch[0][i] = ids[static_cast<std::size_t>(i)];
        batch[1][i] = ids[static_cast<std::size_t>(31 - i)];
    }
    at::Tensor trained;
    {
        at::NoGradGuard noGrad;
        trained = model.forward(batch);
    }
    const auto engineModel = Model::fromWeights(model.config(), model.weights());
    const Transformer engine(engineModel);
    const at::Tensor logits = engine.logits(ids);
    QCOMPARE(logits.sizes(), trained[0].sizes());
    QVERIFY(logits.abs().max().item<double>() > 1.0); // not a trivially small comparison
    QVERIFY2(maxAbsDiff(logits, trained[0]) < 1e-4,
        qPrintable(QString::number(maxAbsDiff(logits, trained[0]))));
    std::vector<std::int32_t> reversed(ids.rbegin(), ids.rend());
    QVERIFY(maxAbsDiff(engine.logits(reversed), trained[1]) < 1e-4);
    // A prefix gives the prefix's logits (causal mask).
    std::vector<std::int32_t> prefix(ids.begin(), ids.begin() + 5);
    QVERIFY(maxAbsDiff(engine.logits(prefix), trained[0].narrow(0, 0, 5)) < 1e-4);
}

void TestTrainer::exportedFolderMatchesEngine()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    TrainableLlama model(tinyConfig(true));
    randomize(model, 11);
    writeHfModel(model, dir.path().toStdString(), 0, { 1, 5 });
    const auto loaded = Model::load(dir.path().toStdString());
    QCOMPARE(loaded->config().numKvHeads, 2);
    QCOMPARE(loaded->config().ropeTheta, 5000.0);
    QVERIFY(loaded->config().tieWordEmbeddings);
    QCOMPARE(loaded->config().eosTokenIds, (std::vector<std::int64_t> { 1, 5 }));
    QCOMPARE(loaded->config().bosTokenId(), 0);
    QCOMPARE(loaded->parameterCount(), model.parameterCount());
    const auto ids = someIds(20, 50);
    at::Tensor batch = at::empty({ 1, 20 }, at::kLong);
    for (int i = 0; i < 20; ++i)
        batch[0][i] = ids[static_cast<std::size_t>(i)];
    at::NoGradGuard noGrad;
    QVERIFY(maxAbsDiff(Transformer(loaded).logits(ids), model.forward(batch)[0]) < 1e-4);
}

void TestTrainer::windowsStartAtDocuments()
{
    // Documents "BOS x x ... EOS" of lengths 5..14; BOS is 0, EOS 1, body tokens 2..
    TokenSplit data;
    for (int d = 0; d < 40; ++d) {
        data.trainDocumentStarts.push_back(data.train.size());
        data.train.push_back(0);
        for (int i = 0; i < 3 + d % 10; ++i)
            data.train.push_back(2 + i);
        data.train.push_back(1);
    }
    const std::int64_t ctx = 16, windows = 4;
    for (std::int64_t step = 0; step < 50; ++step) {
        const at::Tensor b = trainingBatch(data, 3, step, windows, ctx);
        QCOMPARE(b.size(0), windows);
        QCOMPARE(b.size(1), ctx + 1);
        QVERIFY(b.equal(trainingBatch(data, 3, step, windows, ctx))); // (seed, step) decide
        for (std::int64_t w = 0; w < windows; ++w)
            QCOMPARE(b[w][0].item<std::int64_t>(), std::int64_t(0)); // every window opens a document
    }

    // Without document starts, windows begin anywhere (some not at a BOS), all within the data.
    data.trainDocumentStarts.clear();
    bool sawMiddle = false;
    for (std::int64_t step = 0; step < 50; ++step) {
        const at::Tensor b = trainingBatch(data, 3, step, windows, ctx);
        sawMiddle = sawMiddle || b.select(1, 0).ne(0).any().item<bool>();
    }
    QVERIFY(sawMiddle);
    // The last document start that leaves no room for a window is never used.
    TokenSplit tail;
    tail.train = { 0, 5, 5, 5, 1, 0, 7, 1 };
    tail.trainDocumentStarts = { 0, 5 };
    for (std::int64_t step = 0; step < 20; ++step)
        QCOMPARE(trainingBatch(tail, 1, step, 2, 4)[1][1].item<std::int64_t>(), std::int64_t(5));
}

void TestTrainer::lossFallsOnRepetitiveText()
{
    TrainableLlama model(tinyConfig(true));
    TokenSplit data;
    for (int i = 0; i < 400; ++i)
        data.train.push_back(2 + (i % 10));
    data.val = std::vector<std::int32_t>(data.train.begin(), data.train.begin() + 100);
    TrainOptions o;
    o.steps = 40;
    o.batch = 4;
    o.ctx = 16;
    o.lr = 1e-2;
    o.minLr = 1e-3;
    o.warmup = 5;
    o.evalEvery = 10;
    o.evalBatches = 2;
    o.checkpointEvery = 0;
    Trainer trainer(model, o, "");
    int calls = 0;
    std::string lastMessage;
    const TrainResult r = trainer.train(data, false, 0, [&](double, const std::string &m) {
        ++calls;
        lastMessage = m;
    });
    QCOMPARE(r.steps, 40);
    QCOMPARE(static_cast<int>(r.curve.size()), 40);
    QCOMPARE(calls, 40);
    QVERIFY(lastMessage.find("loss") != std::string::npos);
    QVERIFY(lastMessage.find("tok/s") != std::string::npos);
    const double first = r.curve.front().trainLoss, last = r.curve.back().trainLoss;
    QVERIFY2(first > 3.0, qPrintable(QString::number(first))); // ~ln(50) at the start
    QVERIFY2(last < 0.5, qPrintable(QString::number(last)));
    QVERIFY(r.finalValLoss < 0.5);
    QVERIFY(r.curve[9].valLoss >= 0);
    QVERIFY(r.curve[8].valLoss < 0);
    QVERIFY(r.tokensPerSecond > 0);
}

void TestTrainer::adamwOneStep()
{
    at::Tensor w = at::tensor({ 1.0f, -2.0f }).set_requires_grad(true);
    at::Tensor n = at::tensor({ 0.5f }).set_requires_grad(true);
    w.mutable_grad() = at::tensor({ 0.5f, 0.1f });
    n.mutable_grad() = at::tensor({ -0.2f });
    AdamWOptions o;
    o.beta1 = 0.9;
    o.beta2 = 0.999;
    o.eps = 1e-8;
    o.weightDecay = 0.1;
    AdamW adam({ w, n }, { true, false }, o);
    const double lr = 0.1;
    adam.step(lr);
    // First step: m/(1-b1) = g and v/(1-b2) = g^2, so the Adam step is lr * g / (|g| + eps).
    const auto expected = [&](double w0, double g, bool decay) {
        const double decayed = decay ? w0 * (1 - lr * o.weightDecay) : w0;
        return decayed - lr * g / (std::abs(g) + o.eps);
    };
    QVERIFY(std::abs(w[0].item<double>() - expected(1.0, 0.5, true)) < 1e-6);
    QVERIFY(std::abs(w[1].item<double>() - expected(-2.0, 0.1, true)) < 1e-6);
    QVERIFY(std::abs(n[0].item<double>() - expected(0.5, -0.2, false)) < 1e-6);
    QVERIFY(std::abs(adam.firstMoments()[0][0].item<double>() - 0.05) < 1e-7);
    QVERIFY(std::abs(adam.secondMoments()[0][0].item<double>() - 0.00025) < 1e-9);

    // Second step with the same gradient, from the formula in adamw.h.
    const double m = 0.9 * 0.05 + 0.1 * 0.5, v = 0.999 * 0.00025 + 0.001 * 0.25;
    const double mHat = m / (1 - 0.81), vHat = v / (1 - 0.999 * 0.999);
    const double before = w[0].item<double>();
    adam.step(lr);
    const double want = before * (1 - lr * o.weightDecay) - lr * mHat / (std::sqrt(vHat) + o.eps);
    QVERIFY(std::abs(w[0].item<double>() - want) < 1e-6);
    QCOMPARE(adam.stepCount(), 2);
}

void TestTrainer::gradientClipping()
{
    at::Tensor a = at::zeros({ 2 }).set_requires_grad(true);
    at::Tensor b = at::zeros({ 1 }).set_requires_grad(true);
    a.mutable_grad() = at::tensor({ 3.0f, 0.0f });
    b.mutable_grad() = at::tensor({ 4.0f });
    QVERIFY(std::abs(clipGradientNorm({ a, b }, 10.0) - 5.0) < 1e-6);
    QCOMPARE(b.grad()[0].item<float>(), 4.0f); // below the limit: unchanged
    QVERIFY(std::abs(clipGradientNorm({ a, b }, 1.0) - 5.0) < 1e-6);
    QVERIFY(std::abs(a.grad()[0].item<double>() - 0.6) < 1e-5);
    QVERIFY(std::abs(b.grad()[0].item<double>() - 0.8) < 1e-5);
}

void TestTrainer::schedule()
{
    const LrSchedule s { 1.0, 0.1, 10, 101 };
    QVERIFY(std::abs(s.at(0) - 0.1) < 1e-12); // warmup: peak * 1/10
    QVERIFY(std::abs(s.at(4) - 0.5) < 1e-12);
    QVERIFY(std::abs(s.at(9) - 1.0) < 1e-12); // end of warmup: peak
    QVERIFY(std::abs(s.at(10) - 1.0) < 1e-12); // peak, then decay
    QVERIFY(std::abs(s.at(55) - 0.55) < 1e-12); // half way: (peak + floor) / 2
    QVERIFY(std::abs(s.at(100) - 0.1) < 1e-12); // last step: floor
    QVERIFY(std::abs(s.at(500) - 0.1) < 1e-12);
    for (int i = 10; i < 100; ++i)
        QVERIFY(s.at(i + 1) <= s.at(i));
    const LrSchedule noWarmup { 2.0, 0.0, 0, 11 };
    QVERIFY(std::abs(noWarmup.at(0) - 2.0) < 1e-12);
    QVERIFY(std::abs(noWarmup.at(10)) < 1e-12);
}

void TestTrainer::configParses()
{
    const TrainConfig c = parseTrainConfig(R"(
corpus: {seed: 3, chars: 2e5, arithmetic_share: 0.1, chat_share: 0.1}
tokenizer: {vocab_size: 1024}
model: {hidden: 96, layers: 3, heads: 3, kv_heads: 1, ffn: 256, ctx: 128, rope_theta: 500,
        tie_embeddings: false}
train: {steps: 10, batch: 2, ctx: 64, lr: 0.001, min_lr: 0.0001, warmup: 2, seed: 9}
)",
        "test.yaml");
    QCOMPARE(c.corpus.seed, 3u);
    QCOMPARE(c.corpus.chars, 200000u);
    QCOMPARE(c.tokenizer.vocabSize, 1024);
    QCOMPARE(c.model.kvHeads, 1);
    QCOMPARE(c.model.ropeTheta, 500.0);
    QVERIFY(!c.model.tieEmbeddings);
    QCOMPARE(c.train.ctx, 64);
    QCOMPARE(c.train.seed, 9u);
    // JSON is YAML too; data and a tokenizer path instead.
    const TrainConfig j = parseTrainConfig(
        R"({"data": "text.txt", "tokenizer": "tok", "model": {"hidden": 64, "heads": 2},
            "train": {"steps": 5}})",
        "test.json", "/base");
    QVERIFY(!j.corpus.generated);
    QCOMPARE(j.corpus.dataPath, std::string("/base/text.txt"));
    QCOMPARE(j.tokenizer.path, std::string("/base/tok"));
    QCOMPARE(j.model.kvHeads, 2); // defaults to heads
    QCOMPARE(j.train.ctx, j.model.ctx);
}

void TestTrainer::badConfigs_data()
{
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("key");
    const QString ok = "tokenizer: {vocab_size: 512}\nmodel: {hidden: 64, heads: 2}\n";
    QTest::newRow("no corpus") << ok + "train: {steps: 5}"
                               << "corpus";
    QTest::newRow("unknown top key") << "corpus: {seed: 1}\nmodle: {}\n" + ok << "modle";
    QTest::newRow("unknown train key") << "corpus: {seed: 1}\n" + ok + "train: {steps: 5, lrr: 0.1}"
                                       << "train.lrr";
    QTest::newRow("negative lr") << "corpus: {seed: 1}\n" + ok + "train: {lr: -1}"
                                 << "train.lr";
    QTest::newRow("text lr") << "corpus: {seed: 1}\n" + ok + "train: {lr: fast}"
                             << "train.lr";
    QTest::newRow("fractional steps") << "corpus: {seed: 1}\n" + ok + "train: {steps: 2.5}"
                                      << "train.steps";
    QTest::newRow("heads")
        << "corpus: {seed: 1}\ntokenizer: {vocab_size: 512}\nmodel: {hidden: 64, heads: 3}\n"
        << "model.heads";
    QTest::newRow("kv heads") << "corpus: {seed: 1}\ntokenizer: {vocab_size: 512}\n"
                                 "model: {hidden: 64, heads: 4, kv_heads: 3}\n"
                              << "model.kv_heads";
    QTest::newRow("ctx") << "corpus: {seed: 1}\n" + ok + "train: {ctx: 4096}"
                         << "train.ctx";
    QTest::newRow("vocab") << "corpus: {seed: 1}\ntokenizer: {vocab_size: 10}\n"
                           << "tokenizer.vocab_size";
    QTest::newRow("both texts") << "corpus: {seed: 1}\ndata: a.txt\n" + ok << "data";
    QTest::newRow("shares") << "corpus: {arithmetic_share: 0.7, chat_share: 0.7}\n" + ok
                            << "corpus.chat_share";
    QTest::newRow("warmup") << "corpus: {seed: 1}\n" + ok + "train: {steps: 5, warmup: 10}"
                            << "train.warmup";
    QTest::newRow("val fraction") << "corpus: {seed: 1}\n" + ok + "train: {val_fraction: 0}"
                                  << "train.val_fraction";
    QTest::newRow("section not a map") << "corpus: {seed: 1}\nmodel: 5\n"
                                       << "model";
}

void TestTrainer::badConfigs()
{
    QFETCH(QString, yaml);
    QFETCH(QString, key);
    try {
        parseTrainConfig(yaml.toStdString(), "bad.yaml");
        QFAIL("no error");
    } catch (const InvalidArgument &e) {
        const std::string message = e.what();
        QVERIFY2(
            message.find("bad.yaml: " + key.toStdString() + ":") != std::string::npos, e.what());
    }
}

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
