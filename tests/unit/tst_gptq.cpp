// SPDX-License-Identifier: GPL-3.0-or-later
// GPTQ: the Hessian accumulator, lower output error than round-to-nearest on correlated inputs
// (grouped, per channel, ragged rows, sym and asym, act-order on and off), valid codes on
// round-to-nearest's grid, equality with round-to-nearest when inputs are uncorrelated, dead
// inputs, the damping retry and bad arguments. Last, the quantizers side by side on a layer of
// a random tiny Llama fed its own activations (the numbers are printed).
#include "corpus/storycorpus.h"
#include "model/model.h"
#include "model/transformer.h"
#include "quant/awq.h"
#include "quant/clipsearch.h"
#include "quant/gptq.h"
#include "quant/packedmatrix.h"
#include "quant/rtn.h"
#include "text/tokenizer.h"
#include "text/tokenizerloader.h"
#include "tinymodel.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

WeightFormat fmt(int bits, int group, bool symmetric)
{
    WeightFormat f;
    f.bits = bits;
    f.groupSize = group;
    f.symmetric = symmetric;
    return f;
}

// Calibration-like inputs: a few shared directions (correlated channels) and channel scales
// spanning two orders of magnitude, as LLM activations have.
at::Tensor correlatedInputs(std::int64_t tokens, std::int64_t features, std::uint64_t seed)
{
    at::manual_seed(seed);
    const at::Tensor latent = at::randn({ tokens, 8 });
    const at::Tensor mix = at::randn({ 8, features });
    const at::Tensor scale = at::exp(at::randn({ features }) * 1.0);
    return (latent.mm(mix) + 0.3 * at::randn({ tokens, features })) * scale;
}

double outputError(const at::Tensor &x, const at::Tensor &w, const at::Tensor &q)
{
    return (x.mm(w.t()) - x.mm(q.t())).square().sum().item<double>();
}

at::Tensor hessianOf(const at::Tensor &x)
{
    HessianAccumulator acc(x.size(1));
    acc.add(x);
    return acc.hessian();
}

// The inputs of decoder layer 1's linear modules, one tensor per input kind.
class LayerInputs : public ForwardObserver {
public:
    void linearInput(std::int64_t layer, LinearInput input, const at::Tensor &x) override
    {
        if (layer == 1)
            m_parts[input].push_back(x.clone());
    }
    at::Tensor take(LinearInput input) { return at::cat(m_parts[input], 0); }

private:
    std::map<LinearInput, std::vector<at::Tensor>> m_parts;
};

std::vector<std::vector<std::int32_t>> randomSequences(
    std::int64_t count, std::int64_t length, std::uint64_t seed, std::int64_t vocab)
{
    at::manual_seed(seed);
    std::vector<std::vector<std::int32_t>> out;
    for (std::int64_t i = 0; i < count; ++i) {
        const at::Tensor ids = at::randint(vocab, { length }, at::kInt).contiguous();
        out.emplace_back(ids.data_ptr<std::int32_t>(), ids.data_ptr<std::int32_t>() + length);
    }
    return out;
}

std::map<LinearInput, at::Tensor> layerInputs(
    Transformer &t, const std::vector<std::vector<std::int32_t>> &sequences)
{
    LayerInputs capture;
    t.setObserver(&capture);
    for (const auto &ids : sequences)
        t.logits(ids);
    t.setObserver(nullptr);
    std::map<LinearInput, at::Tensor> out;
    for (const LinearInput input : { LinearInput::Attention, LinearInput::AttentionOutput,
             LinearInput::Mlp, LinearInput::MlpOutput })
        out[input] = capture.take(input);
    return out;
}

