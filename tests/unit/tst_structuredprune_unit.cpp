// SPDX-License-Identifier: GPL-3.0-or-later
// Structured pruning on tiny random models built in memory: removing a head (KV group) or an
// FFN channel gives exactly the logits of the base model with that head's o_proj input
// columns (or that channel's down_proj column) set to zero, biases included; blocks are
// renumbered and shared; counts that do not fit are refused with clear errors.
#include "tinymodel.h"

#include "analysis/linearmodules.h"
#include "export/hfexportvariant.h"
#include "model/model.h"
#include "model/transformer.h"
#include "prune/blockinfluence.h"
#include "prune/structuredprune.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

// A GQA model (4 heads, 2 KV heads, head size 16) with q/k/v and MLP biases.
std::shared_ptr<const Model> tinyModel()
{
    ModelConfig c = test::tinyLlamaConfig(64, 96, 50);
    c.attentionBias = true;
    c.mlpBias = true;
    return Model::fromWeights(c, test::tinyRandomWeights(c, 11));
}

std::vector<std::vector<std::int32_t>> randomSequences(std::int64_t vocab, int count, int length)
{
    at::manual_seed(5);
    std::vector<std::vector<std::int32_t>> out;
    for (int i = 0; i < count; ++i) {
        const at::Tensor t = at::randint(vocab, { length }, at::kLong);
        out.emplace_back(t.data_ptr<std::int64_t>(), t.data_ptr<std::int64_t>() + length);
    }
    return out;
}

std::string layerName(int layer, const std::string &rest)
{
    return "model.layers." + std::to_string(layer) + "." + rest;
}

// Indices of `rows`-row blocks of base's `name` that no longer occur in the variant's.
std::vector<std::int64_t> removedBlocks(const Model &base, const Model &variant,
    const std::string &name, std::int64_t rows, std::int64_t dim = 0)
{
    const at::Tensor &b = base.weight(name), &v = variant.weight(name);
    std::vector<std::int64_t> removed;
    for (std::int64_t g = 0; g * rows < b.size(dim); ++g) {
        bool found = false;
        for (std::int64_t k = 0; k * rows < v.size(dim) && !found; ++k)
            found = at::equal(b.narrow(dim, g * rows, rows), v.narrow(dim, k * rows, rows));
        if (!found)
            removed.push_back(g);
    }
    return removed;
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

} // namespace

