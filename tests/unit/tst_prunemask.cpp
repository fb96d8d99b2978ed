// SPDX-License-Identifier: GPL-3.0-or-later
// Unstructured and N:M pruning on synthetic tensors and a tiny random Llama: exact patterns
// (every group of M has exactly N zeros, unstructured rows exactly round(s * cols)), Wanda
// equals magnitude when every input has the same norm and keeps the weights of loud inputs,
// SparseGPT with a diagonal Hessian chooses as magnitude does and with correlated inputs
// reconstructs the layer's output better than both; bad methods, patterns and arguments are
// rejected with messages naming them; the model-level pruner leaves its base untouched.
#include "analysis/linearmodules.h"
#include "model/model.h"
#include "prune/prunemask.h"
#include "prune/sparsegpt.h"
#include "prune/unstructuredprune.h"
#include "util/error.h"

#include "tinymodel.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>
#include <functional>

using namespace lathe;

namespace {

// Empty when every row of `w` has the pattern's zeros in each group (ragged last group as
// NmPattern::zerosIn) or exactly round(s * cols) zeros per row when unstructured; else where
// it fails.
std::string patternViolation(const at::Tensor &w, const NmPattern &p, double sparsity)
{
    const at::Tensor zero = (w == 0).to(at::kLong).contiguous();
    const std::int64_t rows = w.size(0), cols = w.size(1);
    const std::int64_t *z = zero.data_ptr<std::int64_t>();
    for (std::int64_t r = 0; r < rows; ++r) {
        if (p.unstructured()) {
            std::int64_t n = 0;
            for (std::int64_t c = 0; c < cols; ++c)
                n += z[r * cols + c];
            if (n != std::llround(sparsity * double(cols)))
                return "row " + std::to_string(r) + " has " + std::to_string(n) + " zeros";
            continue;
        }
        for (std::int64_t g = 0; g < cols; g += p.m) {
            const std::int64_t len = std::min<std::int64_t>(p.m, cols - g);
            std::int64_t n = 0;
            for (std::int64_t c = g; c < g + len; ++c)
                n += z[r * cols + c];
            if (n != p.zerosIn(len))
                return "row " + std::to_string(r) + " group at " + std::to_string(g) + " has "
                    + std::to_string(n) + " zeros";
        }
    }
    return {};
}

// True when no pruned score of a row (or group) exceeds a kept one of the same row (group).
bool lowestPruned(const at::Tensor &scores, const at::Tensor &mask, std::int64_t group)
{
    const std::int64_t cols = scores.size(1);
    for (std::int64_t g = 0; g < cols; g += group) {
        const std::int64_t len = std::min(group, cols - g);
        const at::Tensor s = scores.slice(1, g, g + len);
        const at::Tensor m = mask.slice(1, g, g + len);
        const at::Tensor prunedMax = s.masked_fill(~m, -1.0f).amax(1);
        const at::Tensor keptMin = s.masked_fill(m, 1e30f).amin(1);
        if ((prunedMax > keptMin).any().item<bool>())
            return false;
    }
    return true;
}

template <typename F>
QString messageOf(F &&f)
{
    try {
        f();
    } catch (const InvalidArgument &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

std::shared_ptr<const Model> tinyModel()
{
    // ffn 90: down_proj's rows end in a ragged group of 2 under 2:4 and of 2 under 4:8.
    ModelConfig c = test::tinyLlamaConfig(64, 90, 60);
    c.tieWordEmbeddings = true;
    return Model::fromWeights(c, test::tinyRandomWeights(c, 11));
}

std::vector<std::vector<std::int32_t>> randomSequences(int count, int length, int vocab)
{
    at::manual_seed(21);
    std::vector<std::vector<std::int32_t>> out;
    for (int i = 0; i < count; ++i) {
        const at::Tensor t = at::randint(vocab, { length }, at::kInt);
        out.emplace_back(t.data_ptr<std::int32_t>(), t.data_ptr<std::int32_t>() + length);
    }
    return out;
}

// Inputs with strongly correlated channels of unequal scale, [tokens, features].
at::Tensor correlatedInputs(std::int64_t tokens, std::int64_t features)
{
    const at::Tensor z = at::randn({ tokens, features });
    const at::Tensor mix = at::eye(features) + 0.6 * at::randn({ features, features });
    const at::Tensor scale = at::exp(at::randn({ features }));
    return at::mm(z, mix) * scale.unsqueeze(0);
}

double outputError(const at::Tensor &w, const at::Tensor &pruned, const at::Tensor &x)
{
    return (at::mm(x, (w - pruned).t())).norm().item<double>();
}

} // namespace

class TestPruneMask : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesPatterns()
    {
        QVERIFY(parseNmPattern("").unstructured());
        const NmPattern p = parseNmPattern("2:4");
        QCOMPARE(p.n, 2);
        QCOMPARE(p.m, 4);
        QCOMPARE(p.sparsity(), 0.5);
        QCOMPARE(parseNmPattern("4:8").n, 4);
        QCOMPARE(p.zerosIn(4), std::int64_t(2));
        QCOMPARE(p.zerosIn(3), std::int64_t(1));
        QCOMPARE(p.zerosIn(1), std::int64_t(0));
        for (const char *bad :
            { "2-4", "4:2", "0:4", "4:4", "a:b", "2:", ":4", "2:1000", " 2:4" }) {
            const QString message = messageOf([&] { parseNmPattern(bad); });
            QVERIFY2(message.contains(QString("'") + bad + "'"), bad);
            QVERIFY2(message.contains("N:M"), qPrintable(message));
        }
    }

    void nmMasksAreExact()
    {
        at::manual_seed(1);
        for (std::int64_t cols : { 40, 42, 45 }) {
            const at::Tensor scores = at::rand({ 13, cols });
            for (const char *text : { "2:4", "4:8", "1:4" }) {
                const NmPattern p = parseNmPattern(text);
                const at::Tensor mask = pruneMask(scores, 0.9, p); // sparsity ignored
                const at::Tensor w = at::ones({ 13, cols }).masked_fill(mask, 0.0f);
                const std::string v = patternViolation(w, p, 0);
                QVERIFY2(v.empty(), (std::string(text) + ": " + v).c_str());
                QVERIFY2(lowestPruned(scores, mask, p.m), text);
            }
        }
    }

    void unstructuredRowsAreExact()
    {
        at::manual_seed(2);
        const at::Tensor scores = at::rand({ 9, 37 });
        for (double s : { 0.0, 0.3, 0.5, 0.77, 1.0 }) {
            const at::Tensor mask = pruneMask(scores, s, {});
            const at::Tensor w = at::ones({ 9, 37 }).masked_fill(mask, 0.0f);
            QVERIFY2(patternViolation(w, {}, s).empty(), qPrintable(QString::number(s)));
            QVERIFY(lowestPruned(scores, mask, 37));
        }
        // Ties go to the lower column.
        const at::Tensor tied = pruneMask(at::ones({ 1, 4 }), 0.5, {});
        QVERIFY(tied.slice(1, 0, 2).all().item<bool>());
        QVERIFY(!tied.slice(1, 2, 4).any().item<bool>());
        QVERIFY(!messageOf([&] { pruneMask(scores, 1.5, {}); }).isEmpty());
    }

    void wandaEqualsMagnitudeForEqualNorms()
    {
        at::manual_seed(3);
        const at::Tensor w = at::randn({ 16, 32 });
        const at::Tensor ms = at::full({ 32 }, 2.5, at::kDouble);
        for (const char *text : { "", "2:4", "4:8" }) {
            const NmPattern p = parseNmPattern(text);
            QVERIFY2(at::equal(pruneMask(wandaScores(w, ms), 0.5, p),
                         pruneMask(magnitudeScores(w), 0.5, p)),
                text);
        }
    }

    void wandaKeepsWeightsOfLoudInputs()
    {
        at::manual_seed(4);
        // Weights of similar size; the first half of the inputs is 10x louder.
        const at::Tensor w = (0.9 + 0.2 * at::rand({ 8, 32 })) * at::randn({ 8, 32 }).sign();
        at::Tensor ms = at::ones({ 32 }, at::kDouble);
        ms.slice(0, 0, 16).fill_(100.0);
        const at::Tensor mask = pruneMask(wandaScores(w, ms), 0.5, {});
        QVERIFY(!mask.slice(1, 0, 16).any().item<bool>());
        QVERIFY(mask.slice(1, 16, 32).all().item<bool>());
        // Magnitude alone does not see it.
        QVERIFY(pruneMask(magnitudeScores(w), 0.5, {}).slice(1, 0, 16).any().item<bool>());
        QVERIFY(!messageOf([&] { wandaScores(w, at::ones({ 31 })); }).isEmpty());
    }

    void sparseGptWithDiagonalHessianEqualsMagnitude()
    {
        at::manual_seed(5);
        const at::Tensor w = at::randn({ 12, 48 });
        const at::Tensor h = 3.0 * at::eye(48, at::kDouble);
        SparseGptOptions unstructured;
        unstructured.sparsity = 0.5;
        unstructured.blockSize = 64; // one block: the row-wise choice over all columns
        const at::Tensor a = sparseGptPrune(w, h, unstructured);
        QVERIFY(at::equal(a, applyPruneMask(w, pruneMask(magnitudeScores(w), 0.5, {}))));
        SparseGptOptions nm;
        nm.pattern = parseNmPattern("2:4");
        nm.blockSize = 8;
        const at::Tensor b = sparseGptPrune(w, h, nm);
        QVERIFY(at::equal(b, applyPruneMask(w, pruneMask(magnitudeScores(w), 0.5, nm.pattern))));
    }

    void sparseGptPatternsAreExact()
    {
        at::manual_seed(6);
        const at::Tensor x = correlatedInputs(256, 50);
        const at::Tensor h = (2.0 / 256.0) * at::mm(x.t(), x).to(at::kDouble);
        const at::Tensor w = at::randn({ 10, 50 });
        for (const char *text : { "", "2:4", "4:8" }) {
            for (int block : { 8, 16, 128 }) {
                SparseGptOptions o;
                o.sparsity = 0.6;
                o.pattern = parseNmPattern(text);
                o.blockSize = block;
                const at::Tensor p = sparseGptPrune(w, h, o);
                const std::string v = patternViolation(p, o.pattern, 0.6);
                QVERIFY2(v.empty(), (std::string(text) + ": " + v).c_str());
                QVERIFY(at::isfinite(p).all().item<bool>());
            }
        }
        QVERIFY(!messageOf([&] { sparseGptPrune(w, at::eye(49, at::kDouble)); }).isEmpty());
    }

    void sparseGptReconstructsOutputsBest()
    {
        at::manual_seed(7);
        const at::Tensor x = correlatedInputs(1024, 64);
        const at::Tensor w = at::randn({ 32, 64 });
        const at::Tensor h = (2.0 / 1024.0) * at::mm(x.t(), x).to(at::kDouble);
        const at::Tensor ms = x.pow(2).mean(0).to(at::kDouble);
        for (const char *text : { "", "2:4" }) {
            const NmPattern p = parseNmPattern(text);
            const double magnitude
                = outputError(w, applyPruneMask(w, pruneMask(magnitudeScores(w), 0.5, p)), x);
            const double wanda
                = outputError(w, applyPruneMask(w, pruneMask(wandaScores(w, ms), 0.5, p)), x);
            SparseGptOptions o;
            o.sparsity = 0.5;
            o.pattern = p;
            o.blockSize = 16;
            const double sparse = outputError(w, sparseGptPrune(w, h, o), x);
            qInfo("%-4s output error: magnitude %.2f, wanda %.2f, sparsegpt %.2f",
                text[0] ? text : "50%", magnitude, wanda, sparse);
            QVERIFY(wanda < magnitude);
            QVERIFY(sparse < 0.9 * wanda);
        }
    }

    void rejectsBadStages()
    {
        const auto base = tinyModel();
        const auto calibration = randomSequences(2, 16, 60);
        PruningStage stage;
        stage.method = "lottery";
        QVERIFY(messageOf([&] { pruneUnstructured(base, stage, calibration); })
                    .contains("'lottery'"));
        stage.method = "magnitude";
        stage.pattern = "3:2";
        QVERIFY(messageOf([&] { pruneUnstructured(base, stage, calibration); }).contains("'3:2'"));
        stage.pattern.clear();
        stage.sparsity = 1.5;
        QVERIFY(messageOf([&] { pruneUnstructured(base, stage, calibration); })
                    .contains("outside 0..1"));
        stage.sparsity = 0.5;
        for (const char *method : { "wanda", "sparsegpt" }) {
            stage.method = method;
            const QString m = messageOf([&] { pruneUnstructured(base, stage, {}); });
            QVERIFY2(m.startsWith(method) && m.contains("calibration"), qPrintable(m));
        }
        stage.method = "magnitude";
        PruneRule rule;
        rule.kind = "c_fc";
        rule.sparsity = 0.2;
        stage.rules = { rule };
        QVERIFY(messageOf([&] { pruneUnstructured(base, stage, {}); }).contains("'c_fc'"));
        stage.rules[0].kind.clear();
        stage.rules[0].firstLayer = 5;
        QVERIFY(messageOf([&] { pruneUnstructured(base, stage, {}); }).contains("layer range"));
    }

    void moduleSparsityFollowsRulesAndIgnore()
    {
        const ModelConfig config = test::tinyLlamaConfig(64, 90, 60);
        PruningStage stage;
        stage.sparsity = 0.5;
        stage.ignore = { "lm_head", "model.layers.0.mlp.down_proj" };
        PruneRule q;
        q.kind = "q_proj";
        q.sparsity = 0.25;
        PruneRule late;
        late.match = "model.layers.1.*";
        late.sparsity = 0.75;
        PruneRule keep;
        keep.kind = "k_proj";
        keep.firstLayer = 1;
        keep.sparsity = 0.0;
        stage.rules = { q, late, keep };
        std::map<std::string, double> s;
        for (const LinearModule &m : linearModules(config))
            s[m.name] = moduleSparsity(stage, m);
        QCOMPARE(s["model.layers.0.self_attn.q_proj"], 0.25);
        QCOMPARE(s["model.layers.1.self_attn.q_proj"], 0.75); // the later rule wins
        QCOMPARE(s["model.layers.0.self_attn.k_proj"], 0.5);
        QCOMPARE(s["model.layers.1.self_attn.k_proj"], 0.0);
        QCOMPARE(s["model.layers.0.mlp.down_proj"], 0.0);
        QCOMPARE(s["model.layers.1.mlp.down_proj"], 0.75);
        stage.pattern = "2:4"; // the pattern fixes every pruned module's sparsity
        for (const LinearModule &m : linearModules(config))
            QCOMPARE(moduleSparsity(stage, m), s[m.name] > 0 ? 0.5 : 0.0);
    }

    void prunesTinyModel_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("pattern");
        for (const char *method : { "magnitude", "wanda", "sparsegpt" })
            for (const char *pattern : { "", "2:4", "4:8" })
                QTest::newRow((std::string(method) + " " + (pattern[0] ? pattern : "50%")).c_str())
                    << method << pattern;
    }

