// SPDX-License-Identifier: GPL-3.0-or-later
// Structured pruning on real models (tinystories-656k and the demo model, both GQA): removing
// heads, FFN channels or one block gives a smaller config that exports to an HF folder and
// reloads with the in-memory variant's logits, never touching the source; removing a KV group
// equals zeroing its heads' o_proj input columns; block influence is in [0, 2] and dropping
// the least influential block hurts less than dropping the most influential one. Perplexity on
// held-out text before and after each pruning is printed for the issue note.
#include "modelbench.h"
#include "testdata.h"

#include "analysis/activationstats.h"
#include "eval/perplexity.h"
#include "export/hfexportvariant.h"
#include "model/model.h"
#include "model/transformer.h"
#include "prune/blockinfluence.h"
#include "prune/structuredprune.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace lathe;
namespace fs = std::filesystem;

namespace {

constexpr int kCtx = 128;

std::string path(const char *relative)
{
    return test::dataPath(relative).toStdString();
}

// A model with its source folder, 8 calibration windows and held-out evaluation ids.
using Bench = test::ModelBench;

Bench tinyStories()
{
    return test::tinyStoriesBench(8, kCtx);
}

Bench demo()
{
    return test::demoBench(8, kCtx);
}

double perplexity(const std::shared_ptr<const Model> &model, const std::vector<std::int32_t> &ids)
{
    PerplexityOptions options;
    options.ctx = kCtx;
    return evaluatePerplexity(Transformer(model), ids, options).ppl;
}

std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> snapshot(const fs::path &dir)
{
    std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> out;
    for (const auto &e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file())
            out[e.path().string()] = { e.file_size(), e.last_write_time() };
    return out;
}

double maxDiff(const std::shared_ptr<const Model> &a, const std::shared_ptr<const Model> &b,
    const std::vector<std::int32_t> &ids)
{
    return (Transformer(a).logits(ids) - Transformer(b).logits(ids)).abs().max().item<double>();
}

PruningStage stage(const std::string &method, int count)
{
    PruningStage s;
    s.method = method;
    s.count = count;
    return s;
}

// Prunes, checks the export round trip and the source folder, prints perplexities.
PruneResult pruneAndCheck(const Bench &b, const PruningStage &s, double basePpl)
{
    const auto before = snapshot(b.folder);
    PruneResult r = pruneStructured(b.model, s, b.calibration);
    [&] {
        QVERIFY(r.parametersAfter < r.parametersBefore);
        QCOMPARE(r.parametersAfter, r.variant->parameterCount());
        QTemporaryDir tmp;
        const std::string out = tmp.filePath("pruned").toStdString();
        exportHfFolder(*r.variant, out);
        QVERIFY(fs::is_regular_file(fs::path(out) / "tokenizer.json"));
        const auto reloaded = Model::load(out);
        const ModelConfig &c = reloaded->config(), &v = r.variant->config();
        QCOMPARE(c.numLayers, v.numLayers);
        QCOMPARE(c.numHeads, v.numHeads);
        QCOMPARE(c.numKvHeads, v.numKvHeads);
        QCOMPARE(c.headDim, v.headDim);
        QCOMPARE(c.intermediateSize, v.intermediateSize);
        QCOMPARE(reloaded->parameterCount(), r.parametersAfter);
        const std::vector<std::int32_t> ids(b.eval.begin(), b.eval.begin() + 96);
        const double diff = maxDiff(reloaded, r.variant, ids);
        QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
        QVERIFY(snapshot(b.folder) == before);
    }();
    const double ppl = perplexity(r.variant, b.eval);
    qInfo("%-16s %-8s count %3d blocks %-6s params %8lld -> %8lld  ppl %8.4f -> %8.4f  (%.2f s)",
        b.name.c_str(), s.method.c_str(), s.count,
        r.recipe.pruning->blocks.empty() ? "-"
                                         : std::to_string(r.recipe.pruning->blocks[0]).c_str(),
        static_cast<long long>(r.parametersBefore), static_cast<long long>(r.parametersAfter),
        basePpl, ppl, r.seconds);
    return r;
}

void checkModel(const Bench &b)
{
    const ModelConfig &c = b.model->config();
    const double basePpl = perplexity(b.model, b.eval);
    const std::int64_t group = c.numHeads / c.numKvHeads;

    // Heads: one KV group per layer.
    const PruneResult heads = pruneAndCheck(b, stage("heads", int(group)), basePpl);
    QCOMPARE(heads.variant->config().numHeads, c.numHeads - group);
    QCOMPARE(heads.variant->config().numKvHeads, c.numKvHeads - 1);
    QCOMPARE(heads.variant->config().headDim, c.headDim);
    QCOMPARE(heads.variant->config().hiddenSize, c.hiddenSize);
    // ... which is the base model with those heads' o_proj input columns zeroed.
    VariantChanges zeroed;
    const std::int64_t rows = group * c.headDim;
    for (std::int64_t l = 0; l < c.numLayers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".self_attn.";
        const at::Tensor &k = b.model->weight(p + "k_proj.weight");
        const at::Tensor &kv = heads.variant->weight(p + "k_proj.weight");
        at::Tensor o = b.model->weight(p + "o_proj.weight").clone();
        int gone = 0;
        for (std::int64_t g = 0; g < c.numKvHeads; ++g) {
            bool kept = false;
            for (std::int64_t j = 0; j + 1 < c.numKvHeads && !kept; ++j)
                kept = at::equal(k.narrow(0, g * c.headDim, c.headDim),
                    kv.narrow(0, j * c.headDim, c.headDim));
            if (!kept) {
                o.narrow(1, g * rows, rows).zero_();
                ++gone;
            }
        }
        QCOMPARE(gone, 1);
        zeroed.replaced[p + "o_proj.weight"] = o;
    }
    const std::vector<std::int32_t> ids(b.eval.begin(), b.eval.begin() + 96);
    const double zeroDiff = maxDiff(Model::variant(b.model, zeroed), heads.variant, ids);
    QVERIFY2(zeroDiff <= 1e-4, qPrintable(QString::number(zeroDiff)));

    // Channels: a quarter of the FFN.
    const int channels = int(c.intermediateSize / 4);
    const PruneResult ffn = pruneAndCheck(b, stage("channels", channels), basePpl);
    QCOMPARE(ffn.variant->config().intermediateSize, c.intermediateSize - channels);

    // Blocks: the least influential one, then (for comparison) the most influential one.
    const PruneResult least = pruneAndCheck(b, stage("blocks", 1), basePpl);
    QCOMPARE(least.variant->config().numLayers, c.numLayers - 1);
    const std::vector<double> &influence = least.blockInfluence;
    QCOMPARE(influence.size(), std::size_t(c.numLayers));
    QString text;
    for (double v : influence) {
        QVERIFY(v >= 0.0 && v <= 2.0);
        text += QString::number(v, 'f', 4) + " ";
    }
    qInfo("%-16s block influence: %s", b.name.c_str(), qPrintable(text));
    const auto lo = std::min_element(influence.begin(), influence.end()) - influence.begin();
    const auto hi = std::max_element(influence.begin(), influence.end()) - influence.begin();
    QCOMPARE(least.recipe.pruning->blocks, std::vector<int>{ int(lo) });
    PruningStage most = stage("blocks", 0);
    most.blocks = { int(hi) };
    const PruneResult worst = pruneStructured(b.model, most, b.calibration);
    const double pplLeast = perplexity(least.variant, b.eval);
    const double pplMost = perplexity(worst.variant, b.eval);
    qInfo("%-16s drop block %d (least influence): ppl %.4f; drop block %d (most): ppl %.4f",
        b.name.c_str(), int(lo), pplLeast, int(hi), pplMost);
    QVERIFY(pplLeast < pplMost);
}

} // namespace

