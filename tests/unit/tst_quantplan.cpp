// SPDX-License-Identifier: GPL-3.0-or-later
// Resolving a recipe's quantization stage against the tiny Llama config: defaults, rule
// precedence (later rules win, ignore wins over rules), globs, layer ranges, the output head,
// errors that name the rule, and the sizes against a hand count.
#include "quant/quantplan.h"
#include "util/error.h"

#include "tinymodel.h"

#include <QtTest/QtTest>

using namespace lathe;

namespace {

// tinyLlamaConfig(): hidden 64, ffn 96, vocab 50, 2 layers, 4 heads of 16, 2 KV heads.
ModelConfig tiny()
{
    return test::tinyLlamaConfig();
}

const ModulePlan &find(const QuantPlan &plan, const std::string &name)
{
    for (const ModulePlan &m : plan.modules)
        if (m.module == name)
            return m;
    throw std::runtime_error("no module " + name);
}

std::string formatOf(const QuantPlan &plan, const std::string &name)
{
    const ModulePlan &m = find(plan, name);
    return m.format ? m.format->name() : "none";
}

QuantRule rule(const std::string &match, const std::string &kind, const std::string &format,
    const std::string &method = "", int first = -1, int last = -1)
{
    QuantRule r;
    r.match = match;
    r.kind = kind;
    r.format = format;
    r.method = method;
    r.firstLayer = first;
    r.lastLayer = last;
    return r;
}

// Runs `fn` and checks that it throws InvalidArgument whose message contains every part.
template <typename Fn> bool throwsWith(Fn fn, std::initializer_list<const char *> parts)
{
    try {
        fn();
    } catch (const InvalidArgument &e) {
        const std::string what = e.what();
        for (const char *part : parts)
            if (what.find(part) == std::string::npos) {
                qWarning("message '%s' lacks '%s'", e.what(), part);
                return false;
            }
        return true;
    }
    qWarning("no InvalidArgument thrown");
    return false;
}

} // namespace

