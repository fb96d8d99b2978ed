// SPDX-License-Identifier: GPL-3.0-or-later
// Model::variant beyond packed weights: replaced f32 tensors are what the forward pass reads
// (and the base keeps its own), int8 per-token activations (SmoothQuant W8A8, simulated) act
// the same in prefill and decode, and requests that do not fit are refused with the name.
#include "model/model.h"
#include "model/transformer.h"
#include "util/error.h"

#include "tinymodel.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

double maxAbsDiff(const at::Tensor &a, const at::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

const std::vector<std::int32_t> kIds { 1, 17, 42, 5, 8, 13, 21, 34, 44, 3 };

} // namespace

class TestModelVariant : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void replacedTensorsAreUsed();
    void int8ActivationsPrefillMatchesDecode();
    void refusesBadChanges();
};

void TestModelVariant::replacedTensorsAreUsed()
{
    const ModelConfig c = test::tinyLlamaConfig();
    auto weights = test::tinyRandomWeights(c, 5);
    const auto base = Model::fromWeights(c, weights);
    const std::string norm = "model.layers.1.post_attention_layernorm.weight";
    const at::Tensor scaled = (base->weight(norm) * 1.7).contiguous();

    VariantChanges changes;
    changes.replaced[norm] = scaled;
    const auto variant = Model::variant(base, changes);
    QCOMPARE(variant->weight(norm).data_ptr(), scaled.data_ptr());
    QVERIFY(base->weight(norm).data_ptr() != scaled.data_ptr()); // the base keeps its own

    weights[norm] = scaled;
    const Transformer expected(Model::fromWeights(c, weights));
    const Transformer got(variant);
    const Transformer original(base);
    QVERIFY(maxAbsDiff(got.logits(kIds), expected.logits(kIds)) < 1e-5);
    QVERIFY(maxAbsDiff(got.logits(kIds), original.logits(kIds)) > 1e-3);
}

void TestModelVariant::int8ActivationsPrefillMatchesDecode()
{
    const ModelConfig c = test::tinyLlamaConfig();
    const auto base = Model::fromWeights(c, test::tinyRandomWeights(c, 6));
    VariantChanges changes;
    for (const auto &[name, t] : base->weights())
        if (name.find("_proj.weight") != std::string::npos)
            changes.int8Activations.insert(name);
    const auto variant = Model::variant(base, changes);
    QCOMPARE(variant->int8Activations().size(), std::size_t(2 * 7));

    const Transformer w8a8(variant);
    const Transformer original(base);
    const at::Tensor prefill = w8a8.logits(kIds);
    const at::Tensor reference = original.logits(kIds);
    // Rounding each token's inputs to 255 levels moves the logits a little, not a lot.
    const double moved = (prefill - reference).norm().item<double>();
    const double scale = reference.norm().item<double>();
    QVERIFY2(moved > 1e-5 && moved < 0.05 * scale,
        qPrintable(QString("moved %1 of %2").arg(moved).arg(scale)));
    // Per-token quantization sees one token at a time either way.
    KVCache cache = w8a8.newCache();
    for (std::size_t i = 0; i < kIds.size(); ++i) {
        const at::Tensor step = w8a8.forwardLast({ kIds[i] }, cache);
        QVERIFY(maxAbsDiff(step.view({ -1 }), prefill[std::int64_t(i)]) < 1e-4);
    }
}

void TestModelVariant::refusesBadChanges()
{
    const ModelConfig c = test::tinyLlamaConfig();
    const auto base = Model::fromWeights(c, test::tinyRandomWeights(c, 7));
    const std::string norm = "model.norm.weight";
    auto expectError = [&](VariantChanges changes, const QString &mentions) {
        try {
            Model::variant(base, std::move(changes));
            QFAIL("no error");
        } catch (const InvalidArgument &e) {
            QVERIFY2(QString(e.what()).contains(mentions), e.what());
        }
    };
    VariantChanges wrongShape;
    wrongShape.replaced[norm] = at::ones({ c.hiddenSize + 1 });
    expectError(wrongShape, QString::fromStdString(norm));
    VariantChanges wrongType;
    wrongType.replaced[norm] = at::ones({ c.hiddenSize }, at::kDouble);
    expectError(wrongType, QString::fromStdString(norm));
    VariantChanges unknown;
    unknown.replaced["model.layers.7.nothing"] = at::ones({ 2 });
    expectError(unknown, "model.layers.7.nothing");
    VariantChanges unknownActivation;
    unknownActivation.int8Activations.insert("model.layers.0.mlp.nothing.weight");
    expectError(unknownActivation, "model.layers.0.mlp.nothing.weight");
}

QTEST_GUILESS_MAIN(TestModelVariant)
#include "tst_modelvariant.moc"
