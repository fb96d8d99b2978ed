// SPDX-License-Identifier: GPL-3.0-or-later
// Activation statistics from the engine's forward hooks equal the same statistics computed
// directly from a second, independent forward pass (the trainer's autograd Llama) with hooks,
// on tinystories-656k and its calibration text; plus the bookkeeping (shared inputs,
// outlier counts, windows, JSON/CSV).
#include "analysis/activationstats.h"
#include "analysis/linearmodules.h"
#include "model/model.h"
#include "model/transformer.h"
#include "testdata.h"
#include "text/tokenizerloader.h"
#include "train/trainablellama.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <QFile>
#include <QtTest/QtTest>

#include <cmath>
#include <map>

using namespace lathe;

namespace {

// Keeps every observed tensor so the statistics can be computed in one go afterwards.
class RecordingObserver : public ForwardObserver {
public:
    std::map<std::pair<std::int64_t, LinearInput>, std::vector<at::Tensor>> inputs;
    std::map<std::int64_t, std::vector<at::Tensor>> outputs;

    void linearInput(std::int64_t layer, LinearInput input, const at::Tensor &x) override
    {
        inputs[{ layer, input }].push_back(x.clone());
    }
    void layerOutput(std::int64_t layer, const at::Tensor &x) override
    {
        outputs[layer].push_back(x.clone());
    }
};

std::string readText(const QString &relative)
{
    QFile file(lathe::test::dataPath(relative));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(relative));
    return file.readAll().toStdString();
}

bool near(double a, double b, double rel, double abs = 1e-6)
{
    return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)) + abs;
}

} // namespace

class TestActivationStats : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void equalsDirectForwardWithHooks()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string path = lathe::test::dataPath("models/tinystories-656k").toStdString();
        const auto model = Model::load(path);
        const auto tokenizer = loadTokenizer(path);
        const auto sequences = calibrationSequences(
            *tokenizer, readText("text/calibration-mixed.txt"), 3, 96);
        QCOMPARE(sequences.size(), std::size_t(3));
        for (const auto &s : sequences)
            QCOMPARE(s.size(), std::size_t(96));

        ActivationStatsOptions options;
        options.samples = 3;
        options.ctx = 96;
        options.outlierThreshold = 2.0; // low, so the count is not trivially zero
        int progressCalls = 0;
        const ActivationStats stats = computeActivationStats(Transformer(model), sequences,
            options, [&](double, const std::string &) { ++progressCalls; });
        QCOMPARE(progressCalls, 3);
        QCOMPARE(stats.tokens, std::int64_t(3 * 96));

        // The reference: the trainer's independent Llama, with the same weights and hooks.
        c10::InferenceMode guard;
        TrainableLlama reference(model->config());
        reference.loadWeights(model->weights());
        RecordingObserver hooks;
        for (const auto &s : sequences) {
            const at::Tensor ids
                = at::tensor(std::vector<std::int64_t>(s.begin(), s.end())).unsqueeze(0);
            reference.forward(ids, &hooks);
        }

        const auto modules = linearModules(model->config());
        QCOMPARE(stats.modules.size(), modules.size());
        int outliersSeen = 0;
        for (std::size_t i = 0; i < modules.size(); ++i) {
            const ModuleActivationStats &m = stats.modules[i];
            QCOMPARE(m.module, modules[i].name);
            QCOMPARE(m.tokens, std::int64_t(3 * 96));
            const at::Tensor x = at::cat(hooks.inputs.at({ modules[i].layer, modules[i].input }))
                                     .to(at::kDouble);
            const at::Tensor absmax = x.abs().amax(0);
            const at::Tensor meanSquare = x.square().mean(0);
            QCOMPARE(std::int64_t(m.channelAbsmax.size()), x.size(1));
            int outliers = 0;
            for (std::int64_t c = 0; c < x.size(1); ++c) {
                const double refAbsmax = absmax[c].item<double>();
                const double refMs = meanSquare[c].item<double>();
                QVERIFY2(near(m.channelAbsmax[std::size_t(c)], refAbsmax, 1e-4),
                    qPrintable(QString("%1 ch %2: %3 vs %4").arg(m.module.c_str()).arg(c)
                                   .arg(m.channelAbsmax[std::size_t(c)]).arg(refAbsmax)));
                QVERIFY2(near(m.channelMeanSquare[std::size_t(c)], refMs, 1e-4),
                    qPrintable(QString("%1 ch %2").arg(m.module.c_str()).arg(c)));
                outliers += refAbsmax > 2.0 ? 1 : 0;
            }
            QVERIFY(std::abs(m.outlierFeatures - outliers) <= 1); // a channel right at 2.0
            QVERIFY(near(m.absmax, absmax.max().item<double>(), 1e-4));
            outliersSeen += m.outlierFeatures;
        }
        QVERIFY(outliersSeen > 0);

        QCOMPARE(stats.layers.size(), std::size_t(model->config().numLayers));
        for (const LayerHiddenStats &l : stats.layers) {
            const at::Tensor norms
                = at::cat(hooks.outputs.at(l.layer)).to(at::kDouble).square().sum(1).sqrt();
            QCOMPARE(std::int64_t(l.tokenNorms.size()), norms.size(0));
            for (std::int64_t t = 0; t < norms.size(0); ++t)
                QVERIFY(near(l.tokenNorms[std::size_t(t)], norms[t].item<double>(), 1e-4));
            QVERIFY(near(l.maxNorm, norms.max().item<double>(), 1e-4));
            QVERIFY(near(l.meanNorm, norms.mean().item<double>(), 1e-4));
        }
    }

    void sharedInputsAndExports()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string path = lathe::test::dataPath("models/tinystories-656k").toStdString();
        const auto model = Model::load(path);
        const auto tokenizer = loadTokenizer(path);
        const std::string text = readText("text/calibration-mixed.txt");
        // Fewer windows than asked when the text runs out; BOS first.
        const auto few = calibrationSequences(*tokenizer, text.substr(0, 600), 50, 32);
        QVERIFY(!few.empty() && few.size() < 50);
        QCOMPARE(few[0][0], tokenizer->bosId());
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, calibrationSequences(*tokenizer, "too short", 1, 64));

        const ActivationStats stats
            = computeActivationStats(Transformer(model), calibrationSequences(*tokenizer, text, 2, 32));
        const auto *q = stats.find("model.layers.1.self_attn.q_proj");
        const auto *v = stats.find("model.layers.1.self_attn.v_proj");
        const auto *down = stats.find("model.layers.1.mlp.down_proj");
        QVERIFY(q && v && down && !stats.find("model.layers.9.mlp.down_proj"));
        QCOMPARE(q->channelMeanSquare, v->channelMeanSquare); // same input
        QCOMPARE(std::int64_t(down->channelAbsmax.size()), model->config().intermediateSize);

        const auto json = activationStatsToJson(stats);
        QCOMPARE(json["modules"].size(), stats.modules.size());
        QCOMPARE(json["modules"][0]["name"].get<std::string>(), stats.modules[0].module);
        QVERIFY(json["modules"][0].contains("channel_mean_square"));
        QVERIFY(!activationStatsToJson(stats, false)["modules"][0].contains("channel_absmax"));
        const std::string csv = activationStatsCsv(stats);
        QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), long(stats.modules.size() + 1));

        CancelToken cancel;
        cancel.cancel();
        QVERIFY_THROWS_EXCEPTION(CancelledError,
            computeActivationStats(Transformer(model), few, {}, {}, cancel));
    }
};

QTEST_GUILESS_MAIN(TestActivationStats)
#include "tst_activationstats.moc"