class TestQuantPlan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaultsAndHandCountedSizes()
    {
        const QuantPlan plan = resolveQuantPlan(QuantizationStage {}, tiny());
        QCOMPARE(plan.modules.size(), std::size_t(2 * 7 + 1));
        QCOMPARE(plan.modules[0].module, std::string("model.layers.0.self_attn.q_proj"));
        QCOMPARE(plan.modules[13].module, std::string("model.layers.1.mlp.down_proj"));
        const ModulePlan &head = plan.modules.back();
        QCOMPARE(head.module, std::string("lm_head"));
        QCOMPARE(head.kind, std::string("lm_head"));
        QCOMPARE(head.layer, std::int64_t(-1));
        QCOMPARE(head.rows, std::int64_t(50));
        QCOMPARE(head.cols, std::int64_t(64));
        QVERIFY(!head.format); // ignored by default
        QCOMPARE(head.bitsPerWeight, 32.0);

        const ModulePlan &k = find(plan, "model.layers.1.self_attn.k_proj");
        QCOMPARE(k.rows, std::int64_t(32));
        QCOMPARE(k.cols, std::int64_t(64));
        QCOMPARE(k.layer, std::int64_t(1));
        QCOMPARE(k.method, QuantMethod::Rtn);
        QCOMPARE(k.format->name(), std::string("int4-g128"));
        // 64 columns in one group of 64: 32 bytes of codes + a 4-byte scale per row.
        QCOMPARE(k.bitsPerWeight, 36.0 * 8 / 64);
        // down_proj: 96 columns: 48 bytes + 4.
        QCOMPARE(find(plan, "model.layers.0.mlp.down_proj").bitsPerWeight, 52.0 * 8 / 96);

        // Per layer: q 4096, k 2048, v 2048, o 4096, gate 6144, up 6144 (64 columns) and
        // down 6144 (96 columns) weights; norms 64 each.
        const std::int64_t perLayer64 = 4096 + 2048 + 2048 + 4096 + 6144 + 6144;
        QCOMPARE(plan.quantizedWeights, 2 * (perLayer64 + 6144));
        const double bytesQuantized = 2 * (perLayer64 * 36.0 / 64 + 64 * 52.0);
        QCOMPARE(plan.quantizedBits, bytesQuantized * 8);
        QCOMPARE(plan.bitsPerWeight(), bytesQuantized * 8 / double(plan.quantizedWeights));
        const std::uint64_t embed = 50 * 64 * 4, head32 = 50 * 64 * 4, norms = 5 * 64 * 4;
        const std::uint64_t linear32 = 2 * (perLayer64 + 6144) * 4;
        QCOMPARE(plan.originalBytes, embed + head32 + norms + linear32);
        QCOMPARE(plan.totalBytes, embed + head32 + norms + std::uint64_t(bytesQuantized));
    }

    void tiedEmbeddingsCountOnce()
    {
        ModelConfig c = tiny();
        c.tieWordEmbeddings = true;
        const QuantPlan untied = resolveQuantPlan(QuantizationStage {}, tiny());
        const QuantPlan tied = resolveQuantPlan(QuantizationStage {}, c);
        QCOMPARE(tied.originalBytes, untied.originalBytes - 50 * 64 * 4);
        QCOMPARE(tied.totalBytes, untied.totalBytes - 50 * 64 * 4);
        // A quantized head becomes its own tensor beside the f32 embedding.
        QuantizationStage stage;
        stage.ignore.clear();
        const QuantPlan quantizedHead = resolveQuantPlan(stage, c);
        QCOMPARE(quantizedHead.originalBytes, tied.originalBytes);
        QCOMPARE(quantizedHead.totalBytes, tied.totalBytes + 50 * 36);
    }

    void laterRulesWinAndIgnoreWinsOverRules()
    {
        QuantizationStage stage;
        stage.rules = {
            rule("", "down_proj", "int8"),
            rule("model.layers.1.*", "", "int3-g64"),
            rule("*.self_attn.?_proj", "", "", "gptq"), // method only: format unchanged
            rule("model.layers.0.self_attn.o_proj", "", "none"),
        };
        stage.ignore = { "*.v_proj", "up_proj" };
        const QuantPlan plan = resolveQuantPlan(stage, tiny());
        QCOMPARE(formatOf(plan, "model.layers.0.mlp.down_proj"), std::string("int8"));
        QCOMPARE(formatOf(plan, "model.layers.1.mlp.down_proj"), std::string("int3-g64"));
        QCOMPARE(formatOf(plan, "model.layers.1.mlp.gate_proj"), std::string("int3-g64"));
        QCOMPARE(formatOf(plan, "model.layers.0.mlp.gate_proj"), std::string("int4-g128"));
        QCOMPARE(formatOf(plan, "model.layers.0.self_attn.q_proj"), std::string("int4-g128"));
        QCOMPARE(find(plan, "model.layers.0.self_attn.q_proj").method, QuantMethod::Gptq);
        QCOMPARE(find(plan, "model.layers.1.self_attn.k_proj").method, QuantMethod::Gptq);
        QCOMPARE(find(plan, "model.layers.0.mlp.gate_proj").method, QuantMethod::Rtn);
        QCOMPARE(formatOf(plan, "model.layers.0.self_attn.o_proj"), std::string("none"));
        QCOMPARE(formatOf(plan, "model.layers.1.self_attn.o_proj"), std::string("int3-g64"));
        // Ignored by glob and by kind, whatever the rules say.
        QCOMPARE(formatOf(plan, "model.layers.1.self_attn.v_proj"), std::string("none"));
        QCOMPARE(formatOf(plan, "model.layers.1.mlp.up_proj"), std::string("none"));
        QCOMPARE(formatOf(plan, "model.layers.0.mlp.up_proj"), std::string("none"));
        QCOMPARE(find(plan, "model.layers.0.mlp.up_proj").bitsPerWeight, 32.0);
        // The head was taken off the ignore list: it gets the default.
        QCOMPARE(formatOf(plan, "lm_head"), std::string("int4-g128"));
    }

    void layerRanges()
    {
        QuantizationStage stage;
        stage.ignore.clear();
        stage.rules = { rule("", "", "int8", "", 1, -1), rule("", "", "int2-g32", "", -1, 0) };
        QuantPlan plan = resolveQuantPlan(stage, tiny());
        QCOMPARE(formatOf(plan, "model.layers.0.self_attn.k_proj"), std::string("int2-g32"));
        QCOMPARE(formatOf(plan, "model.layers.1.self_attn.k_proj"), std::string("int8"));
        QCOMPARE(formatOf(plan, "lm_head"), std::string("int4-g128")); // in no layer
        stage.rules = { rule("", "q_proj", "int8", "", 1, 1), rule("", "lm_head", "int8") };
        plan = resolveQuantPlan(stage, tiny());
        QCOMPARE(formatOf(plan, "model.layers.0.self_attn.q_proj"), std::string("int4-g128"));
        QCOMPARE(formatOf(plan, "model.layers.1.self_attn.q_proj"), std::string("int8"));
        QCOMPARE(formatOf(plan, "lm_head"), std::string("int8"));
    }

    void globs()
    {
        QVERIFY(globMatch("", ""));
        QVERIFY(!globMatch("", "a"));
        QVERIFY(globMatch("*", ""));
        QVERIFY(globMatch("*", "model.layers.3.mlp.up_proj"));
        QVERIFY(globMatch("model.layers.*.mlp.*", "model.layers.12.mlp.down_proj"));
        QVERIFY(!globMatch("model.layers.*.mlp.*", "model.layers.12.self_attn.q_proj"));
        QVERIFY(globMatch("model.layers.?.mlp.up_proj", "model.layers.3.mlp.up_proj"));
        QVERIFY(!globMatch("model.layers.?.mlp.up_proj", "model.layers.13.mlp.up_proj"));
        QVERIFY(globMatch("*_proj", "model.layers.0.self_attn.q_proj"));
        QVERIFY(!globMatch("*_proj", "lm_head"));
        QVERIFY(globMatch("a*b*c", "aXbYbZc"));
        QVERIFY(!globMatch("a*b*c", "aXbYbZ"));
        QVERIFY(globMatch("**a", "bba"));
        QVERIFY(globMatch("lm_head", "lm_head"));
        QVERIFY(!globMatch("lm_hea", "lm_head"));
        QVERIFY(!globMatch("lm_head?", "lm_head"));
    }

    void errorsNameTheRule()
    {
        const ModelConfig c = tiny();
        QuantizationStage stage;
        stage.rules = { rule("", "q_proj", "int8"), rule("*.down_proj", "", "int9") };
        QVERIFY(throwsWith([&] { resolveQuantPlan(stage, c); },
            { "rule 2 (match '*.down_proj')", "'int9' is not a weight format", "or none" }));
        stage.rules = { rule("", "q_proj", "", "gptqq") };
        QVERIFY(throwsWith([&] { resolveQuantPlan(stage, c); },
            { "rule 1 (kind 'q_proj')", "'gptqq' is not a quantization method" }));
        stage.rules = { rule("", "", "int8", "", 0, 2) };
        QVERIFY(throwsWith([&] { resolveQuantPlan(stage, c); },
            { "rule 1 (layers 0-2)", "outside the model", "0-1" }));
        stage.rules = { rule("", "", "int8", "", 1, 0) };
        QVERIFY(throwsWith([&] { resolveQuantPlan(stage, c); }, { "rule 1", "empty" }));
        stage.rules = { rule("", "qproj", "int8") };
        QVERIFY(throwsWith([&] { resolveQuantPlan(stage, c); },
            { "rule 1", "'qproj' is not a module kind", "q_proj, k_proj" }));
        // GPTQ needs an integer grid: the method and the format come from different places.
        stage.rules = { rule("", "down_proj", "", "gptq"), rule("*.layers.1.*", "", "nf4") };
        QVERIFY(throwsWith([&] { resolveQuantPlan(stage, c); },
            { "rule 1 (kind 'down_proj') (method) and rule 2 (match '*.layers.1.*') (format)",
                "model.layers.1.mlp.down_proj", "GPTQ needs an integer format" }));
        stage.rules.clear();
        stage.method = "smoothquant";
        QVERIFY(throwsWith([&] { resolveQuantPlan(stage, c); },
            { "the recipe's default: model.layers.0.self_attn.q_proj gets", "format int4-g128",
                "SmoothQuant needs int8" }));
        stage.format = "int8";
        QVERIFY(resolveQuantPlan(stage, c).modules[0].method == QuantMethod::SmoothQuant);
        stage.format = "int8-g128";
        QVERIFY(throwsWith([&] { resolveQuantPlan(stage, c); }, { "SmoothQuant needs int8" }));
        stage = QuantizationStage {};
        stage.format = "int4-g0";
        QVERIFY(throwsWith(
            [&] { resolveQuantPlan(stage, c); }, { "the recipe's default format", "'int4-g0'" }));
        stage = QuantizationStage {};
        stage.method = "awq";
        stage.format = "nf4"; // AWQ scales, then rounds onto any grid
        QCOMPARE(resolveQuantPlan(stage, c).modules[0].method, QuantMethod::Awq);
    }

    void noneAsDefaultQuantizesOnlyWhatRulesSay()
    {
        QuantizationStage stage;
        stage.format = "none";
        stage.rules = { rule("", "down_proj", "int4-g32") };
        const QuantPlan plan = resolveQuantPlan(stage, tiny());
        std::int64_t quantized = 0;
        for (const ModulePlan &m : plan.modules)
            quantized += m.format ? 1 : 0;
        QCOMPARE(quantized, std::int64_t(2));
        QCOMPARE(plan.quantizedWeights, std::int64_t(2 * 64 * 96));
        // 96 columns in groups of 32: 3 x (16 bytes + 4-byte scale) per row = 60 bytes.
        QCOMPARE(plan.bitsPerWeight(), 60.0 * 8 / 96);
        QCOMPARE(plan.originalBytes - plan.totalBytes, std::uint64_t(2 * 64 * (96 * 4 - 60)));
        stage.rules.clear();
        QCOMPARE(resolveQuantPlan(stage, tiny()).bitsPerWeight(), 0.0);
    }

    void planCandidatesSuitTheMethod()
    {
        const PlanSettings plan; // the defaults include nf4-g128
        const auto names = [](const std::vector<WeightFormat> &formats) {
            std::vector<std::string> out;
            for (const WeightFormat &f : formats)
                out.push_back(f.name());
            return out;
        };
        QCOMPARE(names(planCandidates(plan, "rtn")), plan.candidates);
        QCOMPARE(names(planCandidates(plan, "awq")), plan.candidates);
        std::vector<std::string> integers = plan.candidates;
        integers.erase(std::find(integers.begin(), integers.end(), "nf4-g128"));
        QCOMPARE(names(planCandidates(plan, "gptq")), integers);
        QCOMPARE(names(planCandidates(plan, "smoothquant")), std::vector<std::string> { "int8" });
        PlanSettings codebooks;
        codebooks.candidates = { "nf4", "fp8-e4m3" };
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, planCandidates(codebooks, "gptq"));
        codebooks.candidates.clear();
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, planCandidates(codebooks, "rtn"));
    }
};

QTEST_GUILESS_MAIN(TestQuantPlan)
#include "tst_quantplan.moc"