class TestStructuredPruneUnit : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void removingAGroupEqualsZeroingIt()
    {
        const auto base = tinyModel();
        const auto calib = randomSequences(50, 4, 24);
        const PruneResult r = pruneStructured(base, stage("heads", 2), calib);
        const ModelConfig &c = r.variant->config();
        QCOMPARE(c.numHeads, 2);
        QCOMPARE(c.numKvHeads, 1);
        QCOMPARE(c.headDim, 16);
        QCOMPARE(c.hiddenSize, 64);
        QCOMPARE(r.variant->weight(layerName(0, "self_attn.q_proj.bias")).size(0), 32);
        QCOMPARE(r.variant->weight(layerName(1, "self_attn.v_proj.bias")).size(0), 16);
        QCOMPARE(r.variant->weight(layerName(1, "self_attn.o_proj.weight")).size(1), 32);
        // Untouched tensors are shared, not copied.
        QCOMPARE(r.variant->weight(layerName(0, "mlp.up_proj.weight")).data_ptr(),
            base->weight(layerName(0, "mlp.up_proj.weight")).data_ptr());

        VariantChanges zeroed;
        for (int l = 0; l < 2; ++l) {
            const auto gone = removedBlocks(*base, *r.variant,
                layerName(l, "self_attn.k_proj.weight"), 16);
            QCOMPARE(gone.size(), std::size_t(1));
            at::Tensor o = base->weight(layerName(l, "self_attn.o_proj.weight")).clone();
            o.narrow(1, gone[0] * 32, 32).zero_(); // both query heads of the group
            zeroed.replaced[layerName(l, "self_attn.o_proj.weight")] = o;
        }
        const auto reference = Model::variant(base, zeroed);
        const double diff = maxDiff(reference, r.variant, calib[0]);
        QVERIFY2(diff <= 1e-4, qPrintable(QString::number(diff)));

        // Reports: q/k/v/o lose their slices; the parameter count drops by the same amount.
        std::int64_t removed = 0;
        for (const ModulePruneReport &m : r.modules)
            removed += m.removed;
        QCOMPARE(r.modules.size(), std::size_t(14));
        QCOMPARE(r.modules[0].removed, 32 * 64); // q_proj: 2 heads x 16 rows x 64
        QCOMPARE(r.parametersBefore - r.parametersAfter, removed + 2 * (32 + 16 + 16));
        QCOMPARE(r.recipe.pruning->method, std::string("heads"));
    }

    void removingChannelsEqualsZeroingThem()
    {
        const auto base = tinyModel();
        const auto calib = randomSequences(50, 4, 24);
        const PruneResult r = pruneStructured(base, stage("channels", 40), calib);
        QCOMPARE(r.variant->config().intermediateSize, 56);
        QCOMPARE(r.variant->weight(layerName(0, "mlp.gate_proj.bias")).size(0), 56);
        VariantChanges zeroed;
        for (int l = 0; l < 2; ++l) {
            const auto gone = removedBlocks(*base, *r.variant,
                layerName(l, "mlp.gate_proj.weight"), 1);
            QCOMPARE(gone.size(), std::size_t(40));
            at::Tensor down = base->weight(layerName(l, "mlp.down_proj.weight")).clone();
            for (std::int64_t j : gone)
                down.select(1, j).zero_();
            zeroed.replaced[layerName(l, "mlp.down_proj.weight")] = down;
        }
        const double diff = maxDiff(Model::variant(base, zeroed), r.variant, calib[1]);
        QVERIFY2(diff <= 1e-4, qPrintable(QString::number(diff)));
    }

    void blocksAreRenumberedAndShared()
    {
        const auto base = tinyModel();
        const auto calib = randomSequences(50, 4, 24);
        const std::vector<double> influence = blockInfluence(base, calib);
        QCOMPARE(influence.size(), std::size_t(2));
        for (double v : influence)
            QVERIFY(v >= 0.0 && v <= 2.0);

        const PruneResult r = pruneStructured(base, stage("blocks", 1), calib);
        QCOMPARE(r.variant->config().numLayers, 1);
        QCOMPARE(r.blockInfluence, influence);
        QCOMPARE(r.recipe.pruning->blocks.size(), std::size_t(1));
        const int gone = r.recipe.pruning->blocks[0];
        QCOMPARE(gone, influence[0] <= influence[1] ? 0 : 1);
        QCOMPARE(r.variant->weight(layerName(0, "mlp.down_proj.weight")).data_ptr(),
            base->weight(layerName(1 - gone, "mlp.down_proj.weight")).data_ptr());
        QCOMPARE(r.modules.size(), std::size_t(7));

        PruningStage explicitBlocks = stage("blocks", 0);
        explicitBlocks.blocks = { 1 };
        const PruneResult e = pruneStructured(base, explicitBlocks, {}); // no calibration needed
        QCOMPARE(e.variant->config().numLayers, 1);
        QVERIFY(e.blockInfluence.empty());
        QCOMPARE(e.variant->weight(layerName(0, "self_attn.q_proj.weight")).data_ptr(),
            base->weight(layerName(0, "self_attn.q_proj.weight")).data_ptr());
    }

    void exportedInMemoryVariantReloads()
    {
        const auto base = tinyModel();
        const auto calib = randomSequences(50, 2, 16);
        const PruneResult r = pruneStructured(base, stage("heads", 2), calib);
        QTemporaryDir tmp;
        const std::string out = tmp.filePath("pruned").toStdString();
        exportHfFolder(*r.variant, out);
        const auto reloaded = Model::load(out);
        QCOMPARE(reloaded->config().numHeads, 2);
        QCOMPARE(reloaded->config().numKvHeads, 1);
        QCOMPARE(reloaded->config().headDim, 16);
        const double diff = maxDiff(reloaded, r.variant, calib[0]);
        QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
    }

    void refusesWhatDoesNotFit()
    {
        const auto base = tinyModel();
        const auto calib = randomSequences(50, 2, 16);
        try {
            pruneStructured(base, stage("heads", 1), calib);
            QFAIL("an odd head count under GQA groups of 2 was accepted");
        } catch (const InvalidArgument &e) {
            QVERIFY2(std::string(e.what()).find("multiple of 2") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, pruneStructured(base, stage("heads", 4), calib));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
            pruneStructured(base, stage("channels", 96), calib));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, pruneStructured(base, stage("blocks", 2), calib));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, pruneStructured(base, stage("wanda", 2), calib));
        try {
            pruneStructured(base, stage("channels", 8), {});
            QFAIL("channels without calibration were accepted");
        } catch (const InvalidArgument &e) {
            QVERIFY2(std::string(e.what()).find("channels") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, pruneStructured(base, stage("blocks", 1), {}));
        PruningStage outside = stage("blocks", 0);
        outside.blocks = { 2 };
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, pruneStructured(base, outside, calib));

        ModelConfig g;
        g.arch = Architecture::Gpt2;
        g.modelType = "gpt2";
        g.hiddenSize = 32;
        g.numLayers = 2;
        g.numHeads = 4;
        g.intermediateSize = 128;
        g.vocabSize = 50;
        g.maxPositions = 32;
        g.hiddenAct = "gelu_new";
        const auto gpt2 = Model::fromWeights(g, test::tinyRandomWeights(g, 3));
        QVERIFY_THROWS_EXCEPTION(UnsupportedError,
            pruneStructured(gpt2, stage("channels", 8), calib));
    }
};

QTEST_GUILESS_MAIN(TestStructuredPruneUnit)
#include "tst_structuredprune_unit.moc"
