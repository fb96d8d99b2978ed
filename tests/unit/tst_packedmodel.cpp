// SPDX-License-Identifier: GPL-3.0-or-later
// A compressed variant whose linear weights are held packed: the forward pass (prefill through
// tile-by-tile GEMMs, decode through the packed kernel) gives the logits of the same model
// with fake-quantized f32 weights; untouched tensors are shared with the original; sizes count
// packed storage; bad requests are refused.
#include "model/model.h"
#include "model/modelspec.h"
#include "model/transformer.h"
#include "quant/packedmatrix.h"
#include "quant/rtn.h"
#include "util/error.h"

#include "tinymodel.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

ModelConfig tinyConfig()
{
    // ffn 88 is not a multiple of the groups below (ragged groups in down_proj); a vocabulary
    // of 300 needs more than one tile of output-head rows.
    ModelConfig c = test::tinyLlamaConfig(64, 88, 300);
    c.tieWordEmbeddings = false;
    return c;
}

std::map<std::string, at::Tensor> randomWeights(const ModelConfig &c)
{
    return test::tinyRandomWeights(c, 11);
}

bool isPackable(const std::string &name)
{
    return name.find("_proj.weight") != std::string::npos || name == "lm_head.weight";
}

double maxAbsDiff(const at::Tensor &a, const at::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

} // namespace

class TestPackedModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void logitsEqualFakeQuantizedModel_data();
    void logitsEqualFakeQuantizedModel();
    void sharesUntouchedTensors();
    void refusesBadRequests();
};

void TestPackedModel::logitsEqualFakeQuantizedModel_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("group");
    QTest::addColumn<bool>("symmetric");
    QTest::newRow("int8 per-channel") << 8 << 0 << true;
    QTest::newRow("int4 g32") << 4 << 32 << true;
    QTest::newRow("int4 g32 asym") << 4 << 32 << false;
    QTest::newRow("int3 g24") << 3 << 24 << true;
    QTest::newRow("int2 g16 asym") << 2 << 16 << false;
}

void TestPackedModel::logitsEqualFakeQuantizedModel()
{
    QFETCH(int, bits);
    QFETCH(int, group);
    QFETCH(bool, symmetric);
    const WeightFormat f { .bits = bits, .groupSize = group, .symmetric = symmetric };
    const ModelConfig c = tinyConfig();
    const auto weights = randomWeights(c);
    const auto base = Model::fromWeights(c, weights);
    std::map<std::string, at::Tensor> fake = weights;
    std::map<std::string, std::shared_ptr<const PackedMatrix>> packed;
    for (auto &[name, t] : fake)
        if (isPackable(name)) {
            packed[name] = std::make_shared<PackedMatrix>(packRtn(t, f));
            t = fakeQuantizeRtn(t, f);
        }
    const auto variant = Model::withPackedWeights(base, packed);
    QCOMPARE(variant->packedWeights().size(), std::size_t(2 * 7 + 1));
    const Transformer packedEngine(variant);
    const Transformer reference(Model::fromWeights(c, fake));

    const std::vector<std::int32_t> ids { 1, 17, 42, 299, 5, 8, 13, 21, 34, 55, 89, 144 };
    // Prefill: several rows, the GEMM over dequantized tiles.
    QVERIFY(maxAbsDiff(packedEngine.logits(ids), reference.logits(ids)) < 1e-4);
    // Decode: one token at a time, the packed matrix-vector kernel.
    KVCache a = packedEngine.newCache(), b = reference.newCache();
    for (std::int32_t id : ids) {
        const at::Tensor la = packedEngine.forwardLast({ id }, a);
        const at::Tensor lb = reference.forwardLast({ id }, b);
        QVERIFY2(maxAbsDiff(la, lb) < 1e-4, qPrintable(QString::number(maxAbsDiff(la, lb))));
    }
}

void TestPackedModel::sharesUntouchedTensors()
{
    const ModelConfig c = tinyConfig();
    const auto weights = randomWeights(c);
    const auto base = Model::fromWeights(c, weights);
    const std::string name = "model.layers.0.mlp.up_proj.weight";
    const WeightFormat f { .bits = 4, .groupSize = 32, .symmetric = true };
    const auto matrix = std::make_shared<PackedMatrix>(packRtn(base->weight(name), f));
    const auto variant = Model::withPackedWeights(base, { { name, matrix } });
    QVERIFY(variant->findWeight(name) == nullptr);
    QVERIFY(variant->findPacked(name) == matrix);
    QVERIFY(base->findWeight(name) != nullptr); // the original is untouched
    for (const auto &[n, t] : variant->weights())
        QCOMPARE(t.data_ptr(), base->weight(n).data_ptr());
    QCOMPARE(variant->parameterCount(), base->parameterCount());
    const std::size_t saved = std::size_t(base->weight(name).numel()) * 4 - matrix->storageBytes();
    QCOMPARE(variant->weightBytes(), base->weightBytes() - saved);
}

void TestPackedModel::refusesBadRequests()
{
    const ModelConfig c = tinyConfig();
    const auto base = Model::fromWeights(c, randomWeights(c));
    const WeightFormat f { .bits = 4, .groupSize = 32, .symmetric = true };
    const auto embed = std::make_shared<PackedMatrix>(
        packRtn(base->weight("model.embed_tokens.weight"), f));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
        Model::withPackedWeights(base, { { "model.embed_tokens.weight", embed } }));
    const auto q = std::make_shared<PackedMatrix>(
        packRtn(base->weight("model.layers.0.self_attn.q_proj.weight"), f));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
        Model::withPackedWeights(base, { { "model.layers.0.mlp.up_proj.weight", q } }));
    QVERIFY_THROWS_EXCEPTION(
        InvalidArgument, Model::withPackedWeights(base, { { "model.layers.9.x.weight", q } }));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
        Model::withPackedWeights(base, { { "model.norm.weight", q } }));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, Model::withPackedWeights(nullptr, {}));
}

QTEST_GUILESS_MAIN(TestPackedModel)
#include "tst_packedmodel.moc"