    void prunesTinyModel()
    {
        QFETCH(QString, method);
        QFETCH(QString, pattern);
        const auto base = tinyModel();
        std::map<std::string, at::Tensor> before;
        for (const auto &[name, t] : base->weights())
            before[name] = t.clone();
        PruningStage stage;
        stage.method = method.toStdString();
        stage.pattern = pattern.toStdString();
        stage.sparsity = 0.5;
        stage.ignore = { "lm_head", "v_proj" };
        stage.blockSize = 32;
        double last = -1;
        const PruneResult r = pruneUnstructured(base, stage, randomSequences(4, 24, 60),
            [&](double f, const std::string &) {
                QVERIFY(f >= last - 1e-12 && f <= 1.0);
                last = f;
            });
        QCOMPARE(last, 1.0);
        for (const auto &[name, t] : before)
            QVERIFY2(at::equal(base->weight(name), t), name.c_str());

        const NmPattern p = parseNmPattern(stage.pattern);
        const std::vector<LinearModule> modules = linearModules(base->config());
        QCOMPARE(r.modules.size(), modules.size());
        std::int64_t zeros = 0, weights = 0;
        for (std::size_t i = 0; i < modules.size(); ++i) {
            const LinearModule &m = modules[i];
            const at::Tensor &w = r.variant->weight(m.weight);
            QCOMPARE(r.modules[i].module, m.name);
            QCOMPARE(r.modules[i].zeros, (w == 0).sum().item<std::int64_t>());
            QCOMPARE(r.modules[i].weights, w.numel());
            zeros += r.modules[i].zeros;
            weights += r.modules[i].weights;
            if (m.kind == "v_proj") {
                QCOMPARE(r.modules[i].zeros, std::int64_t(0));
                QVERIFY(w.data_ptr() == base->weight(m.weight).data_ptr());
                continue;
            }
            const std::string v = patternViolation(w, p, 0.5);
            QVERIFY2(v.empty(), (m.name + ": " + v).c_str());
            if (stage.method != "sparsegpt") // the kept weights are unchanged
                QVERIFY(at::equal(w, base->weight(m.weight).masked_fill(w == 0, 0.0f)));
        }
        QCOMPARE(r.sparsity, double(zeros) / double(weights));
        QVERIFY(r.sparsity > 0.35 && r.sparsity < 0.5);
        QCOMPARE(r.parametersAfter, r.parametersBefore);
        QVERIFY(r.recipe.pruning == stage);
        for (const char *shared : { "model.embed_tokens.weight", "model.norm.weight",
                 "model.layers.1.input_layernorm.weight" })
            QVERIFY(r.variant->weight(shared).data_ptr() == base->weight(shared).data_ptr());
    }

    void cancelLeavesBaseUntouched()
    {
        const auto base = tinyModel();
        const at::Tensor q = base->weight("model.layers.0.self_attn.q_proj.weight").clone();
        CancelToken cancel;
        PruningStage stage;
        stage.method = "sparsegpt";
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(CancelledError,
            pruneUnstructured(base, stage, randomSequences(4, 24, 60),
                [&](double, const std::string &) {
                    if (++calls == 3)
                        cancel.cancel();
                },
                cancel));
        QVERIFY(at::equal(base->weight("model.layers.0.self_attn.q_proj.weight"), q));
    }
};

QTEST_GUILESS_MAIN(TestPruneMask)
#include "tst_prunemask.moc"
