// SPDX-License-Identifier: GPL-3.0-or-later
// quantizeModel on a tiny random Llama: round-to-nearest gives exactly the hand-packed
// weights; the base model is never changed and shares its untouched tensors with the
// variant; GPTQ, AWQ and SmoothQuant run and give finite logits; folding AWQ-style scales
// into norms and previous layers leaves the f32 model's function unchanged; a cancelled run
// throws and changes nothing.
#include "model/model.h"
#include "model/transformer.h"
#include "quant/awqfold.h"
#include "quant/calibrationcapture.h"
#include "quant/packedmatrix.h"
#include "quant/quantizemodel.h"
#include "quant/rtn.h"
#include "util/error.h"

#include "tinymodel.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

std::shared_ptr<const Model> tinyModel(std::int64_t kvHeads = 2, std::uint64_t seed = 5)
{
    ModelConfig c = test::tinyLlamaConfig(64, 88, 60);
    c.numKvHeads = kvHeads;
    c.tieWordEmbeddings = true;
    return Model::fromWeights(c, test::tinyRandomWeights(c, seed));
}

std::vector<std::vector<std::int32_t>> randomSequences(int count, int length, int vocab)
{
    at::manual_seed(99);
    std::vector<std::vector<std::int32_t>> out;
    for (int i = 0; i < count; ++i) {
        const at::Tensor t = at::randint(vocab, { length }, at::kInt);
        out.emplace_back(t.data_ptr<std::int32_t>(), t.data_ptr<std::int32_t>() + length);
    }
    return out;
}

Recipe recipeFor(const std::string &method, const std::string &format)
{
    Recipe r;
    r.name = method + " " + format;
    QuantizationStage stage;
    stage.method = method;
    stage.format = format;
    r.quantization = stage;
    return r;
}

std::map<std::string, at::Tensor> cloneWeights(const Model &m)
{
    std::map<std::string, at::Tensor> out;
    for (const auto &[name, t] : m.weights())
        out[name] = t.clone();
    return out;
}

void verifyUnchanged(const Model &m, const std::map<std::string, at::Tensor> &before)
{
    QCOMPARE(m.weights().size(), before.size());
    QVERIFY(m.packedWeights().empty());
    QVERIFY(m.int8Activations().empty());
    for (const auto &[name, t] : before)
        QVERIFY2(at::equal(m.weight(name), t), name.c_str());
}

const std::vector<std::int32_t> kIds = { 1, 7, 3, 19, 42, 5, 33, 8, 2, 27, 11, 50 };

} // namespace

class TestQuantizeModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void rtnEqualsPackingByHand()
    {
        const auto base = tinyModel();
        const QuantizeResult r = quantizeModel(base, recipeFor("rtn", "int4-g32"), {});
        QVERIFY(r.variant);
        QCOMPARE(r.variant->packedWeights().size(), std::size_t(14)); // 2 layers x 7, no head
        for (const auto &[name, packed] : r.variant->packedWeights()) {
            const PackedMatrix expected = packWeight(base->weight(name), parseWeightFormat("int4-g32"));
            QVERIFY2(packed->codes == expected.codes, name.c_str());
            QVERIFY2(packed->scales == expected.scales, name.c_str());
            QCOMPARE(packed->format, expected.format);
        }
        QCOMPARE(r.modules.size(), std::size_t(15)); // the head is reported, left in f32
        QCOMPARE(r.modules.back().module, std::string("lm_head"));
        QCOMPARE(r.modules.back().format, std::string("f32"));
        for (const ModuleQuantReport &m : r.modules) {
            if (m.module == "lm_head")
                continue;
            QCOMPARE(m.method, std::string("rtn"));
            QCOMPARE(m.format, std::string("int4-g32"));
            QVERIFY(m.relativeError > 0 && m.relativeError < 0.2);
            QVERIFY(m.bitsPerWeight > 4 && m.bitsPerWeight < 6);
        }
        QVERIFY(r.variant->weightBytes() < base->weightBytes());
    }

    void untouchedTensorsAreShared()
    {
        const auto base = tinyModel();
        const QuantizeResult r = quantizeModel(base, recipeFor("rtn", "int8"), {});
        // The tied head and embedding, and every norm, are the base's own storage.
        for (const char *name : { "model.embed_tokens.weight", "lm_head.weight",
                 "model.norm.weight", "model.layers.0.input_layernorm.weight",
                 "model.layers.1.post_attention_layernorm.weight" })
            QVERIFY2(r.variant->weight(name).data_ptr() == base->weight(name).data_ptr(), name);
        QVERIFY(r.variant->lmHeadTied());
    }

    void everyMethodRunsAndLeavesBaseUntouched_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("format");
        QTest::newRow("rtn int8") << "rtn" << "int8";
        QTest::newRow("rtn int4-g32") << "rtn" << "int4-g32";
        QTest::newRow("gptq int4-g32") << "gptq" << "int4-g32";
        QTest::newRow("gptq int3-g64 asym") << "gptq" << "int3-g64-asym";
        QTest::newRow("awq int4-g32") << "awq" << "int4-g32";
        QTest::newRow("awq nf4") << "awq" << "nf4";
        QTest::newRow("smoothquant int8") << "smoothquant" << "int8";
    }

    void everyMethodRunsAndLeavesBaseUntouched()
    {
        QFETCH(QString, method);
        QFETCH(QString, format);
        const auto base = tinyModel();
        const auto before = cloneWeights(*base);
        const auto calibration = randomSequences(4, 24, 60);
        const Transformer original(base);
        const at::Tensor baseLogits = original.logits(kIds);

        const QuantizeResult r = quantizeModel(
            base, recipeFor(method.toStdString(), format.toStdString()), calibration);
        verifyUnchanged(*base, before);
        QCOMPARE(r.variant->packedWeights().size(), std::size_t(14));
        const at::Tensor logits = Transformer(r.variant).logits(kIds);
        QVERIFY(at::isfinite(logits).all().item<bool>());
        // Quantized, so different, but still close to the original on random weights.
        const double diff = (logits - baseLogits).abs().max().item<double>();
        const double scale = baseLogits.abs().max().item<double>();
        qInfo("max |logit| %.3f, max difference %.3f", scale, diff);
        QVERIFY2(diff > 0 && diff < scale, qPrintable(QString::number(diff)));
        // 8-bit weights (and int8 activations) stay close even on this chaotic random model;
        // a fold applied after a module was packed would not.
        if (format == "int8")
            QVERIFY2(diff < 0.15 * scale, qPrintable(QString::number(diff)));
        if (method == "smoothquant") {
            QCOMPARE(r.variant->int8Activations().size(), std::size_t(14));
            // Scales were folded into the norms: new tensors, not the base's.
            QVERIFY(r.variant->weight("model.layers.0.input_layernorm.weight").data_ptr()
                != base->weight("model.layers.0.input_layernorm.weight").data_ptr());
        }
        // The same recipe on the same data gives the same variant.
        const QuantizeResult again = quantizeModel(
            base, recipeFor(method.toStdString(), format.toStdString()), calibration);
        QVERIFY(at::equal(Transformer(again.variant).logits(kIds), logits));
    }

    void gptqNeedsCalibration()
    {
        const auto base = tinyModel();
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, quantizeModel(base, recipeFor("gptq", "int4-g32"), {}));
    }

    void foldedScalesKeepTheFunction_data()
    {
        QTest::addColumn<int>("kvHeads");
        QTest::newRow("grouped-query attention") << 2;
        QTest::newRow("one KV head per head") << 4;
    }

    void foldedScalesKeepTheFunction()
    {
        QFETCH(int, kvHeads);
        const auto base = tinyModel(kvHeads);
        const ModelConfig &c = base->config();
        QCOMPARE(canFoldInputScales(c, LinearInput::AttentionOutput), kvHeads == 4);
        std::map<std::string, at::Tensor> tensors;
        at::manual_seed(3);
        int folded = 0;
        for (std::int64_t layer = 0; layer < c.numLayers; ++layer)
            for (LinearInput input : { LinearInput::Attention, LinearInput::AttentionOutput,
                     LinearInput::Mlp, LinearInput::MlpOutput }) {
                if (!canFoldInputScales(c, input)) {
                    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                        foldInputScales(*base, layer, input, at::ones({ 64 }), tensors));
                    continue;
                }
                const std::int64_t in
                    = base->weight(modulesReading(c, layer, input).front()).size(1);
                foldInputScales(*base, layer, input, at::exp(0.5 * at::randn({ in })), tensors);
                ++folded;
            }
        QCOMPARE(folded, kvHeads == 4 ? 8 : 6);
        VariantChanges changes;
        changes.replaced = tensors;
        const auto variant = Model::variant(base, changes);
        QVERIFY(!at::equal(variant->weight("model.layers.0.self_attn.q_proj.weight"),
            base->weight("model.layers.0.self_attn.q_proj.weight")));
        const at::Tensor a = Transformer(base).logits(kIds);
        const at::Tensor b = Transformer(variant).logits(kIds);
        const double diff = (a - b).abs().max().item<double>();
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    void captureStopsAtTheLayerAndSeesTheInputs()
    {
        const auto base = tinyModel();
        const auto calibration = randomSequences(3, 16, 60);
        CaptureRequest request;
        request.hessian = true;
        request.rows = 20;
        const auto captured = captureLayerInputs(base, 1,
            { { LinearInput::Attention, request }, { LinearInput::MlpOutput, {} } }, calibration);
        QCOMPARE(captured.size(), std::size_t(2));
        const CapturedInput &a = captured.at(LinearInput::Attention);
        QCOMPARE(a.tokens, std::int64_t(48));
        QCOMPARE(a.hessian.sizes(), (at::IntArrayRef { 64, 64 }));
        QCOMPARE(a.rows.size(0), std::int64_t(16)); // every 3rd of 48 rows
        QVERIFY(!captured.at(LinearInput::MlpOutput).hessian.defined());
        // diag(H) = 2 mean x^2.
        QVERIFY(at::allclose(a.hessian.diagonal(), 2 * a.meanSquare, 1e-6, 1e-9));
        QVERIFY(at::all(a.absmax > 0).item<bool>());
    }

    void cancelChangesNothing()
    {
        const auto base = tinyModel();
        const auto before = cloneWeights(*base);
        CancelToken cancel;
        int calls = 0;
        const ProgressFn progress = [&](double, const std::string &) {
            if (++calls == 3)
                cancel.cancel();
        };
        QVERIFY_THROWS_EXCEPTION(CancelledError,
            quantizeModel(base, recipeFor("gptq", "int4-g32"), randomSequences(4, 24, 60),
                progress, cancel));
        QVERIFY(calls >= 3);
        verifyUnchanged(*base, before);
    }
};

QTEST_GUILESS_MAIN(TestQuantizeModel)
#include "tst_quantizemodel.moc"