class TestStructuredPrune : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tinyStoriesHeadsChannelsBlocks()
    {
        LATHE_REQUIRE_SHARED_DATA();
        checkModel(tinyStories());
    }

    void demoHeadsChannelsBlocks()
    {
        LATHE_REQUIRE_SHARED_DATA();
        checkModel(demo());
    }

    // Explicit head size, q/k RMSNorm (qwen3) and an untied head with a sliding window
    // (mistral): the pruned variant still reloads with the same logits.
    void otherArchitecturesReload()
    {
        LATHE_REQUIRE_SHARED_DATA();
        for (const char *name : { "models/random/qwen3", "models/random/mistral",
                 "models/random/llama3" }) {
            const auto model = Model::load(path(name));
            const ModelConfig &c = model->config();
            std::vector<std::vector<std::int32_t>> calib;
            for (int s = 0; s < 4; ++s) {
                std::vector<std::int32_t> ids;
                for (int t = 0; t < 32; ++t)
                    ids.push_back(std::int32_t((s * 131 + t * 17) % c.vocabSize));
                calib.push_back(ids);
            }
            const int group = int(c.numHeads / c.numKvHeads);
            for (const PruningStage &s :
                { stage("heads", group), stage("channels", 16), stage("blocks", 1) }) {
                const PruneResult r = pruneStructured(model, s, calib);
                QTemporaryDir tmp;
                const std::string out = tmp.filePath("pruned").toStdString();
                exportHfFolder(*r.variant, out);
                const auto reloaded = Model::load(out);
                QCOMPARE(reloaded->config().numHeads, r.variant->config().numHeads);
                QCOMPARE(reloaded->config().headDim, c.headDim);
                const double diff = maxDiff(reloaded, r.variant, calib[0]);
                QVERIFY2(diff <= 1e-5, qPrintable(QString::fromStdString(std::string(name)
                    + " " + s.method + ": " + std::to_string(diff))));
            }
        }
    }

    void refusesGpt2()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto gpt2 = Model::load(path("models/random/gpt2"));
        QVERIFY_THROWS_EXCEPTION(UnsupportedError,
            pruneStructured(gpt2, stage("channels", 4), { { 1, 2, 3 } }));
    }
};

QTEST_GUILESS_MAIN(TestStructuredPrune)
#include "tst_structuredprune.moc"
