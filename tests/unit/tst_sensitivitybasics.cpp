// SPDX-License-Identifier: GPL-3.0-or-later
// Sensitivity analysis on a tiny random Llama built in memory: a module whose weights already
// lie on the 8-bit grid costs nothing (KL 0, same perplexity), the proxy is the
// importance-weighted error relative to the output (summed per block), progress, cancel, refused
// architectures, the JSON/CSV export, and Spearman's rho against values worked by hand.
#include "analysis/activationstats.h"
#include "analysis/linearmodules.h"
#include "analysis/sensitivity.h"
#include "model/model.h"
#include "model/modelspec.h"
#include "quant/rtn.h"
#include "util/error.h"

#include "tinymodel.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>

using namespace lathe;

namespace {

const std::string kOnGrid = "model.layers.0.self_attn.q_proj";

ModelConfig tinyConfig()
{
    return test::tinyLlamaConfig();
}

std::map<std::string, at::Tensor> randomWeights(const ModelConfig &c)
{
    return test::tinyRandomWeights(c, 7);
}

// The tiny model with layer 0's q_proj replaced by integer codes -127..127 times a per-row
// scale, each row reaching +-127: 8-bit symmetric per-channel quantization leaves it unchanged.
std::shared_ptr<const Model> tinyModel()
{
    const ModelConfig c = tinyConfig();
    auto weights = randomWeights(c);
    at::Tensor &q = weights.at(kOnGrid + ".weight");
    at::Tensor codes = at::randint(-127, 128, q.sizes(), at::kLong).to(at::kFloat);
    codes.select(1, 3).fill_(127);
    codes.select(1, 9).fill_(-127);
    q = codes * (0.002 * (1 + at::rand({ q.size(0), 1 })));
    return Model::fromWeights(c, weights);
}

std::vector<std::vector<std::int32_t>> sequences()
{
    std::vector<std::vector<std::int32_t>> s;
    for (int k = 0; k < 3; ++k) {
        std::vector<std::int32_t> ids;
        for (int i = 0; i < 16; ++i)
            ids.push_back((i * 7 + k * 13 + i * i) % 50);
        s.push_back(ids);
    }
    s.push_back({ 5 }); // predicts nothing: ignored
    return s;
}

SensitivityOptions options(int bits, int group)
{
    SensitivityOptions o;
    o.format.bits = bits;
    o.format.groupSize = group;
    o.format.symmetric = true;
    return o;
}

} // namespace