// Relative output error ||x W^T - x Q^T||^2 / ||x W^T||^2 on held-out inputs of layer 1's
// q_proj, o_proj, gate_proj and down_proj for RTN, clip search, GPTQ and AWQ; printed, and
// GPTQ must beat RTN.
void compareQuantizers(const char *model, Transformer &t,
    const std::vector<std::vector<std::int32_t>> &calibration,
    const std::vector<std::vector<std::int32_t>> &evaluation)
{
    const auto calib = layerInputs(t, calibration);
    const auto eval = layerInputs(t, evaluation);
    const std::vector<std::pair<std::string, LinearInput>> modules
        = { { "self_attn.q_proj", LinearInput::Attention },
              { "self_attn.o_proj", LinearInput::AttentionOutput },
              { "mlp.gate_proj", LinearInput::Mlp }, { "mlp.down_proj", LinearInput::MlpOutput } };
    for (const char *name : { "int4-g128", "int3-g64" }) {
        const WeightFormat f = parseWeightFormat(name);
        for (const auto &[module, input] : modules) {
            const at::Tensor w = t.model().weight("model.layers.1." + module + ".weight");
            const at::Tensor xc = calib.at(input);
            const at::Tensor xe = eval.at(input);
            const at::Tensor ref = xe.mm(w.t());
            const auto relative = [&](const at::Tensor &q) {
                return (ref - xe.mm(q.t())).square().sum().item<double>()
                    / ref.square().sum().item<double>();
            };
            const double rtn = relative(fakeQuantize(w, f));
            ClipSearchOptions clip;
            const at::Tensor meanSquare = xc.square().mean(0).to(at::kDouble).contiguous();
            clip.importance.assign(
                meanSquare.data_ptr<double>(), meanSquare.data_ptr<double>() + meanSquare.numel());
            const double clipped = relative(packWeightClipSearch(w, f, clip).dequantize());
            const double gptq = relative(gptqQuantize(w, hessianOf(xc), f).dequantize());
            const AwqResult awq = awqSearchScales({ w }, xc, f);
            const at::Tensor s = awq.scales;
            const double awqError = relative(fakeQuantize(awqClipWeight(w * s, xc / s, f), f) / s);
            qInfo("%s %-9s %-16s %5lld tok: RTN %.5f  clip %.5f  GPTQ %.5f  AWQ %.5f (alpha %.2f)",
                model, name, module.c_str(), static_cast<long long>(xc.size(0)), rtn, clipped,
                gptq, awqError, awq.alpha);
            QVERIFY(gptq < rtn);
        }
    }
}

} // namespace

