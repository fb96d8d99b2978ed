// SPDX-License-Identifier: GPL-3.0-or-later
// Trainer checkpoints: resuming from a periodic checkpoint or from the one a cancel leaves
// gives exactly the weights of an uninterrupted run; the loss curve files.
#include "train/trainablellama.h"
#include "train/trainconfig.h"
#include "train/trainer.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <filesystem>
#include <nlohmann/json.hpp>

using namespace lathe;

namespace {

ModelConfig tinyConfig()
{
    ModelShape s;
    s.hidden = 32;
    s.layers = 2;
    s.heads = 2;
    s.kvHeads = 1;
    s.ffn = 64;
    s.ctx = 16;
    return modelConfigFor(s, 40, 0, { 1 });
}

TokenSplit tinyData()
{
    TokenSplit d;
    for (int i = 0; i < 600; ++i)
        d.train.push_back(static_cast<std::int32_t>(2 + (i * i + 3 * i) % 37));
    for (int i = 0; i < 80; ++i)
        d.val.push_back(static_cast<std::int32_t>(2 + (i * 5) % 37));
    return d;
}

TrainOptions tinyOptions()
{
    TrainOptions o;
    o.steps = 12;
    o.batch = 3;
    o.ctx = 16;
    o.lr = 5e-3;
    o.minLr = 5e-4;
    o.warmup = 3;
    o.evalEvery = 4;
    o.evalBatches = 1;
    o.checkpointEvery = 5;
    o.seed = 42;
    return o;
}

bool sameWeights(const TrainableLlama &a, const TrainableLlama &b)
{
    for (std::size_t i = 0; i < a.parameters().size(); ++i)
        if (!at::equal(a.parameters()[i], b.parameters()[i]))
            return false;
    return true;
}

} // namespace

class TestTrainerCheckpoint : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void resumeFromPeriodicCheckpoint();
    void cancelLeavesResumableCheckpoint();
    void resumeRefusesOtherConfig();
    void lossCurveFiles();
};

void TestTrainerCheckpoint::resumeFromPeriodicCheckpoint()
{
    QTemporaryDir dir;
    const std::string ckpt = dir.filePath("ckpt.safetensors").toStdString();
    const std::string copy = dir.filePath("step5.safetensors").toStdString();
    const TokenSplit data = tinyData();

    TrainableLlama full(tinyConfig());
    Trainer fullTrainer(full, tinyOptions(), ckpt, "cfg");
    const TrainResult whole = fullTrainer.train(data, false, 0, [&](double, const std::string &m) {
        if (m.rfind("step 5/", 0) == 0) // the step-5 checkpoint has just been written
            std::filesystem::copy_file(ckpt, copy);
    });
    QVERIFY(QFile::exists(QString::fromStdString(copy)));
    QVERIFY(QFile::exists(dir.filePath("ckpt.json")));

    TrainableLlama resumed(tinyConfig());
    Trainer resumedTrainer(resumed, tinyOptions(), copy, "cfg");
    const TrainResult rest = resumedTrainer.train(data, true);
    QCOMPARE(rest.resumedFrom, 5);
    QCOMPARE(rest.steps, 12);
    QVERIFY(sameWeights(full, resumed));
    QCOMPARE(rest.curve.size(), whole.curve.size());
    QCOMPARE(rest.curve[2].trainLoss, whole.curve[2].trainLoss); // history kept
    QCOMPARE(rest.curve.back().trainLoss, whole.curve.back().trainLoss);
    QCOMPARE(rest.finalValLoss, whole.finalValLoss);
}

void TestTrainerCheckpoint::cancelLeavesResumableCheckpoint()
{
    QTemporaryDir dir;
    const std::string ckpt = dir.filePath("ckpt.safetensors").toStdString();
    const TokenSplit data = tinyData();
    TrainOptions o = tinyOptions();
    o.checkpointEvery = 0; // only the cancel writes one

    TrainableLlama full(tinyConfig());
    Trainer(full, o, "", "cfg").train(data, false);

    TrainableLlama interrupted(tinyConfig());
    CancelToken cancel;
    bool cancelled = false;
    try {
        Trainer(interrupted, o, ckpt, "cfg")
            .train(
                data, false, 0,
                [&](double, const std::string &m) {
                    if (m.rfind("step 7/", 0) == 0)
                        cancel.cancel();
                },
                cancel);
    } catch (const CancelledError &) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QVERIFY(QFile::exists(QString::fromStdString(ckpt)));
    QFile summary(dir.filePath("ckpt.json"));
    QVERIFY(summary.open(QIODevice::ReadOnly));
    QCOMPARE(nlohmann::json::parse(summary.readAll().toStdString())["step"].get<int>(), 7);

    TrainableLlama resumed(tinyConfig());
    const TrainResult r = Trainer(resumed, o, ckpt, "cfg").train(data, true);
    QCOMPARE(r.resumedFrom, 7);
    QVERIFY(sameWeights(full, resumed));
}

void TestTrainerCheckpoint::resumeRefusesOtherConfig()
{
    QTemporaryDir dir;
    const std::string ckpt = dir.filePath("ckpt.safetensors").toStdString();
    TrainOptions o = tinyOptions();
    o.steps = 2;
    TrainableLlama model(tinyConfig());
    Trainer(model, o, ckpt, "config A").train(tinyData(), false);
    QVERIFY_THROWS_EXCEPTION(
        InvalidArgument, Trainer(model, o, ckpt, "config B").train(tinyData(), true));
    QVERIFY_THROWS_EXCEPTION(IoError,
        Trainer(model, o, dir.filePath("none.safetensors").toStdString()).train(tinyData(), true));
}

void TestTrainerCheckpoint::lossCurveFiles()
{
    QTemporaryDir dir;
    TrainOptions o = tinyOptions();
    o.steps = 4;
    o.evalEvery = 2;
    TrainableLlama model(tinyConfig());
    const TrainResult r = Trainer(model, o, "").train(tinyData(), false);
    const QString csv = dir.filePath("curve.csv"), json = dir.filePath("curve.json");
    Trainer::writeLossCurve(r.curve, csv.toStdString(), json.toStdString());
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(c.readAll()).trimmed().split('\n');
    QCOMPARE(lines.size(), 5);
    QCOMPARE(lines[0], QString("step,lr,train_loss,val_loss,tokens_per_s,seconds"));
    QCOMPARE(lines[1].split(',').size(), 6);
    QVERIFY(lines[1].split(',')[3].isEmpty()); // no validation at step 1
    QVERIFY(!lines[2].split(',')[3].isEmpty());
    QFile j(json);
    QVERIFY(j.open(QIODevice::ReadOnly));
    const auto parsed = nlohmann::json::parse(j.readAll().toStdString());
    QCOMPARE(parsed["points"].size(), 4u);
    QVERIFY(parsed["points"][0]["val_loss"].is_null());
    QVERIFY(parsed["points"][1]["val_loss"].is_number());
}

QTEST_GUILESS_MAIN(TestTrainerCheckpoint)
#include "tst_trainercheckpoint.moc"
