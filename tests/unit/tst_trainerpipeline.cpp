// SPDX-License-Identifier: GPL-3.0-or-later
// The whole `lathe-cli train` pipeline on a tiny generated corpus: the finished folder loads
// with the engine and holds the card, tokenizer and loss curve; the work folder is gone;
// bad output folders and a missing checkpoint are refused before anything is written; a
// cancelled run resumes to the same model.
#include "model/model.h"
#include "train/trainconfig.h"
#include "train/trainpipeline.h"
#include "util/error.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

using namespace lathe;

namespace {

TrainConfig tinyConfig()
{
    return parseTrainConfig(R"(
corpus: {seed: 3, chars: 30000}
tokenizer: {vocab_size: 400}
model: {hidden: 32, layers: 1, heads: 2, kv_heads: 1, ffn: 64, ctx: 32}
train: {steps: 6, batch: 2, ctx: 32, eval_every: 3, eval_batches: 1, checkpoint_every: 2,
        val_fraction: 0.1}
)",
        "tiny.yaml");
}

TrainRunOptions quickOptions()
{
    TrainRunOptions o;
    o.arithmeticProbes = 5;
    o.samplePrompts = { "Once upon a time" };
    o.command = "lathe-cli train --config tiny.yaml --out OUT";
    return o;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestTrainerPipeline : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void writesModelFolder();
    void cancelThenResume();
    void refusesBadOutput();
};

void TestTrainerPipeline::writesModelFolder()
{
    QTemporaryDir dir;
    const QString out = dir.filePath("model");
    const TrainRunReport r = runTraining(tinyConfig(), out.toStdString(), quickOptions());
    for (const char *f : { "config.json", "model.safetensors", "generation_config.json",
             "tokenizer.json", "tokenizer_config.json", "README.md", "training.json",
             "loss_curve.csv", "loss_curve.json" })
        QVERIFY2(QFile::exists(out + "/" + f), f);
    QVERIFY(!QDir(out + ".partial").exists());
    const auto model = Model::load(out.toStdString());
    QCOMPARE(model->config().vocabSize, 400);
    QCOMPARE(model->parameterCount(), r.parameters);
    QCOMPARE(model->config().eosTokenIds.size(), 2u); // </s> and <|end|>
    const auto gen = nlohmann::json::parse(readAll(out + "/generation_config.json").toStdString());
    QVERIFY(gen["eos_token_id"].is_array());
    QVERIFY(r.valPerplexity > 1 && r.valPerplexity < r.untrainedValPerplexity);
    const QString card = QString::fromUtf8(readAll(out + "/README.md"));
    QVERIFY(card.contains("lathe-cli train --config tiny.yaml --out OUT"));
    QVERIFY(card.contains("validation perplexity"));
    QVERIFY(card.contains("arithmetic accuracy"));
    QCOMPARE(r.training.steps, 6);
}

void TestTrainerPipeline::cancelThenResume()
{
    QTemporaryDir dir;
    const std::string out = dir.filePath("model").toStdString();
    const TrainRunReport whole
        = runTraining(tinyConfig(), dir.filePath("whole").toStdString(), quickOptions());

    CancelToken cancel;
    bool cancelled = false;
    try {
        runTraining(
            tinyConfig(), out, quickOptions(),
            [&](double, const std::string &m) {
                if (m.rfind("step 3/", 0) == 0)
                    cancel.cancel();
            },
            cancel);
    } catch (const CancelledError &) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QVERIFY(QFile::exists(QString::fromStdString(out) + ".partial/checkpoint.safetensors"));
    QVERIFY(!QDir(QString::fromStdString(out)).exists());
    TrainRunOptions resume = quickOptions();
    resume.resume = true;
    const TrainRunReport r = runTraining(tinyConfig(), out, resume);
    QCOMPARE(r.training.resumedFrom, 3);
    QCOMPARE(r.training.finalValLoss, whole.training.finalValLoss);
    QCOMPARE(readAll(QString::fromStdString(out) + "/model.safetensors"),
        readAll(dir.filePath("whole/model.safetensors")));
}

void TestTrainerPipeline::refusesBadOutput()
{
    QTemporaryDir dir;
    // A folder that is not a model folder is never replaced.
    QDir(dir.path()).mkdir("photos");
    QFile f(dir.filePath("photos/cat.jpg"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    QVERIFY_THROWS_EXCEPTION(
        InvalidArgument, checkTrainOutput(dir.filePath("photos").toStdString(), false));
    QVERIFY_THROWS_EXCEPTION(
        IoError, checkTrainOutput(dir.filePath("no/such/model").toStdString(), false));
    QVERIFY_THROWS_EXCEPTION(IoError, checkTrainOutput(dir.filePath("fresh").toStdString(), true));
    TrainRunOptions resume = quickOptions();
    resume.resume = true;
    QVERIFY_THROWS_EXCEPTION(
        IoError, runTraining(tinyConfig(), dir.filePath("fresh").toStdString(), resume));
    QVERIFY(!QDir(dir.filePath("fresh.partial")).exists());
    QVERIFY(QFile::exists(dir.filePath("photos/cat.jpg")));
}

QTEST_GUILESS_MAIN(TestTrainerPipeline)
#include "tst_trainerpipeline.moc"
