// SPDX-License-Identifier: GPL-3.0-or-later
// Unstructured and N:M pruning on real models, the acceptance checks of the pruning issue on
// held-out text (calibration and evaluation never overlap): at 50% unstructured and at 2:4,
// Wanda and SparseGPT both give clearly lower perplexity than magnitude pruning on
// tinystories-656k, and at 2:4 on the demo model (at 50% unstructured the demo model loses so
// little that magnitude is as good: see the bound below); the pruned models have exactly the
// asked patterns.
#include "modelbench.h"
#include "testdata.h"

#include "analysis/activationstats.h"
#include "analysis/linearmodules.h"
#include "eval/perplexity.h"
#include "model/model.h"
#include "model/transformer.h"
#include "prune/prunemask.h"
#include "prune/unstructuredprune.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>


using namespace lathe;

namespace {

constexpr int kCtx = 128;

std::string path(const char *relative)
{
    return test::dataPath(relative).toStdString();
}

using Bench = test::ModelBench;

Bench tinyStories()
{
    return test::tinyStoriesBench(16, kCtx);
}

Bench demoBench()
{
    return test::demoBench(16, kCtx);
}

double perplexity(const std::shared_ptr<const Model> &model, const Bench &b)
{
    PerplexityOptions options;
    options.ctx = kCtx;
    return evaluatePerplexity(Transformer(model), b.eval, options).ppl;
}

PruningStage stageFor(const std::string &method, const std::string &pattern)
{
    PruningStage stage;
    stage.method = method;
    stage.pattern = pattern;
    stage.sparsity = 0.5;
    return stage;
}

// Empty when every pruned module of `r` has the pattern exactly (N:M: every whole group of M
// has N zeros; unstructured: each row round(0.5 * cols)); else the first module that does not.
std::string patternViolation(const PruneResult &r, const std::string &text)
{
    const NmPattern p = parseNmPattern(text);
    for (const LinearModule &m : linearModules(r.variant->config())) {
        const at::Tensor zero = r.variant->weight(m.weight) == 0;
        const std::int64_t rows = zero.size(0), cols = zero.size(1);
        if (p.unstructured()) {
            if (!at::equal(zero.sum(1), at::full({ rows }, std::int64_t(std::llround(0.5 * double(cols))),
                                             at::kLong)))
                return m.name + " has rows with other than half their weights zero";
            continue;
        }
        const std::int64_t whole = cols / p.m * p.m;
        const at::Tensor groups = zero.slice(1, 0, whole).reshape({ rows, whole / p.m, p.m });
        if (!(groups.sum(2) == p.n).all().item<bool>())
            return m.name + " has a group of " + std::to_string(p.m) + " without exactly "
                + std::to_string(p.n) + " zeros";
    }
    return {};
}

} // namespace

class TestPrune : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void wandaAndSparseGptBeatMagnitude()
    {
        LATHE_REQUIRE_SHARED_DATA();
        for (const Bench &b : { tinyStories(), demoBench() }) {
            const double base = perplexity(b.model, b);
            for (const char *pattern : { "", "2:4" }) {
                std::map<std::string, double> ppl;
                for (const char *method : { "magnitude", "wanda", "sparsegpt" }) {
                    const PruneResult r
                        = pruneUnstructured(b.model, stageFor(method, pattern), b.calibration);
                    const std::string v = patternViolation(r, pattern);
                    QVERIFY2(v.empty(), (b.name + " " + method + ": " + v).c_str());
                    QVERIFY(r.sparsity > 0.49 && r.sparsity <= 0.5);
                    ppl[method] = perplexity(r.variant, b);
                }
                const std::string where = b.name + " " + (pattern[0] ? pattern : "50%");
                qInfo("%-16s %-4s ppl base %8.3f  magnitude %9.3f  wanda %8.3f  sparsegpt %8.3f",
                    b.name.c_str(), pattern[0] ? pattern : "50%", base, ppl["magnitude"],
                    ppl["wanda"], ppl["sparsegpt"]);
                // The demo model at 50% unstructured is the exception (measured: base 2.485,
                // magnitude 2.840, wanda 2.855, sparsegpt 2.928; with 64 calibration windows
                // wanda 2.826, sparsegpt 2.855): it loses little to any of them and magnitude
                // is as good as the calibrated methods there. Everywhere else both are at
                // least 5% better.
                const bool exception = b.name == "demo" && !pattern[0];
                const double bound = exception ? 1.05 : 0.95;
                QVERIFY2(ppl["wanda"] < bound * ppl["magnitude"], where.c_str());
                QVERIFY2(ppl["sparsegpt"] < bound * ppl["magnitude"], where.c_str());
                QVERIFY2(ppl["wanda"] > base && ppl["sparsegpt"] > base, where.c_str());
            }
        }
    }

    void gpt2IsRefused()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto model = Model::load(path("models/random/gpt2"));
        try {
            pruneUnstructured(model, stageFor("magnitude", ""), {});
            QFAIL("GPT-2 was pruned");
        } catch (const UnsupportedError &e) {
            QVERIFY2(QString(e.what()).contains("gpt2"), e.what());
        }
    }

    void patternsAreExactAt4Of8()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Bench b = tinyStories();
        for (const char *method : { "magnitude", "wanda", "sparsegpt" }) {
            const PruneResult r
                = pruneUnstructured(b.model, stageFor(method, "4:8"), b.calibration);
            const std::string v = patternViolation(r, "4:8");
            QVERIFY2(v.empty(), (std::string(method) + ": " + v).c_str());
            for (const ModulePruneReport &m : r.modules)
                QCOMPARE(m.zeros * 2, m.weights);
            QCOMPARE(r.parametersAfter, r.parametersBefore);
            // Every tensor but the pruned linear weights is the base's own.
            QVERIFY(r.variant->weight("model.embed_tokens.weight").data_ptr()
                == b.model->weight("model.embed_tokens.weight").data_ptr());
        }
    }
};

QTEST_GUILESS_MAIN(TestPrune)
#include "tst_prune.moc"