class TestSensitivityBasics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void onGridModuleCostsNothing()
    {
        const auto model = tinyModel();
        const SensitivityResult r = computeSensitivity(model, sequences(), options(8, 0));
        QCOMPARE(r.scoredTokens, std::int64_t(3 * 15));
        QVERIFY(std::isfinite(r.basePerplexity) && r.basePerplexity > 1.0);
        QCOMPARE(r.modules.size(), std::size_t(14));
        QCOMPARE(r.blocks.size(), std::size_t(2));
        for (const SensitivityEntry &e : r.modules) {
            QVERIFY(std::isnan(e.proxy)); // no activation statistics
            if (e.name == kOnGrid) {
                QVERIFY2(std::abs(e.meanKl) < 1e-9, qPrintable(QString::number(e.meanKl)));
                QVERIFY2(std::abs(e.deltaPerplexity) < 1e-9 * r.basePerplexity,
                    qPrintable(QString::number(e.deltaPerplexity)));
            } else {
                // Off the grid: a small but real change.
                QVERIFY2(e.meanKl > 1e-9, qPrintable(QString::fromStdString(e.name)));
            }
        }
        QCOMPARE(r.modules[0].name, kOnGrid);
        QCOMPARE(r.modules[0].kind, std::string("q_proj"));
        QCOMPARE(r.blocks[1].name, std::string("model.layers.1"));
        QCOMPARE(r.blocks[1].kind, std::string("block"));
        QCOMPARE(r.blocks[1].layer, std::int64_t(1));
    }

    void damageGrowsAsBitsFall()
    {
        const auto model = tinyModel();
        const auto seqs = sequences();
        SensitivityOptions o = options(8, 32);
        o.blocks = false;
        std::vector<SensitivityResult> results;
        for (int bits : { 8, 4, 2 }) {
            o.format.bits = bits;
            results.push_back(computeSensitivity(model, seqs, o));
        }
        for (std::size_t i = 0; i < results[0].modules.size(); ++i) {
            QVERIFY(results[0].modules[i].meanKl < results[1].modules[i].meanKl);
            QVERIFY(results[1].modules[i].meanKl < results[2].modules[i].meanKl);
        }
    }

    void proxyIsImportanceWeightedError()
    {
        const auto model = tinyModel();
        ActivationStats stats;
        for (const LinearModule &m : linearModules(model->config())) {
            if (m.kind == "down_proj" && m.layer == 1)
                continue; // missing: NaN for it and its block
            ModuleActivationStats s;
            s.module = m.name;
            s.kind = m.kind;
            s.layer = m.layer;
            const std::int64_t cols = model->weight(m.weight).size(1);
            for (std::int64_t j = 0; j < cols; ++j)
                s.channelMeanSquare.push_back(0.5 + double(j % 5));
            stats.modules.push_back(s);
        }
        const SensitivityOptions o = options(4, 32);
        const SensitivityResult r = computeSensitivity(model, sequences(), o, &stats);
        double block0 = 0.0;
        for (std::size_t i = 0; i < r.modules.size(); ++i) {
            const SensitivityEntry &e = r.modules[i];
            if (e.kind == "down_proj" && e.layer == 1) {
                QVERIFY(std::isnan(e.proxy));
                continue;
            }
            // Relative: the weighted error over the same weighting of the weight itself.
            const at::Tensor w = model->weight(e.name + ".weight");
            const auto &imp = stats.modules[i].channelMeanSquare;
            double signal = 0.0;
            for (std::int64_t j = 0; j < w.size(1); ++j)
                signal += imp[std::size_t(j)] * w.select(1, j).square().sum().item<double>();
            signal /= double(w.size(0));
            const double expected = importanceWeightedError(w, o.format, imp) / signal;
            QVERIFY2(std::abs(e.proxy - expected) <= 1e-6 * expected,
                qPrintable(QString("%1 vs %2").arg(e.proxy).arg(expected)));
            QVERIFY(e.proxy > 0.0);
            if (e.layer == 0)
                block0 += e.proxy;
        }
        QVERIFY(std::abs(r.blocks[0].proxy - block0) <= 1e-12 * block0);
        QVERIFY(std::isnan(r.blocks[1].proxy));
        // The block compresses all seven modules at once: more damage than any one of them.
        for (const SensitivityEntry &e : r.modules)
            if (e.layer == 0)
                QVERIFY(r.blocks[0].meanKl > e.meanKl);
    }

    void progressAndCancel()
    {
        const auto model = tinyModel();
        std::vector<std::pair<double, std::string>> reports;
        SensitivityOptions o = options(4, 0);
        o.modules = false;
        const SensitivityResult r = computeSensitivity(model, sequences(), o, nullptr,
            [&](double f, const std::string &m) { reports.emplace_back(f, m); });
        QVERIFY(r.modules.empty());
        QCOMPARE(r.blocks.size(), std::size_t(2));
        QVERIFY(reports.size() >= 3);
        QCOMPARE(reports.back().first, 1.0);
        bool named = false;
        for (std::size_t i = 0; i < reports.size(); ++i) {
            QVERIFY(i == 0 || reports[i].first >= reports[i - 1].first);
            named = named || reports[i].second == "layer 1 block (2/2)";
        }
        QVERIFY(named);

        CancelToken cancel;
        int calls = 0;
        o.modules = true;
        QVERIFY_THROWS_EXCEPTION(CancelledError,
            computeSensitivity(
                model, sequences(), o, nullptr,
                [&](double, const std::string &m) {
                    if (++calls == 4) {
                        QCOMPARE(m, std::string("layer 0 v_proj (3/16)"));
                        cancel.cancel();
                    }
                },
                cancel));
        QCOMPARE(calls, 4);
    }

    void refusedInputs()
    {
        const auto model = tinyModel();
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, computeSensitivity(model, sequences(), options(1, 0)));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, computeSensitivity(model, { { 3 }, {} }, options(4, 0)));

        ModelConfig g;
        g.arch = Architecture::Gpt2;
        g.modelType = "gpt2";
        g.hiddenSize = 32;
        g.intermediateSize = 128;
        g.numLayers = 1;
        g.numHeads = 2;
        g.numKvHeads = 2;
        g.headDim = 16;
        g.vocabSize = 40;
        g.maxPositions = 32;
        g.hiddenAct = "gelu_new";
        g.tieWordEmbeddings = true;
        const auto gpt2 = Model::fromWeights(g, randomWeights(g));
        QVERIFY_THROWS_EXCEPTION(
            UnsupportedError, computeSensitivity(gpt2, sequences(), options(4, 0)));
    }

    void exports()
    {
        SensitivityResult r;
        r.format = options(3, 64).format;
        r.basePerplexity = 4.5;
        r.scoredTokens = 90;
        r.seconds = 1.25;
        SensitivityEntry e;
        e.name = "model.layers.0.mlp.up_proj";
        e.kind = "up_proj";
        e.perplexity = 5.0;
        e.deltaPerplexity = 0.5;
        e.meanKl = 0.125;
        e.proxy = std::nan("");
        r.modules.push_back(e);
        e.name = "model.layers.0";
        e.kind = "block";
        e.proxy = 2.0;
        r.blocks.push_back(e);

        const auto j = sensitivityToJson(r);
        QCOMPARE(j["format"].get<std::string>(), std::string("int3 g64 sym"));
        QCOMPARE(j["bits"].get<int>(), 3);
        QCOMPARE(j["group_size"].get<int>(), 64);
        QCOMPARE(j["symmetric"].get<bool>(), true);
        QCOMPARE(j["base_perplexity"].get<double>(), 4.5);
        QCOMPARE(j["scored_tokens"].get<int>(), 90);
        QCOMPARE(j["seconds"].get<double>(), 1.25);
        const auto &m = j["modules"][0];
        for (const char *key :
            { "name", "kind", "layer", "perplexity", "delta_perplexity", "mean_kl", "proxy" })
            QVERIFY2(m.contains(key), key);
        QVERIFY(m["proxy"].is_null());
        QCOMPARE(m["mean_kl"].get<double>(), 0.125);
        QCOMPARE(j["blocks"][0]["proxy"].get<double>(), 2.0);
        // Parses back (NaN written as null, not as an invalid token).
        QVERIFY(!nlohmann::json::parse(j.dump()).is_discarded());

        const std::string csv = sensitivityCsv(r);
        QCOMPARE(QString::fromStdString(csv).count('\n'), 3);
        QVERIFY(csv.rfind("name,kind,layer,perplexity,delta_perplexity,mean_kl,proxy\n", 0) == 0);
        QVERIFY(csv.find("model.layers.0.mlp.up_proj,up_proj,0,5,0.5,0.125,nan\n")
            != std::string::npos);
        QVERIFY(csv.find("model.layers.0,block,0,5,0.5,0.125,2\n") != std::string::npos);
    }

    void spearmanByHand()
    {
        // No ties: d = 0, -1, 1, 0 -> 1 - 6 * 2 / (4 * 15) = 0.8.
        QCOMPARE(spearmanRho({ 10, 20, 30, 40 }, { 1, 3, 2, 4 }), 0.8);
        QCOMPARE(spearmanRho({ 1, 2, 3 }, { 10, 200, 3000 }), 1.0);
        QCOMPARE(spearmanRho({ 1, 2, 3 }, { 3, 2, 1 }), -1.0);
        // Ties: 7 appears twice and both take rank 3.5. Ranks (1,2,3,4,5) vs (1,2,3.5,5,3.5):
        // sum dx dy = 8, sum dx^2 = 10, sum dy^2 = 9.5 -> 8 / sqrt(95).
        const double tied = spearmanRho({ 1, 2, 3, 4, 5 }, { 5, 6, 7, 8, 7 });
        QVERIFY2(std::abs(tied - 8.0 / std::sqrt(95.0)) < 1e-15, qPrintable(QString::number(tied)));
        // Ties on both sides: ranks (1.5,1.5,3) vs (1,2.5,2.5): sum dx dy = 0.75,
        // sum dx^2 = 1.5, sum dy^2 = 1.5 -> 0.5.
        QCOMPARE(spearmanRho({ 1, 1, 2 }, { 0, 5, 5 }), 0.5);
        // Pairs with a NaN are left out.
        QCOMPARE(spearmanRho({ 1, 2, std::nan(""), 3 }, { 1, 2, 5, 3 }), 1.0);
        QVERIFY(std::isnan(spearmanRho({ 1 }, { 2 })));
        QVERIFY(std::isnan(spearmanRho({}, {})));
        QVERIFY(std::isnan(spearmanRho({ 1, 1, 1 }, { 1, 2, 3 })));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, spearmanRho({ 1, 2 }, { 1 }));
    }
};

QTEST_GUILESS_MAIN(TestSensitivityBasics)
#include "tst_sensitivitybasics.moc"