class TestGptq : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void hessianAccumulates()
    {
        at::manual_seed(1);
        const at::Tensor x = at::randn({ 37, 5 });
        HessianAccumulator acc(5);
        QCOMPARE(acc.samples(), std::int64_t(0));
        QVERIFY(acc.hessian().eq(0).all().item<bool>());
        QCOMPARE(acc.hessian().scalar_type(), at::kDouble);
        acc.add(x.slice(0, 0, 20));
        acc.add(x.slice(0, 20, 37));
        QCOMPARE(acc.samples(), std::int64_t(37));
        const at::Tensor xd = x.to(at::kDouble);
        const at::Tensor expected = 2.0 * xd.t().mm(xd) / 37.0;
        QVERIFY((acc.hessian() - expected).abs().max().item<double>() < 1e-5);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, acc.add(at::randn({ 3, 4 })));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, HessianAccumulator(0));
    }

    void beatsRoundToNearest_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("symmetric");
        QTest::addColumn<int>("cols");
        QTest::addColumn<bool>("actOrder");
        for (const bool act : { true, false })
            for (const bool sym : { true, false })
                for (const int cols : { 128, 172 }) {
                    const QString tag = QString("%1-%2-%3%4")
                                            .arg(cols)
                                            .arg(sym ? "sym" : "asym")
                                            .arg(act ? "act" : "seq");
                    QTest::newRow(qPrintable("int4-g32-" + tag)) << 4 << 32 << sym << cols << act;
                    QTest::newRow(qPrintable("int3-g64-" + tag)) << 3 << 64 << sym << cols << act;
                    QTest::newRow(qPrintable("int4-pc-" + tag)) << 4 << 0 << sym << cols << act;
                }
    }

    void beatsRoundToNearest()
    {
        QFETCH(int, bits);
        QFETCH(int, group);
        QFETCH(bool, symmetric);
        QFETCH(int, cols);
        QFETCH(bool, actOrder);
        const WeightFormat f = fmt(bits, group, symmetric);
        const at::Tensor x = correlatedInputs(512, cols, 7);
        at::manual_seed(3);
        const at::Tensor w = 0.2 * at::randn({ 48, cols });
        GptqOptions options;
        options.actOrder = actOrder;
        options.blockSize = 32; // several lazy blocks even for 128 columns
        const PackedMatrix p = gptqQuantize(w, hessianOf(x), f, options);
        QCOMPARE(p.rows, std::int64_t(48));
        QCOMPARE(p.cols, std::int64_t(cols));
        QCOMPARE(p.format, f);
        const double gptq = outputError(x, w, p.dequantize());
        const double rtn = outputError(x, w, fakeQuantizeRtn(w, f));
        qInfo("%s: GPTQ / RTN output error %.3f", QTest::currentDataTag(), gptq / rtn);
        QVERIFY2(gptq < 0.9 * rtn, qPrintable(QString("gptq %1 rtn %2").arg(gptq).arg(rtn)));
    }

    void codesAreValid()
    {
        const at::Tensor x = correlatedInputs(256, 172, 11);
        at::manual_seed(5);
        const at::Tensor w = 0.2 * at::randn({ 16, 172 });
        for (const WeightFormat &f : { fmt(4, 32, true), fmt(3, 64, false), fmt(2, 0, true),
                 fmt(8, 128, false) }) {
            const PackedMatrix p = gptqQuantize(w, hessianOf(x), f);
            const PackedMatrix r = packRtn(w, f);
            // Same layout as round-to-nearest.
            QCOMPARE(p.groupsPerRow, r.groupsPerRow);
            QCOMPARE(p.rowBytes, r.rowBytes);
            QCOMPARE(p.codes.size(), r.codes.size());
            QCOMPARE(p.bitsPerWeight(), r.bitsPerWeight());
            const int hi = (1 << f.bits) - 1;
            const int lo = f.symmetric ? 1 : 0;
            const at::Tensor dq = p.dequantize();
            for (std::int64_t row = 0; row < p.rows; ++row)
                for (std::int64_t col = 0; col < p.cols; ++col) {
                    const int u = p.code(row, col);
                    QVERIFY(u >= lo && u <= hi);
                    const std::size_t g = std::size_t(row * p.groupsPerRow + col / p.group);
                    if (f.symmetric)
                        QCOMPARE(int(p.zeros[g]), 1 << (f.bits - 1));
                    QCOMPARE(dq[row][col].item<float>(),
                        (float(u) - float(p.zeros[g])) * p.scales[g]);
                }
        }
    }

    void uncorrelatedInputsGiveRoundToNearest()
    {
        // H = identity: no error to spread, so every column rounds to nearest on RTN's grid.
        at::manual_seed(9);
        const at::Tensor w = 0.2 * at::randn({ 24, 100 });
        const at::Tensor h = at::eye(100, at::kDouble);
        for (const bool act : { true, false })
            for (const WeightFormat &f : { fmt(4, 32, true), fmt(3, 64, false), fmt(4, 0, false) }) {
                GptqOptions options;
                options.actOrder = act;
                const PackedMatrix p = gptqQuantize(w, h, f, options);
                const PackedMatrix r = packRtn(w, f);
                QVERIFY(p.codes == r.codes);
                QVERIFY(p.scales == r.scales);
                QVERIFY(p.zeros == r.zeros);
            }
    }

    void deadInputsBecomeZero()
    {
        at::Tensor x = correlatedInputs(128, 40, 13);
        x.select(1, 3).zero_();
        x.select(1, 17).zero_();
        at::manual_seed(2);
        const at::Tensor w = 0.2 * at::randn({ 8, 40 });
        const at::Tensor q = gptqQuantize(w, hessianOf(x), fmt(4, 16, false)).dequantize();
        QVERIFY(q.select(1, 3).eq(0).all().item<bool>());
        QVERIFY(q.select(1, 17).eq(0).all().item<bool>());
        QVERIFY(q.select(1, 4).ne(0).any().item<bool>());
        // A Hessian of zeros (no calibration data): every input dead, every weight 0.
        const at::Tensor none = gptqQuantize(w, HessianAccumulator(40).hessian(), fmt(4, 16, true))
                                    .dequantize();
        QVERIFY(none.eq(0).all().item<bool>());
    }

    void dampingRetryAndFailure()
    {
        // Eigenvalues 1 (x 15) and -0.05: 1% damping is not enough, 10% is.
        at::manual_seed(4);
        const auto [qr, r] = at::linalg_qr(at::randn({ 16, 16 }, at::kDouble));
        (void)r;
        at::Tensor eig = at::ones({ 16 }, at::kDouble);
        eig[15] = -0.05;
        const at::Tensor h = qr.mm(at::diag(eig)).mm(qr.t());
        const at::Tensor w = 0.2 * at::randn({ 4, 16 });
        const PackedMatrix p = gptqQuantize(w, h, fmt(4, 0, true));
        QVERIFY(at::isfinite(p.dequantize()).all().item<bool>());

        const at::Tensor negative = -at::eye(16, at::kDouble);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, gptqQuantize(w, negative, fmt(4, 0, true)));
        at::Tensor nan = at::eye(16, at::kDouble);
        nan[2][3] = std::nan("");
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, gptqQuantize(w, nan, fmt(4, 0, true)));
    }

    void badArguments()
    {
        const at::Tensor w = at::randn({ 4, 16 });
        const at::Tensor h = at::eye(16, at::kDouble);
        WeightFormat nf4;
        nf4.scheme = WeightScheme::Nf4;
        nf4.groupSize = 64;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, gptqQuantize(w, h, nf4));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, gptqQuantize(w, at::eye(15), fmt(4, 0, true)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, gptqQuantize(w, h, fmt(9, 0, true)));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, gptqQuantize(w.to(at::kDouble), h, fmt(4, 0, true)));
    }

    void comparesQuantizersOnTinyLlama()
    {
        // hidden 256, ffn 688 (not a multiple of 64 or 128: ragged last groups in down_proj).
        const ModelConfig config = test::tinyLlamaConfig(256, 688, 256);
        Transformer t(Model::fromWeights(config, test::tinyRandomWeights(config, 21)));
        // Calibration and evaluation tokens never overlap. Random tokens through random
        // weights give nearly uncorrelated inputs: GPTQ needs many samples per input feature
        // (688 for down_proj) not to fit the calibration set's noise.
        compareQuantizers("tiny-llama", t, randomSequences(160, 64, 100, config.vocabSize),
            randomSequences(8, 64, 200, config.vocabSize));
    }

    void comparesQuantizersOnDemoModel()
    {
        // The committed demo model on stories from its corpus generator (seeds it never saw).
        const std::string demo = LATHE_SOURCE_DIR "/resources/demo-model";
        const auto tokenizer = loadTokenizer(demo);
        Transformer t(Model::load(demo));
        const auto text = [&](std::uint64_t seed, std::size_t windows) {
            StoryCorpusOptions options;
            options.seed = seed;
            options.targetChars = 40'000;
            std::vector<std::int32_t> ids;
            for (const std::string &doc : generateStoryCorpus(options)) {
                const auto docIds = tokenizer->encode(doc, true);
                ids.insert(ids.end(), docIds.begin(), docIds.end());
            }
            std::vector<std::vector<std::int32_t>> out;
            for (std::size_t i = 0; i < windows && (i + 1) * 128 <= ids.size(); ++i)
                out.emplace_back(ids.begin() + std::ptrdiff_t(i * 128),
                    ids.begin() + std::ptrdiff_t((i + 1) * 128));
            return out;
        };
        compareQuantizers("demo", t, text(4242, 16), text(9191, 6));
    }
};

QTEST_GUILESS_MAIN(TestGptq)
#include "tst_gptq.moc"
